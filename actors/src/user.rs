//! A user: sends signed L2 transfers, swaps and withdrawals to its sequencer (or to
//! every PoS validator) at a scripted rate and mix, each at a random moment of the slot
//! drawn from its own random stream, and forces what stays unincluded through L1.

use std::collections::{BTreeMap, VecDeque};

use alloy_primitives::{keccak256, Address, Bytes, B256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings::IForcedInclusion;
use zkarena_harness::l2::tx::SigningKey;
use zkarena_harness::l2::{Action, Asset, Batch, Fee, L2Tx, UserTx};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::{SimRng, SimTime};

use crate::builder::nonce_of;
use crate::l1sender::L1Sender;
use crate::msg::{forced_record, short, L1Tag, Msg, Outbox, RollupEvent, SentTx};
use crate::node::Role;

/// How a user behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserParams {
    /// Who it sends its transactions to: its sequencer, or every PoS validator.
    pub to: Vec<String>,
    /// Expected transactions per slot.
    pub txs_per_slot: f64,
    /// Weights of transfer, swap, withdraw.
    #[serde(default = "default_mix")]
    pub mix: [u64; 3],
    /// Base fee offered (gwei).
    #[serde(default = "default_base_fee")]
    pub base_fee: u64,
    /// Largest tip offered (gwei); each transaction draws one in [0, max].
    #[serde(default = "default_tip")]
    pub max_tip: u64,
    /// Chain id put in its transactions (0: any sequencer).
    #[serde(default)]
    pub chain_id: u64,
}

fn default_mix() -> [u64; 3] {
    [6, 3, 1]
}
fn default_base_fee() -> u64 {
    10
}
fn default_tip() -> u64 {
    10
}

/// How a censored user forces a transaction through L1 (Proof of Efficiency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForceParams {
    /// The rollup contract.
    pub rollup: Address,
    /// Slots to wait for a transaction to appear in a batch before forcing it.
    pub patience_slots: u64,
    /// The contract's forced-batch timeout (ms): after it the user sequences the
    /// forced batch itself.
    pub timeout_ms: u64,
}

/// A user.
pub struct User {
    name: String,
    key: SigningKey,
    account: u64,
    peers: Vec<u64>,
    params: UserParams,
    rng: SimRng,
    slot_ms: u64,
    nonce: u64,
    sent: Vec<SentTx>,
    /// Sent but not yet seen in a sequenced batch: (transaction, slot last sent).
    unconfirmed: BTreeMap<B256, (L2Tx, u64)>,
    /// When each unconfirmed transaction was first sent (slot).
    first_sent: BTreeMap<B256, u64>,
    force: Option<ForceParams>,
    /// Transactions it forced.
    forced: BTreeMap<B256, Bytes>,
    /// Every forced batch on L1 not yet sequenced, oldest first: (record, when it
    /// was posted in ms). The contract takes them in this order.
    queue: VecDeque<(Bytes, u64)>,
    /// The slot it last tried to sequence the oldest forced batch.
    sequenced_at: Option<u64>,
    /// Its L1 account as a sender, and its L1 accounting (forcing transactions costs
    /// gas and the force fee).
    sender: L1Sender,
    l1: ActorReport,
    slot: u64,
}

/// Slots after which a transaction not seen in any batch is sent again (it may have
/// been lost on the way; the sequencer ignores a copy it already has).
const RESEND_AFTER_SLOTS: u64 = 3;

impl User {
    /// A user owning `account` with `key`, sending to `peers`.
    pub fn new(
        name: &str,
        key: SigningKey,
        account: u64,
        peers: Vec<u64>,
        params: UserParams,
        seed: u64,
        slot_ms: u64,
    ) -> Self {
        let sender = L1Sender::pooled(zkarena_harness::l2::tx::key_address(&key));
        Self {
            name: name.into(),
            key,
            account,
            peers,
            params,
            rng: SimRng::stream(seed, name),
            slot_ms,
            nonce: 0,
            sent: Vec::new(),
            unconfirmed: BTreeMap::new(),
            first_sent: BTreeMap::new(),
            force: None,
            forced: BTreeMap::new(),
            queue: VecDeque::new(),
            sequenced_at: None,
            sender,
            l1: ActorReport::default(),
            slot: 0,
        }
    }

    /// Lets the user fall back to forcing its transactions through L1.
    pub fn with_force(mut self, force: Option<ForceParams>) -> Self {
        self.force = force;
        self
    }

