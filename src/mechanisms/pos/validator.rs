//! A PoS validator (the seed's "Why Proof of Stake might not work"). It mirrors the
//! StakeManager's stake table and draws each L2 slot's leader from the slot's L1 block
//! hash exactly as the contract does; as leader it builds a block on the canonical
//! head, gossips it, collects attestations and posts them on L1 in aggregate; it
//! attests to valid blocks that extend the canonical head, and reports leaders whose
//! slot stayed without a canonical block past the timeout. A stake-cartel member
//! follows its coalition's [`CartelStrategy`] instead.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings::{IForcedInclusion, StakeManager};
use zkarena_harness::l2::state::L2State;
use zkarena_harness::l2::tx::SigningKey;
use zkarena_harness::l2::{Asset, Batch, Format, L2Tx};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;

use zkarena_actors::builder::{Builder, Header};
use zkarena_actors::l1sender::L1Sender;
use zkarena_actors::msg::{
    forced_record, BlockFollower, L1Tag, MechanismPayload, Msg, Outbox, RollupEvent,
};
use zkarena_actors::node::{PoolChanges, Role};
use zkarena_actors::sequencer::Policy;

use super::messages::{PosEvent, PosMsg};

/// The StakeManager's bounds, mirrored for scenario validation and the validators'
/// gas limits (`tests/security_staking.rs` reads them back from the contract).
pub mod rules {
    /// Blocks back BLOCKHASH answers (`BLOCKHASH_WINDOW`).
    pub const BLOCKHASH_WINDOW: u64 = 256;
    /// Blocks a slot's seed stays readable after its timeout (`REPORT_MARGIN_BLOCKS`).
    pub const REPORT_MARGIN_BLOCKS: u64 = 64;
    /// Most L1 blocks from a slot's start to its slashable block, (1 + timeout_slots) x
    /// blocks_per_slot (`MAX_TIMEOUT_BLOCKS`).
    pub const MAX_TIMEOUT_BLOCKS: u64 = BLOCKHASH_WINDOW - REPORT_MARGIN_BLOCKS;
    /// Ceiling of the validator cap (`MAX_VALIDATORS_CEILING`).
    pub const MAX_VALIDATORS_CEILING: u64 = 100;
    /// Ceiling of the reporter's share of a slash, basis points (`MAX_REPORTER_BPS`).
    pub const MAX_REPORTER_BPS: u16 = 1_250;
    /// Gas limit of a validator's `attest`.
    pub const ATTEST_GAS_LIMIT: u64 = 6_000_000;
    /// Gas limit of a validator's `slashMissed`.
    pub const SLASH_GAS_LIMIT: u64 = 2_000_000;
}

/// The validator's role in reports.
pub const VALIDATOR: zkarena_harness::report::RoleKind =
    zkarena_harness::report::RoleKind::Mechanism("validator");

/// What a validator does; everything but `honest` makes it a member of the stake
/// cartel (the attacker).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CartelStrategy {
    /// Builds on the canonical head and attests to every valid block that extends it.
    #[default]
    Honest,
    /// Attests only to the cartel's blocks and builds only on them: with more than 1/3
    /// of the stake, honest blocks miss 2/3, are uncled and their leaders slashed.
    Uncle,
    /// As leader, publishes empty blocks (censors everyone).
    Empty,
    /// As leader, includes only transactions whose tip reaches `min_tip`.
    Gouge,
    /// As leader, censors every transaction touching the network token (the pool's
    /// swaps, token transfers and withdrawals), and attests to no block carrying one:
    /// with more than 1/3 of the stake such blocks never become canonical, and users
    /// must go through L1.
    Lockup,
}

impl CartelStrategy {
    /// Whether a validator following it belongs to the stake cartel.
    pub fn is_cartel(self) -> bool {
        self != CartelStrategy::Honest
    }
}

/// How a validator behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidatorParams {
    /// Its sequencer id in the blocks it builds.
    pub id: u64,
    /// Most transactions per block (1..=64).
    #[serde(default = "default_max_txs")]
    pub max_txs: usize,
    /// L1 priority fee (gwei per gas).
    #[serde(default = "default_tip")]
    pub l1_tip_gwei: u64,
    /// `honest`, or the cartel's `uncle`, `empty`, `gouge` or `lockup`.
    #[serde(default)]
    pub strategy: CartelStrategy,
    /// Smallest tip a gouging leader includes (gwei).
    #[serde(default)]
    pub min_tip: u64,
}

fn default_max_txs() -> usize {
    16
}

