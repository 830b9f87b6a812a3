//! The embedded EVM L1 every actor talks to: a revm chain with slots, an EIP-1559 fee
//! market and public mempool, receipts with decoded reverts, data-availability
//! accounting (calldata and blobs), custom precompiles, and the shipped contracts.

pub mod chain;
pub mod contracts;
pub mod deploy;
pub mod fees;
pub mod mempool;
pub mod precompile;
pub mod revert;
pub mod tx;

pub use chain::{Block, CallError, Chain, ChainConfig, ChainError, DaConfig, SPEC};
pub use contracts::{bindings, Artifact};
pub use deploy::{Deployment, GenesisConfig};
pub use mempool::{Mempool, SubmitError};
pub use precompile::{L1Precompile, PrecompileAnswer};
pub use revert::{RevertDecoder, RevertReason};
pub use tx::{DropReason, ExecStatus, PendingTx, Receipt, TxHash, TxRequest, TxStatus};
