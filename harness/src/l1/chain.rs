//! The embedded L1: a revm-backed chain with fixed slots, an EIP-1559 fee market, a
//! public mempool, receipts with decoded reverts, data-availability accounting for
//! calldata and blobs, and custom precompiles.

use std::sync::Arc;

use alloy_primitives::map::B256Map;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use crossbeam::channel::{unbounded, Receiver, Sender};
use revm::context::result::{EVMError, ExecutionResult, InvalidTransaction, Output};
use revm::context::{BlockEnv, CfgEnv, Context, Evm, FrameStack, Journal, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::instructions::EthInstructions;
use revm::handler::EthFrame;
use revm::interpreter::interpreter::EthInterpreter;
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::{AccountInfo, Bytecode};
use revm::{ExecuteCommitEvm, ExecuteEvm};
use serde::{Deserialize, Serialize};

use super::fees;
use super::mempool::{Mempool, SubmitError};
use super::precompile::{ChainPrecompiles, L1Precompile, PrecompileSet};
use super::revert::{RevertDecoder, RevertReason};
use super::tx::{
    DropReason, ExecStatus, PendingTx, Receipt, TxHash, TxRequest, TxStatus, BLOB_DATA_BYTES,
};

/// The hardfork the L1 runs.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// Data-availability limits of each block: a calldata byte budget and an EIP-4844 style
/// blob area with its own fee market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaConfig {
    /// Calldata bytes a block may carry (all transactions together). The default,
    /// 128 KiB, is of the order of the seed's "about 80 KB" of data per Ethereum block.
    pub calldata_bytes_per_block: u64,
    /// Blobs per block the blob fee market aims at (Prague: 6).
    pub target_blobs_per_block: u64,
    /// Blobs a block may carry (Prague: 9).
    pub max_blobs_per_block: u64,
    /// Blobs one transaction may carry.
    pub max_blobs_per_tx: u64,
    /// Denominator of the blob base fee's exponential update (Prague: 5 007 716).
    pub blob_base_fee_update_fraction: u64,
}

impl Default for DaConfig {
    fn default() -> Self {
        Self {
            calldata_bytes_per_block: 128 * 1024,
            target_blobs_per_block: revm::primitives::eip4844::TARGET_BLOB_NUMBER_PER_BLOCK_PRAGUE,
            max_blobs_per_block: revm::primitives::eip4844::MAX_BLOB_NUMBER_PER_BLOCK_PRAGUE,
            max_blobs_per_tx: revm::primitives::eip4844::MAX_BLOB_NUMBER_PER_BLOCK_PRAGUE,
            blob_base_fee_update_fraction:
                revm::primitives::eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE,
        }
    }
}

impl DaConfig {
    /// Blob gas a block aims at.
    pub fn target_blob_gas(&self) -> u64 {
        self.target_blobs_per_block * revm::primitives::eip4844::GAS_PER_BLOB
    }
}

/// Parameters of the L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Seconds per slot; one block per slot.
    pub slot_seconds: u64,
    /// Timestamp of the genesis block.
    pub genesis_timestamp: u64,
    /// Block gas limit; the gas target is half of it (EIP-1559 elasticity 2).
    pub gas_limit: u64,
    /// Base fee of the first block after genesis (wei).
    pub initial_base_fee: u64,
    /// Coinbase of every block (receives the tips).
    pub coinbase: Address,
    /// Seed of the chain's randomness (`prevrandao`).
    pub seed: u64,
    /// Percent by which a replacement must raise both fees (geth: 10).
    pub replacement_bump_percent: u64,
    /// Data-availability limits.
    pub da: DaConfig,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 31_337,
            slot_seconds: 12,
            genesis_timestamp: 1_700_000_000,
            gas_limit: 30_000_000,
            initial_base_fee: 1_000_000_000,
            coinbase: Address::repeat_byte(0xc0),
            seed: 0,
            replacement_bump_percent: 10,
            da: DaConfig::default(),
        }
    }
}

/// A sealed L1 block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    /// Height (genesis is 0).
    pub number: u64,
    /// Timestamp: genesis + number x slot.
    pub timestamp: u64,
    /// Receiver of the tips.
    pub coinbase: Address,
    /// EIP-1559 base fee (wei per gas).
    pub base_fee: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used by all transactions.
    pub gas_used: u64,
    /// Randomness beacon value (`block.prevrandao`), derived from the chain seed.
    pub prevrandao: B256,
    /// EIP-4844 excess blob gas.
    pub excess_blob_gas: u64,
    /// Blob gas used.
    pub blob_gas_used: u64,
    /// Blob base fee (wei per blob gas).
    pub blob_base_fee: u128,
    /// Calldata bytes carried.
    pub calldata_bytes: u64,
    /// Blob data bytes carried.
    pub blob_data_bytes: u64,
    /// Receipts of the included transactions, in order.
    pub receipts: Vec<Receipt>,
}

