//! The deterministic driver. One event queue ordered by (time, sequence number) carries
//! every message; the driver pops one event, applies the fault plan's verdict on where
//! it goes, delivers it to its actix actor on a single-threaded `System`, awaits the
//! handler, and schedules what the handler sent. Time moves only when no event is left
//! at the current time. L1 slots are ticks the driver schedules. Tests drive it step
//! by step (one event, one slot, or until a condition holds) and inspect any actor
//! between steps.

use std::collections::BTreeMap;

use actix::{Addr, System, SystemRunner};
use zkarena_harness::sim::{EventQueue, FaultPlan, SimTime, TraceEntry};
use zkarena_harness::zk::ProofMode;

use crate::msg::{Dest, Msg, Out};
use crate::node::{Deliver, Inspect, Node, Role};
use crate::pool::ProverPool;

/// Name of the driver as a sender (ticks, restarts).
pub const DRIVER: &str = "driver";
/// Name of the prover pool as a sender.
pub const POOL: &str = "prover-pool";

struct Event {
    from: String,
    to: usize,
    msg: Msg,
    /// A proof job whose result this event carries, filled in on delivery.
    job: Option<u64>,
}

/// An invariant violation, with the trace that led to it.
#[derive(Clone, Debug, thiserror::Error)]
#[error("invariant {invariant} broken at {at}: {detail}")]
pub struct Violation {
    /// Invariant.
    pub invariant: String,
    /// What broke.
    pub detail: String,
    /// When.
    pub at: SimTime,
    /// Every event delivered up to it.
    pub trace: Vec<TraceEntry>,
}

/// How a testnet runs.
#[derive(Clone, Debug)]
pub struct TestnetConfig {
    /// L1 slot length (ms).
    pub slot_ms: u64,
    /// Prover worker threads.
    pub threads: usize,
    /// Real or dev proofs.
    pub mode: ProofMode,
    /// Random wall-clock delays in the prover pool (tests of finishing order).
    pub jitter_seed: Option<u64>,
}

/// The testnet: actors, the queue, the fault plan, the prover pool.
pub struct Testnet {
    system: SystemRunner,
    names: Vec<String>,
    by_name: BTreeMap<String, usize>,
    addrs: Vec<Addr<Node>>,
    tickers: Vec<usize>,
    subscribers: Vec<usize>,
    watchers: Vec<usize>,
    queue: EventQueue<Event>,
    faults: FaultPlan,
    trace: Vec<TraceEntry>,
    pool: ProverPool,
    slot_ms: u64,
    next_slot: u64,
    violation: Option<Violation>,
    delivered: u64,
    queue_depths: Vec<(u64, u64)>,
}

impl Testnet {
    /// A testnet of `roles` (the L1 node first: it takes each slot's tick before the
    /// others) with `faults`.
    pub fn new(roles: Vec<Box<dyn Role>>, faults: FaultPlan, config: &TestnetConfig) -> Self {
        let slot_ms = config.slot_ms;
        let system = System::new();
        let mut names = Vec::new();
        let mut by_name = BTreeMap::new();
        let mut tickers = Vec::new();
        let mut subscribers = Vec::new();
        let mut watchers = Vec::new();
        let mut addrs = Vec::new();
        for (i, role) in roles.into_iter().enumerate() {
            let name = role.name().to_string();
            by_name.insert(name.clone(), i);
            names.push(name);
            if role.ticks() {
                tickers.push(i);
            }
            if role.subscribes() {
                subscribers.push(i);
            }
            if role.watches_mempool() {
                watchers.push(i);
            }
            addrs.push(system.block_on(async move { actix::Actor::start(Node(role)) }));
        }
        let mut queue = EventQueue::new();
        for (actor, at) in faults.restarts() {
            if let Some(&to) = by_name.get(&actor) {
                queue
                    .schedule(
                        at,
                        Event {
                            from: DRIVER.into(),
                            to,
                            msg: Msg::Restarted,
                            job: None,
                        },
                    )
                    .expect("restart times are not in the past at start");
            }
        }
        Self {
            system,
            names,
            by_name,
            addrs,
            tickers,
            subscribers,
            watchers,
            queue,
            faults,
            trace: Vec::new(),
            pool: ProverPool::new(config.threads, config.mode, config.jitter_seed),
            slot_ms,
            next_slot: 1,
            violation: None,
            delivered: 0,
            queue_depths: Vec::new(),
        }
    }

    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// L1 slots begun so far.
    pub fn slots(&self) -> u64 {
        self.next_slot - 1
    }

