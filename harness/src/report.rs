//! The outcome of a run: who paid and earned what, what happened to every L2
//! transaction and batch, the seed's five properties as a scorecard, the invariants and
//! the faults. Serde with a stable field order, so the same scenario and seed give the
//! same bytes; rendered as a terminal table, JSON, or a self-contained HTML timeline.
//! Nothing in it depends on the wall clock or on proof bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::zk::ProofMode;

/// What an actor is in the run (`role` in reports): one of the shared roles, or a
/// role a mechanism defines, by the name it gives it (PoS: `validator`), so that a
/// mechanism's roles need nothing here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleKind {
    /// Sends L2 transactions.
    #[default]
    User,
    /// Orders L2 transactions into batches and posts them.
    Sequencer,
    /// Proves batches.
    Aggregator,
    /// Attacker: copies and outbids other sequencers' batches.
    Frontrunner,
    /// Attacker: posts malformed batch data.
    Garbage,
    /// Attacker: copies other provers' proofs.
    Copier,
    /// The L1 node.
    L1,
    /// The run's safety oracle.
    Referee,
    /// A role of the mechanism under test, by its name (never a shared role's name).
    Mechanism(&'static str),
}

impl RoleKind {
    /// The shared roles.
    pub const SHARED: [RoleKind; 8] = [
        RoleKind::User,
        RoleKind::Sequencer,
        RoleKind::Aggregator,
        RoleKind::Frontrunner,
        RoleKind::Garbage,
        RoleKind::Copier,
        RoleKind::L1,
        RoleKind::Referee,
    ];

    /// Its name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::User => "user",
            RoleKind::Sequencer => "sequencer",
            RoleKind::Aggregator => "aggregator",
            RoleKind::Frontrunner => "frontrunner",
            RoleKind::Garbage => "garbage",
            RoleKind::Copier => "copier",
            RoleKind::L1 => "l1",
            RoleKind::Referee => "referee",
            RoleKind::Mechanism(name) => name,
        }
    }

    /// The role named `name`: a shared one, or else a mechanism's (names are interned:
    /// a report read back holds a handful of distinct role names).
    pub fn named(name: &str) -> RoleKind {
        if let Some(shared) = Self::SHARED.into_iter().find(|r| r.as_str() == name) {
            return shared;
        }
        static NAMES: std::sync::Mutex<BTreeSet<&'static str>> =
            std::sync::Mutex::new(BTreeSet::new());
        let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
        let interned = match names.get(name) {
            Some(n) => *n,
            None => {
                let n: &'static str = Box::leak(name.to_string().into_boxed_str());
                names.insert(n);
                n
            }
        };
        RoleKind::Mechanism(interned)
    }

    /// Whether it is one of the shipped attackers (highlighted in timelines).
    pub fn is_attacker(self) -> bool {
        matches!(
            self,
            RoleKind::Frontrunner | RoleKind::Garbage | RoleKind::Copier
        )
    }
}

impl Serialize for RoleKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RoleKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(RoleKind::named(&name))
    }
}

impl std::fmt::Display for RoleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Per-actor accounting. Amounts: L1 in wei, L2 in gwei (L2 units).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorReport {
    /// Name in the scenario.
    pub name: String,
    /// Role.
    pub role: RoleKind,
    /// L1 gas used by its transactions.
    pub l1_gas: u64,
    /// L1 fees paid (wei).
    pub l1_fees_wei: u128,
    /// L1 transactions sent.
    pub l1_txs_sent: u64,
    /// L1 transactions included in a block.
    pub l1_txs_included: u64,
    /// L1 transactions that reverted or were dropped.
    pub l1_txs_failed: u64,
    /// Change of its network-token balance on L1 over the run, in 1e-9 token (batch
    /// fees paid, proving rewards earned).
    pub l1_token_delta: i128,
    /// L2 fees earned (gwei): base fees and tips of the batches it sequenced.
    pub l2_fees_earned: u64,
    /// Rewards (gwei or token units, mechanism-specific).
    pub rewards: u64,
    /// Fines and slashing.
    pub fines: u64,
    /// MEV profit (gwei of ETH): an attacker's L2 account value change (fees taken and
    /// trading gains) at the pool's final price.
    pub mev_profit: i64,
    /// Earnings over the run (gwei of ETH), before L1 costs: L2 fees earned (an
    /// attacker: its L2 accounts' value change, MEV included) plus the network-token
    /// balance change at the pool's final price. 0 for users.
    pub earnings_gwei: i64,
    /// Profit over the run (gwei of ETH): earnings minus L1 fees paid.
    pub profit_gwei: i64,
    /// Batches it sequenced that landed on L1.
    pub batches_sequenced: u64,
    /// Proofs it submitted.
    pub proofs_submitted: u64,
    /// Proofs the L1 accepted.
    pub proofs_accepted: u64,
    /// Simulated proving time spent on proofs the L1 did not accept (ms).
    pub proving_wasted_ms: u64,
    /// L2 transactions it sent.
    pub l2_txs_sent: u64,
}