fn default_tip() -> u64 {
    2
}

/// One staker, as every validator knows it from genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staker {
    /// Actor name.
    pub name: String,
    /// Its L1 address (the key its attestations recover to).
    pub address: Address,
    /// Stake at genesis (token wei).
    pub stake: u128,
    /// Whether it belongs to the cartel.
    pub cartel: bool,
}

/// The PoS deployment every validator shares.
#[derive(Clone, Debug)]
pub struct PosSetup {
    /// The StakeManager.
    pub manager: Address,
    /// The PosRollup (forced batches).
    pub rollup: Address,
    /// L1 block slot 0 starts at.
    pub genesis_block: u64,
    /// L1 blocks per L2 slot.
    pub blocks_per_slot: u64,
    /// Slots after a slot before its leader can be slashed.
    pub timeout_slots: u64,
    /// How long a leader collects attestations before posting them (ms).
    pub collect_ms: u64,
    /// Gossip latency between validators (ms).
    pub gossip_ms: u64,
    /// The forced-batch timeout (ms).
    pub force_timeout_ms: u64,
    /// L1 slot length (ms).
    pub l1_slot_ms: u64,
    /// Stakers in staking order (the StakeManager's `validators`).
    pub stakers: Vec<Staker>,
}

impl PosSetup {
    /// The L1 block slot `slot` starts at.
    pub fn slot_start(&self, slot: u64) -> u64 {
        self.genesis_block + slot * self.blocks_per_slot
    }

    /// The first L1 block at which slot `slot`'s timeout has passed: from there its
    /// leader can be slashed if it has no canonical block (StakeManager `slashMissed`).
    pub fn slashable_from(&self, slot: u64) -> u64 {
        self.slot_start(slot + 1 + self.timeout_slots)
    }

    /// The slot starting at L1 block `number`, if one does.
    pub fn slot_at(&self, number: u64) -> Option<u64> {
        let d = number.checked_sub(self.genesis_block)?;
        (d % self.blocks_per_slot == 0).then_some(d / self.blocks_per_slot)
    }
}

/// When L2 slot `slot` starts, in ms of the run: when its first L1 block is sealed. Slot
/// 0 starts at the run's first block, sealed one L1 slot in; a slot is
/// `blocks_per_slot` L1 blocks.
pub fn slot_start_ms(blocks_per_slot: u64, slot: u64, l1_slot_ms: u64) -> u64 {
    (slot * blocks_per_slot + 1) * l1_slot_ms
}

/// The StakeManager's block hash: keccak256(abi.encode(slot, parent, keccak256(batch))).
pub fn block_hash(slot: u64, parent: B256, batch: &[u8]) -> B256 {
    keccak256((slot, parent, keccak256(batch)).abi_encode())
}

/// The StakeManager's attestation digest for `block` in `slot`.
pub fn attestation_digest(manager: Address, slot: u64, block: B256) -> B256 {
    keccak256(("zkarena/attest".to_string(), manager, slot, block).abi_encode_params())
}

/// `StakeManager.leader`: index of the staker drawn for `slot` from the hash of the
/// slot's start block, by the stakes that count at that block (in staking order).
pub fn draw_leader(stakes: &[u128], slot: u64, start_hash: B256) -> Option<usize> {
    let total: u128 = stakes.iter().sum();
    if total == 0 {
        return None;
    }
    let seed = U256::from_be_bytes(keccak256((start_hash, slot).abi_encode()).0);
    let mut r = (seed % U256::from(total)).to::<u128>();
    for (i, s) in stakes.iter().enumerate() {
        if r < *s {
            return Some(i);
        }
        r -= s;
    }
    None
}

/// Signs `digest` as the StakeManager recovers it (65 bytes, v = 27/28).
pub fn sign_digest(key: &SigningKey, digest: B256) -> Bytes {
    match key.sign_prehash_recoverable(digest.as_slice()) {
        Ok((sig, recid)) => {
            let mut out = sig.to_bytes().to_vec();
            out.push(27 + recid.to_byte());
            out.into()
        }
        // A 32-byte prehash always signs; an empty signature is simply not counted.
        Err(_) => Bytes::new(),
    }
}

/// Whether a transaction touches the network token (what a lock-up censors).
pub fn touches_token(tx: &L2Tx) -> bool {
    match tx {
        L2Tx::User(u) => u.action.moves_token(),
        L2Tx::Deposit(d) => d.asset == Asset::Token,
    }
}

