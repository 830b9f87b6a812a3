//! Custom precompiles: Rust code registered at a fixed L1 address that contracts reach
//! with `staticcall`, the way the rollup contracts reach the plonky2 proof verifier.
//! [`ChainPrecompiles`] is the revm precompile provider that serves them next to the
//! Ethereum precompiles of the chain's hardfork.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes};
use revm::context::Cfg;
use revm::context_interface::ContextTr;
use revm::handler::{EthPrecompiles, PrecompileProvider};
use revm::interpreter::{CallInputs, InterpreterResult};
use revm::precompile::{PrecompileHalt, PrecompileOutput};
use revm::primitives::{hardfork::SpecId, AddressSet};

/// What a custom precompile answers for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrecompileAnswer {
    /// Success with output bytes.
    Return(Bytes),
    /// Failure: the call reverts with these bytes (ABI-encoded error) and the caller keeps
    /// the gas the precompile did not charge.
    Revert(Bytes),
}

/// A precompile implemented in Rust.
///
/// The gas is charged from the input before the precompile runs (a documented schedule,
/// as Ethereum's precompiles do); if the call was given less, the call halts out of gas.
/// Otherwise a failure is a [`PrecompileAnswer::Revert`], which never burns the
/// caller's remaining gas.
pub trait L1Precompile: Send + Sync {
    /// Name shown in traces and errors.
    fn name(&self) -> &str;
    /// Gas charged for a call with `input`.
    fn gas(&self, input: &[u8]) -> u64;
    /// Runs the precompile.
    fn run(&self, input: &[u8]) -> PrecompileAnswer;
}

/// The custom precompiles registered on a chain, by address.
#[derive(Clone, Default)]
pub struct PrecompileSet {
    by_address: BTreeMap<Address, Arc<dyn L1Precompile>>,
}

impl fmt::Debug for PrecompileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.by_address.iter().map(|(a, p)| (a, p.name())))
            .finish()
    }
}

impl PrecompileSet {
    /// Registers `precompile` at `address`, replacing nothing: the caller checks for
    /// collisions first ([`PrecompileSet::get`]).
    pub(crate) fn insert(&mut self, address: Address, precompile: Arc<dyn L1Precompile>) {
        self.by_address.insert(address, precompile);
    }

    /// The precompile at `address`.
    pub fn get(&self, address: &Address) -> Option<&Arc<dyn L1Precompile>> {
        self.by_address.get(address)
    }

    /// Registered addresses, ascending.
    pub fn addresses(&self) -> impl Iterator<Item = &Address> {
        self.by_address.keys()
    }
}

/// revm precompile provider: the hardfork's Ethereum precompiles plus a [`PrecompileSet`].
#[derive(Clone, Debug)]
pub struct ChainPrecompiles {
    eth: EthPrecompiles,
    custom: PrecompileSet,
    warm: AddressSet,
}

impl ChainPrecompiles {
    /// The provider for `spec` with `custom` precompiles.
    pub fn new(spec: SpecId, custom: PrecompileSet) -> Self {
        let eth = EthPrecompiles::new(spec);
        let warm = Self::warm_set(&eth, &custom);
        Self { eth, custom, warm }
    }

    /// Whether `address` holds an Ethereum precompile of this hardfork.
    pub fn is_ethereum_precompile(&self, address: &Address) -> bool {
        self.eth.contains(address)
    }

    fn warm_set(eth: &EthPrecompiles, custom: &PrecompileSet) -> AddressSet {
        let mut warm = eth.warm_addresses().clone();
        warm.extend(custom.addresses().copied());
        warm
    }
}

impl<CTX> PrecompileProvider<CTX> for ChainPrecompiles
where
    CTX: ContextTr<Cfg: Cfg<Spec = SpecId>>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec);
        if changed {
            self.warm = Self::warm_set(&self.eth, &self.custom);
        }
        changed
    }

    fn run(
        &mut self,
        context: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<Self::Output>, String> {
        let Some(precompile) = self.custom.get(&inputs.bytecode_address) else {
            return <EthPrecompiles as PrecompileProvider<CTX>>::run(
                &mut self.eth,
                context,
                inputs,
            );
        };
        let input = inputs.input.as_bytes(context);
        let gas = precompile.gas(&input);
        let output = if gas > inputs.gas_limit {
            PrecompileOutput::halt(PrecompileHalt::OutOfGas, inputs.reservoir)
        } else {
            match precompile.run(&input) {
                PrecompileAnswer::Return(bytes) => {
                    PrecompileOutput::new(gas, bytes, inputs.reservoir)
                }
                PrecompileAnswer::Revert(bytes) => {
                    PrecompileOutput::revert(gas, bytes, inputs.reservoir)
                }
            }
        };
        Ok(Some(
            revm::handler::precompile_output_to_interpreter_result(output, inputs.gas_limit),
        ))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}
