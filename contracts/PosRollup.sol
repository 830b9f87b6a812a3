// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "./ForcedInclusion.sol";

/// @title PosRollup
/// @notice The rollup side of PoS leader election: its StakeManager decides which L2
///         blocks are canonical (2/3 of the stake attested, leader's signature
///         included) and sequences each canonical block's batch here, in canonical
///         order; anyone proves and verifies the next range of batches like in every
///         other mechanism. Censored users force transactions through L1 for
///         `forceFee`; after `forceTimeout` no canonical block is sequenced (so none
///         becomes canonical) until the forced batch is in.
contract PosRollup is ForcedInclusion {
    /// @notice The StakeManager, the only sequencer.
    address public immutable stakeManager;
    /// @notice Fee (token wei) to force a transaction.
    uint256 public immutable forceFee;
    /// @notice Batch index of each canonical slot (0: none).
    mapping(uint64 => uint64) public batchOfSlot;

    event SlotSequenced(uint64 indexed slot, uint64 indexed index);

    error NotStakeManager(address caller);

    constructor(
        IRollupBridge bridge_,
        bytes32 genesisRoot,
        bytes32[] memory keys,
        address stakeManager_,
        uint256 forceFee_,
        uint256 forceTimeout_
    ) ZkRollup(bridge_, genesisRoot, keys) ForcedInclusion(IERC20Min(bridge_.token()), forceTimeout_) {
        stakeManager = stakeManager_;
        forceFee = forceFee_;
    }

    /// @notice Sequences the batch of the canonical block of `slot` (StakeManager only).
    function sequenceCanonical(uint64 slot, bytes calldata batch) external returns (uint64 index) {
        if (msg.sender != stakeManager) revert NotStakeManager(msg.sender);
        _checkForcedPending();
        (index,,) = _sequence(batch);
        batchOfSlot[slot] = index;
        emit SlotSequenced(slot, index);
    }

    function _forceFee() internal view override returns (uint256) {
        return forceFee;
    }
}
