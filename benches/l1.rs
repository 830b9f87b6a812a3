//! L1 throughput: blocks of ETH transfers and of ERC-20 transfers, through zkarena's
//! `Chain` (mempool, ordering, receipts) and through bare revm executing the same
//! transactions in the same order. The ratio is the harness's overhead. `chain_submit`,
//! `chain_seal` and `tx_hash` split that overhead: mempool admission (of which `tx_hash`
//! is the SHA-256 of each transaction's identity) and block building. `chain_run` and
//! `bare_run` time runs of consecutive blocks, where the mempool's growth amortizes as
//! it does over a simulation.

use std::hint::black_box;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use revm::context::{BlockEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::TxKind;
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use zkarena::prelude::*;

const TXS_PER_BLOCK: usize = 500;
/// Blocks in one measured run (`chain_run`, `bare_run`). A single block from the prepared
/// state charges that block with growing the mempool's maps from the prepared chain's
/// size (a sender map for 500 senders, a rehash of the transaction index); over a run
/// those costs amortize the way they do in a long simulation.
const RUN_BLOCKS: usize = 10;
const GAS_LIMIT: u64 = 1_000_000_000;
const MAX_FEE: u128 = 10_000_000_000;
const TIP: u128 = 1_000_000_000;

fn senders() -> Vec<Address> {
    (0..TXS_PER_BLOCK)
        .map(|i| named_address(&format!("sender{i}")))
        .collect()
}

fn rich() -> U256 {
    U256::from(10u64).pow(U256::from(24u64))
}

#[derive(Clone, Copy)]
enum Load {
    Eth,
    Erc20,
}

impl Load {
    fn name(self) -> &'static str {
        match self {
            Load::Eth => "eth_transfer",
            Load::Erc20 => "erc20_transfer",
        }
    }

    /// Sender `i`'s transaction, as `Chain` gets it.
    fn request(self, token: Address, i: usize, sender: Address) -> TxRequest {
        let (to, value, data, gas) = self.tx(token, i);
        TxRequest::call(sender, to, data)
            .value(value)
            .gas_limit(gas)
            .fees(MAX_FEE, TIP)
    }

    /// (to, value, calldata, gas limit) of sender `i`'s transaction.
    fn tx(self, token: Address, i: usize) -> (Address, U256, Bytes, u64) {
        let recipient = Address::repeat_byte((i % 200) as u8 + 40);
        match self {
            Load::Eth => (recipient, U256::from(1), Bytes::new(), 21_000),
            Load::Erc20 => {
                let call = bindings::NetworkToken::transferCall {
                    to: recipient,
                    amount: U256::from(1),
                };
                (token, U256::ZERO, call.abi_encode().into(), 100_000)
            }
        }
    }
}

/// A chain with the genesis contracts and every sender funded with ETH and tokens.
fn prepared_chain(senders: &[Address]) -> (Chain, Address) {
    let mut chain = Chain::new(ChainConfig {
        gas_limit: GAS_LIMIT,
        ..ChainConfig::default()
    });
    let d = Deployment::deploy(&mut chain, &GenesisConfig::default()).unwrap();
    for s in senders {
        chain.set_balance(*s, rich());
        let mint = bindings::NetworkToken::mintCall {
            to: *s,
            amount: rich(),
        };
        chain
            .submit(TxRequest::call(d.deployer, d.token, mint.abi_encode()))
            .unwrap();
    }
    chain.seal_block();
    (chain, d.token)
}

/// Bare revm with the same token contract and funded senders.
#[derive(Clone)]
struct Bare {
    db: CacheDB<EmptyDB>,
    token: Address,
    nonces: Vec<u64>,
    number: u64,
}

impl Bare {
    fn new(senders: &[Address]) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        let deployer = named_address("deployer");
        db.insert_account_info(
            deployer,
            AccountInfo {
                balance: rich(),
                ..Default::default()
            },
        );
        for s in senders {
            db.insert_account_info(
                *s,
                AccountInfo {
                    balance: rich(),
                    ..Default::default()
                },
            );
        }
        let artifact = Artifact::get("NetworkToken").unwrap();
        let args = bindings::NetworkToken::constructorCall {
            name_: "t".into(),
            symbol_: "T".into(),
            minter_: deployer,
        };
        let mut evm = Context::mainnet().with_db(&mut db).build_mainnet();
        let create = TxEnv::builder()
            .caller(deployer)
            .kind(TxKind::Create)
            .data(artifact.init_code(&args.abi_encode()))
            .gas_limit(5_000_000)
            .build()
            .unwrap();
        let token = match evm.transact_commit(create).unwrap() {
            revm::context::result::ExecutionResult::Success { output, .. } => {
                output.address().copied().unwrap()
            }
            other => panic!("token deployment failed: {other:?}"),
        };
        for (i, s) in senders.iter().enumerate() {
            let mint = bindings::NetworkToken::mintCall {
                to: *s,
                amount: rich(),
            };
            let tx = TxEnv::builder()
                .caller(deployer)
                .kind(TxKind::Call(token))
                .data(mint.abi_encode().into())
                .nonce(1 + i as u64)
                .gas_limit(100_000)
                .build()
                .unwrap();
            assert!(evm.transact_commit(tx).unwrap().is_success());
        }
        drop(evm);
        Self {
            db,
            token,
            nonces: vec![0; senders.len()],
            number: 1,
        }
    }

    fn block(&mut self, senders: &[Address], load: Load) {
        self.number += 1;
        let block = BlockEnv {
            number: U256::from(self.number),
            gas_limit: GAS_LIMIT,
            basefee: 1_000_000_000,
            ..BlockEnv::default()
        };
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_block(block)
            .build_mainnet();
        for (i, s) in senders.iter().enumerate() {
            let (to, value, data, gas) = load.tx(self.token, i);
            let tx = TxEnv::builder()
                .tx_type(Some(2))
                .caller(*s)
                .kind(TxKind::Call(to))
                .value(value)
                .data(data)
                .nonce(self.nonces[i])
                .gas_limit(gas)
                .gas_price(MAX_FEE)
                .gas_priority_fee(Some(TIP))
                .build()
                .unwrap();
            assert!(black_box(evm.transact_commit(tx).unwrap()).is_success());
            self.nonces[i] += 1;
        }
    }
}

