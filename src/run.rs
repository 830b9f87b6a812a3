//! Runs a [`Scenario`]: builds the L1 (contracts, verifier keys), the L2 genesis and the
//! cast, drives the testnet for the scenario's slots, and assembles the [`Report`] with
//! its invariants and expectations.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use zkarena_actors::aggregator::Aggregator;
use zkarena_actors::attack::{CopierParams, Frontrunner, GarbagePoster, ProofCopier};
use zkarena_actors::l1node::{L1Node, L1};
use zkarena_actors::node::Role;
use zkarena_actors::referee::{Referee, SwapSeen, REFEREE};
use zkarena_actors::runtime::{Testnet, TestnetConfig, Violation, DRIVER};
use zkarena_actors::sequencer::Sequencer;
use zkarena_actors::user::{ForceParams, User, UserParams};
use zkarena_actors::validator::{PosSetup, Staker, Validator};
use zkarena_harness::l1::chain::{Chain, ChainConfig, ChainError};
use zkarena_harness::l1::contracts::{bindings, Artifact};
use zkarena_harness::l1::deploy::{named_address, Deployment, GenesisConfig};
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::l2::state::swap_quote;
use zkarena_harness::l2::state::{Account, L2State};
use zkarena_harness::l2::tx::{deterministic_key, key_address, key_to_u128, l2_key};
use zkarena_harness::l2::Asset;
use zkarena_harness::report::{
    gini, nakamoto, ActorReport, BatchReport, ExpectationReport, Fate, FaultReport,
    InvariantReport, PosReport, Report, Scorecard, SlotReport, SwapStats, SweepReport, SweepRow,
    TxReport, ValidatorReport,
};
use zkarena_harness::sim::{FaultPlan, SimTime, TraceEntry};
use zkarena_harness::zk::precompile::{install, VerifierRegistry};
use zkarena_harness::zk::{digest_to_b256, ProofMode, Prover, SHAPES};

use crate::scenario::{CastMember, Mechanism, Scenario};

/// How to run (what does not change the outcome).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Prover worker threads.
    pub threads: usize,
    /// Called after every L1 slot with (slots done, total).
    pub progress: Option<fn(u64, u64)>,
    /// Random wall-clock delays in the prover pool (tests of finishing order).
    pub jitter_seed: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            threads: 2,
            progress: None,
            jitter_seed: None,
        }
    }
}

/// A finished run.
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// Every delivered event.
    pub trace: Vec<TraceEntry>,
    /// The violation that stopped the run, if any.
    pub violation: Option<Violation>,
}

/// Errors setting a run up (a scenario that passed validation should not hit them).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The L1 refused a genesis step.
    #[error("setting up the L1: {0}")]
    L1(#[from] ChainError),
    /// The L2 genesis is impossible (e.g. more users than the tree holds).
    #[error("setting up the L2: {0}")]
    L2(String),
}

const ETH: u128 = 1_000_000_000_000_000_000;
/// Network tokens each cast member starts with on L1.
const CAST_TOKENS: u64 = 1_000;

/// A testnet built from a scenario, not yet run: tests step it themselves.
pub struct Prepared {
    /// The testnet.
    pub net: Testnet,
    scenario: Scenario,
    names_by_address: BTreeMap<Address, String>,
    token: Address,
    genesis: L2State,
    /// Attackers' L2 accounts, whose value change is their MEV profit.
    mev_accounts: BTreeMap<String, Vec<u64>>,
    /// The PoS deployment, under proof of stake.
    pos: Option<PosSetup>,
}