impl Block {
    /// The EIP-1559 gas target.
    pub fn gas_target(&self) -> u64 {
        self.gas_limit / fees::ELASTICITY_MULTIPLIER
    }

    /// Hashes of the included transactions, in order.
    pub fn tx_hashes(&self) -> impl Iterator<Item = TxHash> + '_ {
        self.receipts.iter().map(|r| r.tx_hash)
    }

    /// Sum of the tips paid to the coinbase.
    pub fn tips(&self) -> u128 {
        self.receipts.iter().map(Receipt::tip_paid).sum()
    }

    /// Wei burnt as base fee.
    pub fn burnt(&self) -> u128 {
        u128::from(self.gas_used) * u128::from(self.base_fee)
    }
}

/// Errors of the chain's own operations.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The mempool refused the transaction.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The transaction was not included in the block sealed for it.
    #[error("transaction {hash} was not included: {status:?}")]
    NotIncluded {
        /// Transaction.
        hash: TxHash,
        /// Where it is instead.
        status: TxStatus,
    },
    /// The transaction was included but did not succeed.
    #[error("transaction {hash} failed: {status:?}")]
    Failed {
        /// Transaction.
        hash: TxHash,
        /// How it ended.
        status: ExecStatus,
    },
    /// A read-only call failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// A precompile address is already in use.
    #[error("precompile address {address} is taken by {by}")]
    PrecompileAddressTaken {
        /// The address.
        address: Address,
        /// What holds it.
        by: String,
    },
}

/// Errors of a read-only call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call reverted.
    #[error("call reverted: {0}")]
    Reverted(RevertReason),
    /// The call halted (out of gas, invalid opcode, ...).
    #[error("call halted: {0}")]
    Halted(String),
    /// The call could not run (revm rejected it).
    #[error("call could not run: {0}")]
    Evm(String),
    /// The return data does not decode as the expected type.
    #[error("cannot decode return data of {function}: {reason}")]
    Decode {
        /// Function called.
        function: &'static str,
        /// Decoder's complaint.
        reason: String,
    },
}

/// The revm context of the chain: mainnet environment over the chain's database.
type ChainContext<'a> = Context<
    BlockEnv,
    TxEnv,
    CfgEnv,
    &'a mut CacheDB<EmptyDB>,
    Journal<&'a mut CacheDB<EmptyDB>>,
    (),
>;

/// The EVM the chain builds for each block: mainnet handler, chain precompiles.
type ChainEvm<'a> = Evm<
    ChainContext<'a>,
    (),
    EthInstructions<EthInterpreter, ChainContext<'a>>,
    ChainPrecompiles,
    EthFrame<EthInterpreter>,
>;

/// The embedded L1 chain.
///
/// Cloning a chain forks it: the clone has the same state, history and mempool, and
/// the same pending-transaction subscribers.
#[derive(Clone, Debug)]
pub struct Chain {
    config: ChainConfig,
    db: CacheDB<EmptyDB>,
    precompiles: PrecompileSet,
    blocks: Vec<Block>,
    pool: Mempool,
    blobs: B256Map<Bytes>,
    sidecars: BlobStore,
    subscribers: Vec<Sender<Arc<PendingTx>>>,
    decoder: RevertDecoder,
}

/// Blob data by versioned hash, shared between the chain (which adds every submitted
/// transaction's blobs) and precompiles that read them.
#[derive(Clone, Debug, Default)]
pub struct BlobStore(Arc<std::sync::RwLock<B256Map<Bytes>>>);

impl BlobStore {
    /// Adds a blob.
    pub fn insert(&self, data: &Bytes) {
        self.insert_hashed(super::tx::blob_versioned_hash(data), data);
    }

    /// Adds a blob whose versioned hash the caller computed.
    fn insert_hashed(&self, versioned_hash: B256, data: &Bytes) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(versioned_hash, data.clone());
    }

    /// The blob with `versioned_hash`.
    pub fn get(&self, versioned_hash: &B256) -> Option<Bytes> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(versioned_hash)
            .cloned()
    }
}

