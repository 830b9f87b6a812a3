//! The shipped contract artifacts (compiled by `scripts/compile-contracts.sh` into
//! `fixtures/contracts/`) and their `sol!` bindings. The artifacts are embedded at
//! build time, so a binary needs no files at run time.

use std::sync::OnceLock;

use alloy_json_abi::JsonAbi;
use alloy_primitives::Bytes;
use serde::Deserialize;

/// `sol!` bindings generated from the committed artifacts (ABI and bytecode).
pub mod bindings {
    #![allow(missing_docs, clippy::too_many_arguments)]
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        NetworkToken,
        "../fixtures/contracts/NetworkToken.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        Bridge,
        "../fixtures/contracts/Bridge.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        PrecompileProbe,
        "../fixtures/contracts/PrecompileProbe.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        StakeManager,
        "../fixtures/contracts/StakeManager.json"
    );
    /// `CentralizedRollup` (each rollup's bindings in a module of their own: their
    /// `IZkRollup` structs are distinct types).
    pub mod centralized {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            CentralizedRollup,
            "../fixtures/contracts/CentralizedRollup.json"
        );
    }
    pub use centralized::CentralizedRollup;
    /// `TestRollup` (its `ZkRollup` structs are distinct types from the mechanism
    /// contracts').
    pub mod test_rollup {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            TestRollup,
            "../fixtures/contracts/TestRollup.json"
        );
    }
    pub use test_rollup::TestRollup;
    /// `ProofOfEfficiency`.
    pub mod poe {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            ProofOfEfficiency,
            "../fixtures/contracts/ProofOfEfficiency.json"
        );
    }
    pub use poe::ProofOfEfficiency;
    /// `PosRollup`.
    pub mod pos {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            PosRollup,
            "../fixtures/contracts/PosRollup.json"
        );
    }
    pub use pos::PosRollup;
    /// `IZkRollup`: what every mechanism's rollup offers provers and watchers.
    pub mod zk_rollup {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            IZkRollup,
            "../fixtures/contracts/IZkRollup.json"
        );
    }
    pub use zk_rollup::IZkRollup;
    /// `IOpenSequencing`: sequencing by the sequencer's own transaction.
    pub mod open_sequencing {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            IOpenSequencing,
            "../fixtures/contracts/IOpenSequencing.json"
        );
    }
    pub use open_sequencing::IOpenSequencing;
    /// `IForcedInclusion`: the forced path through L1.
    pub mod forced_inclusion {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            IForcedInclusion,
            "../fixtures/contracts/IForcedInclusion.json"
        );
    }
    pub use forced_inclusion::IForcedInclusion;
    /// `IZkPrecompiles`: the precompiles' calls and errors.
    pub mod zk_precompiles {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            IZkPrecompiles,
            "../fixtures/contracts/IZkPrecompiles.json"
        );
    }
    pub use zk_precompiles::IZkPrecompiles;
}

/// Every shipped artifact: (contract name, artifact JSON).
const SHIPPED: &[(&str, &str)] = &[
    (
        "Bridge",
        include_str!("../../../fixtures/contracts/Bridge.json"),
    ),
    (
        "CentralizedRollup",
        include_str!("../../../fixtures/contracts/CentralizedRollup.json"),
    ),
    (
        "IForcedInclusion",
        include_str!("../../../fixtures/contracts/IForcedInclusion.json"),
    ),
    (
        "IOpenSequencing",
        include_str!("../../../fixtures/contracts/IOpenSequencing.json"),
    ),
    (
        "IZkPrecompiles",
        include_str!("../../../fixtures/contracts/IZkPrecompiles.json"),
    ),
    (
        "IZkRollup",
        include_str!("../../../fixtures/contracts/IZkRollup.json"),
    ),
    (
        "NetworkToken",
        include_str!("../../../fixtures/contracts/NetworkToken.json"),
    ),
    (
        "PosRollup",
        include_str!("../../../fixtures/contracts/PosRollup.json"),
    ),
    (
        "PrecompileProbe",
        include_str!("../../../fixtures/contracts/PrecompileProbe.json"),
    ),
    (
        "ProofOfEfficiency",
        include_str!("../../../fixtures/contracts/ProofOfEfficiency.json"),
    ),
    (
        "StakeManager",
        include_str!("../../../fixtures/contracts/StakeManager.json"),
    ),
    (
        "TestRollup",
        include_str!("../../../fixtures/contracts/TestRollup.json"),
    ),
];

/// A compiled contract.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Contract name.
    pub contract_name: String,
    /// Source file it was compiled from.
    pub source: String,
    /// solc version that compiled it.
    pub compiler: String,
    /// ABI.
    pub abi: JsonAbi,
    /// Creation bytecode.
    pub bytecode: Bytes,
    /// Runtime bytecode.
    pub deployed_bytecode: Bytes,
}

impl Artifact {
    /// Every shipped artifact, by name ascending.
    pub fn all() -> &'static [Artifact] {
        static ALL: OnceLock<Vec<Artifact>> = OnceLock::new();
        ALL.get_or_init(|| {
            SHIPPED
                .iter()
                .map(|(name, json)| {
                    // The artifacts are build inputs checked by CI; a broken one is a build defect.
                    serde_json::from_str(json).unwrap_or_else(|e| {
                        panic!("fixtures/contracts/{name}.json is not a valid artifact: {e}")
                    })
                })
                .collect()
        })
    }

    /// The shipped artifact of contract `name`.
    pub fn get(name: &str) -> Option<&'static Artifact> {
        Self::all().iter().find(|a| a.contract_name == name)
    }

    /// Names of the shipped artifacts.
    pub fn names() -> impl Iterator<Item = &'static str> {
        SHIPPED.iter().map(|(name, _)| *name)
    }

    /// Init code: creation bytecode followed by the ABI-encoded constructor arguments.
    pub fn init_code(&self, constructor_args: &[u8]) -> Bytes {
        let mut code = self.bytecode.to_vec();
        code.extend_from_slice(constructor_args);
        code.into()
    }
}
