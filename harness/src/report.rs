//! The outcome of a run: who paid and earned what, what happened to every L2
//! transaction and batch, the seed's five properties as a scorecard, the invariants and
//! the faults. Serde with a stable field order, so the same scenario and seed give the
//! same bytes; rendered as a terminal table, JSON, or a self-contained HTML timeline.
//! Nothing in it depends on the wall clock or on proof bytes.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::sim::TraceEntry;
use crate::zk::ProofMode;

/// Per-actor accounting. Amounts: L1 in wei, L2 in gwei (L2 units).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorReport {
    /// Name in the scenario.
    pub name: String,
    /// Role.
    pub role: String,
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
    /// Profit over the run (gwei of ETH): L2 fees earned (or MEV), plus the L1 token
    /// balance change at the pool's final price, minus L1 fees paid.
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
    /// Sender (actor name, or "bridge" for deposits).
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
}

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
    /// Proof of stake: leaders, canonical and uncled slots, slashing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<PosReport>,
}

/// What PoS leader election did, read from the StakeManager at the end of the run.
/// Stake amounts in 1e-9 network token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PosReport {
    /// The cartel's strategy (`none` without a cartel).
    pub cartel_strategy: String,
    /// The cartel's share of the genesis stake (percent).
    pub cartel_stake_pct: f64,
    /// Slots started during the run.
    pub slots: u64,
    /// Slots with a canonical block.
    pub canonical: u64,
    /// Slots past their timeout without a canonical block (uncled or empty).
    pub uncled: u64,
    /// Slots whose leader was slashed.
    pub slashed_slots: u64,
    /// Stake slashed from honest validators.
    pub honest_slashed: u64,
    /// Stake slashed from cartel members.
    pub cartel_slashed: u64,
    /// Honest stake slashed, as a share of the honest genesis stake (percent).
    pub honest_stake_slashed_pct: f64,
    /// Slashes paid to reporters in the cartel (when not burnt).
    pub cartel_reporter_rewards: u64,
    /// Longest run of consecutive slots without a canonical block.
    pub liveness_gap_slots: u64,
    /// The same in simulated time (ms).
    pub liveness_gap_ms: u64,
    /// Applied swaps by path: through L2 blocks, or forced through L1.
    pub swaps: Vec<SwapStats>,
    /// Validators in staking order.
    pub validators: Vec<ValidatorReport>,
    /// Every started slot.
    pub timeline: Vec<SlotReport>,
}

/// Swaps that took one path into the rollup.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SwapStats {
    /// `l2` (a leader's block) or `l1_forced` (the user forced it through L1).
    pub path: String,
    /// Applied swaps.
    pub swaps: u64,
    /// Mean delay from sending to landing (ms).
    pub mean_delay_ms: u64,
    /// Worst delay (ms).
    pub worst_delay_ms: u64,
    /// Mean price impact (basis points): how much less the swap got than the pool
    /// quoted when the user sent it (negative: more).
    pub mean_price_impact_bps: f64,
    /// Worst price impact (basis points).
    pub worst_price_impact_bps: f64,
}

/// One validator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorReport {
    /// Name.
    pub name: String,
    /// In the cartel.
    pub cartel: bool,
    /// Stake at genesis.
    pub stake_start: u64,
    /// Stake at the end.
    pub stake_end: u64,
    /// Slots it led.
    pub slots_led: u64,
    /// Of which canonical.
    pub canonical: u64,
    /// Slots it led right after leading the previous one.
    pub led_twice_in_a_row: u64,
}

/// One L2 slot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotReport {
    /// Slot.
    pub slot: u64,
    /// Its leader.
    pub leader: String,
    /// `canonical`, `slashed` (uncled, leader slashed), `uncled` (past the timeout,
    /// not slashed) or `open` (its timeout has not passed).
    pub outcome: String,
    /// The most stake any of its blocks gathered in attestations posted on L1, as a
    /// share of the slot's stake (percent; 66.67 makes a block canonical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attested_pct: Option<f64>,
    /// Batch index of its canonical block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<u64>,
}

