//! L1 transactions as actors submit them, their identity (hash), their fate in the
//! mempool, and the receipts that blocks record.

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::revert::RevertReason;

/// Hash identifying an L1 transaction.
pub type TxHash = B256;

/// Usable bytes of one blob (4096 field elements of 31 bytes, as rollups pack EIP-4844 blobs).
pub const BLOB_DATA_BYTES: usize = 4096 * 31;

/// Version byte of a blob's versioned hash (EIP-4844 `VERSIONED_HASH_VERSION_KZG`).
pub const BLOB_HASH_VERSION: u8 = 0x01;

/// The versioned hash by which a contract sees a blob through `blobhash(i)`.
///
/// The harness commits to blob data with keccak256 instead of a KZG commitment: the
/// contracts only compare versioned hashes, so the commitment scheme is not observable
/// on chain, and keccak keeps the harness free of a trusted setup.
pub fn blob_versioned_hash(data: &[u8]) -> B256 {
    let mut hash = keccak256(data);
    hash.0[0] = BLOB_HASH_VERSION;
    hash
}

/// An L1 transaction as an actor submits it.
///
/// L1 transactions are not signed: the harness is the only party that submits them and
/// the sender is taken as given (like an impersonating dev node). Every other rule of
/// EIP-1559 and EIP-4844 transactions applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxRequest {
    /// Sender.
    pub from: Address,
    /// Callee, or `None` to create a contract from `data`.
    pub to: Option<Address>,
    /// Wei sent with the call.
    pub value: U256,
    /// Calldata (or init code for a create).
    pub data: Bytes,
    /// Sender nonce; `None` lets the chain take the sender's next free nonce at submission.
    pub nonce: Option<u64>,
    /// Gas limit.
    pub gas_limit: u64,
    /// EIP-1559 max fee per gas (wei).
    pub max_fee_per_gas: u128,
    /// EIP-1559 max priority fee per gas (wei): the tip to the block's coinbase.
    pub max_priority_fee_per_gas: u128,
    /// Data posted in the blob-like data area (EIP-4844 style), one entry per blob.
    pub blobs: Vec<Bytes>,
    /// Max fee per blob gas (wei); only meaningful with blobs.
    pub max_fee_per_blob_gas: u128,
}

impl TxRequest {
    /// Default gas limit of a request built by [`TxRequest::call`] or [`TxRequest::create`].
    pub const DEFAULT_GAS_LIMIT: u64 = 1_000_000;
    /// Default max fee per gas: 100 gwei.
    pub const DEFAULT_MAX_FEE: u128 = 100_000_000_000;
    /// Default tip: 1 gwei.
    pub const DEFAULT_TIP: u128 = 1_000_000_000;

    /// A call of `to` with `data` from `from`, with default gas and fees.
    pub fn call(from: Address, to: Address, data: impl Into<Bytes>) -> Self {
        Self {
            from,
            to: Some(to),
            value: U256::ZERO,
            data: data.into(),
            nonce: None,
            gas_limit: Self::DEFAULT_GAS_LIMIT,
            max_fee_per_gas: Self::DEFAULT_MAX_FEE,
            max_priority_fee_per_gas: Self::DEFAULT_TIP,
            blobs: Vec::new(),
            max_fee_per_blob_gas: 0,
        }
    }

    /// A contract creation from `init_code` (bytecode followed by ABI-encoded constructor arguments).
    pub fn create(from: Address, init_code: impl Into<Bytes>) -> Self {
        Self {
            to: None,
            gas_limit: 5_000_000,
            ..Self::call(from, Address::ZERO, init_code)
        }
    }

    /// A plain ETH transfer.
    pub fn transfer(from: Address, to: Address, value: U256) -> Self {
        Self {
            value,
            gas_limit: 21_000,
            ..Self::call(from, to, Bytes::new())
        }
    }