impl Chain {
    /// A chain at its genesis block, with no accounts, the shipped contracts' errors known.
    pub fn new(config: ChainConfig) -> Self {
        let genesis = Block {
            number: 0,
            timestamp: config.genesis_timestamp,
            coinbase: config.coinbase,
            base_fee: config.initial_base_fee,
            gas_limit: config.gas_limit,
            // Genesis carries no transactions, so it reports no gas: its figures are the
            // sum of its (no) receipts like any block's. Block 1 still charges the
            // initial base fee (`next_base_fee` does not apply EIP-1559 to genesis) and a
            // blob base fee of 1 wei (excess blob gas 0).
            gas_used: 0,
            prevrandao: prevrandao(config.seed, 0),
            excess_blob_gas: 0,
            blob_gas_used: 0,
            blob_base_fee: fees::blob_base_fee(0, config.da.blob_base_fee_update_fraction),
            calldata_bytes: 0,
            blob_data_bytes: 0,
            receipts: Vec::new(),
        };
        let mut decoder = RevertDecoder::new();
        for artifact in super::contracts::Artifact::all() {
            decoder.add_abi(&artifact.abi);
        }
        Self {
            pool: Mempool::new(config.replacement_bump_percent),
            config,
            db: CacheDB::new(EmptyDB::default()),
            precompiles: PrecompileSet::default(),
            blocks: vec![genesis],
            blobs: B256Map::default(),
            sidecars: BlobStore::default(),
            subscribers: Vec::new(),
            decoder,
        }
    }

    /// The chain's parameters.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// Sets the calldata bytes a block may carry, from the next block on (a scenario's
    /// budget applies after its genesis, whose contract deployments are larger).
    pub fn set_calldata_budget(&mut self, bytes: u64) {
        self.config.da.calldata_bytes_per_block = bytes;
    }

    /// The latest sealed block.
    pub fn head(&self) -> &Block {
        self.blocks
            .last()
            .expect("the chain always has its genesis block")
    }

    /// Block `number`, if sealed.
    pub fn block(&self, number: u64) -> Option<&Block> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// All sealed blocks, genesis first.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The base fee the next block will charge: the initial base fee after genesis
    /// (which has no parent to update from), then EIP-1559 from the head.
    pub fn next_base_fee(&self) -> u64 {
        let head = self.head();
        if head.number == 0 {
            return self.config.initial_base_fee;
        }
        fees::next_base_fee(head.base_fee, head.gas_used, head.gas_target())
    }

    /// The excess blob gas of the next block.
    pub fn next_excess_blob_gas(&self) -> u64 {
        let head = self.head();
        fees::next_excess_blob_gas(
            head.excess_blob_gas,
            head.blob_gas_used,
            self.config.da.target_blob_gas(),
        )
    }

    /// The blob base fee the next block will charge.
    pub fn next_blob_base_fee(&self) -> u128 {
        fees::blob_base_fee(
            self.next_excess_blob_gas(),
            self.config.da.blob_base_fee_update_fraction,
        )
    }

    /// Sets the ETH balance of `address` (genesis allocation and test set-up).
    pub fn set_balance(&mut self, address: Address, wei: U256) {
        let mut info = self.account(address).cloned().unwrap_or_default();
        info.balance = wei;
        self.db.insert_account_info(address, info);
    }

    /// ETH balance of `address`.
    pub fn balance(&self, address: Address) -> U256 {
        self.account(address).map(|a| a.balance).unwrap_or_default()
    }

    /// Account nonce of `address` (transactions it has had included).
    pub fn nonce(&self, address: Address) -> u64 {
        account_nonce(&self.db, &address)
    }

    /// The nonce the next transaction of `address` should use, counting pending ones.
    pub fn next_nonce(&self, address: Address) -> u64 {
        self.pool.next_nonce(address, self.nonce(address))
    }

    /// Deployed code at `address` (empty for accounts without code).
    pub fn code(&self, address: Address) -> Bytes {
        self.account(address)
            .and_then(|a| a.code.as_ref())
            .map(Bytecode::original_bytes)
            .unwrap_or_default()
    }

    /// The committed account at `address`, without copying it (nonce reads are on the
    /// block builder's hot path).
    fn account(&self, address: Address) -> Option<&AccountInfo> {
        account(&self.db, &address)
    }

    /// Registers a Rust precompile at `address`. The address must hold neither an
    /// Ethereum precompile of the chain's hardfork nor another registered precompile.
    pub fn register_precompile(
        &mut self,
        address: Address,
        precompile: Arc<dyn L1Precompile>,
    ) -> Result<(), ChainError> {
        if let Some(existing) = self.precompiles.get(&address) {
            return Err(ChainError::PrecompileAddressTaken {
                address,
                by: existing.name().to_string(),
            });
        }
        if ChainPrecompiles::new(SPEC, PrecompileSet::default()).is_ethereum_precompile(&address) {
            return Err(ChainError::PrecompileAddressTaken {
                address,
                by: "an Ethereum precompile".into(),
            });
        }
        self.precompiles.insert(address, precompile);
        Ok(())
    }