/// The block a leader is collecting attestations for.
struct Proposal {
    slot: u64,
    parent: B256,
    batch: Bytes,
    hash: B256,
    signatures: BTreeMap<usize, Bytes>,
    /// Signatures in its last posted aggregate.
    posted: usize,
}

/// A forced transaction seen on L1, waiting to be sequenced.
struct Forced {
    record: Bytes,
    posted_ms: u64,
    sent: bool,
}

/// A PoS validator.
pub struct Validator {
    name: String,
    me: usize,
    /// Stakers that are validators of the cast (the first, in staking order).
    cast: usize,
    l1: L1Sender,
    key: SigningKey,
    fee_account: u64,
    params: ValidatorParams,
    setup: PosSetup,
    builder: Builder,
    /// Stake checkpoints per staker: (from L1 block, stake), as the contract keeps them.
    stakes: Vec<Vec<(u64, u128)>>,
    head: B256,
    /// The last canonical block a cartel member led (what an uncling cartel builds on).
    cartel_head: B256,
    canonical: BTreeSet<u64>,
    slashed: BTreeSet<u64>,
    reported: BTreeSet<u64>,
    /// Slots below this one are settled (canonical, slashed or reported).
    first_open: u64,
    leaders: BTreeMap<u64, usize>,
    current_slot: Option<u64>,
    attested: BTreeSet<u64>,
    proposal: Option<Proposal>,
    forced: Vec<Forced>,
    follower: BlockFollower,
    report: ActorReport,
}