impl ActorReport {
    /// Counts one answered L1 transaction: its gas and fee, whether a block included
    /// it, and whether it failed (reverted, or never included).
    pub fn count_l1(&mut self, included: bool, error: bool, gas_used: u64, fee_wei: u128) {
        self.l1_gas += gas_used;
        self.l1_fees_wei += fee_wei;
        if included {
            self.l1_txs_included += 1;
        }
        if !included || error {
            self.l1_txs_failed += 1;
        }
    }
}

/// Most users a report table lists one by one; more are one summed row.
pub const MAX_USER_ROWS: usize = 12;

/// The fate of one L2 transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Applied in its batch.
    Applied,
    /// In a batch, skipped with a reason.
    Skipped,
    /// Still waiting in a sequencer's pool at the end.
    Pending,
    /// Never reached a sequencer (lost in transit, e.g. by a fault), or vanished.
    Lost,
}

/// One L2 transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxReport {
    /// First 8 bytes of its hash, hex.
    pub id: String,
    /// Sender (actor name, or [`BRIDGE`] for deposits).
    pub sender: String,
    /// Kind.
    pub kind: String,
    /// Fate.
    pub fate: Fate,
    /// Skip reason, if skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Batch index, if sequenced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<u64>,
    /// Submitted (ms).
    pub submitted_ms: u64,
    /// Delay to its batch landing on L1 (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusion_delay_ms: Option<u64>,
}

/// One batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Index on L1 (from 1).
    pub index: u64,
    /// Actor that sequenced it.
    pub sequencer: String,
    /// L1 block it landed in.
    pub l1_block: u64,
    /// Bytes of its data as posted.
    pub bytes: u64,
    /// Transactions in it.
    pub txs: u64,
    /// Of which applied.
    pub applied: u64,
    /// Actor whose proof verified it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prover: Option<String>,
    /// L1 block of the verification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_block: Option<u64>,
    /// State root after it (hex), once verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
}

/// The seed's five properties.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Safety: state roots finalized on L1 that the native replay does not reach.
    pub finalized_invalid_roots: u64,
    /// Censorship resistance: worst inclusion delay of an applied or skipped
    /// transaction (ms), and the number still pending at the end.
    pub worst_inclusion_delay_ms: u64,
    /// Transactions never included.
    pub never_included: u64,
    /// Censorship resistance where it is attacked: the user transactions an attacker
    /// in the cast targets (a censoring sequencer's users, and whatever the
    /// mechanism's own attackers single out).
    pub targeted_txs: u64,
    /// Worst inclusion delay of a targeted transaction that was included (ms).
    pub targeted_worst_delay_ms: u64,
    /// Targeted transactions never included.
    pub targeted_never_included: u64,
    /// Low participation requirements: Nakamoto coefficient of sequencers (batches)
    /// and of provers (verified ranges).
    pub nakamoto_sequencers: u64,
    /// See `nakamoto_sequencers`.
    pub nakamoto_provers: u64,
    /// Aligned incentives: Gini coefficient of rewards and fees earned across actors
    /// that earn (0 = equal).
    pub gini_rewards: f64,
    /// Share of MEV profit among all actors' earnings (0..1).
    pub mev_share: f64,
    /// Liveness: longest stretch without a verified range (ms).
    pub longest_finalization_gap_ms: u64,
}

/// An invariant and how it fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantReport {
    /// Name.
    pub name: String,
    /// Times checked.
    pub checks: u64,
    /// First violation, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<String>,
}

/// A scripted fault and how many messages it touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultReport {
    /// Description.
    pub fault: String,
    /// Messages touched.
    pub messages: u64,
}

/// A checked expectation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectationReport {
    /// As written in the scenario.
    pub expect: String,
    /// The measured value.
    pub actual: f64,
    /// Whether it held.
    pub ok: bool,
    /// For a claim about a population of seeds, the claim (`at least 50% of 40
    /// seeds`): this run is one draw of it, which does not decide whether the run
    /// passed (`zkarena sweep` checks the share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
}

