//! The shared part of a run's report, read from the actors, the referee and the L1 at
//! the end of a run: per actor accounting with one definition of earnings and profit,
//! every batch and user transaction with its fate, the instruments' invariants, and the
//! scorecard of the seed's five properties. A mechanism adds its own section after
//! (`crate::mechanisms::Deployed::section`).

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use zkarena_actors::l1node::{L1Node, L1};
use zkarena_actors::msg::{short, SentTx};
use zkarena_actors::referee::{BatchSeen, Inclusion, Referee, REFEREE};
use zkarena_actors::runtime::{Testnet, Violation};
use zkarena_harness::l1::contracts::bindings;
use zkarena_harness::l2::state::L2State;
use zkarena_harness::report::{
    gini, nakamoto, ActorReport, BatchReport, Fate, FaultReport, InvariantReport, Report, RoleKind,
    Scorecard, TxReport,
};

use crate::run::{view, ETH};
use crate::scenario::Scenario;

/// Network tokens each cast member starts with on L1 (whole tokens).
pub(crate) const CAST_TOKENS: u64 = 1_000;

/// A user transaction as sent, and its sender.
struct Sent {
    tx: SentTx,
    sender: String,
}

/// What the actors hold at the end: their reports, what users sent, and which
/// transactions are still pending in or were received by a sequencer's pool.
struct ActorsAtEnd {
    actors: Vec<ActorReport>,
    sent: Vec<Sent>,
    pending: BTreeSet<B256>,
    received: BTreeSet<B256>,
}

fn actors_at_end(net: &mut Testnet) -> ActorsAtEnd {
    let mut end = ActorsAtEnd {
        actors: Vec::new(),
        sent: Vec::new(),
        pending: BTreeSet::new(),
        received: BTreeSet::new(),
    };
    for n in net.names().to_vec() {
        if n == L1 || n == REFEREE {
            continue;
        }
        let (report, txs) = net
            .inspect(&n, |r| (r.report(), r.sent_txs()))
            .expect("actor is alive");
        end.sent.extend(txs.into_iter().map(|tx| Sent {
            tx,
            sender: n.clone(),
        }));
        if let Some(pool) = net.inspect(&n, |r| r.pool_changes(0)).flatten() {
            end.pending.extend(pool.pending);
            end.received.extend(pool.arrived);
        }
        end.actors.push(report);
    }
    end.actors.sort_by(|a, b| a.name.cmp(&b.name));
    end
}

fn batch_reports(
    seen: &BTreeMap<u64, BatchSeen>,
    name_of: &dyn Fn(&Address) -> String,
) -> Vec<BatchReport> {
    seen.iter()
        .map(|(&index, b)| BatchReport {
            index,
            sequencer: name_of(&b.sender),
            l1_block: b.block,
            bytes: b.bytes,
            txs: b.txs[0],
            applied: b.txs[1],
            prover: b.verified.map(|(p, _)| name_of(&p)),
            verified_block: b.verified.map(|(_, blk)| blk),
            root: b.verified.map(|_| b.root.to_string()),
        })
        .collect()
}

/// Users' transactions in the order sent, then deposits; and how many reached a
/// sequencer and then vanished (neither included nor pending).
fn tx_reports(end: &ActorsAtEnd, inclusions: &BTreeMap<B256, Inclusion>) -> (Vec<TxReport>, u64) {
    let mut transactions = Vec::new();
    let mut vanished = 0;
    for Sent { tx, sender } in &end.sent {
        let inc = inclusions.get(&tx.hash);
        let fate = match inc {
            Some(i) if i.applied => Fate::Applied,
            Some(_) => Fate::Skipped,
            None if end.pending.contains(&tx.hash) => Fate::Pending,
            None => {
                vanished += end.received.contains(&tx.hash) as u64;
                Fate::Lost
            }
        };
        transactions.push(TxReport {
            id: short(&tx.hash),
            sender: sender.clone(),
            kind: tx.kind.to_string(),
            fate,
            reason: inc.and_then(|i| i.reason.clone()),
            batch: inc.map(|i| i.batch),
            submitted_ms: tx.sent_ms,
            inclusion_delay_ms: inc.map(|i| i.at_ms.saturating_sub(tx.sent_ms)),
        });
    }
    for (h, i) in inclusions.iter().filter(|(_, i)| i.kind == "deposit") {
        transactions.push(TxReport {
            id: short(h),
            sender: zkarena_harness::report::BRIDGE.into(),
            kind: "deposit".into(),
            fate: if i.applied {
                Fate::Applied
            } else {
                Fate::Skipped
            },
            reason: i.reason.clone(),
            batch: Some(i.batch),
            submitted_ms: i.at_ms,
            inclusion_delay_ms: None,
        });
    }
    (transactions, vanished)
}