impl Validator {
    /// Validator number `me` of `setup.stakers`, signing with `key`, crediting fees
    /// to `fee_account`, from the genesis `state` and L1 block `first_block`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        me: usize,
        key: SigningKey,
        fee_account: u64,
        params: ValidatorParams,
        setup: PosSetup,
        state: L2State,
        first_block: u64,
    ) -> Self {
        let name = setup.stakers[me].name.clone();
        let stakes = setup.stakers.iter().map(|s| vec![(0, s.stake)]).collect();
        Self {
            report: ActorReport {
                name: name.clone(),
                role: VALIDATOR,
                ..ActorReport::default()
            },
            name,
            l1: L1Sender::pooled(setup.stakers[me].address),
            cast: setup.stakers.len(),
            me,
            key,
            fee_account,
            params,
            setup,
            builder: Builder::new(state),
            stakes,
            head: B256::ZERO,
            cartel_head: B256::ZERO,
            canonical: BTreeSet::new(),
            slashed: BTreeSet::new(),
            reported: BTreeSet::new(),
            first_open: 0,
            leaders: BTreeMap::new(),
            current_slot: None,
            attested: BTreeSet::new(),
            proposal: None,
            forced: Vec::new(),
            follower: BlockFollower::new(first_block),
        }
    }

    fn stake_at(&self, who: usize, block: u64) -> u128 {
        self.stakes[who]
            .iter()
            .rev()
            .find(|(from, _)| *from <= block)
            .map_or(0, |c| c.1)
    }

    /// The leader of `slot`, drawn from the hash of its start block like
    /// `StakeManager.leader`.
    fn draw(&self, slot: u64, start_hash: B256) -> Option<usize> {
        let start = self.setup.slot_start(slot);
        let stakes: Vec<u128> = (0..self.stakes.len())
            .map(|i| self.stake_at(i, start))
            .collect();
        draw_leader(&stakes, slot, start_hash)
    }

    /// When slot `slot` ends: the next slot's first block is sealed.
    fn slot_end_ms(&self, slot: u64) -> u64 {
        slot_start_ms(self.setup.blocks_per_slot, slot + 1, self.setup.l1_slot_ms)
    }

    fn tip(&self) -> u128 {
        self.params.l1_tip_gwei as u128 * 1_000_000_000
    }

    fn submit(&mut self, data: Vec<u8>, to: Address, gas: u64, tag: L1Tag, out: &mut Outbox) {
        let request = self
            .l1
            .call(to, data)
            .gas_limit(gas)
            .fees(200_000_000_000, self.tip());
        self.l1.send(request, tag, &mut self.report, out);
    }

    /// The head it builds on: the canonical head, or for an uncling cartel the last
    /// canonical block a member led.
    fn followed_head(&self) -> B256 {
        match self.params.strategy {
            CartelStrategy::Uncle => self.cartel_head,
            _ => self.head,
        }
    }

    /// As leader of `slot` (starting at L1 block `number`): builds a block by its
    /// strategy on the head it follows and gossips it to every validator.
    fn propose(&mut self, slot: u64, number: u64, out: &mut Outbox) {
        let strategy = self.params.strategy;
        let parent = self.followed_head();
        let header = Header {
            sequencer: self.params.id,
            l1_block: number,
            fee_account: self.fee_account,
        };
        let min_tip = self.params.min_tip;
        let admit = move |tx: &L2Tx| match strategy {
            CartelStrategy::Honest | CartelStrategy::Uncle => true,
            CartelStrategy::Empty => false,
            CartelStrategy::Gouge => tx.fee().tip >= min_tip,
            CartelStrategy::Lockup => !touches_token(tx),
        };
        let cap = if strategy == CartelStrategy::Empty {
            0
        } else {
            self.params.max_txs
        };
        let batch = self.builder.build(header, cap, Policy::Tip, &admit);
        let bytes: Bytes = batch.encode(Format::Compact).into();
        let hash = block_hash(slot, parent, &bytes);
        self.proposal = Some(Proposal {
            slot,
            parent,
            batch: bytes,
            hash,
            signatures: BTreeMap::new(),
            posted: 0,
        });
        // Gossip goes to the validators of the cast (a staker that joined on L1 has
        // no actor).
        for s in &self.setup.stakers[..self.cast] {
            out.send_in(
                &s.name,
                Msg::Mechanism(MechanismPayload::new(PosMsg::Block {
                    slot,
                    parent,
                    batch: batch.clone(),
                })),
                self.setup.gossip_ms,
            );
        }
        out.wake_in(&self.name, slot, self.setup.collect_ms);
    }

    /// Whether it attests to `leader`'s block (`parent`, `batch`) for `slot`.
    fn endorses(&self, slot: u64, leader: usize, parent: B256, batch: &Batch) -> bool {
        if self.current_slot != Some(slot)
            || self.canonical.contains(&slot)
            || self.attested.contains(&slot)
        {
            return false;
        }
        match self.params.strategy {
            CartelStrategy::Uncle => {
                self.setup.stakers[leader].cartel && parent == self.cartel_head
            }
            CartelStrategy::Lockup => parent == self.head && !batch.txs.iter().any(touches_token),
            _ => parent == self.head,
        }
    }

    /// Posts the forced batches it sequences, then the aggregate attestation (once its
    /// own signature is in: the contract wants the leader's). While the block is not
    /// canonical and can still be (the head has not moved past it, its slot not timed
    /// out), it posts again every `collect_ms` if more attestations came in: the
    /// contract adds up what it has not counted yet.
    fn post(&mut self, now: SimTime, slot: u64, out: &mut Outbox) {
        let me = self.me;
        let Some(p) = self.proposal.as_mut().filter(|p| p.slot == slot) else {
            return;
        };
        let first = p.posted == 0;
        let ready = p.signatures.contains_key(&me) && p.signatures.len() > p.posted;
        let batch_bytes = p.batch.len();
        let call = ready.then(|| {
            p.posted = p.signatures.len();
            StakeManager::attestCall {
                slot,
                parent: p.parent,
                batch: p.batch.clone(),
                signatures: p.signatures.values().cloned().collect(),
            }
        });
        if let Some(call) = call {
            if first {
                self.sequence_forced(now, slot, out);
            }
            let manager = self.setup.manager;
            self.submit(
                call.abi_encode(),
                manager,
                rules::ATTEST_GAS_LIMIT + zkarena_actors::sequencer::batch_gas_limit(batch_bytes),
                L1Tag::new("attest", slot, format!("attest@{slot}")),
                out,
            );
        }
        // Never a zero interval: a repost at the same instant would never let time pass.
        out.wake_in(&self.name, slot, self.setup.collect_ms.max(1));
    }

    /// Drops the proposal once its block is canonical or can no longer be: the head
    /// moved on without it, or its slot timed out at L1 block `number`.
    fn settle_proposal(&mut self, number: u64) {
        let Some(p) = &self.proposal else { return };
        let timed_out = number + 1 >= self.setup.slashable_from(p.slot);
        if self.canonical.contains(&p.slot) || self.followed_head() != p.parent || timed_out {
            self.proposal = None;
        }
    }

    /// Sequences the forced batches due: an honest (or uncling) leader all of them at
    /// once; a censoring one only those whose timeout would block its own block.
    fn sequence_forced(&mut self, now: SimTime, slot: u64, out: &mut Outbox) {
        let voluntary = matches!(
            self.params.strategy,
            CartelStrategy::Honest | CartelStrategy::Uncle
        );
        let deadline = now.as_millis() + self.setup.l1_slot_ms;
        let timeout = self.setup.force_timeout_ms;
        let rollup = self.setup.rollup;
        let due: Vec<Bytes> = self
            .forced
            .iter_mut()
            .filter(|f| !f.sent && (voluntary || deadline >= f.posted_ms + timeout))
            .map(|f| {
                f.sent = true;
                f.record.clone()
            })
            .collect();
        for record in due {
            let call = IForcedInclusion::sequenceForceBatchCall { l2Tx: record };
            self.submit(
                call.abi_encode(),
                rollup,
                3_000_000,
                L1Tag::new("forced batch", slot, format!("forced batch@{slot}")),
                out,
            );
        }
    }

    /// Reports every leader whose slot has no canonical block past the timeout, one
    /// block later per validator before it in the staking order (so they rarely race).
    fn report_missed(&mut self, number: u64, out: &mut Outbox) {
        let next = number + 1;
        let mut s = self.first_open;
        loop {
            let from = self.setup.slashable_from(s);
            if next < from {
                break;
            }
            let settled = self.canonical.contains(&s)
                || self.slashed.contains(&s)
                || self.reported.contains(&s);
            let mine = self.leaders.get(&s) == Some(&self.me);
            if !settled && !mine && next >= from + self.me as u64 {
                self.reported.insert(s);
                let call = StakeManager::slashMissedCall { slot: s };
                let manager = self.setup.manager;
                self.submit(
                    call.abi_encode(),
                    manager,
                    rules::SLASH_GAS_LIMIT,
                    L1Tag::new("slash", s, format!("slash@{s}")),
                    out,
                );
            }
            let done = self.canonical.contains(&s)
                || self.slashed.contains(&s)
                || self.reported.contains(&s)
                || mine;
            if done && s == self.first_open {
                self.first_open += 1;
            }
            s += 1;
        }
    }

    fn on_block(
        &mut self,
        now: SimTime,
        number: u64,
        hash: B256,
        events: Vec<RollupEvent>,
        out: &mut Outbox,
    ) {
        for e in events {
            let applied = self.builder.follow(&e);
            match e {
                RollupEvent::BatchSequenced { sender, batch, .. } => {
                    match applied {
                        Some(Ok(outcome)) => {
                            let mine = sender == self.setup.stakers[self.me].address
                                && batch.sequencer == self.params.id;
                            if mine {
                                self.report.batches_sequenced += 1;
                                self.report.l2_fees_earned += outcome.fees.total();
                            }
                        }
                        Some(Err(e)) => {
                            tracing::warn!(validator = %self.name, %e, "sequenced batch does not apply")
                        }
                        None => {}
                    }
                    if forced_record(&batch)
                        .is_some_and(|r| self.forced.first().is_some_and(|f| f.record[..] == r[..]))
                    {
                        self.forced.remove(0);
                    }
                }
                RollupEvent::ForceBatch { record, .. } => {
                    self.forced.push(Forced {
                        record,
                        posted_ms: now.as_millis(),
                        sent: false,
                    });
                }
                RollupEvent::Mechanism(p) => {
                    if let Some(e) = p.get::<PosEvent>() {
                        self.on_stake_event(e, number);
                    }
                }
                RollupEvent::Deposit { .. } | RollupEvent::RangeVerified { .. } => {}
            }
        }
        self.after_events(now, number, hash, out);
    }

    /// Follows a StakeManager event: canonical heads, slashes (its stake mirror).
    fn on_stake_event(&mut self, e: &PosEvent, number: u64) {
        match *e {
            PosEvent::Canonical {
                slot,
                block_hash,
                leader,
            } => {
                self.canonical.insert(slot);
                self.head = block_hash;
                let cartel = self
                    .setup
                    .stakers
                    .iter()
                    .any(|s| s.address == leader && s.cartel);
                if cartel {
                    self.cartel_head = block_hash;
                }
            }
            PosEvent::Slashed {
                slot,
                validator,
                amount,
                reporter,
                reward,
            } => {
                self.slashed.insert(slot);
                if let Some(i) = self.staker(validator) {
                    let left = self.stake_at(i, number + 1).saturating_sub(amount);
                    let checkpoints = &mut self.stakes[i];
                    match checkpoints.last_mut() {
                        Some(c) if c.0 == number + 1 => c.1 = left,
                        _ => checkpoints.push((number + 1, left)),
                    }
                    if i == self.me {
                        self.report.fines += (amount / 1_000_000_000) as u64;
                    }
                    if reporter == self.setup.stakers[self.me].address {
                        self.report.rewards += (reward / 1_000_000_000) as u64;
                    }
                }
            }
            PosEvent::Staked { validator, amount } => self.on_staked(validator, amount, number),
            PosEvent::ExitRequested { validator } => {
                if let Some(i) = self.staker(validator) {
                    // Its stake stops counting at this block (`countsAt`).
                    let checkpoints = &mut self.stakes[i];
                    checkpoints.retain(|c| c.0 < number);
                    checkpoints.push((number, 0));
                }
            }
            PosEvent::Attested { .. } => {}
        }
    }

    /// The index of the staker at `address`, if it ever staked.
    fn staker(&self, address: Address) -> Option<usize> {
        self.setup.stakers.iter().position(|s| s.address == address)
    }

    /// A stake made during the run (genesis stakes are known from the start): it counts
    /// from the next block; a staker outside the cast joins the mirror under its
    /// address.
    fn on_staked(&mut self, validator: Address, amount: u128, number: u64) {
        let i = self.staker(validator).unwrap_or_else(|| {
            self.setup.stakers.push(Staker {
                name: validator.to_string(),
                address: validator,
                stake: 0,
                cartel: false,
            });
            self.stakes.push(Vec::new());
            self.stakes.len() - 1
        });
        self.stakes[i].push((number + 1, amount));
    }

    /// After a block's events: settles its proposal, draws the slot's leader (and
    /// proposes if it is this validator), reports missed slots.
    fn after_events(&mut self, now: SimTime, number: u64, hash: B256, out: &mut Outbox) {
        self.settle_proposal(number);
        if let Some(slot) = self.setup.slot_at(number) {
            self.current_slot = Some(slot);
            if let Some(leader) = self.draw(slot, hash) {
                self.leaders.insert(slot, leader);
                // A leader catching up on blocks it missed does not propose for a slot
                // that is already over.
                if leader == self.me && now.as_millis() < self.slot_end_ms(slot) {
                    self.propose(slot, number, out);
                }
            }
        }
        self.report_missed(number, out);
    }
}