/// Submits sender `i`'s transaction of `load` for every sender.
fn submit_block(chain: &mut Chain, senders: &[Address], token: Address, load: Load) {
    for (i, s) in senders.iter().enumerate() {
        chain.submit(load.request(token, i, *s)).unwrap();
    }
}

/// Submits and seals `blocks` blocks of `load`, checking that every transaction landed
/// and succeeded.
fn run_blocks(chain: &mut Chain, senders: &[Address], token: Address, load: Load, blocks: usize) {
    for _ in 0..blocks {
        submit_block(chain, senders, token, load);
        let block = chain.seal_block();
        assert_eq!(block.receipts.len(), TXS_PER_BLOCK);
        assert!(block.receipts.iter().all(|r| r.status.is_success()));
    }
}

fn l1_throughput(c: &mut Criterion) {
    let senders = senders();
    let mut group = c.benchmark_group("l1_block");
    group.throughput(Throughput::Elements(TXS_PER_BLOCK as u64));
    group.sample_size(20);
    for load in [Load::Eth, Load::Erc20] {
        // Each measured block starts from the same prepared state (cloned outside the
        // timing), so history does not pile up across iterations.
        let (chain, token) = prepared_chain(&senders);
        group.bench_function(BenchmarkId::new("chain", load.name()), |b| {
            b.iter_batched(
                || chain.clone(),
                |mut chain| {
                    run_blocks(&mut chain, &senders, token, load, 1);
                    chain
                },
                BatchSize::LargeInput,
            )
        });
        // The two halves of `chain`: admission to the mempool, then building the block.
        group.bench_function(BenchmarkId::new("chain_submit", load.name()), |b| {
            b.iter_batched(
                || chain.clone(),
                |mut chain| {
                    submit_block(&mut chain, &senders, token, load);
                    chain
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("chain_seal", load.name()), |b| {
            b.iter_batched(
                || {
                    let mut chain = chain.clone();
                    submit_block(&mut chain, &senders, token, load);
                    chain
                },
                |mut chain| {
                    chain.seal_block();
                    chain
                },
                BatchSize::LargeInput,
            )
        });
        // The transactions' hashes alone: the part of `chain_submit` that is hashing.
        let requests: Vec<TxRequest> = (0..senders.len())
            .map(|i| load.request(token, i, senders[i]))
            .collect();
        let chain_id = chain.config().chain_id;
        group.bench_function(BenchmarkId::new("tx_hash", load.name()), |b| {
            b.iter(|| {
                for request in &requests {
                    black_box(request.hash_with(chain_id, 0));
                }
            })
        });
        let bare = Bare::new(&senders);
        group.bench_function(BenchmarkId::new("bare_revm", load.name()), |b| {
            b.iter_batched(
                || bare.clone(),
                |mut bare| {
                    bare.block(&senders, load);
                    bare
                },
                BatchSize::LargeInput,
            )
        });
        // Runs of consecutive blocks from the same prepared state, both ways.
        group.throughput(Throughput::Elements((TXS_PER_BLOCK * RUN_BLOCKS) as u64));
        group.bench_function(BenchmarkId::new("chain_run", load.name()), |b| {
            b.iter_batched(
                || chain.clone(),
                |mut chain| {
                    run_blocks(&mut chain, &senders, token, load, RUN_BLOCKS);
                    chain
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("bare_run", load.name()), |b| {
            b.iter_batched(
                || bare.clone(),
                |mut bare| {
                    for _ in 0..RUN_BLOCKS {
                        bare.block(&senders, load);
                    }
                    bare
                },
                BatchSize::LargeInput,
            )
        });
        group.throughput(Throughput::Elements(TXS_PER_BLOCK as u64));
    }
    group.finish();
}

criterion_group!(benches, l1_throughput);
criterion_main!(benches);
