//! The actix side of an actor: every role implements [`Role`], and one actix actor type
//! ([`Node`]) hosts any role. The driver delivers one [`Deliver`] at a time and awaits
//! the handler, which answers with the messages the actor sends (its [`Outbox`]): actors
//! never hold each other's address, so everything they say goes through the queue.

use std::any::Any;

use actix::{Actor, Context, Handler, Message, MessageResult};
use alloy_primitives::B256;
use zkarena_harness::report::ActorReport;
use zkarena_harness::sim::SimTime;

use crate::msg::{Msg, Outbox};

/// Downcasting support every role gets for free.
pub trait AsAny: Any {
    /// For downcasting in inspections.
    fn as_any(&self) -> &dyn Any;
    /// For downcasting in inspections.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// What changed in a pool since a cursor ([`Role::pool_changes`]).
#[derive(Clone, Debug, Default)]
pub struct PoolChanges {
    /// Every transaction pending now.
    pub pending: Vec<B256>,
    /// Transactions admitted since the cursor.
    pub arrived: Vec<B256>,
    /// Transactions admitted in all (the next cursor).
    pub cursor: usize,
}

/// A rollup role.
pub trait Role: AsAny {
    /// The actor's name.
    fn name(&self) -> &str;
    /// Its role, as reports name it.
    fn role(&self) -> zkarena_harness::report::RoleKind;
    /// Whether it receives [`Msg::Tick`] every slot.
    fn ticks(&self) -> bool {
        false
    }
    /// Whether it receives [`Msg::NewBlock`].
    fn subscribes(&self) -> bool {
        false
    }
    /// Whether it receives [`Msg::PendingL1`] for every transaction entering the L1
    /// mempool.
    fn watches_mempool(&self) -> bool {
        false
    }
    /// Handles one message.
    fn handle(&mut self, now: SimTime, from: &str, msg: Msg, out: &mut Outbox);
    /// Its accounting for the report.
    fn report(&self) -> ActorReport;
    /// What changed in its transaction pool since it had admitted `since`
    /// transactions: every transaction pending now, those admitted since, and how many
    /// it has admitted in all (the next cursor; from 0, everything it ever admitted).
    /// `None` without a pool.
    fn pool_changes(&self, _since: usize) -> Option<PoolChanges> {
        None
    }
    /// L2 transactions it sent, in order.
    fn sent_txs(&self) -> Vec<crate::msg::SentTx> {
        Vec::new()
    }
}

/// The actix actor hosting a role.
pub struct Node(pub Box<dyn Role>);

impl Actor for Node {
    type Context = Context<Self>;
}

/// Delivery of one message.
#[derive(Message)]
#[rtype(result = "Outbox")]
pub struct Deliver {
    /// Simulated time.
    pub now: SimTime,
    /// Sender's name.
    pub from: String,
    /// The message.
    pub msg: Msg,
}

impl Handler<Deliver> for Node {
    type Result = MessageResult<Deliver>;

    fn handle(&mut self, d: Deliver, _: &mut Context<Self>) -> Self::Result {
        let mut out = Outbox::default();
        self.0.handle(d.now, &d.from, d.msg, &mut out);
        MessageResult(out)
    }
}

/// Runs a closure against the role (tests and reports look at actors this way, through
/// the actor's mailbox, between events).
pub struct Inspect<R: Send + 'static>(pub InspectFn<R>);

/// What [`Inspect`] runs.
pub type InspectFn<R> = Box<dyn FnOnce(&mut dyn Role) -> R + Send>;

impl<R: Send + 'static> Message for Inspect<R> {
    type Result = R;
}

impl<R: Send + 'static> Handler<Inspect<R>> for Node {
    type Result = MessageResult<Inspect<R>>;

    fn handle(&mut self, m: Inspect<R>, _: &mut Context<Self>) -> Self::Result {
        MessageResult((m.0)(self.0.as_mut()))
    }
}
