//! zkarena-harness: the world zkarena's actors live in: the embedded EVM L1 ([`l1`]),
//! the rollup's state, transactions and codec ([`l2`]), the plonky2 circuits and the
//! verifier precompiles ([`zk`]), the simulation's deterministic core ([`sim`]), and the
//! report's shared core ([`report`]). It knows no actor's behaviour and no
//! mechanism's rules: it holds the contracts' bindings and the role names reports use.

#![warn(missing_docs)]

pub mod l1;
pub mod l2;
pub mod report;
pub mod sim;
pub mod zk;