/// The sender a report gives bridge deposits.
pub const BRIDGE: &str = "bridge";

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// One-line description.
    pub description: String,
    /// Mechanism.
    pub mechanism: String,
    /// Seed.
    pub seed: u64,
    /// Proof mode.
    pub proof_mode: ProofMode,
    /// Simulated duration (ms).
    pub duration_ms: u64,
    /// L1 blocks sealed.
    pub l1_blocks: u64,
    /// Number of the last L1 block (the run's blocks are the last `l1_blocks`; those
    /// before are genesis: deployment, funding, staking).
    pub last_l1_block: u64,
    /// The final verified state root (hex).
    pub final_root: String,
    /// Actors by name.
    pub actors: Vec<ActorReport>,
    /// Batches by index.
    pub batches: Vec<BatchReport>,
    /// L2 transactions by submission.
    pub transactions: Vec<TxReport>,
    /// The five properties.
    pub scorecard: Scorecard,
    /// Invariants.
    pub invariants: Vec<InvariantReport>,
    /// Faults.
    pub faults: Vec<FaultReport>,
    /// Expectations.
    pub expectations: Vec<ExpectationReport>,
    /// The mechanism's own section, serialized under its name (e.g. `pos`): what it
    /// alone measures, typed by the mechanism (`zkarena::mechanisms`).
    #[serde(flatten)]
    pub sections: BTreeMap<String, serde_json::Value>,
    /// The mechanism section's lines of the terminal summary (not serialized).
    #[serde(skip)]
    pub section_summary: String,
}

/// Gini coefficient of `values` (0 for empty or all-zero).
pub fn gini(values: &[u64]) -> f64 {
    let mut v: Vec<u128> = values.iter().map(|&x| x as u128).collect();
    v.sort_unstable();
    let n = v.len() as u128;
    let sum: u128 = v.iter().sum();
    if n == 0 || sum == 0 {
        return 0.0;
    }
    let weighted: u128 = v.iter().enumerate().map(|(i, x)| (i as u128 + 1) * x).sum();
    let g = (2.0 * weighted as f64) / (n as f64 * sum as f64) - (n as f64 + 1.0) / n as f64;
    (g * 1e6).round() / 1e6
}

/// Nakamoto coefficient: the fewest parties holding more than half of `shares`.
pub fn nakamoto(shares: &[u64]) -> u64 {
    let total: u128 = shares.iter().map(|&x| x as u128).sum();
    if total == 0 {
        return 0;
    }
    let mut v = shares.to_vec();
    v.sort_unstable_by(|a, b| b.cmp(a));
    let mut acc = 0u128;
    for (i, x) in v.iter().enumerate() {
        acc += *x as u128;
        if acc * 2 > total {
            return i as u64 + 1;
        }
    }
    v.len() as u64
}

impl Report {
    /// Whether every invariant held and every expectation was met.
    pub fn passed(&self) -> bool {
        self.invariants.iter().all(|i| i.violation.is_none())
            && self
                .expectations
                .iter()
                .all(|e| e.ok || e.population.is_some())
    }

    /// Pretty JSON (the `report.json` format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// Users' transactions (bridge deposits apart) whose fate is `fate`.
    pub fn user_txs(&self, fate: Fate) -> usize {
        self.transactions
            .iter()
            .filter(|t| t.fate == fate && t.sender != BRIDGE)
            .count()
    }

    /// Every user as one row named `name`: the sums of their columns.
    fn users_together(&self, name: String) -> ActorReport {
        let mut all = ActorReport {
            name,
            role: RoleKind::User,
            ..Default::default()
        };
        for a in self.actors.iter().filter(|a| a.role == RoleKind::User) {
            all.l1_gas += a.l1_gas;
            all.l1_fees_wei += a.l1_fees_wei;
            all.l1_token_delta += a.l1_token_delta;
            all.l2_fees_earned += a.l2_fees_earned;
            all.l2_txs_sent += a.l2_txs_sent;
        }
        all
    }

