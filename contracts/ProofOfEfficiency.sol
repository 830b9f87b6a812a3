// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "./ForcedInclusion.sol";
import "./IOpenSequencing.sol";

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
///      Sequencer ids (what a batch header and users' chain ids name) are claimed,
///      first come first served, with `claimSequencerId`; a batch naming a nonzero id is
///      accepted only from the id's owner, so nobody posts under another sequencer's
///      id. A forced batch's force fee is its batch fee: the prover of its range takes
///      it. Proofs are bound to their submitter unless the deployment turns it off
///      (`bindProofs`, a scenario flag that exists to show the proof-copying attack).
contract ProofOfEfficiency is ForcedInclusion, IOpenSequencing {
    uint256 public constant FEE_STEP = 20;
    uint256 public constant MIN_BATCH_FEE = 1e12;
    uint256 public constant MAX_BATCH_FEE = 1000e18;

    uint256 public immutable verifyTimeTarget;
    /// @notice Current batch fee (token wei) a sequencer pays to sequence a batch.
    uint256 public batchFee;

    struct SequencedBatch {
        address sequencer;
        uint64 timestamp;
        uint256 fee;
    }

    mapping(uint64 => SequencedBatch) public sequenced;

    event BatchFeePaid(uint64 indexed index, address indexed sequencer, uint256 fee);
    event ProverRewarded(uint64 from, uint64 to, address indexed prover, uint256 reward);
    event BatchFeeUpdated(uint256 fee);
    event SequencerIdClaimed(uint64 indexed id, address indexed owner);

    /// @notice Owner of each claimed sequencer id.
    mapping(uint64 => address) public sequencerOwner;
    /// @notice Whether proofs must be bound to their submitter (see ZkRollup).
    bool public immutable bindProofs;

    error SequencerIdTaken(uint64 id, address owner);
    error SequencerIdInvalid(uint64 id);
    error SequencerIdNotOwned(uint64 id, address owner, address poster);

    constructor(
        IRollupBridge bridge_,
        bytes32 genesisRoot,
        bytes32[] memory keys,
        uint256 initialBatchFee,
        uint256 verifyTimeTarget_,
        uint256 forceTimeout_,
        bool bindProofs_
    ) ZkRollup(bridge_, genesisRoot, keys) ForcedInclusion(IERC20Min(bridge_.token()), forceTimeout_) {
        batchFee = initialBatchFee;
        verifyTimeTarget = verifyTimeTarget_;
        bindProofs = bindProofs_;
    }

    /// @notice Claims sequencer id `id` (1 to 2^32 - 1) for the caller, once.
    function claimSequencerId(uint64 id) external {
        if (id == 0 || id > type(uint32).max) revert SequencerIdInvalid(id);
        address owner = sequencerOwner[id];
        if (owner != address(0)) revert SequencerIdTaken(id, owner);
        sequencerOwner[id] = msg.sender;
        emit SequencerIdClaimed(id, msg.sender);
    }

    /// @dev Id 0 (any sequencer: only chain-id-0 transactions apply) is open to all.
    function _checkSequencer(uint64 id) internal view override {
        if (id != 0 && sequencerOwner[id] != msg.sender) {
            revert SequencerIdNotOwned(id, sequencerOwner[id], msg.sender);
        }
    }

    function _bindsProver() internal view override returns (bool) {
        return bindProofs;
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
        _checkForcedPending();
        fee = batchFee;
        if (!token.transferFrom(msg.sender, address(this), fee)) revert FeeTransferFailed(msg.sender, fee);
    }

    function _recordFee(uint64 index, uint256 fee) internal {
        sequenced[index] = SequencedBatch(msg.sender, uint64(block.timestamp), fee);
        emit BatchFeePaid(index, msg.sender, fee);
    }

    /// @notice Forcing a transaction costs the current batch fee.
    function _forceFee() internal view override returns (uint256) {
        return batchFee;
    }

    /// @notice A forced batch's sender is recorded like a sequencer's; its batch fee is
    ///         set when its force fee is paid (`_payForceFee`).
    function _afterForcedSequenced(uint64 index) internal override {
        sequenced[index] = SequencedBatch(msg.sender, uint64(block.timestamp), 0);
    }

    /// @notice The force fee becomes the forced batch's batch fee: the range's prover
    ///         takes it, like any batch fee.
    function _payForceFee(uint64, uint64 index, uint256 fee) internal override {
        sequenced[index].fee = fee;
    }

    /// @notice The first valid proof of a range takes its batch fees; the fee adapts.
    function _afterVerified(uint64 from, uint64 to) internal override {
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
