//! The L1 nonce of an attacker that sends on what it sees in the mempool: it numbers its
//! transactions optimistically and takes a nonce back when the L1 says a transaction was
//! not included, while counting every receipt in its report.

use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::report::ActorReport;

use crate::l1node::L1;
use crate::msg::{Msg, Outbox};

/// The next L1 nonce of a mempool-driven sender.
#[derive(Clone, Copy, Debug)]
pub struct OptimisticNonce(u64);

impl OptimisticNonce {
    /// Starting at `next`, the account's next nonce on L1.
    pub fn new(next: u64) -> Self {
        Self(next)
    }

    /// The nonce for the next transaction.
    pub fn take(&mut self) -> u64 {
        let n = self.0;
        self.0 += 1;
        n
    }

    /// Sends `request` to the L1 with the next nonce, counted as sent in `report`.
    pub fn submit(
        &mut self,
        request: TxRequest,
        tag: String,
        report: &mut ActorReport,
        out: &mut Outbox,
    ) {
        report.l1_txs_sent += 1;
        let request = request.nonce(self.take());
        out.send(L1, Msg::SubmitL1 { request, tag });
    }

    /// Counts a receipt in `report`; a transaction that was not included did not use
    /// its nonce, which the next one reuses.
    pub fn settle(
        &mut self,
        report: &mut ActorReport,
        included: bool,
        failed: bool,
        gas_used: u64,
        fee_wei: u128,
    ) {
        report.count_l1(included, failed, gas_used, fee_wei);
        if !included {
            self.0 = self.0.saturating_sub(1);
        }
    }
}
