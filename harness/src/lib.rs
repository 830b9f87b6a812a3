//! zkarena-harness: the world zkarena's actors live in. It holds the embedded EVM L1
//! ([`l1`]) and the L2 state tree ([`l2`]); the plonky2 circuits and the simulation driver join it
//! as their issues land.

#![warn(missing_docs)]

pub mod l1;
pub mod l2;
pub mod report;
pub mod sim;
pub mod zk;
