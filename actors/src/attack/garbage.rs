//! The garbage poster: a permissionless sequencer that posts malformed batch data every
//! slot (random bytes, a truncated batch, an unknown format byte, trailing bytes, more
//! transactions than the largest circuit holds, a well-formed batch consuming a bridge
//! deposit out of queue order). Under
//! Proof of Efficiency the contract sequences such data as a no-op batch at the poster's
//! expense, so ranges stay provable and no honest transaction is lost.

use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use zkarena_harness::l1::contracts::bindings::IOpenSequencing;
use zkarena_harness::l2::codec::MAX_BATCH_TXS;
use zkarena_harness::l2::{Asset, Batch, Deposit, Format, L2Tx};
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::{SimRng, SimTime};

use crate::l1sender::L1Sender;
use crate::msg::{L1Tag, Msg, Outbox};
use crate::node::Role;

/// The garbage poster.
pub struct GarbagePoster {
    name: String,
    l1: L1Sender,
    rollup: Address,
    rng: SimRng,
    report: ActorReport,
}

impl GarbagePoster {
    /// A poster sending from `address` to `rollup`, its choices drawn from `seed`.
    pub fn new(name: &str, address: Address, rollup: Address, seed: u64) -> Self {
        Self {
            name: name.into(),
            l1: L1Sender::pooled(address),
            rollup,
            rng: SimRng::stream(seed, name),
            report: ActorReport {
                name: name.into(),
                role: zkarena_harness::report::RoleKind::Garbage,
                ..ActorReport::default()
            },
        }
    }

    /// Malformed batch bytes of kind `slot % 6`.
    fn garbage(&mut self, slot: u64) -> Vec<u8> {
        let valid = Batch {
            sequencer: 66,
            l1_block: slot,
            fee_account: 0,
            txs: Vec::new(),
        }
        .encode(Format::Plain);
        match slot % 6 {
            0 => (0..48).map(|_| self.rng.below(256) as u8).collect(),
            1 => valid[..valid.len() - 3].to_vec(),
            2 => {
                let mut v = valid;
                v[0] = 0x7f;
                v
            }
            3 => {
                let mut v = valid;
                v.extend_from_slice(b"trailing");
                v
            }
            4 => Batch {
                sequencer: 0,
                l1_block: slot,
                fee_account: 0,
                txs: vec![L2Tx::Deposit(Deposit {
                    index: u32::MAX as u64,
                    account: 1,
                    owner: self.l1.address(),
                    asset: Asset::Eth,
                    amount: 1,
                    key: [0, 0],
                })],
            }
            .encode(Format::Compact),
            _ => {
                // One more transaction than the largest circuit holds.
                let mut v = valid;
                let count = (MAX_BATCH_TXS as u32 + 1).to_be_bytes();
                v[17..21].copy_from_slice(&count);
                v
            }
        }
    }
}

impl Role for GarbagePoster {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::Garbage
    }

    fn ticks(&self) -> bool {
        true
    }

    fn handle(&mut self, _now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::Tick { slot } => {
                let call = IOpenSequencing::sequenceBatchCall {
                    batch: self.garbage(slot).into(),
                };
                let request = self
                    .l1
                    .call(self.rollup, call.abi_encode())
                    .gas_limit(1_000_000)
                    .fees(200_000_000_000, 1_000_000_000);
                let tag = L1Tag::new("garbage", slot, format!("garbage@{slot}"));
                self.l1.send(request, tag, &mut self.report, out);
            }
            Msg::L1Receipt(receipt) => {
                self.l1.settle(&receipt, &mut self.report);
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }
}