    /// The Rust precompile registered at `address`.
    pub fn precompile(&self, address: &Address) -> Option<&Arc<dyn L1Precompile>> {
        self.precompiles.get(address)
    }

    /// The revert decoder (knows every shipped contract's errors).
    pub fn decoder(&self) -> &RevertDecoder {
        &self.decoder
    }

    /// Teaches the revert decoder the errors of another ABI.
    pub fn learn_errors(&mut self, abi: &alloy_json_abi::JsonAbi) {
        self.decoder.add_abi(abi);
    }

    /// A receiver that sees every transaction accepted into the mempool, with its
    /// calldata, at submission (before any block includes it).
    pub fn subscribe_pending(&mut self) -> Receiver<Arc<PendingTx>> {
        let (tx, rx) = unbounded();
        self.subscribers.push(tx);
        rx
    }

    /// The mempool.
    pub fn mempool(&self) -> &Mempool {
        &self.pool
    }

    /// Submits a transaction to the mempool. Structural errors (oversized blobs, an
    /// underpriced replacement, a duplicate) are refused here; everything that depends
    /// on state is judged by the block builder, which drops invalid ones with a reason.
    pub fn submit(&mut self, request: TxRequest) -> Result<TxHash, SubmitError> {
        if !request.blobs.is_empty() {
            if request.to.is_none() {
                return Err(SubmitError::BlobCreate);
            }
            let max = usize::try_from(self.config.da.max_blobs_per_tx).unwrap_or(usize::MAX);
            if request.blobs.len() > max {
                return Err(SubmitError::TooManyBlobs {
                    count: request.blobs.len(),
                    max,
                });
            }
            if let Some((index, blob)) = request
                .blobs
                .iter()
                .enumerate()
                .find(|(_, b)| b.len() > BLOB_DATA_BYTES)
            {
                return Err(SubmitError::BlobTooLarge {
                    index,
                    bytes: blob.len(),
                    max: BLOB_DATA_BYTES,
                });
            }
        }
        let from = request.from;
        let db = &self.db;
        let pending = self
            .pool
            .admit(request, self.config.chain_id, || account_nonce(db, &from))?;
        for (hash, blob) in pending.blob_hashes.iter().zip(&pending.request.blobs) {
            self.sidecars.insert_hashed(*hash, blob);
        }
        let hash = pending.hash;
        tracing::debug!(%hash, %from, nonce = pending.nonce, "l1 mempool: accepted");
        self.subscribers.retain(|s| s.send(pending.clone()).is_ok());
        Ok(hash)
    }

    /// Where transaction `hash` is: pending, included, dropped or replaced.
    pub fn status(&self, hash: &TxHash) -> Option<TxStatus> {
        self.pool.status(hash)
    }

    /// The receipt of included transaction `hash`.
    pub fn receipt(&self, hash: &TxHash) -> Option<&Receipt> {
        let (block, index) = self.pool.location(hash)?;
        self.block(block)?.receipts.get(index as usize)
    }

    /// The blob sidecars of every submitted transaction, shared: what a precompile
    /// that reads a transaction's blobs (by the versioned hashes `blobhash` gives a
    /// contract) looks them up in.
    pub fn blob_store(&self) -> BlobStore {
        self.sidecars.clone()
    }

    /// The data of an included blob, by versioned hash.
    pub fn blob(&self, versioned_hash: &B256) -> Option<&Bytes> {
        self.blobs.get(versioned_hash)
    }

    /// Seals the next block: takes executable transactions from the mempool in order of
    /// effective priority fee (ties by arrival), within the block's gas and data budgets,
    /// and executes them. Returns the new head.
    pub fn seal_block(&mut self) -> &Block {
        self.seal(None)
    }

    /// Seals the next block with exactly the pending transactions `order` names, in that
    /// order (the way a test plays a block builder, as in op-e2e's action tests). Hashes
    /// that are not pending are ignored; a transaction that is not executable when its
    /// turn comes (wrong nonce, no funds) is dropped with its reason, and one under the
    /// base fee or the blob base fee waits, as with the normal builder. Everything else
    /// stays in the mempool.
    pub fn seal_block_with(&mut self, order: &[TxHash]) -> &Block {
        let picked = order
            .iter()
            .filter_map(|h| self.pool.get(h).cloned())
            .collect();
        self.seal(Some(picked))
    }