impl Prepared {
    /// The report of the run so far.
    pub fn report(&mut self, violation: Option<&Violation>) -> Report {
        let mut report = assemble(
            &self.scenario,
            &mut self.net,
            &self.names_by_address,
            violation,
        );
        // Token balances on L1 against what every cast member started with.
        let token = self.token;
        let cast: Vec<&str> = self.scenario.cast.iter().map(|m| m.name()).collect();
        let addresses: Vec<(String, Address)> = self
            .names_by_address
            .iter()
            .filter(|(_, n)| cast.contains(&n.as_str()))
            .map(|(a, n)| (n.clone(), *a))
            .collect();
        let balances = self
            .net
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
        // MEV: the change in value of an attacker's L2 accounts (fees it took plus
        // trading gains), in gwei of ETH at the pool's final price.
        let accounts = self.mev_accounts.clone();
        let genesis = self.genesis.clone();
        let mev = self
            .net
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
                    .collect::<Vec<_>>();
                (mev, [re, rt])
            })
            .unwrap_or_default();
        let (mev, [re, rt]) = mev;
        for (name, v) in &mev {
            if let Some(a) = report.actors.iter_mut().find(|a| &a.name == name) {
                a.mev_profit = *v as i64;
            }
        }
        let start = U256::from(CAST_TOKENS) * U256::from(ETH);
        let units = |x: U256| (x / U256::from(1_000_000_000u64)).to::<u128>() as i128;
        for (name, b) in balances {
            if let Some(a) = report.actors.iter_mut().find(|a| a.name == name) {
                a.l1_token_delta = units(b) - units(start);
            }
        }
        // Profit in gwei of ETH: L2 earnings (fees, or an attacker's account value
        // change) plus the token balance change at the pool's price, minus L1 fees.
        let attackers: Vec<&String> = self.mev_accounts.keys().collect();
        for a in report.actors.iter_mut().filter(|a| a.role != "user") {
            let l2 = if attackers.contains(&&a.name) {
                a.mev_profit as i128
            } else {
                a.l2_fees_earned as i128
            };
            let tokens = a.l1_token_delta * re as i128 / rt.max(1) as i128;
            a.profit_gwei = (l2 + tokens - (a.l1_fees_wei / 1_000_000_000) as i128) as i64;
        }
        // Gini over what each non-user actor earned (fees, token rewards at the pool's
        // price, MEV).
        let earnings: Vec<u64> = report
            .actors
            .iter()
            .filter(|a| a.role != "user")
            .map(|a| {
                let tokens = (a.l1_token_delta.max(0) * re as i128 / rt.max(1) as i128) as u64;
                if attackers.contains(&&a.name) {
                    a.mev_profit.max(0) as u64 + tokens
                } else {
                    a.l2_fees_earned + tokens
                }
            })
            .collect();
        report.scorecard.gini_rewards = gini(&earnings);
        let mev_total: i64 = report.actors.iter().map(|a| a.mev_profit.max(0)).sum();
        let earned: i64 = report
            .actors
            .iter()
            .filter(|a| a.role != "user")
            .map(|a| a.l2_fees_earned as i64 + a.l1_token_delta.max(0) as i64)
            .sum();
        if mev_total > 0 {
            report.scorecard.mev_share =
                (mev_total as f64 / (mev_total + earned).max(1) as f64 * 1e6).round() / 1e6;
        }
        report.pos = self.pos_report(&report);
        let s = &self.scenario;
        report.expectations = s
            .expect
            .iter()
            .map(|e| {
                let actual = metric(&report, &e.metric);
                ExpectationReport {
                    expect: format!("{} {} {}", e.metric, e.op.symbol(), e.value),
                    actual,
                    ok: e.op.holds(actual, e.value),
                }
            })
            .collect();
        report
    }
}

impl Prepared {
    /// What PoS leader election did, read from the StakeManager and the rollup.
    fn pos_report(&mut self, report: &Report) -> Option<PosReport> {
        let setup = self.pos.clone()?;
        let slot_ms = self.scenario.slot_seconds * 1000 * setup.blocks_per_slot;
        let manager = setup.manager;
        let rollup = setup.rollup;
        let stakers = setup.stakers.clone();
        let addresses: Vec<Address> = stakers.iter().map(|v| v.address).collect();
        let layout = setup.clone();
        let read = move |n: &mut L1Node| {
            let chain = n.chain_mut();
            let head = chain.head().number;
            let mut slots = Vec::new();
            for slot in 0.. {
                if layout.slot_start(slot) >= head {
                    break;
                }
                // A slot nobody touched while its start hash was readable has no
                // leader any more (SeedExpired): reported as the zero address.
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
                slots.push((slot, leader, canonical != B256::ZERO, slashed, batch));
            }
            let stakes: Vec<U256> = addresses
                .iter()
                .map(|a| {
                    view(
                        chain,
                        manager,
                        &bindings::StakeManager::stakeOfCall::new((*a,)),
                    )
                })
                .collect();
            (head, slots, stakes)
        };
        let (head, slots, stakes) = self.net.with(L1, read)?;
        let attested = self
            .net
            .with(REFEREE, |r: &mut Referee| r.attested.clone())
            .unwrap_or_default();
        let units = |wei: u128| (wei / 1_000_000_000) as u64;
        let mut validators: Vec<ValidatorReport> = stakers
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
        let mut timeline = Vec::new();
        let mut previous: Option<usize> = None;
        let (mut gap, mut run) = (0u64, 0u64);
        for &(slot, leader, canonical, slashed, batch) in &slots {
            let who = stakers.iter().position(|v| v.address == leader);
            if let Some(i) = who {
                validators[i].slots_led += 1;
                validators[i].canonical += canonical as u64;
                if previous == Some(i) {
                    validators[i].led_twice_in_a_row += 1;
                }
            }
            previous = who;
            let timed_out = head >= setup.slashable_from(slot);
            let outcome = match (canonical, slashed, timed_out) {
                (true, _, _) => "canonical",
                (false, true, _) => "slashed",
                (false, false, true) => "uncled",
                (false, false, false) => "open",
            };
            if canonical {
                run = 0;
            } else {
                run += 1;
                gap = gap.max(run);
            }
            timeline.push(SlotReport {
                slot,
                leader: who.map_or_else(|| leader.to_string(), |i| stakers[i].name.clone()),
                outcome: outcome.into(),
                attested_pct: attested
                    .get(&slot)
                    .map(|&(stake, base)| round2(stake as f64 * 100.0 / base.max(1) as f64)),
                batch: (batch > 0).then_some(batch),
            });
        }
        let count = |o: &str| timeline.iter().filter(|t| t.outcome == o).count() as u64;
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
        let strategy = self
            .scenario
            .cast
            .iter()
            .filter_map(CastMember::validator)
            .find(|p| p.strategy.is_cartel())
            .map_or("none".to_string(), |p| {
                serde_json::to_value(p.strategy)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            });
        let cartel_reporter_rewards = report
            .actors
            .iter()
            .filter(|a| validators.iter().any(|v| v.cartel && v.name == a.name))
            .map(|a| a.l1_token_delta.max(0) as u64)
            .sum();
        let swaps = self.swap_stats(report);
        Some(PosReport {
            cartel_strategy: strategy,
            cartel_stake_pct: round2(stake_of(true) as f64 * 100.0 / total.max(1) as f64),
            slots: timeline.len() as u64,
            canonical: count("canonical"),
            uncled: count("slashed") + count("uncled"),
            slashed_slots: count("slashed"),
            honest_slashed,
            cartel_slashed: slashed_of(true),
            honest_stake_slashed_pct: round2(
                honest_slashed as f64 * 100.0 / stake_of(false).max(1) as f64,
            ),
            cartel_reporter_rewards,
            liveness_gap_slots: gap,
            liveness_gap_ms: gap * slot_ms,
            swaps,
            validators,
            timeline,
        })
    }
}

