// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title PrecompileProbe
/// @notice Calls a precompile through staticcall, the way the rollup contracts call the
///         proof verifier, and turns its failure into a decoded revert. Used by tests to
///         show that a precompile registered from Rust is reachable from Solidity.
contract PrecompileProbe {
    error PrecompileFailed(address precompile, bytes returnData);

    event Probed(address indexed precompile, bytes32 outputHash);

    /// @notice Staticcalls `precompile` with `input`; reverts with PrecompileFailed on failure.
    function probe(address precompile, bytes calldata input) public view returns (bytes memory) {
        (bool ok, bytes memory ret) = precompile.staticcall(input);
        if (!ok) revert PrecompileFailed(precompile, ret);
        return ret;
    }

    /// @notice Like `probe`, from a transaction: records the hash of the output in a log.
    function probeAndLog(address precompile, bytes calldata input) external returns (bytes memory ret) {
        ret = probe(precompile, input);
        emit Probed(precompile, keccak256(ret));
    }
}