    fn seal(&mut self, exact: Option<std::collections::VecDeque<Arc<PendingTx>>>) -> &Block {
        let number = self.head().number + 1;
        let base_fee = self.next_base_fee();
        let excess_blob_gas = self.next_excess_blob_gas();
        let blob_base_fee = self.next_blob_base_fee();
        let mut block = Block {
            number,
            timestamp: self.config.genesis_timestamp + number * self.config.slot_seconds,
            coinbase: self.config.coinbase,
            base_fee,
            gas_limit: self.config.gas_limit,
            gas_used: 0,
            prevrandao: prevrandao(self.config.seed, number),
            excess_blob_gas,
            blob_gas_used: 0,
            blob_base_fee,
            calldata_bytes: 0,
            blob_data_bytes: 0,
            receipts: Vec::new(),
        };
        let plan = self.plan_candidates(base_fee, blob_base_fee);
        block.receipts.reserve(plan.len());
        let by_tip = exact.is_none();
        let mut exact = exact.unwrap_or_default();
        let mut builder = BlockBuilder::new(if by_tip { plan } else { Vec::new() });
        let mut evm = build_evm(&mut self.db, &self.config, &block, self.precompiles.clone());
        while let Some(tx) = if by_tip {
            builder.next()
        } else {
            exact.pop_front()
        } {
            let req = &tx.request;
            if let Some(reason) = never_fits(req, &block, &self.config.da) {
                self.pool.drop_tx(&tx.hash, reason);
                continue;
            }
            if !by_tip
                && req.max_priority_fee_per_gas <= req.max_fee_per_gas
                && !pays_fees(req, base_fee, blob_base_fee)
            {
                // As in the normal plan: under the base fee or the blob base fee, it waits.
                continue;
            }
            let calldata = req.data.len() as u64;
            let blob_count = req.blobs.len() as u64;
            let fits = req.gas_limit <= block.gas_limit - block.gas_used
                && calldata <= self.config.da.calldata_bytes_per_block - block.calldata_bytes
                && block.blob_gas_used / revm::primitives::eip4844::GAS_PER_BLOB + blob_count
                    <= self.config.da.max_blobs_per_block;
            if !fits {
                // Waits for a later block; its sender's later nonces wait behind it.
                continue;
            }
            match evm.transact_commit(tx_env(req, &tx.blob_hashes, tx.nonce, self.config.chain_id))
            {
                Ok(result) => {
                    let receipt =
                        make_receipt(&tx, &block, result, &self.decoder, base_fee, blob_base_fee);
                    block.gas_used += receipt.gas_used;
                    block.blob_gas_used += receipt.blob_gas_used;
                    block.calldata_bytes += receipt.calldata_bytes;
                    block.blob_data_bytes += receipt.blob_data_bytes;
                    for (hash, blob) in tx.blob_hashes.iter().zip(&req.blobs) {
                        self.blobs.insert(*hash, blob.clone());
                    }
                    let next = self.pool.include(&tx.hash, number, receipt.index);
                    block.receipts.push(receipt);
                    if let Some(next) = next.filter(|_| by_tip) {
                        builder.push(candidate(&mut self.pool, next, base_fee, blob_base_fee));
                    }
                }
                Err(err) => self.pool.drop_tx(&tx.hash, drop_reason(err, req)),
            }
        }
        drop(evm);
        tracing::debug!(
            number,
            txs = block.receipts.len(),
            gas_used = block.gas_used,
            base_fee,
            "l1: sealed block"
        );
        // BLOCKHASH serves the chain's own hashes (derived from the seed), so that
        // contracts drawing randomness from a past block are reproducible.
        self.db
            .cache
            .block_hashes
            .insert(U256::from(number), block_hash(self.config.seed, number));
        self.blocks.push(block);
        self.head()
    }

    /// The hash BLOCKHASH returns for block `number`: keccak256("zkarena/block" ‖ seed ‖
    /// number). Not a header hash; deterministic in the seed.
    pub fn block_hash(&self, number: u64) -> B256 {
        block_hash(self.config.seed, number)
    }

    /// Drops stale transactions and returns each sender's first executable one.
    fn plan_candidates(&mut self, base_fee: u64, blob_base_fee: u128) -> Vec<Candidate> {
        let db = &self.db;
        let heads = self.pool.heads(|sender| account_nonce(db, sender));
        heads
            .into_iter()
            .filter_map(|tx| candidate(&mut self.pool, tx, base_fee, blob_base_fee))
            .collect()
    }

    /// Submits `request`, seals a block and returns the receipt if it succeeded there.
    /// A set-up helper: a transaction that is not included, or fails, is an error.
    pub fn transact(&mut self, request: TxRequest) -> Result<Receipt, ChainError> {
        let hash = self.submit(request)?;
        self.seal_block();
        let Some(receipt) = self.receipt(&hash) else {
            let status = self.status(&hash).unwrap_or(TxStatus::Pending);
            return Err(ChainError::NotIncluded { hash, status });
        };
        if !receipt.status.is_success() {
            return Err(ChainError::Failed {
                hash,
                status: receipt.status.clone(),
            });
        }
        Ok(receipt.clone())
    }

