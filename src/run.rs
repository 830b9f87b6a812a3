//! Runs a [`Scenario`]: builds the L1 (contracts, verifier keys), the L2 genesis and the
//! cast, drives the testnet for the scenario's slots, and assembles the [`Report`] with
//! its invariants and expectations.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use zkarena_actors::aggregator::Aggregator;
use zkarena_actors::attack::{Frontrunner, GarbagePoster, ProofCopier};
use zkarena_actors::l1node::L1Node;
use zkarena_actors::node::Role;
use zkarena_actors::pool::panic_text;
use zkarena_actors::referee::{Referee, REFEREE};
use zkarena_actors::runtime::{Testnet, TestnetConfig, Violation, DRIVER};
use zkarena_actors::sequencer::Sequencer;
use zkarena_actors::user::{ForceParams, User, UserParams};
use zkarena_harness::l1::chain::{Chain, ChainConfig, ChainError};
use zkarena_harness::l1::contracts::bindings;
use zkarena_harness::l1::deploy::{named_address, Deployment, GenesisConfig};
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::l2::state::{Account, L2State};
use zkarena_harness::l2::tx::{deterministic_key, key_address, key_to_u128, l2_key, SigningKey};
use zkarena_harness::report::{ExpectationReport, Report};
use zkarena_harness::sim::{FaultPlan, SimTime, TraceEntry};
use zkarena_harness::zk::precompile::{install, VerifierRegistry};
use zkarena_harness::zk::{digest_to_b256, ProofMode, SHAPES};

use crate::assemble::{assemble, valuation, FateWatch, CAST_TOKENS};
use crate::mechanisms::{CastContext, Deployed, Genesis, Routing};
use crate::metric::Metric;
use crate::scenario::{CastMember, Scenario};

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
    /// Every L1 block of the run (not the genesis blocks), as charts draw them.
    pub l1_blocks: Vec<BlockPoint>,
    /// Events waiting in the queue at each slot's start: (simulated ms, events).
    pub queue_depths: Vec<(u64, u64)>,
}

/// One L1 block of the run, as the timeline and the trace export draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockPoint {
    /// Block number.
    pub number: u64,
    /// Simulated milliseconds when it was sealed.
    pub t_ms: u64,
    /// Base fee (wei per gas).
    pub base_fee: u64,
    /// Blob base fee (wei per blob gas).
    pub blob_base_fee: u128,
    /// Gas used.
    pub gas_used: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Transactions left in the mempool after it.
    pub pending_after: u64,
}