/// The instruments' own invariants: the referee is the run's instrument, so a block it
/// never saw is a failure, not a pass with fewer checks; every transaction that reached
/// a sequencer has a fate.
fn instrument_invariants(
    invariants: &mut Vec<InvariantReport>,
    blocks_seen: u64,
    published: u64,
    sent: u64,
    vanished: u64,
    violation: Option<&Violation>,
) {
    invariants.push(InvariantReport {
        name: "the referee saw every L1 block".into(),
        checks: published,
        violation: (blocks_seen != published)
            .then(|| format!("it saw {blocks_seen} of the {published} blocks the L1 published")),
    });
    invariants.push(fate_invariant(sent, vanished));
    if let Some(v) = violation {
        if !invariants.iter().any(|i| i.name == v.invariant) {
            invariants.push(InvariantReport {
                name: v.invariant.clone(),
                checks: 1,
                violation: Some(v.detail.clone()),
            });
        }
    }
}

/// The transaction-fate invariant's name.
pub(crate) const FATE: &str = "every L2 tx has a fate";

fn fate_invariant(sent: u64, vanished: u64) -> InvariantReport {
    InvariantReport {
        name: FATE.into(),
        checks: sent,
        violation: (vanished > 0)
            .then(|| format!("{vanished} transactions reached a sequencer and vanished")),
    }
}

/// The fate invariant checked as the run goes, after every L1 block, so that the run
/// stops at the block that broke it. Incremental: each check reads what pools admitted
/// since the last one and what they hold now (bounded by the pool size), never the
/// whole history.
#[derive(Default)]
pub(crate) struct FateWatch {
    /// Per actor with a pool, how many admissions the last check read (filled by the
    /// first check, which asks every actor: the cast does not change).
    cursors: Option<BTreeMap<String, usize>>,
    /// Transactions pending somewhere at the last check.
    pending: BTreeSet<B256>,
}

impl FateWatch {
    /// A transaction a pool admitted that is neither pending in any pool nor included
    /// (applied or skipped) vanished: the violation, if any did since the last check.
    pub(crate) fn check(&mut self, net: &mut Testnet) -> Option<Violation> {
        let mut candidates = std::mem::take(&mut self.pending);
        let mut pending = BTreeSet::new();
        let cursors = self
            .cursors
            .take()
            .unwrap_or_else(|| net.names().iter().map(|n| (n.clone(), 0)).collect());
        let mut next = BTreeMap::new();
        for (n, since) in cursors {
            let Some(changes) = net.inspect(&n, move |r| r.pool_changes(since)).flatten() else {
                continue;
            };
            candidates.extend(changes.arrived);
            pending.extend(changes.pending);
            next.insert(n, changes.cursor);
        }
        self.cursors = Some(next);
        let gone: Vec<B256> = candidates.difference(&pending).copied().collect();
        self.pending = pending;
        let vanished = net
            .with(REFEREE, move |r: &mut Referee| {
                gone.iter()
                    .filter(|h| !r.inclusions.contains_key(*h))
                    .count()
            })
            .unwrap_or(0);
        let invariant = fate_invariant(0, vanished as u64);
        invariant.violation.map(|detail| Violation {
            invariant: invariant.name,
            detail,
            at: net.now(),
            trace: net.trace().to_vec(),
        })
    }
}

