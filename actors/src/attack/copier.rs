//! The proof copier: a prover that proves nothing. It watches the L1 mempool for
//! verifications whose proof travels in calldata and sends the same calldata from its
//! own address with a higher tip, so that its copy lands first and takes the range's
//! reward. A rollup that binds each proof to its submitter (the binding public input,
//! see `ZkRollup.proofBinding`) refuses the copy (`ProofNotBound`) and the real prover
//! is paid; with the binding off, the copier wins every range it sees.

use std::collections::BTreeSet;

use alloy_primitives::{keccak256, Address, B256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zkarena_harness::l1::contracts::bindings::IZkRollup;
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;

use crate::l1sender::L1Sender;
use crate::msg::{L1Tag, Msg, Outbox};
use crate::node::Role;

/// How a copier behaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopierParams {
    /// Its L1 tip as a multiple of the victim's.
    #[serde(default = "default_factor")]
    pub tip_factor: u64,
}

fn default_factor() -> u64 {
    2
}

/// The proof copier.
pub struct ProofCopier {
    name: String,
    l1: L1Sender,
    rollup: Address,
    params: CopierParams,
    copied: BTreeSet<B256>,
    report: ActorReport,
}

impl ProofCopier {
    /// A copier sending from `address` (next L1 nonce `l1_nonce`) to `rollup`.
    pub fn new(
        name: &str,
        address: Address,
        rollup: Address,
        params: CopierParams,
        l1_nonce: u64,
    ) -> Self {
        Self {
            name: name.into(),
            l1: L1Sender::optimistic(address, l1_nonce),
            rollup,
            params,
            copied: BTreeSet::new(),
            report: ActorReport {
                name: name.into(),
                role: zkarena_harness::report::RoleKind::Copier,
                ..ActorReport::default()
            },
        }
    }

    /// The copy of a pending verification `data` tipping `tip`, if it is one worth
    /// copying (a calldata proof to this rollup, not yet copied).
    fn copy(&mut self, data: &[u8], tip: u128) -> Option<TxRequest> {
        IZkRollup::verifyBatchesCall::abi_decode(data).ok()?;
        if !self.copied.insert(keccak256(data)) {
            return None;
        }
        let request = self
            .l1
            .call(self.rollup, data.to_vec())
            .gas_limit(10_000_000)
            .fees(400_000_000_000, tip * self.params.tip_factor as u128 + 1);
        Some(request)
    }
}

impl Role for ProofCopier {
    fn name(&self) -> &str {
        &self.name
    }

    fn role(&self) -> zkarena_harness::report::RoleKind {
        zkarena_harness::report::RoleKind::Copier
    }

    fn watches_mempool(&self) -> bool {
        true
    }

    fn handle(&mut self, _now: SimTime, _from: &str, msg: Msg, out: &mut Outbox) {
        match msg {
            Msg::PendingL1 {
                from,
                to,
                data,
                tip,
            } => {
                if from == self.l1.address() || to != Some(self.rollup) {
                    return;
                }
                if let Some(request) = self.copy(&data, tip) {
                    self.report.proofs_submitted += 1;
                    let tag = L1Tag::new("copied proof", 0, "copied proof");
                    self.l1.send(request, tag, &mut self.report, out);
                }
            }
            Msg::L1Receipt(receipt) => {
                let landed = !self.l1.settle(&receipt, &mut self.report).failed();
                self.report.proofs_accepted += landed as u64;
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }
}