/// The run's L1 blocks, from the L1 node's seal times and the chain.
fn block_points(net: &mut Testnet) -> Vec<BlockPoint> {
    net.with(zkarena_actors::msg::L1, |n: &mut L1Node| {
        n.sealed()
            .iter()
            .filter_map(|s| {
                let b = n.chain().block(s.number)?;
                Some(BlockPoint {
                    number: b.number,
                    t_ms: s.t_ms,
                    base_fee: b.base_fee,
                    blob_base_fee: b.blob_base_fee,
                    gas_used: b.gas_used,
                    gas_limit: b.gas_limit,
                    pending_after: s.pending_after,
                })
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Errors of a run (a scenario that passed validation should hit none of them).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The L1 refused a genesis step.
    #[error("setting up the L1: {0}")]
    L1(#[from] ChainError),
    /// The L2 genesis is impossible (e.g. more users than the tree holds).
    #[error("setting up the L2: {0}")]
    L2(String),
    /// Something panicked during the run: a defect of zkarena, reported with every
    /// event delivered before it (`zkarena run` writes them and exits 3).
    #[error("the run broke at {at}: {message}")]
    Panicked {
        /// What panicked.
        message: String,
        /// When.
        at: SimTime,
        /// Every event delivered before it.
        trace: Vec<TraceEntry>,
    },
}

impl RunError {
    /// The error for a panic caught while `net` ran, with its trace so far.
    fn panicked(net: &Testnet, payload: Box<dyn std::any::Any + Send>) -> RunError {
        RunError::Panicked {
            message: panic_text(&payload),
            at: net.now(),
            trace: net.trace().to_vec(),
        }
    }

    /// The same error, naming the run it happened in (a sweep's runs).
    pub fn in_run(self, name: &str) -> RunError {
        match self {
            RunError::Panicked { message, at, trace } => RunError::Panicked {
                message: format!("in run {name}: {message}"),
                at,
                trace,
            },
            other => other,
        }
    }
}

/// Runs one L1 slot and the invariants checked after it: the violation that stopped
/// it, if any; a panic anywhere in it is caught and becomes [`RunError::Panicked`].
fn advance(net: &mut Testnet, fates: &mut FateWatch) -> Result<Option<Violation>, RunError> {
    let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Checked after every L1 block like the referee's invariants, so the run
        // stops at the block that broke it.
        match net.run_slots(1) {
            Ok(()) => fates.check(net),
            Err(v) => Some(v),
        }
    }));
    step.map_err(|payload| RunError::panicked(net, payload))
}

/// One ether (and one network token), in wei.
pub(crate) const ETH: u128 = 1_000_000_000_000_000_000;

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
    /// The mechanism's contracts and hooks.
    mechanism: Box<dyn Deployed>,
    /// The transaction-fate invariant, checked after every L1 block by `run`.
    fates: FateWatch,
}

impl Prepared {
    /// The report of the run so far.
    pub fn report(&mut self, violation: Option<&Violation>) -> Report {
        let s = &self.scenario;
        let mut report = assemble(s, &mut self.net, &self.names_by_address, violation);
        let cast: Vec<(String, Address)> = self
            .names_by_address
            .iter()
            .filter(|(_, n)| s.cast.iter().any(|m| m.name() == n.as_str()))
            .map(|(a, n)| (n.clone(), *a))
            .collect();
        valuation(
            &mut self.net,
            self.token,
            &cast,
            &self.mev_accounts,
            &self.genesis,
        )
        .apply(&mut report);
        if let Some(section) = self.mechanism.section(&mut self.net, s, &report) {
            report.sections.insert(section.name.into(), section.data);
            report.section_summary = section.summary;
        }
        let rules = s.mechanism.rules();
        let names = s.cast.iter().map(|m| m.name().to_string()).collect();
        report.expectations = s
            .expect
            .iter()
            .map(|e| {
                let actual = Metric::parse(&e.metric, rules, &names, s.workload.users)
                    .map_or(f64::NAN, |m| m.value(&report, rules));
                ExpectationReport {
                    expect: e.text(),
                    actual,
                    ok: e.op.holds(actual, e.value),
                    population: e.at_least.map(|share| {
                        format!(
                            "at least {}% of {} seeds",
                            share * 100.0,
                            e.over_seeds.unwrap_or_default()
                        )
                    }),
                }
            })
            .collect();
        report
    }
}

/// A read of a contract view as an account without code (EIP-3607 refuses contract
/// senders); a failed read counts as the default (zero) value.
pub(crate) fn view<C: SolCall>(chain: &mut Chain, to: Address, call: &C) -> C::Return
where
    C::Return: Default,
{
    chain.call_sol(Address::ZERO, to, call).unwrap_or_default()
}

/// `x` rounded to two decimals (reports hold no float noise).
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Runs `scenario`.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<Outcome, RunError> {
    // A panic while setting up is a defect too, reported before any event.
    let mut p = std::panic::catch_unwind(|| prepare(scenario, opts)).map_err(|payload| {
        RunError::Panicked {
            message: panic_text(&payload),
            at: SimTime::ZERO,
            trace: Vec::new(),
        }
    })??;
    let mut violation = None;
    for slot in 1..=scenario.slots {
        violation = advance(&mut p.net, &mut p.fates)?;
        if violation.is_some() {
            break;
        }
        if let Some(progress) = opts.progress {
            progress(slot, scenario.slots);
        }
    }
    let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        p.report(violation.as_ref())
    }))
    .map_err(|payload| RunError::panicked(&p.net, payload))?;
    Ok(Outcome {
        report,
        trace: p.net.take_trace(),
        violation,
        l1_blocks: block_points(&mut p.net),
        queue_depths: p.net.queue_depths().to_vec(),
    })
}

