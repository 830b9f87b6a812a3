//! Batch fixtures that tests/precompile_gas.rs and benches/precompiles.rs share (the
//! bench includes this file by path): compact batches, and batches of deposits, the
//! shortest records the decoder accepts.

use alloy_primitives::Address;
use zkarena_harness::l2::{Asset, Batch, Deposit, Format, L2Tx};

/// `txs` as the compact bytes of a batch by sequencer 1 at L1 block 1, fees to
/// account 1.
pub fn compact_batch(txs: Vec<L2Tx>) -> Vec<u8> {
    Batch {
        sequencer: 1,
        l1_block: 1,
        fee_account: 1,
        txs,
    }
    .encode(Format::Compact)
}

/// A compact batch of `n` deposits from queue index 0, each field as short as it goes.
pub fn deposits(n: usize) -> Vec<u8> {
    let txs = (0..n as u64)
        .map(|index| {
            L2Tx::Deposit(Deposit {
                index,
                account: 1,
                owner: Address::repeat_byte(0x5a),
                asset: Asset::Eth,
                amount: 1,
                key: [0, 0],
            })
        })
        .collect();
    compact_batch(txs)
}