impl Validator {
    /// A block or an attestation from another validator.
    fn on_gossip(&mut self, from: &str, msg: PosMsg, out: &mut Outbox) {
        match msg {
            PosMsg::Block {
                slot,
                parent,
                batch,
            } => {
                let Some(&leader) = self.leaders.get(&slot) else {
                    return;
                };
                if self.setup.stakers[leader].name != from
                    || !self.endorses(slot, leader, parent, &batch)
                {
                    return;
                }
                self.attested.insert(slot);
                let hash = block_hash(slot, parent, &batch.encode(Format::Compact));
                let digest = attestation_digest(self.setup.manager, slot, hash);
                let signature = sign_digest(&self.key, digest);
                out.send_in(
                    from,
                    Msg::Mechanism(MechanismPayload::new(PosMsg::Attestation {
                        slot,
                        block_hash: hash,
                        signature,
                    })),
                    self.setup.gossip_ms,
                );
            }
            PosMsg::Attestation {
                slot,
                block_hash,
                signature,
            } => {
                let who = self.setup.stakers.iter().position(|s| s.name == from);
                if let (Some(p), Some(who)) = (self.proposal.as_mut(), who) {
                    if p.slot == slot && p.hash == block_hash {
                        p.signatures.insert(who, signature);
                    }
                }
            }
        }
    }
}

impl Role for Validator {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        VALIDATOR
    }

    fn subscribes(&self) -> bool {
        true
    }

    fn handle(&mut self, now: SimTime, from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::L2Tx(tx) => self.builder.receive(*tx, now.as_millis()),
            Msg::NewBlock {
                number,
                hash,
                events,
                ..
            } if self.follower.accept(number, out) => {
                self.on_block(now, number, hash, events.to_vec(), out)
            }
            Msg::Mechanism(p) => {
                if let Some(m) = p.get::<PosMsg>() {
                    self.on_gossip(from, m.clone(), out);
                }
            }
            Msg::Wake { label } => self.post(now, label, out),
            Msg::L1Receipt(receipt) => {
                self.l1.settle(&receipt, &mut self.report);
            }
            Msg::Restarted => self.follower.resync(0, out),
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }

    fn pool_changes(&self, since: usize) -> Option<PoolChanges> {
        Some(PoolChanges {
            pending: self.builder.pending(),
            arrived: self.builder.arrived_since(since).to_vec(),
            cursor: self.builder.arrived(),
        })
    }
}