impl Prepared {
    /// Applied swaps by path (L2 block or forced through L1): their delay, and how
    /// far their output fell short of the pool's quote when the user sent them.
    fn swap_stats(&mut self, report: &Report) -> Vec<SwapStats> {
        let Some((reserves, swaps)) = self.net.with(REFEREE, |r: &mut Referee| {
            (r.reserves.clone(), r.swaps.clone())
        }) else {
            return Vec::new();
        };
        let by_id: BTreeMap<String, &SwapSeen> =
            swaps.iter().map(|(h, s)| (hex_short(h), s)).collect();
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
                    mean_price_impact_bps: round2(
                        v.iter().map(|x| x.1).sum::<f64>() / n.max(1) as f64,
                    ),
                    worst_price_impact_bps: round2(
                        v.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max),
                    ),
                }
            })
            .collect()
    }
}

/// A read of a contract view as an account without code (EIP-3607 refuses contract
/// senders); a failed read counts as the default (zero) value.
fn view<C: SolCall>(chain: &mut Chain, to: Address, call: &C) -> C::Return
where
    C::Return: Default,
{
    chain.call_sol(Address::ZERO, to, call).unwrap_or_default()
}

/// `x` rounded to two decimals (reports hold no float noise).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Runs `scenario`.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<Outcome, RunError> {
    let mut p = prepare(scenario, opts)?;
    let mut violation = None;
    for slot in 1..=scenario.slots {
        if let Err(v) = p.net.run_slots(1) {
            violation = Some(v);
            break;
        }
        if let Some(progress) = opts.progress {
            progress(slot, scenario.slots);
        }
    }
    let report = p.report(violation.as_ref());
    Ok(Outcome {
        report,
        trace: p.net.trace().to_vec(),
        violation,
    })
}

/// Runs a scenario's sweep: once per cartel share and seed (`Scenario::with_cartel_share`),
/// one row per run. `progress` is called after each run with (runs done, total).
pub fn sweep(
    scenario: &Scenario,
    opts: &RunOptions,
    progress: Option<fn(u64, u64)>,
) -> Result<SweepReport, RunError> {
    let Some(sweep) = &scenario.sweep else {
        return Ok(SweepReport::default());
    };
    let total = (sweep.cartel_pct.len() * sweep.seeds.len()) as u64;
    let opts = RunOptions {
        progress: None,
        ..opts.clone()
    };
    let mut rows = Vec::new();
    let mut strategy = "none".to_string();
    for &pct in &sweep.cartel_pct {
        for &seed in &sweep.seeds {
            let s = scenario.with_cartel_share(pct, seed);
            let report = run(&s, &opts)?.report;
            let p = report.pos.clone().unwrap_or_default();
            if p.cartel_strategy != "none" {
                strategy = p.cartel_strategy.clone();
            }
            rows.push(SweepRow {
                cartel_pct: pct,
                seed,
                slots: p.slots,
                canonical: p.canonical,
                uncled: p.uncled,
                honest_slashed: p.honest_slashed,
                honest_stake_slashed_pct: p.honest_stake_slashed_pct,
                cartel_slashed: p.cartel_slashed,
                liveness_gap_slots: p.liveness_gap_slots,
                passed: report.passed(),
            });
            if let Some(f) = progress {
                f(rows.len() as u64, total);
            }
        }
    }
    Ok(SweepReport {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        cartel_strategy: strategy,
        rows,
    })
}

