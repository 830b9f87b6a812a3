//! zkarena: an in-process testnet for attacking decentralized ZK rollups. This crate is
//! the facade: it re-exports the harness and the actors, and holds the `zkarena`
//! command's building blocks.

#![warn(missing_docs)]

pub use zkarena_actors as actors;
pub use zkarena_harness as harness;

mod assemble;
pub mod boot;
pub mod mechanisms;
pub mod metric;
pub mod run;
pub mod scenario;
pub mod scorecard;
pub mod sweep;
pub mod view;

/// The names a test or tool usually needs.
pub mod prelude {
    pub use zkarena_harness::l1::deploy::named_address;
    pub use zkarena_harness::l1::{
        bindings, Artifact, Block, CallError, Chain, ChainConfig, ChainError, DaConfig, Deployment,
        DropReason, ExecStatus, GenesisConfig, L1Precompile, PendingTx, PrecompileAnswer, Receipt,
        RevertReason, SubmitError, TxHash, TxRequest, TxStatus,
    };
}
