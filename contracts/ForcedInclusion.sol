// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "./ZkRollup.sol";
import "./IForcedInclusion.sol";

interface IERC20Min {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title ForcedInclusion
/// @notice The censored user's way in, shared by the permissionless mechanisms: a user
///         posts one L2 transaction on L1 (`forceBatch`, for a fee in the network
///         token); anyone may sequence it as a batch of its own (`sequenceForceBatch`);
///         once the oldest forced transaction has waited `forceTimeout` seconds, the
///         mechanism refuses every other batch (`_checkForcedPending`) until it is in.
/// @dev A forced transaction is validated when it is posted: it must be one user
///      transaction (transfer, swap or withdrawal) that the batch codec decodes, else
///      `forceBatch` reverts `MalformedForcedTx`. (Unvalidated garbage would be refused
///      at sequencing by a mechanism that refuses malformed batches, and, once past the
///      timeout, would block every batch for good.) As a second line, a forced batch is
///      always sequenced, as the no-op batch if it were malformed. The force fee goes
///      to whoever sequences the forced batch by default (`_payForceFee`).
abstract contract ForcedInclusion is ZkRollup, IForcedInclusion {
    /// @notice The network token (fees).
    IERC20Min public immutable token;
    /// @notice Seconds after which a forced batch must be sequenced before any other
    ///         batch.
    uint256 public immutable forceTimeout;

    /// @notice A forced transaction: its record's hash and when it was posted.
    struct ForcedBatch {
        bytes32 txHash;
        uint64 timestamp;
        uint256 fee;
    }

    mapping(uint64 => ForcedBatch) public forcedBatches;
    /// @notice Forced batches posted / sequenced so far.
    uint64 public lastForced;
    uint64 public lastForcedSequenced;

    error ForcedBatchesPending(uint64 oldest, uint256 since);
    error NoForcedBatch();
    error WrongForcedTx(uint64 index);
    error FeeTransferFailed(address from, uint256 fee);
    error MalformedForcedTx(uint256 offset, string reason);

    constructor(IERC20Min token_, uint256 forceTimeout_) {
        token = token_;
        forceTimeout = forceTimeout_;
    }

    /// @notice The fee (token wei) a user pays to force a transaction.
    function _forceFee() internal view virtual returns (uint256);

    /// @notice Called after a forced batch was sequenced as batch `index`.
    function _afterForcedSequenced(uint64 index) internal virtual {}

    /// @notice Reverts if the oldest unsequenced forced batch has waited past the
    ///         timeout: no other batch may go before it.
    function _checkForcedPending() internal view {
        if (lastForcedSequenced < lastForced) {
            ForcedBatch storage f = forcedBatches[lastForcedSequenced + 1];
            if (block.timestamp >= f.timestamp + forceTimeout) {
                revert ForcedBatchesPending(lastForcedSequenced + 1, f.timestamp);
            }
        }
    }

    /// @notice A censored user's way in: posts one L2 transaction (its record in the
    ///         batch codec, plain format) on L1, paying the force fee.
    function forceBatch(bytes calldata l2Tx) external returns (uint64 index) {
        _checkForcedTx(l2Tx);
        uint256 fee = _forceFee();
        if (!token.transferFrom(msg.sender, address(this), fee)) revert FeeTransferFailed(msg.sender, fee);
        index = ++lastForced;
        forcedBatches[index] = ForcedBatch(keccak256(l2Tx), uint64(block.timestamp), fee);
        emit ForceBatch(index, msg.sender, l2Tx);
    }

    /// @notice Reverts unless `l2Tx` is one user transaction the codec decodes.
    function _checkForcedTx(bytes calldata l2Tx) internal view {
        if (l2Tx.length == 0 || uint8(l2Tx[0]) == 0 || uint8(l2Tx[0]) > 3) {
            revert MalformedForcedTx(0, "not a user transaction (kind 1, 2 or 3)");
        }
        (,,,,,, uint256 at, string memory why) = _malformed(_commit(_forcedBatch(l2Tx), depositsSequenced));
        if (bytes(why).length > 0) revert MalformedForcedTx(at, why);
    }

    /// @notice The plain batch a forced transaction is sequenced as: format 0,
    ///         sequencer 0, this L1 block, fee account 0, one transaction.
    function _forcedBatch(bytes calldata l2Tx) internal view returns (bytes memory) {
        return abi.encodePacked(uint8(0), uint32(0), uint64(block.number), uint32(0), uint32(1), l2Tx);
    }

    /// @notice Pays the fee of forced batch `forced`, sequenced as batch `index`: by
    ///         default to whoever sequenced it.
    function _payForceFee(uint64 forced, uint64 index, uint256 fee) internal virtual {
        forced;
        index;
        if (fee > 0 && !token.transfer(msg.sender, fee)) revert FeeTransferFailed(address(this), fee);
    }

    /// @notice Sequences the oldest forced transaction as a batch of its own (sequencer
    ///         id 0, fee account 0): anyone may, the user included.
    function sequenceForceBatch(bytes calldata l2Tx) external returns (uint64 index) {
        uint64 f = lastForcedSequenced + 1;
        if (f > lastForced) revert NoForcedBatch();
        if (keccak256(l2Tx) != forcedBatches[f].txHash) revert WrongForcedTx(f);
        bytes memory batch = _forcedBatch(l2Tx);
        lastForcedSequenced = f;
        (index,,) = _sequenceAs(batch, true);
        _afterForcedSequenced(index);
        _payForceFee(f, index, forcedBatches[f].fee);
        emit ForcedBatchSequenced(f, index, batch);
    }
}