    /// Deploys `init_code` from `from` in a block of its own and returns the contract's address.
    pub fn deploy(
        &mut self,
        from: Address,
        init_code: impl Into<Bytes>,
    ) -> Result<Address, ChainError> {
        let receipt = self.transact(TxRequest::create(from, init_code))?;
        Ok(receipt
            .contract_address
            .expect("a successful create has an address"))
    }

    /// Executes a read-only call against the head state (like `eth_call`): nothing is
    /// committed, no fee is charged.
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        data: impl Into<Bytes>,
    ) -> Result<Bytes, CallError> {
        let head = self.head().clone();
        let mut cfg = cfg_env(&self.config);
        cfg.disable_nonce_check = true;
        // Like eth_call: no base fee, so a zero gas price needs no balance.
        let mut env = block_env(&head);
        env.basefee = 0;
        let ctx = ChainContext::new(&mut self.db, SPEC)
            .with_block(env)
            .with_cfg(cfg);
        let mut evm = Evm {
            ctx,
            inspector: (),
            instruction: EthInstructions::new_mainnet_with_spec(SPEC),
            precompiles: ChainPrecompiles::new(SPEC, self.precompiles.clone()),
            frame_stack: FrameStack::new_prealloc(8),
        };
        let tx = TxEnv {
            tx_type: 2,
            caller: from,
            gas_limit: head.gas_limit,
            gas_price: 0,
            gas_priority_fee: Some(0),
            kind: TxKind::Call(to),
            data: data.into(),
            chain_id: Some(self.config.chain_id),
            ..TxEnv::default()
        };
        // `transact` finalizes the journal without committing it to the database.
        match evm.transact(tx) {
            Ok(out) => match out.result {
                ExecutionResult::Success { output, .. } => Ok(output.into_data()),
                ExecutionResult::Revert { output, .. } => {
                    Err(CallError::Reverted(self.decoder.decode(&output)))
                }
                ExecutionResult::Halt { reason, .. } => {
                    Err(CallError::Halted(format!("{reason:?}")))
                }
            },
            Err(e) => Err(CallError::Evm(e.to_string())),
        }
    }

    /// A typed read-only call through a `sol!` binding.
    pub fn call_sol<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<C::Return, CallError> {
        let out = self.call(from, to, call.abi_encode())?;
        C::abi_decode_returns(&out).map_err(|e| CallError::Decode {
            function: C::SIGNATURE,
            reason: e.to_string(),
        })
    }

    /// A commitment to the whole L1 state: keccak over every account (address, nonce,
    /// balance, code hash) and its storage, in ascending order. Equal states give equal
    /// roots; it is not Ethereum's Merkle-Patricia root.
    pub fn state_root(&self) -> B256 {
        let mut accounts: Vec<_> = self
            .db
            .cache
            .accounts
            .iter()
            .filter(|(_, a)| a.info().is_some())
            .collect();
        accounts.sort_by_key(|(address, _)| **address);
        let mut buf = Vec::new();
        for (address, account) in accounts {
            buf.extend_from_slice(address.as_slice());
            buf.extend_from_slice(&account.info.nonce.to_be_bytes());
            buf.extend_from_slice(&account.info.balance.to_be_bytes::<32>());
            buf.extend_from_slice(account.info.code_hash.as_slice());
            let mut slots: Vec<_> = account
                .storage
                .iter()
                .filter(|(_, v)| !v.is_zero())
                .collect();
            slots.sort_by_key(|(k, _)| **k);
            for (key, value) in slots {
                buf.extend_from_slice(&key.to_be_bytes::<32>());
                buf.extend_from_slice(&value.to_be_bytes::<32>());
            }
        }
        keccak256(buf)
    }
}

/// The committed account at `address` in `db`.
fn account<'a>(db: &'a CacheDB<EmptyDB>, address: &Address) -> Option<&'a AccountInfo> {
    db.cache.accounts.get(address).map(|a| &a.info)
}

/// The committed nonce of `address` in `db` (0 for an unknown account).
fn account_nonce(db: &CacheDB<EmptyDB>, address: &Address) -> u64 {
    account(db, address).map_or(0, |a| a.nonce)
}

/// What BLOCKHASH returns for block `number`: keccak("zkarena/block" ‖ seed ‖ number).
fn block_hash(seed: u64, number: u64) -> B256 {
    let mut buf = [0u8; 29];
    buf[..13].copy_from_slice(b"zkarena/block");
    buf[13..21].copy_from_slice(&seed.to_be_bytes());
    buf[21..].copy_from_slice(&number.to_be_bytes());
    keccak256(buf)
}

