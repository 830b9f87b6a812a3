//! Genesis deployment: funds the deployer and deploys the network token and the bridge
//! from the shipped artifacts. Mechanism contracts are deployed on top of this.

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use serde::{Deserialize, Serialize};

use super::bindings::{Bridge, NetworkToken};
use super::chain::{Chain, ChainError};
use super::contracts::Artifact;
use super::tx::TxRequest;

/// A deterministic L1 address for a named participant: the last 20 bytes of keccak256(name).
pub fn named_address(name: &str) -> Address {
    Address::from_slice(&keccak256(name.as_bytes())[12..])
}

/// What the genesis deployment creates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisConfig {
    /// Name of the deployer account (also the token minter and bridge admin).
    pub deployer: String,
    /// ETH given to the deployer (wei).
    pub deployer_eth: U256,
    /// Network token name.
    pub token_name: String,
    /// Network token symbol.
    pub token_symbol: String,
}

impl Default for GenesisConfig {
    fn default() -> Self {
        Self {
            deployer: "deployer".into(),
            deployer_eth: U256::from(1_000u64) * U256::from(10u64).pow(U256::from(18u64)),
            token_name: "zkarena network token".into(),
            token_symbol: "ZKA".into(),
        }
    }
}

/// Addresses of the genesis contracts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// The deployer: token minter and bridge admin.
    pub deployer: Address,
    /// The network token (ERC-20).
    pub token: Address,
    /// The bridge.
    pub bridge: Address,
}

impl Deployment {
    /// Funds the deployer and deploys the token and the bridge, one block each.
    pub fn deploy(chain: &mut Chain, genesis: &GenesisConfig) -> Result<Self, ChainError> {
        let deployer = named_address(&genesis.deployer);
        chain.set_balance(deployer, genesis.deployer_eth);
        let token_args = NetworkToken::constructorCall {
            name_: genesis.token_name.clone(),
            symbol_: genesis.token_symbol.clone(),
            minter_: deployer,
        };
        let token = chain.deploy(
            deployer,
            artifact("NetworkToken").init_code(&token_args.abi_encode()),
        )?;
        let bridge_args = Bridge::constructorCall {
            token_: token,
            admin_: deployer,
        };
        let bridge = chain.deploy(
            deployer,
            artifact("Bridge").init_code(&bridge_args.abi_encode()),
        )?;
        tracing::info!(%token, %bridge, "l1: genesis contracts deployed");
        Ok(Self {
            deployer,
            token,
            bridge,
        })
    }

    /// Mints `amount` network tokens (wei) to `to`, in a block of its own.
    pub fn mint(&self, chain: &mut Chain, to: Address, amount: U256) -> Result<(), ChainError> {
        let call = NetworkToken::mintCall { to, amount };
        chain.transact(TxRequest::call(
            self.deployer,
            self.token,
            call.abi_encode(),
        ))?;
        Ok(())
    }

    /// Lets the bridge take any amount of `owner`'s network tokens (for token deposits),
    /// in a block of its own.
    pub fn approve_bridge(&self, chain: &mut Chain, owner: Address) -> Result<(), ChainError> {
        let call = NetworkToken::approveCall {
            spender: self.bridge,
            amount: U256::MAX,
        };
        chain.transact(TxRequest::call(owner, self.token, call.abi_encode()))?;
        Ok(())
    }
}

fn artifact(name: &str) -> &'static Artifact {
    Artifact::get(name).unwrap_or_else(|| panic!("artifact {name} is shipped with zkarena"))
}
