// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IZkRollup
/// @notice What every mechanism's rollup offers provers and watchers: the sequenced
///         batches' and verified ranges' events, and verification of the next range
///         with a proof in calldata or in the transaction's blobs. Actors call rollups
///         through it, whatever the mechanism.
interface IZkRollup {
    /// @notice A withdrawal as the batch circuit committed to it. asset: 0 = ETH, 1 = token.
    struct Withdrawal {
        address owner;
        uint8 asset;
        uint64 amount;
    }

    event BatchSequenced(uint64 indexed index, bytes32 acc, uint64 sequencer, uint64 txCount);
    event RangeVerified(uint64 indexed from, uint64 indexed to, bytes32 newRoot, address indexed prover);

    /// @notice Verifies batches from..to with `proof` and pays their withdrawals.
    function verifyBatches(uint64 from, uint64 to, bytes32 key, bytes calldata proof, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32 newRoot);

    /// @notice Like `verifyBatches`, with the proof in the transaction's blobs.
    function verifyBatchesFromBlobs(uint64 from, uint64 to, bytes32 key, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32 newRoot);
}