/// Longest stretch without a verified range, to the end of the run (ms).
fn longest_gap(finalizations: &[u64], end_ms: u64) -> u64 {
    let mut gap = 0;
    let mut last = 0;
    for &t in finalizations.iter().chain(std::iter::once(&end_ms)) {
        gap = gap.max(t.saturating_sub(last));
        last = t;
    }
    gap
}

/// Censorship resistance over the transactions an attacker in the cast targets
/// (`targeted`): how many, the worst delay of those included, and how many never were.
fn censorship(transactions: &[TxReport], targeted: &BTreeSet<String>) -> (u64, u64, u64) {
    let hit: Vec<&TxReport> = transactions
        .iter()
        .filter(|t| targeted.contains(&t.id))
        .collect();
    let worst = hit
        .iter()
        .filter_map(|t| t.inclusion_delay_ms)
        .max()
        .unwrap_or(0);
    let never = hit
        .iter()
        .filter(|t| matches!(t.fate, Fate::Pending | Fate::Lost))
        .count() as u64;
    (hit.len() as u64, worst, never)
}

fn scorecard(
    batches: &[BatchReport],
    transactions: &[TxReport],
    targeted: &BTreeSet<String>,
    invalid_roots: u64,
    longest_finalization_gap_ms: u64,
) -> Scorecard {
    let mut per_sequencer: BTreeMap<&str, u64> = BTreeMap::new();
    let mut per_prover: BTreeMap<&str, u64> = BTreeMap::new();
    for b in batches {
        *per_sequencer.entry(&b.sequencer).or_default() += 1;
        if let Some(p) = &b.prover {
            *per_prover.entry(p).or_default() += 1;
        }
    }
    let (targeted_txs, targeted_worst_delay_ms, targeted_never_included) =
        censorship(transactions, targeted);
    Scorecard {
        finalized_invalid_roots: invalid_roots,
        worst_inclusion_delay_ms: transactions
            .iter()
            .filter_map(|t| t.inclusion_delay_ms)
            .max()
            .unwrap_or(0),
        never_included: transactions
            .iter()
            .filter(|t| matches!(t.fate, Fate::Pending | Fate::Lost))
            .count() as u64,
        targeted_txs,
        targeted_worst_delay_ms,
        targeted_never_included,
        nakamoto_sequencers: nakamoto(&per_sequencer.values().copied().collect::<Vec<_>>()),
        nakamoto_provers: nakamoto(&per_prover.values().copied().collect::<Vec<_>>()),
        gini_rewards: 0.0,
        mev_share: 0.0,
        longest_finalization_gap_ms,
    }
}

/// The shared report of the run so far (expectations and the mechanism's section
/// come after; earnings once the L1 and L2 balances are read).
pub(crate) fn assemble(
    s: &Scenario,
    net: &mut Testnet,
    names_by_address: &BTreeMap<Address, String>,
    violation: Option<&Violation>,
) -> Report {
    let end = actors_at_end(net);
    let referee = net
        .with(REFEREE, |r: &mut Referee| {
            (
                r.batches.clone(),
                r.inclusions.clone(),
                r.finalizations.clone(),
                r.invariants.clone(),
                r.blocks,
                r.verified_root(),
                r.invalid_roots,
            )
        })
        .expect("the referee is in every cast");
    let (seen, inclusions, finalizations, mut invariants, blocks, final_root, invalid_roots) =
        referee;
    let name_of = |a: &Address| {
        names_by_address
            .get(a)
            .cloned()
            .unwrap_or_else(|| a.to_string())
    };
    let batches = batch_reports(&seen, &name_of);
    let (transactions, vanished) = tx_reports(&end, &inclusions);
    let (published, last_l1_block) = net
        .with(L1, |n: &mut L1Node| {
            (n.published_blocks(), n.chain().head().number)
        })
        .expect("the L1 node is in every cast");
    let sent = end.sent.len() as u64;
    instrument_invariants(
        &mut invariants,
        blocks,
        published,
        sent,
        vanished,
        violation,
    );
    let targeted = targeted_ids(s, &end.sent);
    let duration_ms = net.now().as_millis();
    let scorecard = scorecard(
        &batches,
        &transactions,
        &targeted,
        invalid_roots,
        longest_gap(&finalizations, duration_ms),
    );
    let faults = net
        .faults()
        .faults()
        .iter()
        .zip(&net.faults().hits)
        .map(|(f, &h)| FaultReport {
            fault: f.describe(),
            messages: h,
        })
        .collect();
    Report {
        scenario: s.name.clone(),
        description: s.description.clone(),
        mechanism: s.mechanism.name().into(),
        seed: s.seed,
        proof_mode: s.proof_mode,
        duration_ms,
        l1_blocks: blocks,
        last_l1_block,
        final_root: final_root.to_string(),
        actors: end.actors,
        batches,
        transactions,
        scorecard,
        invariants,
        faults,
        expectations: Vec::new(),
        sections: BTreeMap::new(),
        section_summary: String::new(),
    }
}