/// `prevrandao` of block `number`: keccak(seed ‖ number).
fn prevrandao(seed: u64, number: u64) -> B256 {
    let mut buf = [0u8; 16];
    buf[..8].copy_from_slice(&seed.to_be_bytes());
    buf[8..].copy_from_slice(&number.to_be_bytes());
    keccak256(buf)
}

fn cfg_env(config: &ChainConfig) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = config.chain_id;
    cfg.max_blobs_per_tx = Some(config.da.max_blobs_per_tx);
    cfg.blob_base_fee_update_fraction = Some(config.da.blob_base_fee_update_fraction);
    cfg
}

fn block_env(block: &Block) -> BlockEnv {
    BlockEnv {
        number: U256::from(block.number),
        beneficiary: block.coinbase,
        timestamp: U256::from(block.timestamp),
        gas_limit: block.gas_limit,
        basefee: block.base_fee,
        difficulty: U256::ZERO,
        prevrandao: Some(block.prevrandao),
        blob_excess_gas_and_price: Some(revm::context_interface::block::BlobExcessGasAndPrice {
            excess_blob_gas: block.excess_blob_gas,
            blob_gasprice: block.blob_base_fee,
        }),
        slot_num: block.number,
    }
}

fn build_evm<'a>(
    db: &'a mut CacheDB<EmptyDB>,
    config: &ChainConfig,
    block: &Block,
    precompiles: PrecompileSet,
) -> ChainEvm<'a> {
    let ctx = ChainContext::new(db, SPEC)
        .with_block(block_env(block))
        .with_cfg(cfg_env(config));
    Evm {
        ctx,
        inspector: (),
        instruction: EthInstructions::new_mainnet_with_spec(SPEC),
        precompiles: ChainPrecompiles::new(SPEC, precompiles),
        frame_stack: FrameStack::new_prealloc(8),
    }
}

fn tx_env(req: &TxRequest, blob_hashes: &[B256], nonce: u64, chain_id: u64) -> TxEnv {
    TxEnv {
        tx_type: if req.blobs.is_empty() { 2 } else { 3 },
        caller: req.from,
        gas_limit: req.gas_limit,
        gas_price: req.max_fee_per_gas,
        gas_priority_fee: Some(req.max_priority_fee_per_gas),
        kind: req.to.map_or(TxKind::Create, TxKind::Call),
        value: req.value,
        data: req.data.clone(),
        nonce,
        chain_id: Some(chain_id),
        access_list: Default::default(),
        blob_hashes: blob_hashes.to_vec(),
        max_fee_per_blob_gas: req.max_fee_per_blob_gas,
        authorization_list: Vec::new(),
    }
}

fn make_receipt(
    tx: &PendingTx,
    block: &Block,
    result: ExecutionResult,
    decoder: &RevertDecoder,
    base_fee: u64,
    blob_base_fee: u128,
) -> Receipt {
    let req = &tx.request;
    let tip = fees::effective_tip(req.max_fee_per_gas, req.max_priority_fee_per_gas, base_fee)
        .unwrap_or(0);
    let gas_used = result.tx_gas_used();
    let (status, output, logs, contract_address) = match result {
        ExecutionResult::Success { output, logs, .. } => {
            let created = match &output {
                Output::Create(_, address) => *address,
                Output::Call(_) => None,
            };
            (ExecStatus::Success, output.into_data(), logs, created)
        }
        ExecutionResult::Revert { output, .. } => (
            ExecStatus::Reverted {
                reason: decoder.decode(&output),
            },
            output,
            Vec::new(),
            None,
        ),
        ExecutionResult::Halt { reason, .. } => (
            ExecStatus::Halted {
                reason: format!("{reason:?}"),
            },
            Bytes::new(),
            Vec::new(),
            None,
        ),
    };
    let blob_gas_used = req.blobs.len() as u64 * revm::primitives::eip4844::GAS_PER_BLOB;
    Receipt {
        tx_hash: tx.hash,
        block_number: block.number,
        index: block.receipts.len() as u32,
        from: req.from,
        to: req.to,
        contract_address,
        status,
        gas_used,
        effective_gas_price: u128::from(base_fee) + tip,
        effective_tip: tip,
        blob_gas_used,
        blob_gas_price: if blob_gas_used > 0 { blob_base_fee } else { 0 },
        calldata_bytes: req.data.len() as u64,
        blob_data_bytes: req.blobs.iter().map(|b| b.len() as u64).sum(),
        logs,
        output,
    }
}