    /// Events delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The trace so far.
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }

    /// The trace so far, taken out of the testnet (a finished run's: copying it would
    /// double its memory, a gigabyte with 10,000 users).
    pub fn take_trace(&mut self) -> Vec<TraceEntry> {
        std::mem::take(&mut self.trace)
    }

    /// The fault plan (with hit counts).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// Actor names, in cast order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The violation that stopped the run, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// Wall-clock proving times so far (never part of a report).
    pub fn proving_wall_times(&self) -> &[std::time::Duration] {
        &self.pool.wall
    }

    fn slot_time(&self, slot: u64) -> SimTime {
        SimTime::from_millis(slot * self.slot_ms)
    }

    /// Events waiting in the queue as each slot's first tick is delivered, as
    /// (simulated ms, events): messages in flight, timers and proofs being made.
    pub fn queue_depths(&self) -> &[(u64, u64)] {
        &self.queue_depths
    }

    /// Schedules the next slot's ticks if nothing is due before it.
    fn schedule_ticks_if_due(&mut self) {
        let at = self.slot_time(self.next_slot);
        if self.queue.peek_time().is_some_and(|t| t < at) {
            return;
        }
        for &to in &self.tickers {
            self.queue
                .schedule(
                    at,
                    Event {
                        from: DRIVER.into(),
                        to,
                        msg: Msg::Tick {
                            slot: self.next_slot,
                        },
                        job: None,
                    },
                )
                .expect("slot times only grow");
        }
        self.next_slot += 1;
    }

    /// Delivers one event. Returns false once a violation stopped the run.
    pub fn step(&mut self) -> bool {
        if self.violation.is_some() {
            return false;
        }
        self.schedule_ticks_if_due();
        let Some((now, _, event)) = self.queue.pop() else {
            return false;
        };
        let to_name = self.names[event.to].clone();
        let mut msg = event.msg;
        if let Some(job) = event.job {
            let result = self.pool.wait(job);
            // A prover that broke, or a pool that stopped, is a defect of the run, not
            // a proof that failed: stop here (the caller reports it with the trace).
            if let Err(
                e @ (crate::msg::ProofFailure::ProverBroke(_)
                | crate::msg::ProofFailure::PoolStopped),
            ) = &result
            {
                panic!("{e}");
            }
            if let Msg::ProofReady { result: r, .. } = &mut msg {
                *r = result;
            }
        }
        if self.faults.is_down(&to_name, now) {
            self.trace.push(TraceEntry::message(
                now.as_millis(),
                event.from,
                to_name,
                msg.kind(),
                format!("lost: receiver down ({})", msg.summary()),
            ));
            return true;
        }
        self.trace.push(TraceEntry::message(
            now.as_millis(),
            event.from.clone(),
            to_name.clone(),
            msg.kind(),
            msg.summary(),
        ));
        self.delivered += 1;
        if matches!(msg, Msg::Tick { .. }) && self.tickers.first() == Some(&event.to) {
            self.queue_depths
                .push((now.as_millis(), self.queue.len() as u64));
        }
        let addr = self.addrs[event.to].clone();
        let kind = msg.kind();
        let outbox = self
            .system
            .block_on(addr.send(Deliver {
                now,
                from: event.from,
                msg,
            }))
            .unwrap_or_else(|e| {
                // Its handler panicked (its own message is printed above) and the actor
                // is gone: the run cannot go on.
                panic!("actor `{to_name}` broke handling a `{kind}` message ({e})")
            });
        for out in outbox.out {
            self.dispatch(now, &to_name, out);
        }
        true
    }

    fn dispatch(&mut self, now: SimTime, from: &str, out: Out) {
        match out {
            Out::Send { to, msg, delay_ms } => {
                let targets: Vec<usize> = match to {
                    Dest::Actor(name) => match self.by_name.get(&name) {
                        Some(&i) => vec![i],
                        None => {
                            self.stop(
                                now,
                                "addressing",
                                format!("{from} sent {} to unknown actor {name}", msg.kind()),
                            );
                            return;
                        }
                    },
                    Dest::Subscribers => self.subscribers.clone(),
                    Dest::Watchers => self.watchers.clone(),
                };
                for to in targets {
                    let due = now.plus_millis(delay_ms);
                    let times = if to == self.by_name[from] && matches!(*msg, Msg::Wake { .. }) {
                        vec![due] // a timer is not a message on a link
                    } else {
                        self.faults
                            .route(now, from, &self.names[to], msg.kind(), due)
                    };
                    for at in times {
                        self.queue
                            .schedule(
                                at,
                                Event {
                                    from: from.to_string(),
                                    to,
                                    msg: (*msg).clone(),
                                    job: None,
                                },
                            )
                            .expect("delays are never negative");
                    }
                }
            }
            Out::Prove(job) => {
                let label = job.label;
                let due = now.plus_millis(job.sim_ms);
                self.trace.push(TraceEntry {
                    dur_ms: Some(job.sim_ms),
                    ..TraceEntry::message(
                        now.as_millis(),
                        from.to_string(),
                        POOL.into(),
                        "prove",
                        format!("prove {label} ({} ms)", job.sim_ms),
                    )
                });
                let id = self.pool.submit(*job);
                let to = self.by_name[from];
                // The result leaves the pool for the requester: a link faults can touch.
                let times = self.faults.route(now, POOL, from, "proof_ready", due);
                if times.is_empty() {
                    // Lost: still collect the proof so the worker's result is not
                    // left behind.
                    let _ = self.pool.wait(id);
                }
                // A duplicated proof result would wait twice for one job: the first
                // delivery time counts.
                if let Some(&at) = times.first() {
                    self.queue
                        .schedule(
                            at,
                            Event {
                                from: POOL.into(),
                                to,
                                msg: Msg::ProofReady {
                                    label,
                                    result: Err(crate::msg::ProofFailure::Pending),
                                },
                                job: Some(id),
                            },
                        )
                        .expect("delays are never negative");
                }
            }
            Out::Violation { invariant, detail } => self.stop(now, &invariant, detail),
        }
    }

    fn stop(&mut self, at: SimTime, invariant: &str, detail: String) {
        if self.violation.is_none() {
            tracing::warn!(%at, invariant, %detail, "invariant broken");
            self.violation = Some(Violation {
                invariant: invariant.into(),
                detail,
                at,
                trace: self.trace.clone(),
            });
        }
    }

    /// Runs until simulated time `t` (events at `t` included) or a violation.
    pub fn run_until(&mut self, t: SimTime) -> Result<(), Violation> {
        loop {
            self.schedule_ticks_if_due();
            match self.queue.peek_time() {
                Some(next) if next <= t => {
                    if !self.step() {
                        break;
                    }
                }
                _ => break,
            }
        }
        match &self.violation {
            Some(v) => Err(v.clone()),
            None => Ok(()),
        }
    }

    /// Runs `n` more L1 slots (through the last slot's tick and everything at that time).
    pub fn run_slots(&mut self, n: u64) -> Result<(), Violation> {
        // From the slot the clock is in: the next slot's ticks may already be
        // scheduled (they are as soon as nothing else is due before them).
        let done = self.now().as_millis() / self.slot_ms;
        let target = self.slot_time(done + n);
        self.run_until(target)
    }

    /// Steps until `cond` holds (checked between events) or `max_events` were delivered.
    pub fn run_until_cond(
        &mut self,
        max_events: u64,
        mut cond: impl FnMut(&mut Testnet) -> bool,
    ) -> Result<bool, Violation> {
        for _ in 0..max_events {
            if cond(self) {
                return Ok(true);
            }
            if !self.step() {
                break;
            }
        }
        match &self.violation {
            Some(v) => Err(v.clone()),
            None => Ok(cond(self)),
        }
    }

    /// Runs `f` against the actor `name` (between events).
    pub fn inspect<R: Send + 'static>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut dyn Role) -> R + Send + 'static,
    ) -> Option<R> {
        let addr = self.addrs.get(*self.by_name.get(name)?)?.clone();
        self.system.block_on(addr.send(Inspect(Box::new(f)))).ok()
    }

    /// Runs `f` against the actor `name` as its concrete role type.
    pub fn with<T: Role, R: Send + 'static>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut T) -> R + Send + 'static,
    ) -> Option<R> {
        self.inspect(name, move |r| r.as_any_mut().downcast_mut::<T>().map(f))
            .flatten()
    }
}