/// One run of a sweep over the cartel's stake.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The cartel's share of the stake (percent).
    pub cartel_pct: u64,
    /// Seed.
    pub seed: u64,
    /// Slots started.
    pub slots: u64,
    /// Slots with a canonical block.
    pub canonical: u64,
    /// Slots uncled.
    pub uncled: u64,
    /// Honest stake slashed (1e-9 token).
    pub honest_slashed: u64,
    /// Honest stake slashed, percent of the honest stake.
    pub honest_stake_slashed_pct: f64,
    /// Cartel stake slashed (1e-9 token).
    pub cartel_slashed: u64,
    /// Longest run of slots without a canonical block.
    pub liveness_gap_slots: u64,
    /// Every invariant held and every expectation was met.
    pub passed: bool,
}

/// A sweep over the cartel's share of the stake: one row per share and seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Scenario name.
    pub scenario: String,
    /// Description.
    pub description: String,
    /// The cartel's strategy.
    pub cartel_strategy: String,
    /// Rows, by share then seed.
    pub rows: Vec<SweepRow>,
}

impl SweepReport {
    /// Per share: (share, mean honest stake slashed %, mean cartel slashed, mean
    /// uncled slots, runs).
    pub fn means(&self) -> Vec<(u64, f64, f64, f64, usize)> {
        let mut out: Vec<(u64, f64, f64, f64, usize)> = Vec::new();
        for r in &self.rows {
            match out.iter_mut().find(|m| m.0 == r.cartel_pct) {
                Some(m) => {
                    m.1 += r.honest_stake_slashed_pct;
                    m.2 += r.cartel_slashed as f64;
                    m.3 += r.uncled as f64;
                    m.4 += 1;
                }
                None => out.push((
                    r.cartel_pct,
                    r.honest_stake_slashed_pct,
                    r.cartel_slashed as f64,
                    r.uncled as f64,
                    1,
                )),
            }
        }
        for m in &mut out {
            let n = m.4 as f64;
            m.1 = (m.1 / n * 100.0).round() / 100.0;
            m.2 = (m.2 / n).round();
            m.3 = (m.3 / n * 100.0).round() / 100.0;
        }
        out
    }

