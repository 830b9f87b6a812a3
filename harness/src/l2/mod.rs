//! The L2 rollup: accounts in a Poseidon sparse Merkle tree ([`smt`]), transactions
//! ([`tx`]), the batch codec ([`codec`]) and the native executor ([`state`]) whose
//! trace the batch circuit proves.

pub mod codec;
pub mod smt;
pub mod state;
pub mod tx;
pub mod wots;

pub use codec::{Batch, CodecError, CodecErrorKind, Format};
pub use smt::{Digest, MerkleProof, SmtError, SparseMerkleTree, F};
pub use state::{
    Account, BatchOutcome, BatchTrace, ExecError, L2State, SkipReason, TxOutcome, TxReceipt,
    Withdrawal,
};
pub use tx::{Action, Asset, Deposit, Fee, L2Tx, UserTx};
