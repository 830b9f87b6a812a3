// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IZkPrecompiles
/// @notice The rollup precompiles' calls and errors: the one declaration both the
///         contracts (which bubble these errors) and the Rust precompiles
///         (harness/src/zk/precompile.rs, through this interface's artifact) use.
interface IZkPrecompiles {
    function verify(bytes32 key, bytes calldata proof) external view returns (uint64[] memory publicInputs);
    function poseidon(uint64[] calldata words) external view returns (bytes32 digest);
    function verifyBlobs(bytes32 key, bytes32[] calldata versionedHashes)
        external
        view
        returns (uint64[] memory publicInputs);
    function commitBatchBlobs(
        bytes32 prev,
        bytes32[] calldata versionedHashes,
        address token,
        uint64 firstDeposit,
        bytes32 depositHash
    )
        external
        view
        returns (
            bytes32 acc,
            uint64 sequencer,
            uint64 l1Block,
            uint64 txCount,
            uint64 depositCount,
            bytes32 depositHashAfter,
            uint256 malformedAt,
            string memory malformed
        );
    function commitBatch(bytes32 prev, bytes calldata batch, address token, uint64 firstDeposit, bytes32 depositHash)
        external
        view
        returns (
            bytes32 acc,
            uint64 sequencer,
            uint64 l1Block,
            uint64 txCount,
            uint64 depositCount,
            bytes32 depositHashAfter,
            uint256 malformedAt,
            string memory malformed
        );

    error UnknownVerifierKey(bytes32 key);
    error MalformedProof(string reason);
    error InvalidProof(string reason);
    error DevProofRejected();
    error MalformedInput(string reason);
    error NonCanonicalElement(uint256 index);
    error MalformedBatch(uint256 offset, string reason);
    error UnknownBlob(bytes32 versionedHash);
}