/// The ids of the user transactions an attacker in the cast targets: a censoring
/// sequencer's users, and whatever the mechanism's own attackers single out.
fn targeted_ids(s: &Scenario, sent: &[Sent]) -> BTreeSet<String> {
    // Only the sequencer users send to can censor them.
    let censored: BTreeSet<u64> = s
        .cast
        .iter()
        .filter(|m| m.name() == s.workload.sequencer)
        .filter_map(|m| m.sequencer())
        .flat_map(|p| p.censor)
        .collect();
    let rules = s.mechanism.rules();
    sent.iter()
        .filter(|t| {
            let account = user_account(&t.sender);
            account.is_some_and(|a| censored.contains(&a)) || rules.targets(s, &t.tx)
        })
        .map(|t| short(&t.tx.hash))
        .collect()
}

/// The L2 account of user `user-i` (i + 1).
fn user_account(name: &str) -> Option<u64> {
    name.strip_prefix("user-")?
        .parse::<u64>()
        .ok()
        .map(|i| i + 1)
}

/// The value of an actor's earnings and holdings, read at the end of a run.
pub(crate) struct Valuation {
    /// Pool reserves (ETH, token) at the end: the token's price.
    pub reserves: [u64; 2],
    /// Each attacker's L2 account value change (gwei of ETH).
    pub mev: BTreeMap<String, i128>,
    /// Each cast member's network-token balance change (1e-9 token).
    pub token_delta: BTreeMap<String, i128>,
}

impl Valuation {
    /// `tokens` (1e-9 token) in gwei of ETH at the pool's final price.
    fn in_eth(&self, tokens: i128) -> i128 {
        let [re, rt] = self.reserves;
        tokens * re as i128 / rt.max(1) as i128
    }

    /// What an actor earned over the run, in gwei of ETH, before its L1 costs: its L2
    /// fees (an attacker: the value change of its L2 accounts, MEV included) plus its
    /// network-token balance change, less the stake it was fined (slashed stake stays
    /// locked, so the balance does not show it), at the pool's final price. The one
    /// definition of earnings: the Gini coefficient, the MEV share, profit and the
    /// chart use it.
    fn earnings(&self, a: &ActorReport) -> i128 {
        let l2 = match self.mev.get(&a.name) {
            Some(&mev) => mev,
            None => a.l2_fees_earned as i128,
        };
        l2 + self.in_eth(a.l1_token_delta - a.fines as i128)
    }

    /// Fills in each actor's MEV, token change, earnings and profit, and the
    /// scorecard's reward Gini and MEV share (over every actor but the users).
    pub(crate) fn apply(&self, report: &mut Report) {
        for a in report.actors.iter_mut() {
            if let Some(&mev) = self.mev.get(&a.name) {
                a.mev_profit = mev as i64;
            }
            if let Some(&delta) = self.token_delta.get(&a.name) {
                a.l1_token_delta = delta;
            }
            if a.role != RoleKind::User {
                let earnings = self.earnings(a);
                a.earnings_gwei = earnings as i64;
                a.profit_gwei = (earnings - (a.l1_fees_wei / 1_000_000_000) as i128) as i64;
            }
        }
        let earners: Vec<&ActorReport> = report
            .actors
            .iter()
            .filter(|a| a.role != RoleKind::User)
            .collect();
        let positive: Vec<u64> = earners
            .iter()
            .map(|a| a.earnings_gwei.max(0) as u64)
            .collect();
        report.scorecard.gini_rewards = gini(&positive);
        // The MEV in earnings: an attacker's MEV, up to what it earned in all.
        let mev: i64 = earners
            .iter()
            .map(|a| a.mev_profit.min(a.earnings_gwei).max(0))
            .sum();
        let total: u64 = positive.iter().sum();
        if mev > 0 {
            report.scorecard.mev_share = (mev as f64 / total.max(1) as f64 * 1e6).round() / 1e6;
        }
    }
}

