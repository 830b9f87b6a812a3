//! zkarena-actors: one actix actor per rollup role (users, sequencers, aggregators,
//! rollers, block producers) and the attackers. The actors arrive with the simulation
//! runtime; this crate holds the place in the dependency chain
//! `zkarena` -> `zkarena-actors` -> `zkarena-harness`.

#![warn(missing_docs)]

pub use zkarena_harness as harness;