    /// The table: one line per share, means over the seeds.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} (cartel strategy {}): {} runs",
            self.scenario,
            self.cartel_strategy,
            self.rows.len()
        );
        let _ = writeln!(s, "  {}", self.description);
        let _ = writeln!(
            s,
            "\n{:>7} {:>5} {:>20} {:>22} {:>14}",
            "cartel", "runs", "honest slashed (%)", "cartel slashed (1e-9)", "uncled slots"
        );
        for (pct, honest, cartel, uncled, n) in self.means() {
            let _ = writeln!(
                s,
                "{:>6}% {:>5} {:>20.2} {:>22} {:>14.2}",
                pct, n, honest, cartel, uncled
            );
        }
        s
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sweep report serializes")
    }

    /// A self-contained HTML page: the table and a chart of honest stake slashed (%)
    /// against the cartel's share, every run as a dot and the mean as a line, with
    /// the 1/3 threshold marked.
    pub fn html(&self) -> String {
        let (w, h, left, bottom) = (640.0, 360.0, 60.0, 40.0);
        let max_y = self
            .rows
            .iter()
            .map(|r| r.honest_stake_slashed_pct)
            .fold(1.0f64, f64::max);
        // The x axis runs to the largest share swept, rounded up to 10%.
        let max_x = self
            .rows
            .iter()
            .map(|r| r.cartel_pct)
            .max()
            .unwrap_or(0)
            .max(10);
        let max_x = max_x.div_ceil(10) * 10;
        let x = |pct: f64| left + pct / max_x as f64 * (w - left - 20.0);
        let y = |v: f64| h - bottom - v / max_y * (h - bottom - 20.0);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="monospace" font-size="11">"#
        );
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{0}" x2="{1}" y2="{0}" stroke="#000"/><line x1="{left}" y1="20" x2="{left}" y2="{0}" stroke="#000"/>"##,
            h - bottom,
            w - 20.0
        );
        for t in (0..=max_x).step_by(5) {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{t}%</text>"#,
                x(t as f64),
                h - bottom + 14.0
            );
        }
        let _ = write!(
            svg,
            r##"<line x1="{0:.1}" y1="20" x2="{0:.1}" y2="{1}" stroke="#c33" stroke-dasharray="4"/><text x="{0:.1}" y="16" fill="#c33">1/3</text>"##,
            x(100.0 / 3.0),
            h - bottom
        );
        let _ = write!(
            svg,
            r#"<text x="4" y="{}">{max_y:.1}%</text><text x="4" y="{}">0%</text><text x="{}" y="{}" text-anchor="middle">cartel share of stake</text>"#,
            y(max_y) + 4.0,
            y(0.0) + 4.0,
            w / 2.0,
            h - 6.0
        );
        for r in &self.rows {
            let _ = write!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#37c" fill-opacity="0.5"><title>{}%, seed {}: {:.2}%</title></circle>"##,
                x(r.cartel_pct as f64),
                y(r.honest_stake_slashed_pct),
                r.cartel_pct,
                r.seed,
                r.honest_stake_slashed_pct
            );
        }
        let points: Vec<String> = self
            .means()
            .iter()
            .map(|m| format!("{:.1},{:.1}", x(m.0 as f64), y(m.1)))
            .collect();
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#37c" stroke-width="2"/></svg>"##,
            points.join(" ")
        );
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>zkarena: {}</title></head>\n<body style=\"font-family:sans-serif\">\n<h1>{}</h1>\n<pre>{}</pre>\n<h2>Honest stake slashed against the cartel's share</h2>\n{}\n</body></html>\n",
            escape(&self.scenario),
            escape(&self.scenario),
            escape(&self.table()),
            svg
        )
    }
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
            && self.expectations.iter().all(|e| e.ok)
    }

    /// Pretty JSON (the `report.json` format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// The terminal summary.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} ({}), seed {}, {:?} proofs: {} L1 blocks, {} s",
            self.scenario,
            self.mechanism,
            self.seed,
            self.proof_mode,
            self.l1_blocks,
            self.duration_ms / 1000
        );
        let _ = writeln!(s, "  {}", self.description);
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
        for a in &self.actors {
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
        let fates = |f: Fate| self.transactions.iter().filter(|t| t.fate == f).count();
        let _ = writeln!(
            s,
            "\nbatches: {} sequenced, {} verified; L2 txs: {} applied, {} skipped, {} pending",
            self.batches.len(),
            verified,
            fates(Fate::Applied),
            fates(Fate::Skipped),
            fates(Fate::Pending)
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
        if let Some(p) = &self.pos {
            let _ = writeln!(
                s,
                "proof of stake: cartel {} with {:.1}% of stake; {} slots: {} canonical, {} uncled ({} slashed); longest gap {} slots",
                p.cartel_strategy,
                p.cartel_stake_pct,
                p.slots,
                p.canonical,
                p.uncled,
                p.slashed_slots,
                p.liveness_gap_slots
            );
            let _ = writeln!(
                s,
                "  slashed: honest {} ({:.2}% of honest stake), cartel {}; cartel reporter rewards {}",
                p.honest_slashed, p.honest_stake_slashed_pct, p.cartel_slashed, p.cartel_reporter_rewards
            );
            for w in &p.swaps {
                let _ = writeln!(
                    s,
                    "  swaps via {:<9} {:>4}: delay mean {} s, worst {} s; price impact mean {:.2} bps, worst {:.2} bps",
                    w.path,
                    w.swaps,
                    w.mean_delay_ms / 1000,
                    w.worst_delay_ms / 1000,
                    w.mean_price_impact_bps,
                    w.worst_price_impact_bps
                );
            }
            for v in &p.validators {
                let _ = writeln!(
                    s,
                    "  {:<14} {:<7} stake {:>14} -> {:>14}  led {:>3} (canonical {:>3}, twice in a row {:>2})",
                    v.name,
                    if v.cartel { "cartel" } else { "honest" },
                    v.stake_start,
                    v.stake_end,
                    v.slots_led,
                    v.canonical,
                    v.led_twice_in_a_row
                );
            }
            let strip: String = p
                .timeline
                .iter()
                .map(|t| match t.outcome.as_str() {
                    "canonical" => 'C',
                    "slashed" => 'S',
                    "uncled" => 'U',
                    _ => '.',
                })
                .collect();
            let _ = writeln!(s, "  slots: {strip}");
        }
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
                if e.ok { "ok" } else { "FAILED" }
            );
        }
        s
    }

    /// A self-contained HTML page: the summary, an SVG timeline (actors as lanes,
    /// messages as arrows, L1 blocks as ticks, faulted actors' lanes highlighted) and a
    /// bar chart of what each actor earned.
    pub fn html(&self, trace: &[TraceEntry]) -> String {
        let mut lanes: Vec<String> = self.actors.iter().map(|a| a.name.clone()).collect();
        for e in trace {
            for n in [&e.from, &e.to] {
                if !lanes.contains(n) {
                    lanes.push(n.clone());
                }
            }
        }
        let end = self.duration_ms.max(1) as f64;
        let (w, lane_h, left) = (1200.0, 28.0, 110.0);
        let h = lane_h * (lanes.len() as f64 + 1.0);
        let x = |t: u64| left + (t as f64 / end) * (w - left - 10.0);
        let y =
            |name: &str| lane_h * (lanes.iter().position(|l| l == name).unwrap_or(0) as f64 + 1.0);
        // Attackers and actors a fault touched get a highlighted lane.
        let attackers: Vec<&str> = self
            .actors
            .iter()
            .filter(|a| matches!(a.role.as_str(), "frontrunner" | "garbage" | "copier"))
            .map(|a| a.name.as_str())
            .collect();
        let faulted: Vec<&str> = self
            .faults
            .iter()
            .flat_map(|f| {
                lanes
                    .iter()
                    .filter(|l| f.fault.contains(l.as_str()))
                    .map(String::as_str)
            })
            .collect();
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="monospace" font-size="11">"#
        );
        for l in &lanes {
            let color = if attackers.contains(&l.as_str()) {
                "#fcc"
            } else if faulted.contains(&l.as_str()) {
                "#ffe9c6"
            } else {
                "#f4f4f4"
            };
            let _ = write!(
                svg,
                r#"<rect x="{left}" y="{}" width="{}" height="{}" fill="{color}"/><text x="4" y="{}">{}</text>"#,
                y(l) - lane_h / 2.0 + 2.0,
                w - left - 10.0,
                lane_h - 4.0,
                y(l) + 4.0,
                escape(l)
            );
        }
        for e in trace {
            let (x1, y1, y2) = (x(e.t_ms), y(&e.from), y(&e.to));
            let color = match e.kind.as_str() {
                "new_block" => "#999",
                "l2_tx" => "#4a7",
                "submit_l1" | "l1_receipt" => "#37c",
                "proof_ready" => "#c70",
                _ => "#888",
            };
            let _ = write!(
                svg,
                r#"<line x1="{x1:.1}" y1="{y1}" x2="{x1:.1}" y2="{y2}" stroke="{color}" stroke-width="1"><title>{} {} -> {}: {}</title></line><circle cx="{x1:.1}" cy="{y2}" r="2" fill="{color}"/>"#,
                e.t_ms,
                escape(&e.from),
                escape(&e.to),
                escape(&e.summary)
            );
        }
        svg.push_str("</svg>");
        let earnings: Vec<(String, u64)> = self
            .actors
            .iter()
            .map(|a| (a.name.clone(), a.l2_fees_earned + a.rewards))
            .collect();
        let max = earnings.iter().map(|e| e.1).max().unwrap_or(0).max(1) as f64;
        let mut bars = String::new();
        let _ = write!(
            bars,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="{}" font-family="monospace" font-size="11">"#,
            20 * earnings.len() + 10
        );
        for (i, (name, v)) in earnings.iter().enumerate() {
            let _ = write!(
                bars,
                r##"<text x="4" y="{}">{}</text><rect x="120" y="{}" width="{:.1}" height="14" fill="#37c"/><text x="{:.1}" y="{}">{v}</text>"##,
                20 * i + 17,
                escape(name),
                20 * i + 6,
                400.0 * *v as f64 / max,
                125.0 + 400.0 * *v as f64 / max,
                20 * i + 17
            );
        }
        bars.push_str("</svg>");
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>zkarena: {}</title></head>\n<body style=\"font-family:sans-serif\">\n<h1>{}</h1>\n<pre>{}</pre>\n<h2>Timeline</h2>\n{}\n<h2>Earnings (L2 fees + rewards, gwei)</h2>\n{}\n</body></html>\n",
            escape(&self.scenario),
            escape(&self.scenario),
            escape(&self.table()),
            svg,
            bars
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

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