/// Builds the L1, the L2 genesis and the cast of `scenario`, without running it.
pub fn prepare(scenario: &Scenario, opts: &RunOptions) -> Result<Prepared, RunError> {
    let s = scenario;
    let mode = s.proof_mode;
    let slot_ms = s.slot_seconds * 1000;
    // L2 genesis: users at 1..=n, each sequencer's fee account after them.
    let mut l2 = L2State::new(s.l2.depth, s.l2.pool).map_err(|e| RunError::L2(e.to_string()))?;
    let users = s.workload.users;
    let user_keys: Vec<_> = (0..users)
        .map(|i| deterministic_key(s.seed, &format!("user-{i}")))
        .collect();
    for (i, k) in user_keys.iter().enumerate() {
        let account = Account::for_key(k, i as u64 + 1, [s.l2.user_funds; 2]);
        l2.set_account(i as u64 + 1, account)
            .map_err(|e| RunError::L2(e.to_string()))?;
    }
    // Each sequencer (and frontrunner) has a fee account after the users; a
    // frontrunner also trades from an account of its own after those.
    let mut fee_accounts = BTreeMap::new();
    let mut trading = BTreeMap::new();
    for (k, m) in s.cast.iter().enumerate() {
        if matches!(
            m,
            CastMember::Sequencer { .. }
                | CastMember::Frontrunner { .. }
                | CastMember::Validator { .. }
        ) {
            let index = (users + 1 + k) as u64;
            // No key: nobody can spend from it (its owner is a name, not a key).
            let account = Account {
                owner: named_address(m.name()),
                ..Account::default()
            };
            l2.set_account(index, account)
                .map_err(|e| RunError::L2(e.to_string()))?;
            fee_accounts.insert(m.name().to_string(), index);
        }
        if matches!(m, CastMember::Frontrunner { .. }) {
            let key = deterministic_key(s.seed, m.name());
            let index = (users + 1 + s.cast.len() + k) as u64;
            let account = Account::for_key(&key, index, [s.l2.user_funds; 2]);
            l2.set_account(index, account)
                .map_err(|e| RunError::L2(e.to_string()))?;
            trading.insert(m.name().to_string(), (key, index));
        }
    }

    // L1 genesis: contracts, verifier keys, funded actors.
    let mut chain = Chain::new(ChainConfig {
        slot_seconds: s.slot_seconds,
        seed: s.seed,
        ..ChainConfig::default()
    });
    let registry = VerifierRegistry::new(mode == ProofMode::Dev);
    install(&mut chain, &registry)?;
    let d = Deployment::deploy(&mut chain, &GenesisConfig::default())?;
    let max_txs = s
        .cast
        .iter()
        .filter_map(|m| {
            m.sequencer()
                .map(|p| p.max_txs)
                .or_else(|| m.validator().map(|p| p.max_txs))
        })
        .max()
        .unwrap_or(4);
    let prover = Prover::new(mode);
    let mut keys = Vec::new();
    for &shape in SHAPES.iter() {
        let key = prover.batch_key(s.l2.depth, shape);
        match mode {
            ProofMode::Real => {
                let circuit = zkarena_harness::zk::CircuitCache::global().batch(s.l2.depth, shape);
                registry.register(&circuit.data().verifier_data());
            }
            ProofMode::Dev => registry.register_dev(key),
        }
        keys.push(key);
        if shape >= max_txs {
            break;
        }
    }
    let genesis_root = digest_to_b256(&l2.root());
    // PoS: the StakeManager first; the rollup it sequences in names it.
    let manager = match s.mechanism {
        Mechanism::ProofOfStake {
            blocks_per_slot,
            timeout_slots,
            slash_bps,
            burn_slash,
            exit_delay_blocks,
            reporter_bps,
            min_stake,
            max_validators,
            ..
        } => {
            let args = bindings::StakeManager::constructorCall {
                token_: d.token,
                blocksPerSlot_: blocks_per_slot,
                timeoutSlots_: timeout_slots,
                slashBps_: slash_bps,
                exitDelayBlocks_: exit_delay_blocks,
                burnSlash_: burn_slash,
                minStake_: U256::from(min_stake) * U256::from(ETH),
                maxValidators_: U256::from(max_validators),
                reporterBps_: reporter_bps,
            };
            let code = Artifact::get("StakeManager")
                .expect("shipped")
                .init_code(&args.abi_encode());
            Some(chain.deploy(d.deployer, code)?)
        }
        _ => None,
    };
    let (artifact, args) = match s.mechanism {
        Mechanism::Centralized => {
            let first_sequencer = s
                .cast
                .iter()
                .find(|m| matches!(m, CastMember::Sequencer { .. }))
                .map(|m| named_address(m.name()))
                .expect("validated: there is a sequencer");
            let args = bindings::CentralizedRollup::constructorCall {
                bridge_: d.bridge,
                genesisRoot: genesis_root,
                keys,
                sequencer_: first_sequencer,
            };
            ("CentralizedRollup", args.abi_encode())
        }
        Mechanism::ProofOfEfficiency {
            batch_fee_gwei,
            verify_time_target_s,
            force_timeout_s,
            bind_proofs,
        } => {
            let args = bindings::ProofOfEfficiency::constructorCall {
                bridge_: d.bridge,
                genesisRoot: genesis_root,
                keys,
                initialBatchFee: U256::from(batch_fee_gwei) * U256::from(1_000_000_000u64),
                verifyTimeTarget_: U256::from(verify_time_target_s),
                forceTimeout_: U256::from(force_timeout_s),
                bindProofs_: bind_proofs,
            };
            ("ProofOfEfficiency", args.abi_encode())
        }
        Mechanism::ProofOfStake {
            force_fee_gwei,
            force_timeout_s,
            ..
        } => {
            let args = bindings::PosRollup::constructorCall {
                bridge_: d.bridge,
                genesisRoot: genesis_root,
                keys,
                stakeManager_: manager.expect("deployed above"),
                forceFee_: U256::from(force_fee_gwei) * U256::from(1_000_000_000u64),
                forceTimeout_: U256::from(force_timeout_s),
            };
            ("PosRollup", args.abi_encode())
        }
    };
    let rollup = chain.deploy(
        d.deployer,
        Artifact::get(artifact).expect("shipped").init_code(&args),
    )?;
    // The genesis L2 supply (users' balances, the pool, fee accounts) is backed by
    // escrow on L1 from the start.
    let supply = l2.supply();
    let wei = |units: u128| U256::from(units) * U256::from(1_000_000_000u64);
    d.mint(&mut chain, d.deployer, wei(supply[1]))?;
    d.approve_bridge(&mut chain, d.deployer)?;
    chain.set_balance(d.deployer, wei(supply[0]) + U256::from(1000 * ETH));
    chain.transact(
        TxRequest::call(
            d.deployer,
            d.bridge,
            bindings::Bridge::seedEscrowCall {
                tokenAmount: wei(supply[1]),
            }
            .abi_encode(),
        )
        .value(wei(supply[0])),
    )?;
    chain.transact(TxRequest::call(
        d.deployer,
        d.bridge,
        bindings::Bridge::setRollupCall { rollup_: rollup }.abi_encode(),
    ))?;
    // Every cast member holds ETH for gas and network tokens for batch fees, and lets
    // the rollup contract take its fees.
    // Validators also stake, from tokens minted on top.
    for m in &s.cast {
        let a = cast_address(s.seed, m);
        chain.set_balance(a, U256::from(1000 * ETH));
        let stake = match m {
            CastMember::Validator { stake, .. } => U256::from(*stake) * U256::from(ETH),
            _ => U256::ZERO,
        };
        d.mint(
            &mut chain,
            a,
            U256::from(CAST_TOKENS) * U256::from(ETH) + stake,
        )?;
        chain.transact(TxRequest::call(
            a,
            d.token,
            bindings::NetworkToken::approveCall {
                spender: rollup,
                amount: U256::MAX,
            }
            .abi_encode(),
        ))?;
        if let (Some(manager), false) = (manager, stake.is_zero()) {
            chain.transact(TxRequest::call(
                a,
                d.token,
                bindings::NetworkToken::approveCall {
                    spender: manager,
                    amount: stake,
                }
                .abi_encode(),
            ))?;
            chain.transact(TxRequest::call(
                a,
                manager,
                bindings::StakeManager::stakeCall { amount: stake }.abi_encode(),
            ))?;
        }
    }
    // Proof of Efficiency: each sequencer (and frontrunner) claims its sequencer id,
    // which binds the id to its address (nobody posts under another's id).
    if matches!(s.mechanism, Mechanism::ProofOfEfficiency { .. }) {
        for m in &s.cast {
            if let Some(id @ 1..) = m.sequencer_id() {
                chain.transact(TxRequest::call(
                    cast_address(s.seed, m),
                    rollup,
                    bindings::ProofOfEfficiency::claimSequencerIdCall { id }.abi_encode(),
                ))?;
            }
        }
    }
    for k in &user_keys {
        let a = key_address(k);
        chain.set_balance(a, U256::from(100 * ETH));
        // Tokens and an allowance for forcing transactions through L1.
        if s.workload.patience_slots.is_some() {
            d.mint(&mut chain, a, U256::from(10 * ETH))?;
            chain.transact(TxRequest::call(
                a,
                d.token,
                bindings::NetworkToken::approveCall {
                    spender: rollup,
                    amount: U256::MAX,
                }
                .abi_encode(),
            ))?;
        }
    }
    // PoS: slot 0 starts at the run's first block, the genesis stake counting.
    if let Some(manager) = manager {
        let genesis = chain.head().number + 2;
        chain.transact(TxRequest::call(
            d.deployer,
            manager,
            bindings::StakeManager::beginCall {
                rollup_: rollup,
                genesisBlock_: genesis,
            }
            .abi_encode(),
        ))?;
    }
    // Users' first-slot deposits wait in the mempool for block 1.
    if s.workload.deposit_gwei > 0 {
        for (i, k) in user_keys.iter().enumerate() {
            let owner = key_address(k);
            chain
                .submit(
                    TxRequest::call(
                        owner,
                        d.bridge,
                        bindings::Bridge::depositEthCall {
                            l2Recipient: owner,
                            l2Account: i as u64 + 1,
                            l2Key: key_to_u128(l2_key(k, i as u64 + 1, 0)),
                        }
                        .abi_encode(),
                    )
                    .gas_limit(200_000)
                    .value(U256::from(s.workload.deposit_gwei as u128 * 1_000_000_000)),
                )
                .map_err(|e| RunError::L1(ChainError::Submit(e)))?;
        }
    }

    let first_block = chain.head().number + 1;
    let nonces: BTreeMap<String, u64> = s
        .cast
        .iter()
        .map(|m| (m.name().to_string(), chain.nonce(named_address(m.name()))))
        .collect();
    // The cast: the L1 node first (it seals on each tick before the others act).
    let setup = pos_setup(s, manager, rollup, first_block);
    let mut l1 = L1Node::new(chain, d.bridge, d.token, rollup);
    if let Some(manager) = manager {
        l1 = l1.with_stake_manager(manager);
    }
    let mut roles: Vec<Box<dyn Role>> = vec![Box::new(l1)];
    let mut names_by_address = BTreeMap::new();
    for m in &s.cast {
        let address = cast_address(s.seed, m);
        names_by_address.insert(address, m.name().to_string());
        if let (Some(p), Some(setup)) = (m.validator(), &setup) {
            let me = setup
                .stakers
                .iter()
                .position(|v| v.name == m.name())
                .expect("every validator stakes");
            roles.push(Box::new(Validator::new(
                me,
                deterministic_key(s.seed, m.name()),
                fee_accounts[m.name()],
                p,
                setup.clone(),
                l2.clone(),
                first_block,
            )));
        } else if let Some(p) = m.sequencer() {
            roles.push(Box::new(
                Sequencer::new(
                    m.name(),
                    address,
                    rollup,
                    fee_accounts[m.name()],
                    p,
                    l2.clone(),
                    first_block,
                )
                .with_l1_nonce(nonces[m.name()]),
            ));
        } else if let CastMember::Garbage { name } = m {
            roles.push(Box::new(GarbagePoster::new(name, address, rollup, s.seed)));
        } else if let CastMember::Copier { name, tip_factor } = m {
            let params = CopierParams {
                tip_factor: *tip_factor,
            };
            roles.push(Box::new(ProofCopier::new(
                name,
                address,
                rollup,
                params,
                nonces[m.name()],
            )));
        } else if let Some(p) = m.frontrunner() {
            let (key, account) = trading[m.name()].clone();
            roles.push(Box::new(Frontrunner::new(
                m.name(),
                address,
                rollup,
                fee_accounts[m.name()],
                key,
                account,
                p,
                l2.clone(),
                first_block,
                nonces[m.name()],
            )));
        } else if let Some(p) = m.aggregator() {
            roles.push(Box::new(Aggregator::new(
                m.name(),
                address,
                rollup,
                p,
                l2.clone(),
                first_block,
            )));
        }
    }
    for (i, k) in user_keys.iter().enumerate() {
        let name = format!("user-{i}");
        names_by_address.insert(key_address(k), name.clone());
        let peers = (1..=users as u64)
            .filter(|&a| a != i as u64 + 1)
            .collect::<Vec<_>>();
        let peers = if peers.is_empty() {
            vec![i as u64 + 1]
        } else {
            peers
        };
        let force = match (s.workload.patience_slots, &s.mechanism) {
            (
                Some(patience_slots),
                Mechanism::ProofOfEfficiency {
                    force_timeout_s, ..
                }
                | Mechanism::ProofOfStake {
                    force_timeout_s, ..
                },
            ) => Some(ForceParams {
                rollup,
                patience_slots,
                timeout_ms: force_timeout_s.saturating_mul(1000),
            }),
            _ => None,
        };
        let to = match &setup {
            Some(setup) => setup.stakers.iter().map(|v| v.name.clone()).collect(),
            None => vec![s.workload.sequencer.clone()],
        };
        let params = UserParams {
            to,
            txs_per_slot: s.workload.txs_per_slot,
            mix: s.workload.mix,
            base_fee: s.workload.fee[0],
            max_tip: s.workload.fee[1],
            chain_id: if s.workload.chain_id_names_sequencer {
                s.cast
                    .iter()
                    .find(|m| m.name() == s.workload.sequencer)
                    .and_then(|m| m.sequencer())
                    .map_or(0, |p| p.id)
            } else {
                0
            },
        };
        roles.push(Box::new(
            User::new(
                &name,
                k.clone(),
                i as u64 + 1,
                peers,
                params,
                s.seed,
                slot_ms,
            )
            .with_force(force),
        ));
    }
    roles.push(Box::new(Referee::new(l2.clone(), first_block)));

    let config = TestnetConfig {
        slot_ms,
        threads: opts.threads,
        mode,
        jitter_seed: opts.jitter_seed,
    };
    // The referee and the driver are the run's instruments: no fault reaches them.
    let faults = FaultPlan::new(s.faults.clone(), s.seed).exempting(&[REFEREE, DRIVER]);
    let net = Testnet::new(roles, faults, &config);
    let mut mev_accounts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (name, (_, account)) in &trading {
        mev_accounts.insert(name.clone(), vec![*account, fee_accounts[name]]);
    }
    Ok(Prepared {
        net,
        scenario: s.clone(),
        names_by_address,
        token: d.token,
        genesis: l2,
        mev_accounts,
        pos: setup,
    })
}

