// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IForcedInclusion
/// @notice The forced path a censored user takes on L1 (Proof of Efficiency, PoS):
///         post a transaction, and after the timeout sequence the oldest forced batch.
interface IForcedInclusion {
    event ForceBatch(uint64 indexed index, address indexed user, bytes l2Tx);
    event ForcedBatchSequenced(uint64 indexed forcedIndex, uint64 indexed batchIndex, bytes batch);

    /// @notice Posts the user transaction `l2Tx` (its plain codec record), paying the
    ///         mechanism's force fee.
    function forceBatch(bytes calldata l2Tx) external returns (uint64 index);

    /// @notice Sequences the oldest forced batch, whose record is `l2Tx`.
    function sequenceForceBatch(bytes calldata l2Tx) external returns (uint64 index);
}
