// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IOpenSequencing
/// @notice Sequencing by a transaction of the sequencer's own (the centralized rollup
///         and Proof of Efficiency; PoS sequences through its StakeManager instead).
interface IOpenSequencing {
    /// @notice Sequences `batch` (calldata).
    function sequenceBatch(bytes calldata batch) external returns (uint64 index);

    /// @notice Sequences the batch in the transaction's blobs.
    function sequenceBatchFromBlobs() external returns (uint64 index);
}
