//! One L1 sender: what every actor that sends L1 transactions shares: its address,
//! how it numbers its transactions, and the bookkeeping of what it sent and what came
//! back (counted in its report; each receipt answered with a typed [`L1Fate`]).

use alloy_primitives::{Address, Bytes};
use zkarena_harness::l1::tx::TxRequest;
use zkarena_harness::report::ActorReport;

use crate::msg::{L1Fate, L1Receipt, L1Tag, Msg, Outbox, L1};

/// How a sender numbers its transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nonces {
    /// The L1 mempool gives each the sender's next nonce.
    Pool,
    /// Its own count, taken back when a transaction is not included: a sender that
    /// reacts to what it sees in the mempool and may have several in flight.
    Optimistic(u64),
    /// Its own count, advanced only when the sender says a transaction used it
    /// ([`L1Sender::nonce_used`]): one transaction in flight, resent with the same nonce
    /// (and a higher tip) to replace it.
    Replacing(u64),
}

/// An actor's L1 account as a sender.
#[derive(Clone, Debug)]
pub struct L1Sender {
    address: Address,
    nonces: Nonces,
}

impl L1Sender {
    /// A sender whose nonces the mempool assigns.
    pub fn pooled(address: Address) -> Self {
        Self {
            address,
            nonces: Nonces::Pool,
        }
    }

    /// A sender numbering its transactions from `next`, taking a nonce back when a
    /// transaction is not included.
    pub fn optimistic(address: Address, next: u64) -> Self {
        Self {
            address,
            nonces: Nonces::Optimistic(next),
        }
    }

    /// A sender with one transaction in flight at nonce `next`, which resends replace.
    pub fn replacing(address: Address, next: u64) -> Self {
        Self {
            address,
            nonces: Nonces::Replacing(next),
        }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// A call from it to `to` (gas and fees left to the caller).
    pub fn call(&self, to: Address, data: impl Into<Bytes>) -> TxRequest {
        TxRequest::call(self.address, to, data)
    }

    /// Sends `request` to the L1, numbered by its scheme, counted as sent in `report`.
    /// A resend of a replacing sender carries the same nonce: it replaces the first.
    pub fn send(
        &mut self,
        request: TxRequest,
        tag: L1Tag,
        report: &mut ActorReport,
        out: &mut Outbox,
    ) {
        let request = match &mut self.nonces {
            Nonces::Pool => request,
            Nonces::Optimistic(next) => {
                *next += 1;
                request.nonce(*next - 1)
            }
            Nonces::Replacing(next) => request.nonce(*next),
        };
        report.l1_txs_sent += 1;
        out.send(L1, Msg::SubmitL1 { request, tag });
    }

    /// A replacing sender's transaction used its nonce (it landed, or reverted).
    pub fn nonce_used(&mut self) {
        if let Nonces::Replacing(next) = &mut self.nonces {
            *next += 1;
        }
    }

    /// Counts `receipt` in `report` (a transaction replaced by the sender's own resend
    /// is neither a failure nor a cost) and settles the nonce: an optimistic sender
    /// takes back the nonce of a transaction no block included, a replacing one
    /// advances past a reverted one. Returns the fate.
    pub fn settle<'r>(&mut self, receipt: &'r L1Receipt, report: &mut ActorReport) -> &'r L1Fate {
        let fate = &receipt.fate;
        let own_replacement = fate.replaced() && matches!(self.nonces, Nonces::Replacing(_));
        if !own_replacement {
            report.count_l1(
                fate.included(),
                fate.failed(),
                receipt.gas_used,
                receipt.fee_wei,
            );
        }
        match &mut self.nonces {
            Nonces::Optimistic(next) if !fate.included() => *next = next.saturating_sub(1),
            Nonces::Replacing(next) if fate.included() && fate.failed() => *next += 1,
            _ => {}
        }
        fate
    }
}