/// A cast member's L1 address: a validator's is its signing key's (attestations
/// recover to it), everyone else's is derived from the name.
fn cast_address(seed: u64, m: &CastMember) -> Address {
    match m {
        CastMember::Validator { name, .. } => key_address(&deterministic_key(seed, name)),
        _ => named_address(m.name()),
    }
}

/// The PoS deployment validators share (stakers in cast order, which is the staking
/// order), if the mechanism is proof of stake.
fn pos_setup(
    s: &Scenario,
    manager: Option<Address>,
    rollup: Address,
    first_block: u64,
) -> Option<PosSetup> {
    let Mechanism::ProofOfStake {
        blocks_per_slot,
        timeout_slots,
        force_timeout_s,
        collect_ms,
        gossip_ms,
        ..
    } = s.mechanism
    else {
        return None;
    };
    let stakers = s
        .cast
        .iter()
        .filter_map(|m| match m {
            CastMember::Validator {
                name,
                stake,
                strategy,
                ..
            } => Some(Staker {
                name: name.clone(),
                address: cast_address(s.seed, m),
                stake: *stake as u128 * ETH,
                cartel: strategy.is_cartel(),
            }),
            _ => None,
        })
        .collect();
    Some(PosSetup {
        manager: manager?,
        rollup,
        genesis_block: first_block,
        blocks_per_slot,
        timeout_slots,
        collect_ms,
        gossip_ms,
        force_timeout_ms: force_timeout_s.saturating_mul(1000),
        l1_slot_ms: s.slot_seconds * 1000,
        stakers,
    })
}

