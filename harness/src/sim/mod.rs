//! The simulation's deterministic core: logical time, the event queue that every
//! message goes through, seeded randomness streams, fault injection and the trace. The
//! driver that delivers events to actix actors lives in `zkarena-actors`.

pub mod fault;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;

pub use fault::{Fault, FaultPlan, Link};
pub use queue::{EventId, EventQueue, QueueError};
pub use rng::SimRng;
pub use time::SimTime;
pub use trace::TraceEntry;