    /// Sets the wei sent with the transaction.
    pub fn value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }

    /// Sets the nonce explicitly.
    pub fn nonce(mut self, nonce: u64) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Sets the gas limit.
    pub fn gas_limit(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self
    }

    /// Sets the EIP-1559 max fee and tip per gas.
    pub fn fees(mut self, max_fee_per_gas: u128, max_priority_fee_per_gas: u128) -> Self {
        self.max_fee_per_gas = max_fee_per_gas;
        self.max_priority_fee_per_gas = max_priority_fee_per_gas;
        self
    }

    /// Adds one blob of data to the blob-like data area, with a max fee per blob gas.
    pub fn blob(mut self, data: impl Into<Bytes>, max_fee_per_blob_gas: u128) -> Self {
        self.blobs.push(data.into());
        self.max_fee_per_blob_gas = max_fee_per_blob_gas;
        self
    }

    /// The versioned hashes of this transaction's blobs, in order.
    pub fn blob_hashes(&self) -> Vec<B256> {
        self.blobs.iter().map(|b| blob_versioned_hash(b)).collect()
    }

    /// Hash of the transaction with its resolved nonce, over every field and the chain id:
    /// the hash [`super::Chain::submit`] returns for it. SHA-256 of
    /// `chain_id ‖ from ‖ (1 ‖ to | 0) ‖ value ‖ nonce ‖ gas_limit ‖ max_fee ‖ tip ‖
    /// blob count [‖ max_fee_per_blob_gas ‖ versioned hashes] ‖ data`, where each integer
    /// but the blob count (one byte) is its big-endian bytes without leading zeros, after
    /// a byte that counts them (so the preimage decodes one way only).
    ///
    /// The transactions are unsigned, so this cannot be Ethereum's hash (keccak of the
    /// signed RLP) anyway. SHA-256 is the collision-resistant hash that CPUs run in
    /// hardware (SHA-NI, ARMv8 SHA2), and the compact integers fit a plain transfer in
    /// two 64-byte blocks: hashing is the cheapest part of admitting a transaction
    /// rather than the dearest (keccak of fixed-width fields cost a third of bare
    /// revm's time on a transfer; see `benches/l1.rs`).
    pub fn hash_with(&self, chain_id: u64, nonce: u64) -> TxHash {
        self.hash_with_blob_hashes(chain_id, nonce, &self.blob_hashes())
    }

    /// [`Self::hash_with`] given the blobs' versioned hashes (computed once by whoever
    /// already has them: hashing a proof's blobs is most of a dev run's L1 cost).
    pub fn hash_with_blob_hashes(&self, chain_id: u64, nonce: u64, blob_hashes: &[B256]) -> TxHash {
        let mut head = HashHead::default();
        head.uint(&chain_id.to_be_bytes(), chain_id.leading_zeros());
        head.bytes(self.from.as_slice());
        match self.to {
            Some(to) => {
                head.bytes(&[1]);
                head.bytes(to.as_slice());
            }
            None => head.bytes(&[0]),
        }
        head.uint(
            &self.value.to_be_bytes::<32>(),
            self.value.leading_zeros() as u32,
        );
        head.uint(&nonce.to_be_bytes(), nonce.leading_zeros());
        head.uint(
            &self.gas_limit.to_be_bytes(),
            self.gas_limit.leading_zeros(),
        );
        head.uint(
            &self.max_fee_per_gas.to_be_bytes(),
            self.max_fee_per_gas.leading_zeros(),
        );
        head.uint(
            &self.max_priority_fee_per_gas.to_be_bytes(),
            self.max_priority_fee_per_gas.leading_zeros(),
        );
        // The blob count (at most max_blobs_per_tx, far below 256) separates blob hashes from data.
        head.bytes(&[u8::try_from(self.blobs.len()).unwrap_or(u8::MAX)]);
        let mut h = Sha256::new();
        h.update(head.as_slice());
        if !self.blobs.is_empty() {
            let mut fee = HashHead::default();
            fee.uint(
                &self.max_fee_per_blob_gas.to_be_bytes(),
                self.max_fee_per_blob_gas.leading_zeros(),
            );
            h.update(fee.as_slice());
            for hash in blob_hashes {
                h.update(hash);
            }
        }
        h.update(&self.data);
        B256::from(<[u8; 32]>::from(h.finalize()))
    }
}

/// The head of a transaction's hash preimage (every field before the blobs and the
/// data), built on the stack so that it reaches SHA-256 in one update: ten small updates
/// cost as much as the compression itself.
struct HashHead {
    buf: [u8; Self::MAX],
    len: usize,
}

impl HashHead {
    /// The longest head: chain id, sender, tagged callee, value, nonce, gas limit, two
    /// fees (each integer with its length byte) and the blob count.
    const MAX: usize = 9 + 20 + 21 + 33 + 9 + 9 + 17 + 17 + 1;

