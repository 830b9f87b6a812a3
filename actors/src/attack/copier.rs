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

use crate::msg::{Msg, Outbox};
use crate::node::Role;

use super::nonce::OptimisticNonce;

/// How a copier behaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    address: Address,
    rollup: Address,
    params: CopierParams,
    l1_nonce: OptimisticNonce,
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
            address,
            rollup,
            params,
            l1_nonce: OptimisticNonce::new(l1_nonce),
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
        let request = TxRequest::call(self.address, self.rollup, data.to_vec())
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
                if from == self.address || to != Some(self.rollup) {
                    return;
                }
                if let Some(request) = self.copy(&data, tip) {
                    self.report.proofs_submitted += 1;
                    let tag = "copied proof".into();
                    self.l1_nonce.submit(request, tag, &mut self.report, out);
                }
            }
            Msg::L1Receipt {
                included,
                error,
                gas_used,
                fee_wei,
                ..
            } => {
                self.l1_nonce.settle(
                    &mut self.report,
                    included,
                    error.is_some(),
                    gas_used,
                    fee_wei,
                );
                if included && error.is_none() {
                    self.report.proofs_accepted += 1;
                }
            }
            _ => {}
        }
    }

    fn report(&self) -> ActorReport {
        self.report.clone()
    }
}
