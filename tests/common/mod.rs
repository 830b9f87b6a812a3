//! Helpers shared by the rollup-core test files: an L2 world of funded users with
//! their keys, batch and proof shorthands, and an L1 with the verifier precompiles and
//! a `TestRollup` to sequence and verify against.
#![allow(dead_code)]

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{SolCall, SolConstructor};
use zkarena_harness::l1::chain::{Chain, ChainConfig, ChainError};
use zkarena_harness::l1::contracts::{bindings, Artifact};
use zkarena_harness::l1::deploy::{Deployment, GenesisConfig};
use zkarena_harness::l1::tx::{ExecStatus, TxRequest};
use zkarena_harness::l2::state::{Account, BatchOutcome, L2State, SkipReason, TxOutcome};
use zkarena_harness::l2::tx::{deterministic_key, SigningKey};
use zkarena_harness::l2::{Action, Asset, Batch, Fee, Format, L2Tx, UserTx, Withdrawal};
use zkarena_harness::zk::precompile::{install, VerifierRegistry};
use zkarena_harness::zk::{ProofMode, Prover, ZkError};

pub const DEPTH: usize = 20;
pub const FEE: Fee = Fee { base: 10, tip: 5 };
pub const FUNDS: u64 = 1_000_000_000_000;
pub const POOL: [u64; 2] = [10_000_000_000_000, 20_000_000_000_000];

/// An L2 state with users 1..=n holding FUNDS of each asset, and their keys.
pub struct World {
    pub state: L2State,
    pub keys: Vec<SigningKey>,
}

impl World {
    pub fn new(n: usize) -> Self {
        let mut state = L2State::new(DEPTH, POOL).unwrap();
        let keys: Vec<SigningKey> = (0..n)
            .map(|i| deterministic_key(1, &format!("user{i}")))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            let account = Account::for_key(k, i as u64 + 1, [FUNDS, FUNDS]);
            state.set_account(i as u64 + 1, account).unwrap();
        }
        Self { state, keys }
    }

    /// A transaction by user `u` (account u + 1).
    pub fn tx(&self, u: usize, nonce: u64, chain_id: u64, action: Action) -> L2Tx {
        L2Tx::User(UserTx::sign(
            &self.keys[u],
            u as u64 + 1,
            nonce,
            FEE,
            chain_id,
            action,
        ))
    }

    pub fn balance(&self, account: u64, asset: Asset) -> u64 {
        self.state.account(account).map_or(0, |a| a.balance(asset))
    }
}

pub fn eth(to: u64, amount: u64) -> Action {
    Action::Transfer {
        to,
        asset: Asset::Eth,
        amount,
    }
}

pub fn batch(sequencer: u64, txs: Vec<L2Tx>) -> Batch {
    Batch {
        sequencer,
        l1_block: 1,
        fee_account: 1,
        txs,
    }
}

pub fn skipped(out: &BatchOutcome) -> Vec<Option<SkipReason>> {
    out.receipts
        .iter()
        .map(|r| match &r.outcome {
            TxOutcome::Applied { .. } => None,
            TxOutcome::Skipped(reason) => Some(reason.clone()),
        })
        .collect()
}

pub fn prove(depth: usize, out: &BatchOutcome) -> Result<zkarena_harness::zk::Proof, ZkError> {
    Prover::new(ProofMode::Real).prove_batch(
        depth,
        out,
        Default::default(),
        Default::default(),
        Default::default(),
    )
}

/// An L1 with the verifier precompiles, the genesis contracts and a TestRollup accepting
/// `keys`, starting from `genesis_root`; the rollup is the bridge's payer.
pub fn l1_with_rollup(
    registry: &VerifierRegistry,
    genesis_root: B256,
    keys: Vec<B256>,
) -> (Chain, Deployment, Address) {
    let mut chain = Chain::new(ChainConfig::default());
    install(&mut chain, registry).unwrap();
    let d = Deployment::deploy(&mut chain, &GenesisConfig::default()).unwrap();
    let rollup = deploy_test_rollup(&mut chain, &d, genesis_root, keys);
    chain
        .transact(TxRequest::call(
            d.deployer,
            d.bridge,
            bindings::Bridge::setRollupCall { rollup_: rollup }.abi_encode(),
        ))
        .unwrap();
    (chain, d, rollup)
}

/// A TestRollup over `d`'s bridge starting from `genesis_root`, accepting `keys`.
pub fn deploy_test_rollup(
    chain: &mut Chain,
    d: &Deployment,
    genesis_root: B256,
    keys: Vec<B256>,
) -> Address {
    let args = bindings::TestRollup::constructorCall {
        bridge_: d.bridge,
        genesisRoot: genesis_root,
        keys,
    };
    chain
        .deploy(
            d.deployer,
            Artifact::get("TestRollup")
                .unwrap()
                .init_code(&args.abi_encode()),
        )
        .unwrap()
}

/// The TestRollup's `sequence(batch)` calldata for `b` written in `format`.
pub fn sequence_call(b: &Batch, format: Format) -> Vec<u8> {
    bindings::TestRollup::sequenceCall {
        batch: b.encode(format).into(),
    }
    .abi_encode()
}

pub fn sequence(chain: &mut Chain, rollup: Address, b: &Batch, format: Format) {
    chain
        .transact(TxRequest::call(
            Address::repeat_byte(0xee),
            rollup,
            sequence_call(b, format),
        ))
        .unwrap();
}

/// The revert of sequencing `b` (compact), which must revert.
pub fn sequence_revert(chain: &mut Chain, rollup: Address, b: &Batch) -> String {
    revert_of(chain, rollup, sequence_call(b, Format::Compact))
}

pub fn verify_call(
    from: u64,
    to: u64,
    proof: &zkarena_harness::zk::Proof,
    bytes: Bytes,
    ws: &[Withdrawal],
) -> Vec<u8> {
    bindings::TestRollup::verifyCall {
        from,
        to,
        key: proof.verifier_key,
        proof: bytes,
        withdrawals: ws
            .iter()
            .map(|w| bindings::test_rollup::IZkRollup::Withdrawal {
                owner: w.owner,
                asset: w.asset.code() as u8,
                amount: w.amount,
            })
            .collect(),
    }
    .abi_encode()
}

/// A transaction from the test's prover account with room for a proof.
pub fn prover_tx(rollup: Address, data: Vec<u8>) -> TxRequest {
    TxRequest::call(Address::repeat_byte(0xee), rollup, data).gas_limit(10_000_000)
}

pub fn revert_of(chain: &mut Chain, to: Address, data: Vec<u8>) -> String {
    revert_reason(chain, prover_tx(to, data))
}

/// The decoded revert of `request` (panics if it does not revert).
pub fn revert_reason(chain: &mut Chain, request: TxRequest) -> String {
    match chain.transact(request) {
        Err(ChainError::Failed {
            status: ExecStatus::Reverted { reason },
            ..
        }) => reason.to_string(),
        other => panic!("expected a revert, got {other:?}"),
    }
}