    /// The report as text: header, one row per actor (users as one row when there are
    /// more than [`MAX_USER_ROWS`]), totals, scorecard, section, checks.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} ({}), seed {}, {:?} proofs: {} L1 blocks (numbers {} to {}; those before are genesis), {} s",
            self.scenario,
            self.mechanism,
            self.seed,
            self.proof_mode,
            self.l1_blocks,
            (self.last_l1_block + 1).saturating_sub(self.l1_blocks),
            self.last_l1_block,
            self.duration_ms / 1000
        );
        let _ = writeln!(s, "  {}", self.description);
        let _ = writeln!(
            s,
            "  units: L1 gas in gas; L1 fees in gwei of ETH; tokens: the network token's balance change in 1e-9 token; L2 fees in L2 units"
        );
        let _ = writeln!(
            s,
            "\n{:<14} {:<11} {:>10} {:>16} {:>14} {:>10} {:>8} {:>8} {:>7}",
            "actor",
            "role",
            "L1 gas",
            "L1 fees (gwei)",
            "tokens (1e-9)",
            "L2 fees",
            "batches",
            "proofs",
            "L2 txs"
        );
        let users = self
            .actors
            .iter()
            .filter(|a| a.role == RoleKind::User)
            .count();
        let fold_users = users > MAX_USER_ROWS;
        let together = fold_users.then(|| self.users_together(format!("users x{users}")));
        let rows = self
            .actors
            .iter()
            .filter(|a| !(fold_users && a.role == RoleKind::User))
            .chain(&together);
        for a in rows {
            let _ = writeln!(
                s,
                "{:<14} {:<11} {:>10} {:>16} {:>14} {:>10} {:>8} {:>8} {:>7}",
                a.name,
                a.role,
                a.l1_gas,
                a.l1_fees_wei / 1_000_000_000,
                a.l1_token_delta,
                a.l2_fees_earned,
                a.batches_sequenced,
                format!("{}/{}", a.proofs_accepted, a.proofs_submitted),
                a.l2_txs_sent
            );
        }
        let verified = self.batches.iter().filter(|b| b.prover.is_some()).count();
        // Users' transactions apart from bridge deposits: the users' column sums to them.
        let deposits = self
            .transactions
            .iter()
            .filter(|t| t.sender == BRIDGE)
            .count();
        let _ = writeln!(
            s,
            "\nbatches: {} sequenced, {} verified; users' L2 txs: {} applied, {} skipped, {} pending; {} bridge deposits",
            self.batches.len(),
            verified,
            self.user_txs(Fate::Applied),
            self.user_txs(Fate::Skipped),
            self.user_txs(Fate::Pending),
            deposits
        );
        let c = &self.scorecard;
        let _ = writeln!(
            s,
            "scorecard: invalid roots {}, worst inclusion {} s ({} never), Nakamoto seq/prov {}/{}, Gini {:.3}, MEV share {:.3}, longest finalization gap {} s",
            c.finalized_invalid_roots,
            c.worst_inclusion_delay_ms / 1000,
            c.never_included,
            c.nakamoto_sequencers,
            c.nakamoto_provers,
            c.gini_rewards,
            c.mev_share,
            c.longest_finalization_gap_ms / 1000
        );
        if c.targeted_txs > 0 {
            let _ = writeln!(
                s,
                "censorship: {} transactions targeted by an attacker, worst inclusion {} s, {} never included",
                c.targeted_txs,
                c.targeted_worst_delay_ms / 1000,
                c.targeted_never_included
            );
        }
        s.push_str(&self.section_summary);
        for i in &self.invariants {
            let _ = writeln!(
                s,
                "invariant {:<28} {:>5} checks  {}",
                i.name,
                i.checks,
                i.violation.as_deref().unwrap_or("ok")
            );
        }
        for f in &self.faults {
            let _ = writeln!(s, "fault {} ({} messages)", f.fault, f.messages);
        }
        for e in &self.expectations {
            let _ = writeln!(
                s,
                "expect {:<40} actual {:<12} {}",
                e.expect,
                e.actual,
                match (&e.population, e.ok) {
                    (None, true) => "ok".to_string(),
                    (None, false) => "FAILED".to_string(),
                    (Some(claim), ok) => format!(
                        "{} in this run; a claim about {claim}, checked by `zkarena sweep`",
                        if ok { "holds" } else { "does not hold" }
                    ),
                }
            );
        }
        s
    }
}

/// `s` with the HTML special characters escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_as_written_shared_or_a_mechanisms() {
        for role in RoleKind::SHARED.into_iter().chain([
            RoleKind::Mechanism("validator"),
            RoleKind::Mechanism("roller"),
        ]) {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<RoleKind>(&json).unwrap(), role);
        }
        // A shared role's name reads back as the shared role: a mechanism names its
        // roles otherwise.
        assert_eq!(RoleKind::named("user"), RoleKind::User);
        assert!(!RoleKind::named("validator").is_attacker());
    }

    #[test]
    fn gini_and_nakamoto_match_hand_computations() {
        assert_eq!(gini(&[1, 1, 1, 1]), 0.0);
        assert_eq!(gini(&[0, 0, 0, 10]), 0.75);
        assert_eq!(nakamoto(&[6, 3, 1]), 1);
        assert_eq!(nakamoto(&[5, 3, 2]), 2, "exactly half is not a majority");
        assert_eq!(nakamoto(&[4, 3, 3]), 2);
        assert_eq!(nakamoto(&[1, 1, 1, 1]), 3);
        assert_eq!(nakamoto(&[]), 0);
    }
}