/// The L2 at genesis and who holds which account in it.
struct L2Genesis {
    state: L2State,
    user_keys: Vec<SigningKey>,
    /// Fee account of each cast member that builds batches.
    fee_accounts: BTreeMap<String, u64>,
    /// A frontrunner's own trading key and account.
    trading: BTreeMap<String, (SigningKey, u64)>,
}

/// Users at 1..=n; each cast member that builds batches (sequencer, frontrunner,
/// validator) has a fee account after them; a frontrunner also trades from an account
/// of its own after those.
fn l2_genesis(s: &Scenario) -> Result<L2Genesis, RunError> {
    let l2_error = |e: zkarena_harness::l2::smt::SmtError| RunError::L2(e.to_string());
    let mut state = L2State::new(s.l2.depth, s.l2.pool).map_err(l2_error)?;
    let users = s.workload.users;
    let user_keys: Vec<_> = (0..users)
        .map(|i| deterministic_key(s.seed, &format!("user-{i}")))
        .collect();
    for (i, k) in user_keys.iter().enumerate() {
        let account = Account::for_key(k, i as u64 + 1, [s.l2.user_funds; 2]);
        state.set_account(i as u64 + 1, account).map_err(l2_error)?;
    }
    let mut fee_accounts = BTreeMap::new();
    let mut trading = BTreeMap::new();
    for (k, m) in s.cast.iter().enumerate() {
        if m.builds_batches() {
            let index = (users + 1 + k) as u64;
            // No key: nobody can spend from it (its owner is a name, not a key).
            let account = Account {
                owner: named_address(m.name()),
                ..Account::default()
            };
            state.set_account(index, account).map_err(l2_error)?;
            fee_accounts.insert(m.name().to_string(), index);
        }
        if matches!(m, CastMember::Frontrunner { .. }) {
            let key = deterministic_key(s.seed, m.name());
            let index = (users + 1 + s.cast.len() + k) as u64;
            let account = Account::for_key(&key, index, [s.l2.user_funds; 2]);
            state.set_account(index, account).map_err(l2_error)?;
            trading.insert(m.name().to_string(), (key, index));
        }
    }
    Ok(L2Genesis {
        state,
        user_keys,
        fee_accounts,
        trading,
    })
}

/// Registers the batch verifier keys of every shape up to the cast's largest batch
/// (real circuits, or dev keys), and returns them by shape.
fn verifier_keys(s: &Scenario, registry: &VerifierRegistry) -> Vec<B256> {
    let mode = s.proof_mode;
    let max_txs = s
        .cast
        .iter()
        .filter_map(CastMember::max_txs)
        .max()
        .unwrap_or(4);
    let mut keys = Vec::new();
    for &shape in SHAPES.iter() {
        let key = match mode {
            ProofMode::Real => {
                let circuit = zkarena_harness::zk::CircuitCache::global().batch(s.l2.depth, shape);
                registry.register(&circuit.data().verifier_data()).0
            }
            ProofMode::Dev => {
                let facts = zkarena_harness::zk::shape::batch_facts(s.l2.depth, shape);
                registry.register_dev(&facts);
                facts.verifier_key
            }
        };
        keys.push(key);
        if shape >= max_txs {
            break;
        }
    }
    keys
}