/// Why `req` can never be included, whatever block it waits for.
fn never_fits(req: &TxRequest, block: &Block, da: &DaConfig) -> Option<DropReason> {
    let calldata = req.data.len() as u64;
    if req.gas_limit > block.gas_limit {
        Some(DropReason::GasLimitAboveBlockLimit {
            gas_limit: req.gas_limit,
            block_gas_limit: block.gas_limit,
        })
    } else if calldata > da.calldata_bytes_per_block {
        Some(DropReason::CalldataAboveBlockBudget {
            bytes: calldata,
            budget: da.calldata_bytes_per_block,
        })
    } else {
        None
    }
}

fn drop_reason<E: std::fmt::Display>(
    err: EVMError<E, InvalidTransaction>,
    req: &TxRequest,
) -> DropReason {
    match err {
        EVMError::Transaction(InvalidTransaction::LackOfFundForMaxFee { fee, balance }) => {
            DropReason::InsufficientFunds {
                needed: *fee,
                balance: *balance,
            }
        }
        EVMError::Transaction(InvalidTransaction::PriorityFeeGreaterThanMaxFee) => {
            DropReason::PriorityFeeAboveMaxFee {
                priority_fee: req.max_priority_fee_per_gas,
                max_fee: req.max_fee_per_gas,
            }
        }
        other => DropReason::Invalid {
            reason: other.to_string(),
        },
    }
}

/// Whether `req` can pay the block's base fee and, if it carries blobs, its blob base
/// fee. One that cannot waits in the mempool for the fees to fall (or for a
/// replacement), the blob fee cap like the gas fee cap.
fn pays_fees(req: &TxRequest, base_fee: u64, blob_base_fee: u128) -> bool {
    req.max_fee_per_gas >= u128::from(base_fee)
        && (req.blobs.is_empty() || req.max_fee_per_blob_gas >= blob_base_fee)
}

/// A sender's next executable transaction, ranked for inclusion by (tip, arrival);
/// arrivals are unique, so two candidates are equal only if they are the same one.
#[derive(Clone, Debug)]
struct Candidate {
    tip: u128,
    arrival: u64,
    tx: Arc<PendingTx>,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Max-heap: higher tip first, then earlier arrival.
        self.tip
            .cmp(&other.tip)
            .then_with(|| other.arrival.cmp(&self.arrival))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Pending `tx` as a candidate, if it can pay `base_fee` and, with blobs,
/// `blob_base_fee`. A transaction whose tip exceeds its max fee is dropped here.
fn candidate(
    pool: &mut Mempool,
    tx: Arc<PendingTx>,
    base_fee: u64,
    blob_base_fee: u128,
) -> Option<Candidate> {
    let req = &tx.request;
    if req.max_priority_fee_per_gas > req.max_fee_per_gas {
        let reason = DropReason::PriorityFeeAboveMaxFee {
            priority_fee: req.max_priority_fee_per_gas,
            max_fee: req.max_fee_per_gas,
        };
        let hash = tx.hash;
        pool.drop_tx(&hash, reason);
        return None;
    }
    if !pays_fees(req, base_fee, blob_base_fee) {
        return None;
    }
    let tip = fees::effective_tip(req.max_fee_per_gas, req.max_priority_fee_per_gas, base_fee)?;
    Some(Candidate {
        tip,
        arrival: tx.arrival,
        tx,
    })
}

/// Orders the block's transactions by (tip, arrival): the plan's candidates sorted once,
/// merged with a heap of the senders' later transactions, which join as the ones before
/// them are included. Sorting once is cheaper than popping every candidate off a heap.
struct BlockBuilder {
    /// The plan's candidates, best last.
    planned: Vec<Candidate>,
    /// Later transactions of senders whose planned one was included.
    later: std::collections::BinaryHeap<Candidate>,
}

impl BlockBuilder {
    fn new(mut candidates: Vec<Candidate>) -> Self {
        candidates.sort_unstable();
        Self {
            planned: candidates,
            later: Default::default(),
        }
    }

    /// The best remaining candidate. Nothing leaves the mempool while a block is being
    /// built except through the builder, so every candidate is still pending.
    fn next(&mut self) -> Option<Arc<PendingTx>> {
        let later_first = match (self.planned.last(), self.later.peek()) {
            (Some(planned), Some(later)) => later > planned,
            (None, later) => later.is_some(),
            (Some(_), None) => false,
        };
        let best = if later_first {
            self.later.pop()
        } else {
            self.planned.pop()
        };
        best.map(|c| c.tx)
    }

    /// A sender's next transaction, once the one before it is included.
    fn push(&mut self, candidate: Option<Candidate>) {
        self.later.extend(candidate);
    }
}
