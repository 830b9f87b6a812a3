// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "./ZkRollup.sol";
import "./IOpenSequencing.sol";

/// @title CentralizedRollup
/// @notice The baseline the decentralization mechanisms are measured against: one
///         sequencer, named at deployment, posts batches; anyone may prove and verify
///         the next range of batches.
contract CentralizedRollup is ZkRollup, IOpenSequencing {
    /// @notice The only address allowed to sequence.
    address public immutable sequencer;

    error NotSequencer(address caller);

    constructor(IRollupBridge bridge_, bytes32 genesisRoot, bytes32[] memory keys, address sequencer_)
        ZkRollup(bridge_, genesisRoot, keys)
    {
        sequencer = sequencer_;
    }

    /// @notice Appends a batch (the rollup's codec, plain or compact).
    function sequenceBatch(bytes calldata batch) external returns (uint64 index) {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        (index,,) = _sequence(batch);
    }

    /// @notice Like `sequenceBatch`, with the batch in the transaction's blobs.
    function sequenceBatchFromBlobs() external returns (uint64 index) {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        (index,,) = _sequenceFromBlobs();
    }
}