    /// Forces its waiting transactions once the oldest ran out of patience, and
    /// sequences the oldest forced batch once its timeout passed while its own wait.
    fn force_through_l1(&mut self, now: SimTime, out: &mut Outbox) {
        let Some(f) = self.force else { return };
        // Once its oldest waiting transaction ran out of patience, the user forces
        // every waiting one it has not forced yet, in nonce order: a later nonce
        // forced alone would be skipped for the gap.
        let out_of_patience = self
            .first_sent
            .values()
            .any(|&sent| self.slot >= sent.saturating_add(f.patience_slots));
        let mut stale: Vec<(u64, B256)> = if out_of_patience {
            self.unconfirmed
                .iter()
                .filter(|(h, _)| !self.forced.contains_key(*h))
                .map(|(h, (tx, _))| (nonce_of(tx), *h))
                .collect()
        } else {
            Vec::new()
        };
        stale.sort();
        let stale: Vec<B256> = stale.into_iter().map(|(_, h)| h).collect();
        for h in stale {
            let Some((tx, _)) = self.unconfirmed.get(&h) else {
                continue;
            };
            let record: Bytes = Batch::plain_record(tx).into();
            let call = IForcedInclusion::forceBatchCall {
                l2Tx: record.clone(),
            };
            let request = self
                .sender
                .call(f.rollup, call.abi_encode())
                .gas_limit(500_000);
            let tag = L1Tag::new("force", 0, format!("force {}", short(&h)));
            self.sender.send(request, tag, &mut self.l1, out);
            self.forced.insert(h, record);
        }
        // Past the timeout anyone may sequence the oldest forced batch, and nothing
        // else is sequenced before it: while its own wait, the user does it (once a
        // slot), whoever forced it.
        let waiting = self.forced.keys().any(|h| self.unconfirmed.contains_key(h));
        if let Some((record, posted)) = self.queue.front() {
            let due = now.as_millis() >= posted + f.timeout_ms;
            if due && waiting && self.sequenced_at != Some(self.slot) {
                self.sequenced_at = Some(self.slot);
                let call = IForcedInclusion::sequenceForceBatchCall {
                    l2Tx: record.clone(),
                };
                let request = self
                    .sender
                    .call(f.rollup, call.abi_encode())
                    .gas_limit(3_000_000);
                let label = format!("sequence forced {}", short(&keccak256(record)));
                let tag = L1Tag::new("sequence forced", 0, label);
                self.sender.send(request, tag, &mut self.l1, out);
            }
        }
    }

    fn next_tx(&mut self) -> L2Tx {
        let kind = self.rng.weighted(&self.params.mix).unwrap_or(0);
        let asset = if self.rng.chance(0.5) {
            Asset::Eth
        } else {
            Asset::Token
        };
        let action = match kind {
            0 => Action::Transfer {
                to: self.peers[self.rng.below(self.peers.len() as u64) as usize],
                asset,
                amount: 1_000 + self.rng.below(1_000_000),
            },
            1 => Action::Swap {
                asset_in: asset,
                amount_in: 1_000_000 + self.rng.below(100_000_000),
                min_out: 0,
            },
            _ => Action::Withdraw {
                asset,
                amount: 1_000_000 + self.rng.below(10_000_000),
            },
        };
        let fee = Fee {
            base: self.params.base_fee,
            tip: self.rng.below(self.params.max_tip.saturating_add(1)),
        };
        let tx = UserTx::sign(
            &self.key,
            self.account,
            self.nonce,
            fee,
            self.params.chain_id,
            action,
        );
        self.nonce += 1;
        L2Tx::User(tx)
    }
}

impl Role for User {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::User
    }

    fn ticks(&self) -> bool {
        true
    }

    fn subscribes(&self) -> bool {
        true
    }

    fn handle(&mut self, now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::Tick { slot } => {
                self.slot = slot;
                for (h, (tx, last)) in self.unconfirmed.iter_mut() {
                    if slot >= *last + RESEND_AFTER_SLOTS && !self.forced.contains_key(h) {
                        *last = slot;
                        for to in &self.params.to {
                            out.send(to, Msg::L2Tx(Box::new(*tx)));
                        }
                    }
                }
                let rate = self.params.txs_per_slot.max(0.0);
                let mut n = rate.floor() as u64;
                if self.rng.chance(rate - rate.floor()) {
                    n += 1;
                }
                for i in 0..n {
                    let at = self.rng.below(self.slot_ms);
                    out.wake_in(&self.name, i, at);
                }
            }
            Msg::Wake { .. } => {
                let tx = self.next_tx();
                self.sent.extend(SentTx::of(&tx, now.as_millis()));
                self.unconfirmed.insert(tx.hash(), (tx, self.slot));
                self.first_sent.insert(tx.hash(), self.slot);
                for to in &self.params.to {
                    out.send(to, Msg::L2Tx(Box::new(tx)));
                }
            }
            Msg::L1Receipt(receipt) => {
                self.sender.settle(&receipt, &mut self.l1);
            }
            Msg::NewBlock { events, .. } => {
                for e in events.iter() {
                    match e {
                        RollupEvent::BatchSequenced { batch, .. } => {
                            // Only its own transactions concern it: hashing every
                            // transaction of every batch made each user's cost grow
                            // with everyone's load.
                            let own = batch
                                .txs
                                .iter()
                                .filter(|tx| matches!(tx, L2Tx::User(u) if u.from == self.account));
                            for tx in own {
                                let hash = tx.hash();
                                self.unconfirmed.remove(&hash);
                                self.first_sent.remove(&hash);
                            }
                            if forced_record(batch).is_some_and(|r| {
                                self.queue.front().is_some_and(|q| q.0[..] == r[..])
                            }) {
                                self.queue.pop_front();
                            }
                        }
                        RollupEvent::ForceBatch { record, .. } => {
                            self.queue.push_back((record.clone(), now.as_millis()));
                        }
                        _ => {}
                    }
                }
                self.force_through_l1(now, out);
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        ActorReport {
            name: self.name.clone(),
            role: zkarena_harness::report::RoleKind::User,
            l2_txs_sent: self.sent.len() as u64,
            ..self.l1.clone()
        }
    }

    fn sent_txs(&self) -> Vec<SentTx> {
        self.sent.clone()
    }
}
