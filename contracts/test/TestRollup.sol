// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "../ZkRollup.sol";

/// @title TestRollup
/// @notice The ZkRollup base with its two internal steps exposed as they are, for the
///         rollup-core tests: anyone sequences, anyone verifies.
contract TestRollup is ZkRollup {
    constructor(IRollupBridge bridge_, bytes32 genesisRoot, bytes32[] memory keys)
        ZkRollup(bridge_, genesisRoot, keys)
    {}

    function sequence(bytes calldata batch) external returns (uint64 index) {
        (index,,) = _sequence(batch);
    }

    function verify(uint64 from, uint64 to, bytes32 key, bytes calldata proof, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32)
    {
        return _verify(from, to, key, proof, withdrawals);
    }
}
