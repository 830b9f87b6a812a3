//! The simulation's deterministic core: logical time, the event queue that every
//! message goes through, and seeded randomness streams. The driver, faults, invariants
//! and trace join it with the runtime issue.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::{EventId, EventQueue, QueueError};
pub use rng::SimRng;
pub use time::SimTime;