/// Reads the valuation: attackers' L2 accounts (`mev_accounts`) against `genesis`,
/// and each cast member's network-token balance against its start.
pub(crate) fn valuation(
    net: &mut Testnet,
    token: Address,
    cast: &[(String, Address)],
    mev_accounts: &BTreeMap<String, Vec<u64>>,
    genesis: &L2State,
) -> Valuation {
    let addresses = cast.to_vec();
    let balances = net
        .with(L1, move |n: &mut L1Node| {
            addresses
                .into_iter()
                .map(|(name, a)| {
                    let call = bindings::NetworkToken::balanceOfCall::new((a,));
                    (name, view(n.chain_mut(), token, &call))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let start = U256::from(CAST_TOKENS) * U256::from(ETH);
    let units = |x: U256| (x / U256::from(1_000_000_000u64)).to::<u128>() as i128;
    let token_delta = balances
        .into_iter()
        .map(|(name, b)| (name, units(b) - units(start)))
        .collect();
    let accounts = mev_accounts.clone();
    let genesis = genesis.clone();
    let (mev, reserves) = net
        .with(REFEREE, move |r: &mut Referee| {
            let now = r.state();
            let [re, rt] = now.reserves();
            let value = |st: &L2State, ids: &[u64]| -> i128 {
                ids.iter()
                    .filter_map(|i| st.account(*i))
                    .map(|a| {
                        a.balances[0] as i128
                            + (a.balances[1] as i128 * re as i128) / rt.max(1) as i128
                    })
                    .sum()
            };
            let mev = accounts
                .iter()
                .map(|(n, ids)| (n.clone(), value(now, ids) - value(&genesis, ids)))
                .collect();
            (mev, [re, rt])
        })
        .unwrap_or_default();
    Valuation {
        reserves,
        mev,
        token_delta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkarena_actors::msg::{Msg, Outbox};
    use zkarena_actors::node::{PoolChanges, Role};
    use zkarena_actors::referee::Inclusion;
    use zkarena_actors::runtime::TestnetConfig;
    use zkarena_harness::sim::{FaultPlan, SimTime};
    use zkarena_harness::zk::ProofMode;

    /// A sequencer's pool scripted by the test.
    #[derive(Default)]
    struct ScriptedPool {
        arrivals: Vec<B256>,
        pending: Vec<B256>,
    }

    impl Role for ScriptedPool {
        fn name(&self) -> &str {
            "seq"
        }
        fn role(&self) -> RoleKind {
            RoleKind::Sequencer
        }
        fn handle(&mut self, _: SimTime, _: &str, _: Msg, _: &mut Outbox) {}
        fn report(&self) -> ActorReport {
            ActorReport::default()
        }
        fn pool_changes(&self, since: usize) -> Option<PoolChanges> {
            Some(PoolChanges {
                pending: self.pending.clone(),
                arrived: self.arrivals[since..].to_vec(),
                cursor: self.arrivals.len(),
            })
        }
    }

    fn net() -> Testnet {
        let state = L2State::new(4, [1, 1]).unwrap();
        let roles: Vec<Box<dyn zkarena_actors::node::Role>> = vec![
            Box::new(ScriptedPool::default()),
            Box::new(Referee::new(state, 1)),
        ];
        let config = TestnetConfig {
            slot_ms: 12_000,
            threads: 1,
            mode: ProofMode::Dev,
            jitter_seed: None,
        };
        Testnet::new(roles, FaultPlan::new(Vec::new(), 0), &config)
    }

    fn script(net: &mut Testnet, f: impl FnOnce(&mut ScriptedPool) + Send + 'static) {
        net.with("seq", f).unwrap();
    }

    #[test]
    fn a_transaction_that_leaves_every_pool_without_a_batch_vanishes_at_that_check() {
        let (a, b) = (B256::repeat_byte(0xa), B256::repeat_byte(0xb));
        let mut net = net();
        let mut watch = FateWatch::default();
        // a arrives and waits: nothing wrong.
        script(&mut net, move |p| {
            p.arrivals.push(a);
            p.pending = vec![a];
        });
        assert!(watch.check(&mut net).is_none());
        // b arrives, and both leave the pool; b was included (skipped counts too).
        script(&mut net, move |p| {
            p.arrivals.push(b);
            p.pending.clear();
        });
        net.with(REFEREE, move |r: &mut Referee| {
            let inclusion = Inclusion {
                batch: 1,
                applied: false,
                reason: Some("nonce".into()),
                at_ms: 0,
                kind: "transfer",
            };
            r.inclusions.insert(b, inclusion);
        });
        // a never reached a batch: it vanished, and only it.
        let v = watch.check(&mut net).expect("a vanished");
        assert_eq!(v.invariant, FATE);
        assert!(v.detail.starts_with("1 transactions"), "{}", v.detail);
        // Checked once: the next check reads only what changed since.
        assert!(watch.check(&mut net).is_none());
    }

    fn actor(name: &str, role: RoleKind, l2_fees: u64, tokens: i128, fines: u64) -> ActorReport {
        ActorReport {
            name: name.into(),
            role,
            l2_fees_earned: l2_fees,
            l1_token_delta: tokens,
            fines,
            l1_fees_wei: 3_000_000_000,
            ..ActorReport::default()
        }
    }

    #[test]
    fn earnings_count_fines_and_the_mev_share_never_passes_one() {
        // Pool price: one token unit is worth half an ETH unit.
        let valuation = Valuation {
            reserves: [1_000, 2_000],
            mev: [("mev".to_string(), 500)].into_iter().collect(),
            token_delta: BTreeMap::new(),
        };
        let mut report = Report {
            actors: vec![
                // A frontrunner whose batch fees (-400 tokens = -200) ate part of its MEV.
                actor("mev", RoleKind::Frontrunner, 0, -400, 0),
                // A prover paid 200 tokens (100).
                actor("prover", RoleKind::Aggregator, 0, 200, 0),
                // A validator with 30 in fees, slashed 100 tokens of locked stake (-50).
                actor("v", RoleKind::Mechanism("validator"), 30, 0, 100),
                actor("user-0", RoleKind::User, 0, 0, 0),
            ],
            ..serde_json::from_str::<Report>(EMPTY_REPORT).unwrap()
        };
        valuation.apply(&mut report);
        let e: Vec<i64> = report.actors.iter().map(|a| a.earnings_gwei).collect();
        assert_eq!(e, [300, 100, -20, 0]);
        assert_eq!(
            report.actors[0].profit_gwei,
            300 - 3,
            "earnings less L1 fees"
        );
        // MEV counted up to the attacker's earnings: 300 of 400 earned in all.
        assert_eq!(report.scorecard.mev_share, 0.75);
        assert_eq!(report.scorecard.gini_rewards, gini(&[300, 100, 0]));
    }

    const EMPTY_REPORT: &str = r#"{"scenario": "", "description": "", "mechanism": "", "seed": 0,
        "proof_mode": "dev", "duration_ms": 0, "l1_blocks": 0, "last_l1_block": 0, "final_root": "", "actors": [],
        "batches": [], "transactions": [], "invariants": [], "faults": [], "expectations": [],
        "scorecard": {"finalized_invalid_roots": 0, "worst_inclusion_delay_ms": 0,
        "never_included": 0, "targeted_txs": 0, "targeted_worst_delay_ms": 0,
        "targeted_never_included": 0, "nakamoto_sequencers": 0, "nakamoto_provers": 0,
        "gini_rewards": 0.0, "mev_share": 0.0, "longest_finalization_gap_ms": 0}}"#;
}
