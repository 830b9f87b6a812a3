//! The PoS section of a report (`"pos"` in `report.json`): leaders, canonical and
//! uncled slots, slashing, and swaps by path, read from the StakeManager, the rollup and
//! the L1's events at the end of a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zkarena_actors::l1node::{L1Node, L1};
use zkarena_actors::msg::{short, RollupEvent};
use zkarena_actors::referee::{Referee, SwapSeen, REFEREE};
use zkarena_actors::runtime::Testnet;
use zkarena_harness::l1::contracts::bindings;
use zkarena_harness::l2::state::swap_quote;
use zkarena_harness::l2::Asset;
use zkarena_harness::report::Report;

use super::messages::PosEvent;
use super::validator::{PosSetup, Staker};
use crate::run::{round2, view};
use crate::scenario::{CastMember, Scenario};

/// The section's key in `report.json`.
pub const SECTION: &str = "pos";

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

/// What became of an L2 slot by the end of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotOutcome {
    /// A block of the slot reached 2/3 of the stake; its batch is sequenced.
    Canonical,
    /// No canonical block, and its leader was slashed for it.
    Slashed,
    /// No canonical block and past its timeout, leader not (yet) slashed.
    Uncled,
    /// Still within its timeout at the end of the run.
    #[default]
    Open,
}

impl SlotOutcome {
    /// Its letter in the summary's slot strip (`C`, `S`, `U`, `.`).
    pub fn letter(self) -> char {
        match self {
            SlotOutcome::Canonical => 'C',
            SlotOutcome::Slashed => 'S',
            SlotOutcome::Uncled => 'U',
            SlotOutcome::Open => '.',
        }
    }
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
    pub outcome: SlotOutcome,
    /// The most stake any of its blocks gathered in attestations posted on L1, as a
    /// share of the slot's stake (percent; 66.67 makes a block canonical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attested_pct: Option<f64>,
    /// Batch index of its canonical block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<u64>,
}

impl PosReport {
    /// The PoS section of `report`, if it has one.
    pub fn of(report: &Report) -> Option<PosReport> {
        serde_json::from_value(report.sections.get(SECTION)?.clone()).ok()
    }

