// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "./ZkRollup.sol";

interface IERC20Min {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title ProofOfEfficiency
/// @notice Polygon Hermez's Proof of Efficiency, as in the seed: anyone may sequence a
///         batch, paying the current batch fee in the network token on top of the L1
///         gas; anyone may verify the next range of sequenced batches with a validity
///         proof, and the first valid proof takes the range's batch fees. Later proofs
///         of the same range revert (`RangeNotNext`) and their gas is lost.
/// @dev Batch fee adaptation (after Polygon zkEVM's `_updateBatchFee`): when a range is
///      verified, each of its batches counts as late if it waited longer than
///      `verifyTimeTarget` seconds since sequencing, else on time. With d = late -
///      onTime, the fee is multiplied by (1000 + FEE_STEP)/1000 d times if d > 0 (slow
///      verification: pay aggregators more) or divided by it -d times if d < 0, and
///      clamped to [MIN_BATCH_FEE, MAX_BATCH_FEE]. FEE_STEP = 20 (2% per batch).
contract ProofOfEfficiency is ZkRollup {
    uint256 public constant FEE_STEP = 20;
    uint256 public constant MIN_BATCH_FEE = 1e12;
    uint256 public constant MAX_BATCH_FEE = 1000e18;

    IERC20Min public immutable token;
    uint256 public immutable verifyTimeTarget;
    /// @notice Current batch fee (token wei) a sequencer pays to sequence a batch.
    uint256 public batchFee;

    struct SequencedBatch {
        address sequencer;
        uint64 timestamp;
        uint256 fee;
    }

    mapping(uint64 => SequencedBatch) public sequenced;

    /// @notice Forced transactions: what a censored user posts on L1.
    struct ForcedBatch {
        bytes32 txHash;
        uint64 timestamp;
    }

    /// @notice Seconds after which a forced batch must be sequenced before any other
    ///         batch, and after which anyone (the user included) may sequence it.
    uint256 public immutable forceTimeout;
    mapping(uint64 => ForcedBatch) public forcedBatches;
    /// @notice Forced batches posted / sequenced so far.
    uint64 public lastForced;
    uint64 public lastForcedSequenced;

    event ForceBatch(uint64 indexed index, address indexed user, bytes l2Tx);
    event ForcedBatchSequenced(uint64 indexed forcedIndex, uint64 indexed batchIndex, bytes batch);

    error ForcedBatchesPending(uint64 oldest, uint256 since);
    error NoForcedBatch();
    error WrongForcedTx(uint64 index);

    event BatchFeePaid(uint64 indexed index, address indexed sequencer, uint256 fee);
    event ProverRewarded(uint64 from, uint64 to, address indexed prover, uint256 reward);
    event BatchFeeUpdated(uint256 fee);

    error FeeTransferFailed(address from, uint256 fee);

    constructor(
        IRollupBridge bridge_,
        bytes32 genesisRoot,
        bytes32[] memory keys,
        uint256 initialBatchFee,
        uint256 verifyTimeTarget_,
        uint256 forceTimeout_
    ) ZkRollup(bridge_, genesisRoot, keys) {
        token = IERC20Min(bridge_.token());
        batchFee = initialBatchFee;
        verifyTimeTarget = verifyTimeTarget_;
        forceTimeout = forceTimeout_;
    }

    /// @notice Sequences a batch (the rollup's codec): anyone, for the batch fee. Refused
    ///         while a forced batch has waited longer than `forceTimeout`.
    function sequenceBatch(bytes calldata batch) external returns (uint64 index) {
        uint256 fee = _chargeBatchFee();
        (index,,) = _sequence(batch);
        _recordFee(index, fee);
    }

    /// @notice Like `sequenceBatch`, with the batch in the transaction's blobs.
    function sequenceBatchFromBlobs() external returns (uint64 index) {
        uint256 fee = _chargeBatchFee();
        (index,,) = _sequenceFromBlobs();
        _recordFee(index, fee);
    }

    function _chargeBatchFee() internal returns (uint256 fee) {
        if (lastForcedSequenced < lastForced) {
            ForcedBatch storage f = forcedBatches[lastForcedSequenced + 1];
            if (block.timestamp >= f.timestamp + forceTimeout) {
                revert ForcedBatchesPending(lastForcedSequenced + 1, f.timestamp);
            }
        }
        fee = batchFee;
        if (!token.transferFrom(msg.sender, address(this), fee)) revert FeeTransferFailed(msg.sender, fee);
    }

    function _recordFee(uint64 index, uint256 fee) internal {
        sequenced[index] = SequencedBatch(msg.sender, uint64(block.timestamp), fee);
        emit BatchFeePaid(index, msg.sender, fee);
    }

    /// @notice A censored user's way in: posts one L2 transaction (its record in the
    ///         batch codec, plain format) on L1, paying the batch fee.
    function forceBatch(bytes calldata l2Tx) external returns (uint64 index) {
        uint256 fee = batchFee;
        if (!token.transferFrom(msg.sender, address(this), fee)) revert FeeTransferFailed(msg.sender, fee);
        index = ++lastForced;
        forcedBatches[index] = ForcedBatch(keccak256(l2Tx), uint64(block.timestamp));
        emit ForceBatch(index, msg.sender, l2Tx);
    }

    /// @notice Sequences the oldest forced transaction as a batch of its own (sequencer
    ///         id 0, fee account 0): anyone may, the user included. The forced fee goes
    ///         to the range's prover like a batch fee.
    function sequenceForceBatch(bytes calldata l2Tx) external returns (uint64 index) {
        uint64 f = lastForcedSequenced + 1;
        if (f > lastForced) revert NoForcedBatch();
        if (keccak256(l2Tx) != forcedBatches[f].txHash) revert WrongForcedTx(f);
        // Plain batch: format 0, sequencer 0, L1 block, fee account 0, one transaction.
        bytes memory batch = abi.encodePacked(uint8(0), uint32(0), uint64(block.number), uint32(0), uint32(1), l2Tx);
        lastForcedSequenced = f;
        (index,,) = _sequence(batch);
        sequenced[index] = SequencedBatch(msg.sender, uint64(block.timestamp), 0);
        emit ForcedBatchSequenced(f, index, batch);
    }

    /// @notice Verifies batches from..to with a proof in the transaction's blobs; the
    ///         first valid proof takes the range's batch fees.
    function verifyBatchesFromBlobs(uint64 from, uint64 to, bytes32 key, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32 newRoot)
    {
        newRoot = _verifyFromBlobs(from, to, key, withdrawals);
        _reward(from, to);
    }

    /// @notice Verifies batches from..to with a proof in calldata.
    function verifyBatches(uint64 from, uint64 to, bytes32 key, bytes calldata proof, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32 newRoot)
    {
        newRoot = _verify(from, to, key, proof, withdrawals);
        _reward(from, to);
    }

    /// @dev Anyone may sequence, so garbage is sequenced as a no-op batch at the
    ///      poster's expense rather than refused.
    function _acceptsMalformed() internal pure override returns (bool) {
        return true;
    }

    function _reward(uint64 from, uint64 to) internal {
        uint256 reward = 0;
        int256 late = 0;
        for (uint64 i = from; i <= to; i++) {
            SequencedBatch storage b = sequenced[i];
            reward += b.fee;
            late += block.timestamp - b.timestamp > verifyTimeTarget ? int256(1) : int256(-1);
        }
        if (reward > 0 && !token.transfer(msg.sender, reward)) revert FeeTransferFailed(address(this), reward);
        emit ProverRewarded(from, to, msg.sender, reward);
        uint256 fee = batchFee;
        for (; late > 0; late--) {
            fee = fee * (1000 + FEE_STEP) / 1000;
        }
        for (; late < 0; late++) {
            fee = fee * 1000 / (1000 + FEE_STEP);
        }
        if (fee < MIN_BATCH_FEE) fee = MIN_BATCH_FEE;
        if (fee > MAX_BATCH_FEE) fee = MAX_BATCH_FEE;
        if (fee != batchFee) {
            batchFee = fee;
            emit BatchFeeUpdated(fee);
        }
    }
}