    fn bytes(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Big-endian integer `be`, which starts with `zero_bits` zero bits, without its
    /// leading zero bytes, after the count of bytes left.
    fn uint(&mut self, be: &[u8], zero_bits: u32) {
        let digits = &be[zero_bits as usize / 8..];
        self.bytes(&[digits.len() as u8]);
        self.bytes(digits);
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for HashHead {
    fn default() -> Self {
        Self {
            buf: [0; Self::MAX],
            len: 0,
        }
    }
}

/// A transaction accepted into the mempool, as subscribers to pending transactions see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingTx {
    /// Transaction hash.
    pub hash: TxHash,
    /// The request, with its nonce resolved.
    pub request: TxRequest,
    /// Its blobs' versioned hashes, in order.
    pub blob_hashes: Vec<B256>,
    /// The sender nonce the transaction uses.
    pub nonce: u64,
    /// Arrival order in the mempool (ties in priority fee go to the earlier arrival).
    pub arrival: u64,
}

/// Why the block builder dropped a transaction from the mempool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DropReason {
    /// The sender's account nonce has moved past this transaction's nonce.
    #[error("nonce {nonce} is below the account nonce {account_nonce}")]
    StaleNonce {
        /// Nonce of the transaction.
        nonce: u64,
        /// Nonce of the sender's account.
        account_nonce: u64,
    },
    /// The max priority fee exceeds the max fee.
    #[error("priority fee {priority_fee} is above max fee {max_fee}")]
    PriorityFeeAboveMaxFee {
        /// Max priority fee per gas.
        #[serde(with = "wide_wei")]
        priority_fee: u128,
        /// Max fee per gas.
        #[serde(with = "wide_wei")]
        max_fee: u128,
    },
    /// The sender cannot pay gas limit x max fee + value (+ blob fee).
    #[error("insufficient funds: needs {needed} wei, has {balance}")]
    InsufficientFunds {
        /// Wei needed up front.
        needed: U256,
        /// The sender's balance.
        balance: U256,
    },
    /// The gas limit exceeds the block gas limit, so it can never be included.
    #[error("gas limit {gas_limit} is above the block gas limit {block_gas_limit}")]
    GasLimitAboveBlockLimit {
        /// Transaction gas limit.
        gas_limit: u64,
        /// Block gas limit.
        block_gas_limit: u64,
    },
    /// The calldata exceeds a whole block's data budget, so it can never be included.
    #[error("calldata of {bytes} bytes is above the block's budget of {budget}")]
    CalldataAboveBlockBudget {
        /// Calldata size.
        bytes: u64,
        /// Block calldata budget.
        budget: u64,
    },
    /// Any other rule of transaction validity (intrinsic gas, the EIP-7623 floor,
    /// initcode size, chain id, ...), as revm words it. A struct variant: a newtype
    /// variant cannot be serialized under the enum's internal `kind` tag.
    #[error("invalid transaction: {reason}")]
    Invalid {
        /// revm's words.
        reason: String,
    },
}

/// A `u128` of wei in a variant of an internally tagged enum, whose fields serde buffers
/// in a form without 128-bit integers: a JSON number when it fits in 64 bits (every
/// realistic fee), a decimal string beyond. Either reads back.
mod wide_wei {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(wei: &u128, s: S) -> Result<S::Ok, S::Error> {
        match u64::try_from(*wei) {
            Ok(small) => s.serialize_u64(small),
            Err(_) => s.collect_str(wei),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wei {
            Small(u64),
            Decimal(String),
        }
        match Wei::deserialize(d)? {
            Wei::Small(wei) => Ok(wei.into()),
            Wei::Decimal(text) => text.parse().map_err(D::Error::custom),
        }
    }
}

/// Where a submitted transaction is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// In the mempool, waiting for a block.
    Pending,
    /// Included in a block (executed, successfully or not: see its receipt).
    Included {
        /// Block number.
        block: u64,
        /// Index in the block.
        index: u32,
    },
    /// Dropped by the block builder.
    Dropped {
        /// Why.
        reason: DropReason,
    },
    /// Replaced by a transaction with the same sender and nonce and a higher fee.
    Replaced {
        /// The replacement.
        by: TxHash,
    },
}

/// How the execution of an included transaction ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ExecStatus {
    /// Success.
    Success,
    /// Reverted, with the decoded reason.
    Reverted {
        /// Decoded revert data.
        reason: RevertReason,
    },
    /// Halted (out of gas, invalid opcode, ...): all gas is consumed.
    Halted {
        /// revm's halt reason.
        reason: String,
    },
}

