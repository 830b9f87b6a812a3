//! zkarena-actors: the deterministic actor runtime ([`runtime::Testnet`]) and one actix
//! actor per rollup role: the L1 node, users, sequencers, aggregators, and the referee
//! that checks the invariants, and the attackers ([`attack`]).

#![warn(missing_docs)]

pub mod aggregator;
pub mod attack;
pub mod builder;
pub mod l1node;
pub mod l1sender;
pub mod msg;
pub mod node;
pub mod pool;
pub mod referee;
pub mod runtime;
pub mod sequencer;
pub mod user;

pub use zkarena_harness as harness;
