//! `zkarena boot`: boots the L1 alone, deploys the genesis contracts, runs a token and
//! an ETH deposit through the bridge and summarizes what the chain recorded: a smoke
//! test of the embedded L1 without any rollup actor.

use alloy_primitives::U256;
use alloy_sol_types::SolCall;
use serde::Serialize;
use zkarena_harness::l1::bindings::Bridge;
use zkarena_harness::l1::deploy::named_address;
use zkarena_harness::l1::{
    Block, Chain, ChainConfig, ChainError, Deployment, GenesisConfig, TxRequest,
};
use zkarena_harness::l2::tx::key_to_u128;
use zkarena_harness::l2::wots::Seed;

/// What `zkarena boot` prints.
#[derive(Debug, Serialize)]
pub struct BootSummary {
    /// Chain id.
    pub chain_id: u64,
    /// The genesis contracts.
    pub deployment: Deployment,
    /// The depositor account.
    pub depositor: alloy_primitives::Address,
    /// Deposits queued in the bridge.
    pub deposit_count: u64,
    /// The bridge's running deposit hash.
    pub deposit_hash: alloy_primitives::B256,
    /// The block that carried the deposits.
    pub block: BlockSummary,
    /// Commitment to the L1 state after the run.
    pub state_root: alloy_primitives::B256,
}

/// A block as `zkarena boot` prints it.
#[derive(Debug, Serialize)]
pub struct BlockSummary {
    /// Number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Base fee (wei).
    pub base_fee: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Transactions, in block order.
    pub transactions: Vec<TxSummary>,
}

/// A transaction of the block: numbers as numbers (`--json`), one line as text.
#[derive(Debug, Serialize)]
pub struct TxSummary {
    /// Hash.
    pub hash: alloy_primitives::B256,
    /// Gas used.
    pub gas_used: u64,
    /// Outcome (`Success`, or the revert with its reason).
    pub status: String,
}

impl std::fmt::Display for TxSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} gas={} {}", self.hash, self.gas_used, self.status)
    }
}

impl From<&Block> for BlockSummary {
    fn from(b: &Block) -> Self {
        Self {
            number: b.number,
            timestamp: b.timestamp,
            base_fee: b.base_fee,
            gas_used: b.gas_used,
            transactions: b
                .receipts
                .iter()
                .map(|r| TxSummary {
                    hash: r.tx_hash,
                    gas_used: r.gas_used,
                    status: format!("{:?}", r.status),
                })
                .collect(),
        }
    }
}

/// Boots a chain with `seed`, deploys the genesis contracts and makes two deposits.
pub fn boot(seed: u64) -> Result<BootSummary, ChainError> {
    let mut chain = Chain::new(ChainConfig {
        seed,
        ..ChainConfig::default()
    });
    let deployment = Deployment::deploy(&mut chain, &GenesisConfig::default())?;
    let depositor = named_address("alice");
    let eth = U256::from(10u64).pow(U256::from(18u64));
    chain.set_balance(depositor, eth * U256::from(10u64));
    deployment.mint(&mut chain, depositor, eth * U256::from(100u64))?;
    deployment.approve_bridge(&mut chain, depositor)?;
    // alice's deposits open L2 account 1 with her key of nonce 0.
    let l2_key = key_to_u128(Seed::derive(b"alice").key_digest(1, 0));
    let token_deposit = Bridge::depositTokenCall {
        l2Recipient: depositor,
        l2Account: 1,
        l2Key: l2_key,
        amount: eth * U256::from(5u64),
    };
    chain.submit(TxRequest::call(
        depositor,
        deployment.bridge,
        token_deposit.abi_encode(),
    ))?;
    let eth_deposit = Bridge::depositEthCall {
        l2Account: 1,
        l2Recipient: depositor,
        l2Key: l2_key,
    };
    chain.submit(
        TxRequest::call(depositor, deployment.bridge, eth_deposit.abi_encode()).value(eth),
    )?;
    let block = BlockSummary::from(chain.seal_block());
    let deposit_count: U256 =
        chain.call_sol(depositor, deployment.bridge, &Bridge::depositCountCall {})?;
    let deposit_hash = chain.call_sol(depositor, deployment.bridge, &Bridge::depositHashCall {})?;
    Ok(BootSummary {
        chain_id: chain.config().chain_id,
        deployment,
        depositor,
        // The bridge counts in uint256; two deposits fit a u64.
        deposit_count: deposit_count.saturating_to(),
        deposit_hash,
        block,
        state_root: chain.state_root(),
    })
}
