// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import "./IZkPrecompiles.sol";
import "./IZkRollup.sol";

interface IRollupBridge {
    function payWithdrawal(address asset, address to, uint64 l2Amount) external;
    function token() external view returns (address);
    function depositHashAt(uint256 index) external view returns (bytes32);
}

/// @title ZkRollup
/// @notice Base of every mechanism contract. It keeps the accumulator of sequenced
///         batches (extended through the BATCH_COMMITMENT precompile, which decodes the
///         batch with the rollup's codec) and the verified state root, checks a validity
///         proof for the next range of batches through the ZK_VERIFIER precompile, and
///         pays the range's withdrawals through the bridge.
/// @dev Digests are four Goldilocks elements packed big-endian into a bytes32. Public
///      inputs of a proof: oldRoot, newRoot, batchIn, batchOut, withdrawalsIn,
///      withdrawalsOut, binding (4 elements each) and, for a single-batch proof, the
///      sequencer. The binding is Poseidon(this contract's address || the prover's, as
///      five 32-bit limbs each): a rollup that binds proofs (`_bindsProver`) accepts a
///      proof only from the prover it was made for and only here, so a proof copied
///      from the mempool or replayed on another instance is worthless.
///      The withdrawal accumulator is w = Poseidon(w || owner as five 32-bit limbs ||
///      asset << 62 | amount), from w = 0, computed with the POSEIDON precompile; a
///      withdrawal's asset must be 0 or 1 and its amount below 2^62, so that the packed
///      word is unique.
abstract contract ZkRollup is IZkRollup {
    address internal constant ZK_VERIFIER = address(0x0a00);
    address internal constant POSEIDON = address(0x0a01);
    address internal constant BATCH_COMMITMENT = address(0x0a02);
    address internal constant ZK_BLOB_VERIFIER = address(0x0a03);
    address internal constant BATCH_COMMITMENT_BLOB = address(0x0a04);

    IRollupBridge public immutable bridge;
    /// @notice The last verified (consolidated) state root.
    bytes32 public stateRoot;
    /// @notice Batches sequenced so far (batch indices start at 1).
    uint64 public lastSequenced;
    /// @notice The last batch covered by a verified proof.
    uint64 public lastVerified;
    /// @notice Batch accumulator after batch i (batchAcc[0] = 0).
    mapping(uint64 => bytes32) public batchAcc;
    /// @notice Verifier keys (circuit digests) this rollup accepts.
    mapping(bytes32 => bool) public acceptedKeys;
    /// @notice Bridge deposits consumed by sequenced batches.
    uint64 public depositsSequenced;



    error VerifierKeyNotAccepted(bytes32 key);
    error RangeNotNext(uint64 from, uint64 expected);
    error RangeNotSequenced(uint64 from, uint64 to, uint64 lastSequenced);
    error BadPublicInputs(uint256 count);
    error OldRootMismatch(bytes32 expected, bytes32 proven);
    error BatchRangeMismatch(bytes32 expectedIn, bytes32 expectedOut, bytes32 provenIn, bytes32 provenOut);
    error WithdrawalsMismatch(bytes32 proven, bytes32 computed);
    error DepositsMismatch(uint64 first, uint64 count, bytes32 bridgeHash, bytes32 batchHash);
    error ProofNotBound(bytes32 expected, bytes32 proven);
    error BadWithdrawal(uint256 position, uint8 asset, uint64 amount);

    /// @notice Largest withdrawal amount (L2 units): below 2^62, as every L2 value.
    uint64 public constant MAX_L2_AMOUNT = (uint64(1) << 62) - 1;

    constructor(IRollupBridge bridge_, bytes32 genesisRoot, bytes32[] memory keys) {
        bridge = bridge_;
        stateRoot = genesisRoot;
        for (uint256 i = 0; i < keys.length; i++) {
            acceptedKeys[keys[i]] = true;
        }
    }

    /// @notice Appends a batch to the sequenced (virtual) state. The deposits it
    ///         consumes must be the bridge's next ones, as they were queued.
    function _sequence(bytes memory batch) internal returns (uint64 index, uint64 sequencer, uint64 txCount) {
        return _sequenceAs(batch, _acceptsMalformed());
    }

    /// @notice `_sequence`, sequencing malformed bytes as the no-op batch if
    ///         `acceptMalformed` (else refusing them).
    function _sequenceAs(bytes memory batch, bool acceptMalformed)
        internal
        returns (uint64 index, uint64 sequencer, uint64 txCount)
    {
        uint64 first = depositsSequenced;
        bytes memory ret = _commit(batch, first);
        return _record(ret, first, acceptMalformed);
    }

    /// @notice What BATCH_COMMITMENT answers for `batch` after the current last batch,
    ///         with `first` deposits consumed so far.
    function _commit(bytes memory batch, uint64 first) internal view returns (bytes memory ret) {
        bool ok;
        (ok, ret) = BATCH_COMMITMENT.staticcall(
            abi.encode(batchAcc[lastSequenced], batch, bridge.token(), first, bridge.depositHashAt(first))
        );
        if (!ok) _bubble(ret);
    }

    /// @notice Like `_sequence`, with the batch in the transaction's blobs
    ///         (`[length u32][batch bytes]`): the data-availability choice the seed
    ///         discusses (blob gas instead of calldata gas).
    function _sequenceFromBlobs() internal returns (uint64 index, uint64 sequencer, uint64 txCount) {
        uint64 first = depositsSequenced;
        (bool ok, bytes memory ret) = BATCH_COMMITMENT_BLOB.staticcall(
            abi.encode(batchAcc[lastSequenced], _blobHashes(), bridge.token(), first, bridge.depositHashAt(first))
        );
        if (!ok) _bubble(ret);
        return _record(ret, first, _acceptsMalformed());
    }

    function _blobHashes() internal view returns (bytes32[] memory hashes) {
        uint256 n = 0;
        while (blobhash(n) != bytes32(0)) {
            n++;
        }
        hashes = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            hashes[i] = blobhash(i);
        }
    }

    function _record(bytes memory ret, uint64 first, bool acceptMalformed)
        internal
        returns (uint64 index, uint64 sequencer, uint64 txCount)
    {
        _checkMalformed(ret, acceptMalformed);
        bytes32 acc;
        uint64 deposits;
        bytes32 depositHash;
        (acc, sequencer, txCount, deposits, depositHash) = _decodeCommit(ret);
        _checkSequencer(sequencer);
        if (deposits > 0) {
            bytes32 queued = bridge.depositHashAt(first + deposits);
            if (queued != depositHash) revert DepositsMismatch(first, deposits, queued, depositHash);
            depositsSequenced = first + deposits;
        }
        index = ++lastSequenced;
        batchAcc[index] = acc;
        emit BatchSequenced(index, acc, sequencer, txCount);
    }

    function _decodeCommit(bytes memory ret)
        internal
        pure
        returns (bytes32 acc, uint64 sequencer, uint64 txCount, uint64 deposits, bytes32 depositHash)
    {
        (acc, sequencer,, txCount, deposits, depositHash,,) =
            abi.decode(ret, (bytes32, uint64, uint64, uint64, uint64, bytes32, uint256, string));
    }

    function _checkMalformed(bytes memory ret, bool acceptMalformed) internal pure {
        (,,,,,, uint256 at, string memory why) = _malformed(ret);
        if (bytes(why).length > 0 && !acceptMalformed) revert IZkPrecompiles.MalformedBatch(at, why);
    }

    function _malformed(bytes memory ret)
        internal
        pure
        returns (bytes32, uint64, uint64, uint64, uint64, bytes32, uint256 at, string memory why)
    {
        return abi.decode(ret, (bytes32, uint64, uint64, uint64, uint64, bytes32, uint256, string));
    }

    /// @notice Checks that the poster may sequence under the batch header's sequencer
    ///         id (what users' chain ids name). Default: any id (a single trusted
    ///         poster, or a poster the mechanism already authenticated).
    function _checkSequencer(uint64 sequencer) internal view virtual {}

    /// @notice Whether proofs must carry this rollup's and their submitter's binding.
    function _bindsProver() internal view virtual returns (bool) {
        return true;
    }

    /// @notice The binding a proof submitted by `prover` to this rollup must carry:
    ///         Poseidon(address(this) limbs || prover limbs), five 32-bit limbs each.
    function proofBinding(address prover) public view returns (bytes32) {
        uint64[] memory words = new uint64[](10);
        _limbs(words, 0, address(this));
        _limbs(words, 5, prover);
        (bool ok, bytes memory ret) = POSEIDON.staticcall(abi.encode(words));
        if (!ok) _bubble(ret);
        return abi.decode(ret, (bytes32));
    }

    function _limbs(uint64[] memory words, uint256 at, address a) internal pure {
        uint160 v = uint160(a);
        for (uint256 i = 0; i < 5; i++) {
            words[at + i] = uint64(uint32(v >> (32 * (4 - i))));
        }
    }

    /// @notice Whether malformed batch data is sequenced as a no-op batch (true for
    ///         permissionless sequencing: the poster pays, the range stays provable)
    ///         instead of being refused.
    function _acceptsMalformed() internal view virtual returns (bool) {
        return false;
    }

    /// @inheritdoc IZkRollup
    function verifyBatches(uint64 from, uint64 to, bytes32 key, bytes calldata proof, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32 newRoot)
    {
        newRoot = _verify(from, to, key, proof, withdrawals);
        _afterVerified(from, to);
    }

    /// @inheritdoc IZkRollup
    function verifyBatchesFromBlobs(uint64 from, uint64 to, bytes32 key, Withdrawal[] calldata withdrawals)
        external
        returns (bytes32 newRoot)
    {
        newRoot = _verifyFromBlobs(from, to, key, withdrawals);
        _afterVerified(from, to);
    }

    /// @notice Called once batches from..to are verified, by the range's prover
    ///         (`msg.sender`): a mechanism pays its reward here. Default: nothing.
    function _afterVerified(uint64 from, uint64 to) internal virtual {}

    /// @notice Checks `proof` (calldata) for batches from..to (the next unverified
    ///         range), moves the state root and pays the range's withdrawals.
    function _verify(
        uint64 from,
        uint64 to,
        bytes32 key,
        bytes calldata proof,
        Withdrawal[] calldata withdrawals
    ) internal returns (bytes32 newRoot) {
        _checkRequest(from, to, key);
        (bool ok, bytes memory ret) = ZK_VERIFIER.staticcall(abi.encode(key, proof));
        if (!ok) _bubble(ret);
        return _accept(from, to, ret, withdrawals);
    }

    /// @notice Like `_verify`, with the proof in the transaction's blobs (its gas does
    ///         not depend on the proof's bytes).
    function _verifyFromBlobs(uint64 from, uint64 to, bytes32 key, Withdrawal[] calldata withdrawals)
        internal
        returns (bytes32 newRoot)
    {
        _checkRequest(from, to, key);
        (bool ok, bytes memory ret) = ZK_BLOB_VERIFIER.staticcall(abi.encode(key, _blobHashes()));
        if (!ok) _bubble(ret);
        return _accept(from, to, ret, withdrawals);
    }

    function _checkRequest(uint64 from, uint64 to, bytes32 key) internal view {
        if (from != lastVerified + 1) revert RangeNotNext(from, lastVerified + 1);
        if (to < from || to > lastSequenced) revert RangeNotSequenced(from, to, lastSequenced);
        if (!acceptedKeys[key]) revert VerifierKeyNotAccepted(key);
    }

    function _accept(uint64 from, uint64 to, bytes memory ret, Withdrawal[] calldata withdrawals)
        internal
        returns (bytes32 newRoot)
    {
        uint64[] memory pi = abi.decode(ret, (uint64[]));
        if (pi.length != 28 && pi.length != 29) revert BadPublicInputs(pi.length);
        if (_bindsProver()) {
            bytes32 expected = proofBinding(msg.sender);
            bytes32 proven = _digest(pi, 6);
            if (proven != expected) revert ProofNotBound(expected, proven);
        }
        _checkRange(from, to, pi);
        _checkWithdrawals(pi, withdrawals);
        newRoot = _digest(pi, 1);
        stateRoot = newRoot;
        lastVerified = to;
        address token = bridge.token();
        for (uint256 i = 0; i < withdrawals.length; i++) {
            Withdrawal calldata w = withdrawals[i];
            bridge.payWithdrawal(w.asset == 0 ? address(0) : token, w.owner, w.amount);
        }
        emit RangeVerified(from, to, newRoot, msg.sender);
    }

    function _checkRange(uint64 from, uint64 to, uint64[] memory pi) internal view {
        bytes32 oldRoot = _digest(pi, 0);
        if (oldRoot != stateRoot) revert OldRootMismatch(stateRoot, oldRoot);
        bytes32 batchIn = _digest(pi, 2);
        bytes32 batchOut = _digest(pi, 3);
        if (batchIn != batchAcc[from - 1] || batchOut != batchAcc[to]) {
            revert BatchRangeMismatch(batchAcc[from - 1], batchAcc[to], batchIn, batchOut);
        }
    }

    function _checkWithdrawals(uint64[] memory pi, Withdrawal[] calldata withdrawals) internal view {
        bytes32 wdOut = _digest(pi, 5);
        bytes32 computed = _withdrawalAcc(withdrawals);
        if (_digest(pi, 4) != bytes32(0) || wdOut != computed) revert WithdrawalsMismatch(wdOut, computed);
    }

    function _digest(uint64[] memory pi, uint256 i) internal pure returns (bytes32) {
        return bytes32(
            (uint256(pi[4 * i]) << 192) | (uint256(pi[4 * i + 1]) << 128) | (uint256(pi[4 * i + 2]) << 64)
                | uint256(pi[4 * i + 3])
        );
    }

    function _withdrawalAcc(Withdrawal[] calldata withdrawals) internal view returns (bytes32 acc) {
        uint64[] memory words = new uint64[](10);
        for (uint256 i = 0; i < withdrawals.length; i++) {
            Withdrawal calldata w = withdrawals[i];
            // asset << 62 | amount is unique only for asset 0/1 and amount < 2^62.
            if (w.asset > 1 || w.amount > MAX_L2_AMOUNT) revert BadWithdrawal(i, w.asset, w.amount);
            uint256 a = uint256(acc);
            words[0] = uint64(a >> 192);
            words[1] = uint64(a >> 128);
            words[2] = uint64(a >> 64);
            words[3] = uint64(a);
            _limbs(words, 4, w.owner);
            words[9] = (uint64(w.asset) << 62) | w.amount;
            (bool ok, bytes memory ret) = POSEIDON.staticcall(abi.encode(words));
            if (!ok) _bubble(ret);
            acc = abi.decode(ret, (bytes32));
        }
    }

    function _bubble(bytes memory ret) internal pure {
        assembly {
            revert(add(ret, 32), mload(ret))
        }
    }
}