    /// Its lines of the terminal summary.
    pub fn summary(&self) -> String {
        let p = self;
        let mut s = String::new();
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
        // What honest validators lost in all: slashed stake less what honest
        // reporters got back (negative when reporting earned more than was slashed).
        let honest_net_loss: i128 = p
            .validators
            .iter()
            .filter(|v| !v.cartel)
            .map(|v| i128::from(v.stake_start) - i128::from(v.stake_end))
            .sum();
        let _ = writeln!(
            s,
            "  slashed (1e-9 token): honest {} ({:.2}% of honest stake; net loss {honest_net_loss} after honest reporters' rewards), cartel {}; cartel reporter rewards {}",
            p.honest_slashed,
            p.honest_stake_slashed_pct,
            p.cartel_slashed,
            p.cartel_reporter_rewards
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
        let strip: String = p.timeline.iter().map(|t| t.outcome.letter()).collect();
        let _ = writeln!(
            s,
            "  slots: {strip}  (C canonical, S slashed, U uncled, . still open)"
        );
        s
    }
}

/// One slot as the contracts tell it at the end of the run.
struct SlotOnChain {
    slot: u64,
    leader: Address,
    canonical: bool,
    slashed: bool,
    batch: u64,
}

/// What the StakeManager and the rollup hold at the end: the head, every started
/// slot, each staker's stake.
fn read_chain(net: &mut Testnet, setup: &PosSetup) -> Option<(u64, Vec<SlotOnChain>, Vec<U256>)> {
    let (manager, rollup) = (setup.manager, setup.rollup);
    let layout = setup.clone();
    net.with(L1, move |n: &mut L1Node| {
        let chain = n.chain_mut();
        let head = chain.head().number;
        let mut slots = Vec::new();
        for slot in (0..).take_while(|&slot| layout.slot_start(slot) < head) {
            // A slot nobody touched while its start hash was readable has no leader
            // any more (SeedExpired): reported as the zero address.
            let leader = chain
                .call_sol(
                    Address::ZERO,
                    manager,
                    &bindings::StakeManager::leaderCall { slot },
                )
                .unwrap_or(Address::ZERO);
            let canonical = view(
                chain,
                manager,
                &bindings::StakeManager::canonicalCall::new((slot,)),
            );
            let slashed = view(
                chain,
                manager,
                &bindings::StakeManager::slashedCall::new((slot,)),
            );
            let batch = view(
                chain,
                rollup,
                &bindings::PosRollup::batchOfSlotCall::new((slot,)),
            );
            slots.push(SlotOnChain {
                slot,
                leader,
                canonical: canonical != B256::ZERO,
                slashed,
                batch,
            });
        }
        let stakes = layout
            .stakers
            .iter()
            .map(|v| {
                view(
                    chain,
                    manager,
                    &bindings::StakeManager::stakeOfCall::new((v.address,)),
                )
            })
            .collect();
        (head, slots, stakes)
    })
}

/// Per slot, the most stake any of its blocks gathered on L1, and the slot's stake
/// (token wei), from the StakeManager's `Attested` events.
fn attestations(net: &mut Testnet) -> BTreeMap<u64, (u128, u128)> {
    net.with(L1, |n: &mut L1Node| {
        let mut best: BTreeMap<u64, (u128, u128)> = BTreeMap::new();
        for e in n.events() {
            let RollupEvent::Mechanism(p) = e else {
                continue;
            };
            if let Some(&PosEvent::Attested {
                slot, stake, base, ..
            }) = p.get::<PosEvent>()
            {
                let b = best.entry(slot).or_insert((0, base));
                if stake > b.0 {
                    *b = (stake, base);
                }
            }
        }
        best
    })
    .unwrap_or_default()
}

/// The slot timeline and each validator's record in it; the longest run of slots
/// without a canonical block.
fn timeline(
    setup: &PosSetup,
    head: u64,
    slots: &[SlotOnChain],
    attested: &BTreeMap<u64, (u128, u128)>,
    validators: &mut [ValidatorReport],
) -> (Vec<SlotReport>, u64) {
    let stakers: &[Staker] = &setup.stakers;
    let mut timeline = Vec::new();
    let mut previous: Option<usize> = None;
    let (mut gap, mut run) = (0u64, 0u64);
    for s in slots {
        let who = stakers.iter().position(|v| v.address == s.leader);
        if let Some(i) = who {
            validators[i].slots_led += 1;
            validators[i].canonical += s.canonical as u64;
            if previous == Some(i) {
                validators[i].led_twice_in_a_row += 1;
            }
        }
        previous = who;
        let timed_out = head >= setup.slashable_from(s.slot);
        let outcome = match (s.canonical, s.slashed, timed_out) {
            (true, _, _) => SlotOutcome::Canonical,
            (false, true, _) => SlotOutcome::Slashed,
            (false, false, true) => SlotOutcome::Uncled,
            (false, false, false) => SlotOutcome::Open,
        };
        if s.canonical {
            run = 0;
        } else {
            run += 1;
            gap = gap.max(run);
        }
        timeline.push(SlotReport {
            slot: s.slot,
            leader: who.map_or_else(|| s.leader.to_string(), |i| stakers[i].name.clone()),
            outcome,
            attested_pct: attested
                .get(&s.slot)
                .map(|&(stake, base)| round2(stake as f64 * 100.0 / base.max(1) as f64)),
            batch: (s.batch > 0).then_some(s.batch),
        });
    }
    (timeline, gap)
}

/// The cartel's strategy as scenarios name it (`none` without a cartel).
fn cartel_strategy(s: &Scenario) -> String {
    s.cast
        .iter()
        .filter_map(CastMember::validator)
        .find(|p| p.strategy.is_cartel())
        .map_or("none".to_string(), |p| {
            serde_json::to_value(p.strategy)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
}

/// What PoS leader election did, read from the StakeManager and the rollup at the
/// end of the run (`report` is the shared part, already assembled).
pub(crate) fn read(
    net: &mut Testnet,
    setup: &PosSetup,
    s: &Scenario,
    report: &Report,
) -> Option<PosReport> {
    let slot_ms = s.slot_seconds * 1000 * setup.blocks_per_slot;
    let (head, slots, stakes) = read_chain(net, setup)?;
    let attested = attestations(net);
    let units = |wei: u128| (wei / 1_000_000_000) as u64;
    let mut validators: Vec<ValidatorReport> = setup
        .stakers
        .iter()
        .zip(&stakes)
        .map(|(v, end)| ValidatorReport {
            name: v.name.clone(),
            cartel: v.cartel,
            stake_start: units(v.stake),
            stake_end: units(end.to::<u128>()),
            ..ValidatorReport::default()
        })
        .collect();
    let (timeline, gap) = timeline(setup, head, &slots, &attested, &mut validators);
    let count = |o: SlotOutcome| timeline.iter().filter(|t| t.outcome == o).count() as u64;
    let slashed_of = |cartel: bool| -> u64 {
        validators
            .iter()
            .filter(|v| v.cartel == cartel)
            .map(|v| v.stake_start.saturating_sub(v.stake_end))
            .sum()
    };
    let stake_of = |cartel: bool| -> u64 {
        validators
            .iter()
            .filter(|v| v.cartel == cartel)
            .map(|v| v.stake_start)
            .sum()
    };
    let honest_slashed = slashed_of(false);
    let total: u64 = validators.iter().map(|v| v.stake_start).sum();
    let cartel_reporter_rewards = report
        .actors
        .iter()
        .filter(|a| validators.iter().any(|v| v.cartel && v.name == a.name))
        .map(|a| a.l1_token_delta.max(0) as u64)
        .sum();
    Some(PosReport {
        cartel_strategy: cartel_strategy(s),
        cartel_stake_pct: round2(stake_of(true) as f64 * 100.0 / total.max(1) as f64),
        slots: timeline.len() as u64,
        canonical: count(SlotOutcome::Canonical),
        uncled: count(SlotOutcome::Slashed) + count(SlotOutcome::Uncled),
        slashed_slots: count(SlotOutcome::Slashed),
        honest_slashed,
        cartel_slashed: slashed_of(true),
        honest_stake_slashed_pct: round2(
            honest_slashed as f64 * 100.0 / stake_of(false).max(1) as f64,
        ),
        cartel_reporter_rewards,
        liveness_gap_slots: gap,
        liveness_gap_ms: gap * slot_ms,
        swaps: swap_stats(net, report),
        validators,
        timeline,
    })
}

/// Applied swaps by path (L2 block or forced through L1): their delay, and how
/// far their output fell short of the pool's quote when the user sent them.
fn swap_stats(net: &mut Testnet, report: &Report) -> Vec<SwapStats> {
    let Some((reserves, swaps)) = net.with(REFEREE, |r: &mut Referee| {
        (r.reserves.clone(), r.swaps.clone())
    }) else {
        return Vec::new();
    };
    let by_id: BTreeMap<String, &SwapSeen> = swaps.iter().map(|(h, s)| (short(h), s)).collect();
    let mut paths: BTreeMap<bool, Vec<(u64, f64)>> = BTreeMap::new();
    for t in &report.transactions {
        let (Some(seen), Some(delay)) = (by_id.get(&t.id), t.inclusion_delay_ms) else {
            continue;
        };
        // The pool as the user last saw it land before sending.
        let at = reserves
            .iter()
            .rev()
            .find(|(ms, _)| *ms <= t.submitted_ms)
            .map_or(reserves[0].1, |r| r.1);
        let (r_in, r_out) = match seen.asset_in {
            Asset::Eth => (at[0], at[1]),
            Asset::Token => (at[1], at[0]),
        };
        let (_, quote) = swap_quote(seen.amount_in, r_in, r_out);
        let impact = if quote.out == 0 {
            0.0
        } else {
            (quote.out as f64 - seen.out as f64) * 10_000.0 / quote.out as f64
        };
        paths.entry(seen.forced).or_default().push((delay, impact));
    }
    paths
        .into_iter()
        .map(|(forced, v)| {
            let n = v.len() as u64;
            SwapStats {
                path: if forced { "l1_forced" } else { "l2" }.into(),
                swaps: n,
                mean_delay_ms: v.iter().map(|x| x.0).sum::<u64>() / n.max(1),
                worst_delay_ms: v.iter().map(|x| x.0).max().unwrap_or(0),
                mean_price_impact_bps: round2(v.iter().map(|x| x.1).sum::<f64>() / n.max(1) as f64),
                worst_price_impact_bps: round2(
                    v.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max),
                ),
            }
        })
        .collect()
}