impl ExecStatus {
    /// Whether the transaction succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, ExecStatus::Success)
    }
}

/// The record of an included transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Transaction hash.
    pub tx_hash: TxHash,
    /// Block that included it.
    pub block_number: u64,
    /// Index in the block.
    pub index: u32,
    /// Sender.
    pub from: Address,
    /// Callee (`None` for a create).
    pub to: Option<Address>,
    /// Address of the created contract, for a successful create.
    pub contract_address: Option<Address>,
    /// How execution ended.
    pub status: ExecStatus,
    /// Gas used (after refunds, including the EIP-7623 calldata floor).
    pub gas_used: u64,
    /// Price paid per gas: base fee + effective tip.
    pub effective_gas_price: u128,
    /// The part of the gas price that went to the coinbase.
    pub effective_tip: u128,
    /// Blob gas used.
    pub blob_gas_used: u64,
    /// Price paid per blob gas.
    pub blob_gas_price: u128,
    /// Calldata bytes the transaction posted.
    pub calldata_bytes: u64,
    /// Blob data bytes the transaction posted.
    pub blob_data_bytes: u64,
    /// Logs emitted (empty unless it succeeded).
    pub logs: Vec<Log>,
    /// Return data (or revert data).
    pub output: Bytes,
}

impl Receipt {
    /// Wei the sender paid: gas x effective price + blob gas x blob price.
    pub fn fee_paid(&self) -> u128 {
        u128::from(self.gas_used) * self.effective_gas_price
            + u128::from(self.blob_gas_used) * self.blob_gas_price
    }

    /// Wei the coinbase earned from this transaction.
    pub fn tip_paid(&self) -> u128 {
        u128::from(self.gas_used) * self.effective_tip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The preimage as the documentation states it, one field at a time.
    fn reference_hash(r: &TxRequest, chain_id: u64, nonce: u64) -> TxHash {
        // An integer: the count of its big-endian bytes from the first non-zero one, then those.
        fn int(pre: &mut Vec<u8>, value: U256) {
            let n = value.byte_len();
            pre.push(n as u8);
            pre.extend(&value.to_be_bytes::<32>()[32 - n..]);
        }
        let mut pre = Vec::new();
        int(&mut pre, U256::from(chain_id));
        pre.extend(r.from.as_slice());
        match r.to {
            Some(to) => {
                pre.push(1);
                pre.extend(to.as_slice());
            }
            None => pre.push(0),
        }
        int(&mut pre, r.value);
        int(&mut pre, U256::from(nonce));
        int(&mut pre, U256::from(r.gas_limit));
        int(&mut pre, U256::from(r.max_fee_per_gas));
        int(&mut pre, U256::from(r.max_priority_fee_per_gas));
        pre.push(r.blobs.len() as u8);
        if !r.blobs.is_empty() {
            int(&mut pre, U256::from(r.max_fee_per_blob_gas));
            for blob in &r.blobs {
                pre.extend(blob_versioned_hash(blob).as_slice());
            }
        }
        pre.extend(r.data.iter());
        B256::from(<[u8; 32]>::from(Sha256::digest(pre)))
    }

    #[test]
    fn hash_is_sha256_of_the_documented_preimage() {
        let from = Address::repeat_byte(1);
        let to = Address::repeat_byte(2);
        let requests = [
            TxRequest::transfer(from, to, U256::from(7)),
            TxRequest::call(from, to, vec![0xab; 68]).fees(3, 2),
            TxRequest::create(from, vec![0x60; 300]),
            TxRequest::call(from, to, vec![1, 2, 3])
                .blob(vec![9u8; 1000], 5)
                .blob(vec![8u8; 10], 5),
            // The longest head: every integer at its widest.
            TxRequest::transfer(from, to, U256::MAX)
                .gas_limit(u64::MAX)
                .fees(u128::MAX, u128::MAX)
                .blob(vec![1], u128::MAX),
        ];
        for r in &requests {
            for (chain_id, nonce) in [(1, 0), (31_337, 42), (u64::MAX, u64::MAX)] {
                assert_eq!(
                    r.hash_with(chain_id, nonce),
                    reference_hash(r, chain_id, nonce)
                );
            }
        }
    }
}