/// The genesis L2 supply (users' balances, the pool, fee accounts) is backed by
/// escrow on L1 from the start; the bridge learns its rollup.
fn seed_escrow(g: &mut Genesis<'_>, l2: &L2State, rollup: Address) -> Result<(), RunError> {
    let d = g.shared;
    let supply = l2.supply();
    let wei = |units: u128| U256::from(units) * U256::from(1_000_000_000u64);
    d.mint(g.chain, d.deployer, wei(supply[1]))?;
    d.approve_bridge(g.chain, d.deployer)?;
    g.chain
        .set_balance(d.deployer, wei(supply[0]) + U256::from(1000 * ETH));
    g.chain.transact(
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
    g.chain.transact(TxRequest::call(
        d.deployer,
        d.bridge,
        bindings::Bridge::setRollupCall { rollup_: rollup }.abi_encode(),
    ))?;
    Ok(())
}

/// `owner` lets `spender` take its network tokens.
fn approve(g: &mut Genesis<'_>, owner: Address, spender: Address) -> Result<(), RunError> {
    g.chain.transact(TxRequest::call(
        owner,
        g.shared.token,
        bindings::NetworkToken::approveCall {
            spender,
            amount: U256::MAX,
        }
        .abi_encode(),
    ))?;
    Ok(())
}

/// Every cast member holds ETH for gas and network tokens for batch fees (plus its
/// genesis stake), and lets the rollup take its fees; then the mechanism's own steps.
fn fund_cast(g: &mut Genesis<'_>, mechanism: &dyn Deployed) -> Result<(), RunError> {
    let s = g.scenario;
    let rollup = mechanism.rollup();
    for m in &s.cast {
        let a = cast_address(s, m);
        g.chain.set_balance(a, U256::from(1000 * ETH));
        let stake = s.mechanism.rules().genesis_stake(m);
        g.shared.mint(
            g.chain,
            a,
            U256::from(CAST_TOKENS) * U256::from(ETH) + stake,
        )?;
        approve(g, a, rollup)?;
        mechanism.fund_member(g, m, a)?;
    }
    mechanism.after_cast_funded(g)
}

/// Users hold ETH; with a forced path, tokens and an allowance to force through L1.
fn fund_users(g: &mut Genesis<'_>, keys: &[SigningKey], rollup: Address) -> Result<(), RunError> {
    for k in keys {
        let a = key_address(k);
        g.chain.set_balance(a, U256::from(100 * ETH));
        if g.scenario.workload.patience_slots.is_some() {
            g.shared.mint(g.chain, a, U256::from(10 * ETH))?;
            approve(g, a, rollup)?;
        }
    }
    Ok(())
}

/// Users' first-slot deposits wait in the mempool for block 1.
fn first_deposits(g: &mut Genesis<'_>, keys: &[SigningKey]) -> Result<(), RunError> {
    let gwei = g.scenario.workload.deposit_gwei;
    if gwei == 0 {
        return Ok(());
    }
    for (i, k) in keys.iter().enumerate() {
        let owner = key_address(k);
        let deposit = bindings::Bridge::depositEthCall {
            l2Recipient: owner,
            l2Account: i as u64 + 1,
            l2Key: key_to_u128(l2_key(k, i as u64 + 1, 0)),
        };
        g.chain
            .submit(
                TxRequest::call(owner, g.shared.bridge, deposit.abi_encode())
                    .gas_limit(200_000)
                    .value(U256::from(gwei as u128 * 1_000_000_000)),
            )
            .map_err(|e| RunError::L1(ChainError::Submit(e)))?;
    }
    Ok(())
}

/// The L1 at genesis: precompiles and verifier keys, the shared contracts, the
/// mechanism's contracts, escrow, a funded cast and users, the first deposits.
fn l1_genesis(
    s: &Scenario,
    l2: &L2Genesis,
) -> Result<(Chain, Deployment, Box<dyn Deployed>), RunError> {
    let mut chain = Chain::new(ChainConfig {
        slot_seconds: s.slot_seconds,
        seed: s.seed,
        ..ChainConfig::default()
    });
    let registry = VerifierRegistry::new(s.proof_mode == ProofMode::Dev);
    install(&mut chain, &registry)?;
    let shared = Deployment::deploy(&mut chain, &GenesisConfig::default())?;
    let keys = verifier_keys(s, &registry);
    let mut g = Genesis {
        scenario: s,
        chain: &mut chain,
        shared: &shared,
        genesis_root: digest_to_b256(&l2.state.root()),
        keys,
    };
    let mut mechanism = s.mechanism.rules().deploy(&mut g)?;
    seed_escrow(&mut g, &l2.state, mechanism.rollup())?;
    fund_cast(&mut g, mechanism.as_ref())?;
    fund_users(&mut g, &l2.user_keys, mechanism.rollup())?;
    mechanism.after_users_funded(&mut g)?;
    first_deposits(&mut g, &l2.user_keys)?;
    mechanism.start(s, chain.head().number + 1);
    chain.set_calldata_budget(s.l1.calldata_bytes_per_block);
    Ok((chain, shared, mechanism))
}

/// Builds the L1, the L2 genesis and the cast of `scenario`, without running it.
pub fn prepare(scenario: &Scenario, opts: &RunOptions) -> Result<Prepared, RunError> {
    let s = scenario;
    let l2 = l2_genesis(s)?;
    let (chain, shared, mechanism) = l1_genesis(s, &l2)?;
    let first_block = chain.head().number + 1;
    let nonces: BTreeMap<String, u64> = s
        .cast
        .iter()
        .map(|m| (m.name().to_string(), chain.nonce(cast_address(s, m))))
        .collect();
    // The cast: the L1 node first (it seals on each tick before the others act).
    let rollup = mechanism.rollup();
    let l1 = mechanism.watch(L1Node::new(chain, shared.bridge, shared.token, rollup));
    let mut roles: Vec<Box<dyn Role>> = vec![Box::new(l1)];
    let mut names_by_address = BTreeMap::new();
    for m in &s.cast {
        let address = cast_address(s, m);
        names_by_address.insert(address, m.name().to_string());
        let c = CastContext {
            scenario: s,
            address,
            fee_account: l2.fee_accounts.get(m.name()).copied(),
            l2: &l2.state,
            first_block,
        };
        let role = mechanism
            .cast(m, &c)
            .or_else(|| shared_role(m, &c, rollup, &l2, nonces[m.name()]));
        roles.extend(role);
    }
    let routing = mechanism.routing(s);
    for (i, k) in l2.user_keys.iter().enumerate() {
        names_by_address.insert(key_address(k), format!("user-{i}"));
        roles.push(Box::new(user(s, i, k, &routing, rollup)));
    }
    roles.push(Box::new(Referee::new(l2.state.clone(), first_block)));

    let config = TestnetConfig {
        slot_ms: s.slot_seconds * 1000,
        threads: opts.threads,
        mode: s.proof_mode,
        jitter_seed: opts.jitter_seed,
    };
    // The referee and the driver are the run's instruments: no fault reaches them.
    let faults = FaultPlan::new(s.faults.clone(), s.seed).exempting(&[REFEREE, DRIVER]);
    let net = Testnet::new(roles, faults, &config);
    let mev_accounts = l2
        .trading
        .iter()
        .map(|(name, (_, account))| (name.clone(), vec![*account, l2.fee_accounts[name]]))
        .collect();
    Ok(Prepared {
        net,
        scenario: s.clone(),
        names_by_address,
        token: shared.token,
        genesis: l2.state,
        mev_accounts,
        mechanism,
        fates: FateWatch::default(),
    })
}

/// The role of a cast member every mechanism shares (sequencers, aggregators and the
/// shipped attackers).
fn shared_role(
    m: &CastMember,
    c: &CastContext<'_>,
    rollup: Address,
    l2: &L2Genesis,
    l1_nonce: u64,
) -> Option<Box<dyn Role>> {
    let (name, address, first_block) = (m.name(), c.address, c.first_block);
    let fee_account = || c.fee_account.expect("it builds batches");
    let role: Box<dyn Role> = match m {
        CastMember::Sequencer { .. } => Box::new(
            Sequencer::new(
                name,
                address,
                rollup,
                fee_account(),
                m.sequencer()?,
                l2.state.clone(),
                first_block,
            )
            .with_l1_nonce(l1_nonce),
        ),
        CastMember::Garbage { name } => {
            Box::new(GarbagePoster::new(name, address, rollup, c.scenario.seed))
        }
        CastMember::Copier { name, params } => Box::new(ProofCopier::new(
            name,
            address,
            rollup,
            params.clone(),
            l1_nonce,
        )),
        CastMember::Frontrunner { .. } => {
            let (key, account) = l2.trading[name].clone();
            Box::new(Frontrunner::new(
                name,
                address,
                rollup,
                fee_account(),
                key,
                account,
                m.frontrunner()?,
                l2.state.clone(),
                first_block,
                l1_nonce,
            ))
        }
        CastMember::Aggregator { .. } => Box::new(Aggregator::new(
            name,
            address,
            rollup,
            m.aggregator()?,
            l2.state.clone(),
            first_block,
        )),
        // A role of the mechanism's own: it cast it (or nobody plays it).
        _ => return None,
    };
    Some(role)
}

/// User `i`, with key `k`: sends to the mechanism's routing, forces through L1 after
/// its patience if the rollup has a forced path.
fn user(s: &Scenario, i: usize, k: &SigningKey, routing: &Routing, rollup: Address) -> User {
    let users = s.workload.users as u64;
    let me = i as u64 + 1;
    let peers: Vec<u64> = (1..=users).filter(|&a| a != me).collect();
    let peers = if peers.is_empty() { vec![me] } else { peers };
    let force = s.workload.patience_slots.zip(routing.force_timeout_s).map(
        |(patience_slots, timeout_s)| ForceParams {
            rollup,
            patience_slots,
            timeout_ms: timeout_s.saturating_mul(1000),
        },
    );
    let chain_id = if s.workload.chain_id_names_sequencer {
        s.cast
            .iter()
            .find(|m| m.name() == s.workload.sequencer)
            .and_then(CastMember::sequencer)
            .map_or(0, |p| p.id)
    } else {
        0
    };
    let params = UserParams {
        to: routing.to.clone(),
        txs_per_slot: s.workload.txs_per_slot,
        mix: s.workload.mix,
        base_fee: s.workload.fee[0],
        max_tip: s.workload.fee[1],
        chain_id,
    };
    User::new(
        &format!("user-{i}"),
        k.clone(),
        me,
        peers,
        params,
        s.seed,
        s.slot_seconds * 1000,
    )
    .with_force(force)
}

/// A cast member's L1 address: the one its mechanism gives it (a PoS validator's is its
/// signing key's, which attestations recover to), else derived from its name.
pub(crate) fn cast_address(s: &Scenario, m: &CastMember) -> Address {
    s.mechanism
        .rules()
        .member_address(s.seed, m)
        .unwrap_or_else(|| named_address(m.name()))
}

/// The simulated time a run of `slots` slots ends.
pub fn end_time(s: &Scenario) -> SimTime {
    SimTime::from_secs(s.slots * s.slot_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkarena_actors::msg::{Msg, Outbox};
    use zkarena_harness::report::{ActorReport, RoleKind};

    /// A role that breaks on its second slot.
    struct Breaks {
        ticks: u64,
    }

    impl Role for Breaks {
        fn name(&self) -> &str {
            "breaks"
        }
        fn role(&self) -> RoleKind {
            RoleKind::Sequencer
        }
        fn ticks(&self) -> bool {
            true
        }
        fn handle(&mut self, _: SimTime, _: &str, msg: Msg, _: &mut Outbox) {
            if let Msg::Tick { .. } = msg {
                self.ticks += 1;
                assert!(self.ticks < 2, "an actor defect on tick {}", self.ticks);
            }
        }
        fn report(&self) -> ActorReport {
            ActorReport::default()
        }
    }

    #[test]
    fn a_panic_in_a_run_is_an_error_with_the_trace_before_it_not_a_crash() {
        let config = TestnetConfig {
            slot_ms: 12_000,
            threads: 1,
            mode: ProofMode::Dev,
            jitter_seed: None,
        };
        let roles: Vec<Box<dyn Role>> = vec![Box::new(Breaks { ticks: 0 })];
        let mut net = Testnet::new(roles, FaultPlan::new(Vec::new(), 0), &config);
        let mut fates = FateWatch::default();
        assert!(advance(&mut net, &mut fates).unwrap().is_none());
        let Err(RunError::Panicked { message, at, trace }) = advance(&mut net, &mut fates) else {
            panic!("the second slot breaks");
        };
        assert!(
            message.contains("actor `breaks` broke handling a `tick` message"),
            "{message}"
        );
        assert_eq!(at, SimTime::from_millis(24_000));
        assert!(trace.iter().any(|e| e.kind == "tick" && e.t_ms == 12_000));
    }
}