fn assemble(
    s: &Scenario,
    net: &mut Testnet,
    names_by_address: &BTreeMap<Address, String>,
    violation: Option<&Violation>,
) -> Report {
    let names: Vec<String> = net.names().to_vec();
    let mut actors = Vec::new();
    let mut sent = Vec::new();
    let mut pending = std::collections::BTreeSet::new();
    let mut received = std::collections::BTreeSet::new();
    for n in &names {
        if n == L1 || n == REFEREE {
            continue;
        }
        let (report, txs) = net
            .inspect(n, |r| (r.report(), r.sent_txs()))
            .expect("actor is alive");
        for (h, kind, t) in txs {
            sent.push((h, kind, t, n.clone()));
        }
        if let Some((p, seen)) = net.inspect(n, |r| r.pool_view()).flatten() {
            pending.extend(p);
            received.extend(seen);
        }
        actors.push(report);
    }
    actors.sort_by(|a, b| a.name.cmp(&b.name));
    let (batches_seen, inclusions, finalizations, mut invariants, blocks, final_root) = net
        .with(REFEREE, |r: &mut Referee| {
            (
                r.batches.clone(),
                r.inclusions.clone(),
                r.finalizations.clone(),
                r.invariants.clone(),
                r.blocks,
                r.verified_root(),
            )
        })
        .expect("the referee is in every cast");
    let name_of = |a: &Address| {
        names_by_address
            .get(a)
            .cloned()
            .unwrap_or_else(|| a.to_string())
    };
    let batches: Vec<BatchReport> = batches_seen
        .iter()
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
        .collect();

    // Transactions: users' in order sent, then deposits.
    let mut transactions = Vec::new();
    let mut vanished = 0;
    let mut lost = 0;
    for (h, kind, t, sender) in &sent {
        let inc = inclusions.get(h);
        let fate = match inc {
            Some(i) if i.applied => Fate::Applied,
            Some(_) => Fate::Skipped,
            None if pending.contains(h) => Fate::Pending,
            None if received.contains(h) => {
                vanished += 1;
                Fate::Lost
            }
            None => {
                lost += 1;
                Fate::Lost
            }
        };
        transactions.push(TxReport {
            id: hex_short(h),
            sender: sender.clone(),
            kind: kind.to_string(),
            fate,
            reason: inc.and_then(|i| i.reason.clone()),
            batch: inc.map(|i| i.batch),
            submitted_ms: *t,
            inclusion_delay_ms: inc.map(|i| i.at_ms.saturating_sub(*t)),
        });
    }
    for (h, i) in &inclusions {
        if i.kind == "deposit" {
            transactions.push(TxReport {
                id: hex_short(h),
                sender: "bridge".into(),
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
    }
    // The referee is the run's instrument: an invariant it could not check (blocks it
    // never saw) is a failure, not a pass with fewer checks.
    let published = net
        .with(L1, |n: &mut L1Node| n.published_blocks())
        .expect("the L1 node is in every cast");
    invariants.push(InvariantReport {
        name: "the referee saw every L1 block".into(),
        checks: published,
        violation: (blocks != published)
            .then(|| format!("it saw {blocks} of the {published} blocks the L1 published")),
    });
    invariants.push(InvariantReport {
        name: "every L2 tx has a fate".into(),
        checks: sent.len() as u64,
        violation: (vanished > 0)
            .then(|| format!("{vanished} transactions reached a sequencer and vanished")),
    });
    if let Some(v) = violation {
        if !invariants.iter().any(|i| i.name == v.invariant) {
            invariants.push(InvariantReport {
                name: v.invariant.clone(),
                checks: 1,
                violation: Some(v.detail.clone()),
            });
        }
    }

    let duration_ms = net.now().as_millis();
    let mut per_sequencer: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_prover: BTreeMap<String, u64> = BTreeMap::new();
    for b in &batches {
        *per_sequencer.entry(b.sequencer.clone()).or_default() += 1;
        if let Some(p) = &b.prover {
            *per_prover.entry(p.clone()).or_default() += 1;
        }
    }
    let earners: Vec<u64> = actors
        .iter()
        .filter(|a| a.role == "sequencer" || a.role == "aggregator")
        .map(|a| a.l2_fees_earned + a.rewards)
        .collect();
    let mut gap = 0;
    let mut last = 0;
    for &t in finalizations.iter().chain(std::iter::once(&duration_ms)) {
        gap = gap.max(t - last);
        last = t;
    }
    let worst = transactions
        .iter()
        .filter_map(|t| t.inclusion_delay_ms)
        .max()
        .unwrap_or(0);
    let never = transactions
        .iter()
        .filter(|t| matches!(t.fate, Fate::Pending | Fate::Lost))
        .count() as u64;
    let invalid_roots = invariants
        .iter()
        .filter(|i| {
            i.name.starts_with("safety")
                && i.violation
                    .as_deref()
                    .is_some_and(|v| v.contains("finalized root"))
        })
        .count() as u64;
    let scorecard = Scorecard {
        finalized_invalid_roots: invalid_roots,
        worst_inclusion_delay_ms: worst,
        never_included: never,
        nakamoto_sequencers: nakamoto(&per_sequencer.values().copied().collect::<Vec<_>>()),
        nakamoto_provers: nakamoto(&per_prover.values().copied().collect::<Vec<_>>()),
        gini_rewards: gini(&earners),
        mev_share: 0.0,
        longest_finalization_gap_ms: gap,
    };
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
    let report = Report {
        scenario: s.name.clone(),
        description: s.description.clone(),
        mechanism: s.mechanism.name().into(),
        seed: s.seed,
        proof_mode: s.proof_mode,
        duration_ms,
        l1_blocks: blocks,
        final_root: final_root.to_string(),
        actors,
        batches,
        transactions,
        scorecard,
        invariants,
        faults,
        expectations: Vec::new(),
        pos: None,
    };
    let _ = lost;
    report
}

fn hex_short(h: &B256) -> String {
    zkarena_actors::msg::short(h)
}

/// The value of an expectation's metric in `report` (NaN if unknown).
pub fn metric(report: &Report, m: &str) -> f64 {
    let fates = |f: Fate| {
        report
            .transactions
            .iter()
            .filter(|t| t.fate == f && t.sender != "bridge")
            .count() as f64
    };
    let c = &report.scorecard;
    match m {
        "batches_sequenced" => report.batches.len() as f64,
        "batches_verified" => report.batches.iter().filter(|b| b.prover.is_some()).count() as f64,
        "txs_applied" => fates(Fate::Applied),
        "txs_skipped" => fates(Fate::Skipped),
        "txs_pending" => fates(Fate::Pending),
        "txs_lost" => fates(Fate::Lost),
        "finalized_invalid_roots" => c.finalized_invalid_roots as f64,
        "worst_inclusion_delay_ms" => c.worst_inclusion_delay_ms as f64,
        "longest_finalization_gap_ms" => c.longest_finalization_gap_ms as f64,
        "nakamoto_sequencers" => c.nakamoto_sequencers as f64,
        "nakamoto_provers" => c.nakamoto_provers as f64,
        "slots_canonical"
        | "slots_uncled"
        | "honest_slashed"
        | "cartel_slashed"
        | "honest_stake_slashed_pct"
        | "liveness_gap_slots" => {
            let Some(p) = &report.pos else {
                return f64::NAN;
            };
            match m {
                "slots_canonical" => p.canonical as f64,
                "slots_uncled" => p.uncled as f64,
                "honest_slashed" => p.honest_slashed as f64,
                "cartel_slashed" => p.cartel_slashed as f64,
                "honest_stake_slashed_pct" => p.honest_stake_slashed_pct,
                _ => p.liveness_gap_slots as f64,
            }
        }
        _ => {
            let Some((actor, field)) = m.rsplit_once('.') else {
                return f64::NAN;
            };
            let Some(a): Option<&ActorReport> = report.actors.iter().find(|a| a.name == actor)
            else {
                return f64::NAN;
            };
            match field {
                "l1_gas" => a.l1_gas as f64,
                "l2_fees_earned" => a.l2_fees_earned as f64,
                "batches_sequenced" => a.batches_sequenced as f64,
                "proofs_submitted" => a.proofs_submitted as f64,
                "proofs_accepted" => a.proofs_accepted as f64,
                "l2_txs_sent" => a.l2_txs_sent as f64,
                "mev_profit" => a.mev_profit as f64,
                "profit_gwei" => a.profit_gwei as f64,
                "proving_wasted_ms" => a.proving_wasted_ms as f64,
                "l1_token_delta" => a.l1_token_delta as f64,
                "fines" => a.fines as f64,
                "rewards" => a.rewards as f64,
                _ => f64::NAN,
            }
        }
    }
}

/// The simulated time a run of `slots` slots ends.
pub fn end_time(s: &Scenario) -> SimTime {
    SimTime::from_secs(s.slots * s.slot_seconds)
}
