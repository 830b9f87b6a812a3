// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

interface IStakeToken {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @notice The rollup a StakeManager feeds: each canonical block's batch is sequenced
///         there, in canonical order.
interface IPosRollup {
    function sequenceCanonical(uint64 slot, bytes calldata batch) external returns (uint64 index);
}

/// @title StakeManager
/// @notice PoS leader election for a rollup, as the seed's "Why Proof of Stake might not
///         work" section describes it: validators stake the network token; each L2
///         slot's leader is drawn by stake from the hash of the L1 block the slot
///         starts at (which the leader cannot choose); an L2 block becomes canonical
///         once attestations from at least 2/3 of the active stake are posted (by
///         anyone, in aggregate); a leader whose slot has no canonical block within
///         `timeoutSlots` is slashed by `slashBps`, burnt, or at most 1/8 of it paid
///         to the reporter and the rest burnt; exits wait `exitDelayBlocks`, during
///         which stake stays slashable. A stake is at least `minStake`, and at most
///         `maxValidators` ever stake, so the loops over validators stay bounded.
///         Canonical blocks form one chain (each names the previous canonical block as
///         its parent) and their batches are sequenced in the bound rollup, which
///         proves and finalizes them like any other batch.
/// @dev L2 slot s starts at L1 block genesisBlock + s * blocksPerSlot. A block is
///      (slot, parent, batch) with hash keccak256(abi.encode(slot, parent,
///      keccak256(batch))). Stake changes (staking, slashing) take effect from the next
///      L1 block and are checkpointed, so the leader, the voting power and the 2/3 base
///      of a slot are those at its start block, whenever they are read. The start
///      block's hash (the draw's seed) is recorded the first time the slot is touched
///      (`attest`, `slashMissed`, `recordSeed`) while BLOCKHASH still returns it; a slot
///      not touched within 256 blocks has no leader any more (`SeedExpired`) rather
///      than a redrawn one, and the timeout leaves reports `REPORT_MARGIN_BLOCKS` inside
///      that window. Attestation
///      digest: keccak256(abi.encode("zkarena/attest", address(this), slot,
///      blockHash)), signed as a raw 32-byte hash (v = 27/28).
contract StakeManager {
    /// @notice Blocks back BLOCKHASH answers (older: 0).
    uint256 public constant BLOCKHASH_WINDOW = 256;
    /// @notice Blocks a slot's seed stays readable after its timeout has passed: the
    ///         window in which the first report records it.
    uint256 public constant REPORT_MARGIN_BLOCKS = 64;
    /// @notice Most L1 blocks from a slot's start to its slashable block:
    ///         (1 + timeoutSlots) * blocksPerSlot may not exceed it.
    uint256 public constant MAX_TIMEOUT_BLOCKS = BLOCKHASH_WINDOW - REPORT_MARGIN_BLOCKS;
    /// @notice Ceiling of `maxValidators` (Polygon PoS has 105 seats): with every
    ///         validator signing, `attest` takes about 4.6 M gas, `slashMissed` 1.6 M.
    uint256 public constant MAX_VALIDATORS_CEILING = 100;
    /// @notice Ceiling of `reporterBps`: 1/8 of the slash (Ethereum pays its
    ///         whistleblower 1/16 of the initial slashing penalty).
    uint16 public constant MAX_REPORTER_BPS = 1_250;

    IStakeToken public immutable token;
    /// @notice L1 block slot 0 starts at (0: not started).
    uint64 public genesisBlock;
    uint64 public immutable blocksPerSlot;
    uint64 public immutable timeoutSlots;
    uint16 public immutable slashBps;
    uint64 public immutable exitDelayBlocks;
    bool public immutable burnSlash;
    /// @notice Smallest stake (token wei).
    uint256 public immutable minStake;
    /// @notice Most validators that may ever stake (seats are not reused: a withdrawn
    ///         validator's history still draws the leaders of past slots).
    uint256 public immutable maxValidators;
    /// @notice Share of a slash paid to its reporter when not burnt (basis points); the
    ///         rest is burnt.
    uint16 public immutable reporterBps;
    /// @notice Who may start the election (once).
    address public immutable admin;
    /// @notice The rollup canonical batches are sequenced in (0: none bound).
    IPosRollup public rollup;

    /// @notice A validator's stake from L1 block `fromBlock` on.
    struct Checkpoint {
        uint64 fromBlock;
        uint192 stake;
    }

    mapping(address => Checkpoint[]) internal history;
    /// @notice The last canonical block (0: none yet, the genesis parent) and its slot.
    bytes32 public head;
    uint64 public headSlot;

    address[] public validators;
    mapping(address => uint256) public stakeOf;
    /// @notice L1 block from which an exiting validator may withdraw (0: active).
    mapping(address => uint64) public exitAt;
    /// @notice L1 block from which a validator's stake counts (0: never staked).
    mapping(address => uint64) public activeFrom;
    uint256 public activeStake;

    /// @notice Canonical L2 block hash per slot (0: none yet).
    mapping(uint64 => bytes32) public canonical;
    mapping(uint64 => mapping(bytes32 => uint256)) public attestedStake;
    mapping(uint64 => mapping(bytes32 => mapping(address => bool))) internal attestedBy;
    mapping(uint64 => bool) public slashed;
    /// @notice The hash of each slot's start block, recorded the first time the slot is
    ///         touched (0: not recorded).
    mapping(uint64 => bytes32) public seedOf;
    /// @notice Stake burnt by slashing.
    uint256 public burnt;

    event Staked(address indexed validator, uint256 amount, uint256 total);
    event ExitRequested(address indexed validator, uint64 withdrawableAt);
    event Withdrawn(address indexed validator, uint256 amount);
    event Attested(uint64 indexed slot, bytes32 indexed blockHash, uint256 stake, uint256 activeStake);
    event Canonical(uint64 indexed slot, bytes32 indexed blockHash, address indexed leader);
    event Slashed(
        uint64 indexed slot, address indexed validator, uint256 amount, address reporter, uint256 reward
    );

    error AlreadyStaked(address validator);
    error Exiting(address validator);
    error NotExiting(address validator);
    error ExitPending(address validator, uint64 withdrawableAt);
    error SlotNotStarted(uint64 slot, uint64 startBlock);
    error NoActiveStake();
    error LeaderDidNotSign(uint64 slot, address leader);
    error AlreadyCanonical(uint64 slot, bytes32 blockHash);
    error TimeoutNotReached(uint64 slot, uint64 slashableFrom);
    error AlreadySlashed(uint64 slot);
    error TransferFailed();
    error NotAdmin(address caller);
    error AlreadyStarted(uint64 genesisBlock);
    error NotStarted();
    error NotOnHead(bytes32 parent, bytes32 head);
    error SlotBehindHead(uint64 slot, uint64 headSlot);
    error SlotSlashed(uint64 slot);
    error SelfReport(uint64 slot, address leader);
    error SeedExpired(uint64 slot, uint64 startBlock);
    error StakeBelowMinimum(uint256 amount, uint256 minStake);
    error ValidatorSetFull(uint256 maxValidators);
    error InvalidBlocksPerSlot(uint64 blocksPerSlot);
    error TimeoutTooLong(uint64 timeoutSlots, uint64 blocksPerSlot, uint256 maxTimeoutBlocks);
    error InvalidMinStake(uint256 minStake);
    error InvalidMaxValidators(uint256 maxValidators, uint256 ceiling);
    error ReporterShareTooHigh(uint16 reporterBps, uint16 maxBps);

    constructor(
        IStakeToken token_,
        uint64 blocksPerSlot_,
        uint64 timeoutSlots_,
        uint16 slashBps_,
        uint64 exitDelayBlocks_,
        bool burnSlash_,
        uint256 minStake_,
        uint256 maxValidators_,
        uint16 reporterBps_
    ) {
        if (blocksPerSlot_ == 0) revert InvalidBlocksPerSlot(blocksPerSlot_);
        if ((uint256(timeoutSlots_) + 1) * blocksPerSlot_ > MAX_TIMEOUT_BLOCKS) {
            revert TimeoutTooLong(timeoutSlots_, blocksPerSlot_, MAX_TIMEOUT_BLOCKS);
        }
        if (minStake_ == 0) revert InvalidMinStake(minStake_);
        if (maxValidators_ == 0 || maxValidators_ > MAX_VALIDATORS_CEILING) {
            revert InvalidMaxValidators(maxValidators_, MAX_VALIDATORS_CEILING);
        }
        if (reporterBps_ > MAX_REPORTER_BPS) revert ReporterShareTooHigh(reporterBps_, MAX_REPORTER_BPS);
        token = token_;
        blocksPerSlot = blocksPerSlot_;
        timeoutSlots = timeoutSlots_;
        slashBps = slashBps_;
        exitDelayBlocks = exitDelayBlocks_;
        burnSlash = burnSlash_;
        minStake = minStake_;
        maxValidators = maxValidators_;
        reporterBps = reporterBps_;
        admin = msg.sender;
    }

    /// @notice Starts the election (admin, once): slot 0 starts at L1 block
    ///         `genesisBlock_` (after the genesis stakers staked), and canonical batches
    ///         are sequenced in `rollup_` (0: none, the election alone).
    function begin(IPosRollup rollup_, uint64 genesisBlock_) external {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        if (genesisBlock != 0) revert AlreadyStarted(genesisBlock);
        if (genesisBlock_ == 0) revert NotStarted();
        rollup = rollup_;
        genesisBlock = genesisBlock_;
    }

    function _checkpoint(address v, uint256 amount) internal {
        uint64 from = uint64(block.number) + 1;
        Checkpoint[] storage h = history[v];
        if (h.length > 0 && h[h.length - 1].fromBlock == from) {
            h[h.length - 1].stake = uint192(amount);
        } else {
            h.push(Checkpoint(from, uint192(amount)));
        }
    }

    /// @notice `v`'s stake as it counts at L1 block `at` (0 if it does not count).
    function stakeOfAt(address v, uint64 at) public view returns (uint256) {
        if (!countsAt(v, at)) return 0;
        Checkpoint[] storage h = history[v];
        for (uint256 i = h.length; i > 0; i--) {
            if (h[i - 1].fromBlock <= at) return h[i - 1].stake;
        }
        return 0;
    }

    /// @notice The hash of the block (slot, parent, batch).
    function blockHashOf(uint64 slot, bytes32 parent, bytes calldata batch) public pure returns (bytes32) {
        return keccak256(abi.encode(slot, parent, keccak256(batch)));
    }

    /// @notice Number of validators that ever staked.
    function validatorCount() external view returns (uint256) {
        return validators.length;
    }

    /// @notice Stakes `amount` tokens (at least `minStake`), once per validator, while
    ///         fewer than `maxValidators` ever staked; it counts from the next block.
    function stake(uint256 amount) external {
        if (amount < minStake) revert StakeBelowMinimum(amount, minStake);
        if (activeFrom[msg.sender] != 0) revert AlreadyStaked(msg.sender);
        if (validators.length >= maxValidators) revert ValidatorSetFull(maxValidators);
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        activeFrom[msg.sender] = uint64(block.number) + 1;
        validators.push(msg.sender);
        stakeOf[msg.sender] = amount;
        _checkpoint(msg.sender, amount);
        activeStake += amount;
        emit Staked(msg.sender, amount, stakeOf[msg.sender]);
    }

    /// @notice Leaves the active set now; the stake can be withdrawn after the delay and
    ///         can be slashed until then.
    function requestExit() external {
        if (exitAt[msg.sender] != 0) revert Exiting(msg.sender);
        activeStake -= stakeOf[msg.sender];
        uint64 at = uint64(block.number) + exitDelayBlocks;
        exitAt[msg.sender] = at;
        emit ExitRequested(msg.sender, at);
    }

    /// @notice Withdraws an exited stake.
    function withdraw() external {
        uint64 at = exitAt[msg.sender];
        if (at == 0) revert NotExiting(msg.sender);
        if (block.number < at) revert ExitPending(msg.sender, at);
        uint256 amount = stakeOf[msg.sender];
        stakeOf[msg.sender] = 0;
        _checkpoint(msg.sender, 0);
        if (amount > 0 && !token.transfer(msg.sender, amount)) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice The L1 block slot `slot` starts at.
    function slotStart(uint64 slot) public view returns (uint64) {
        if (genesisBlock == 0) revert NotStarted();
        return genesisBlock + slot * blocksPerSlot;
    }

    /// @notice The seed of `slot`'s draw: the hash of its start block, as recorded, or
    ///         else as BLOCKHASH returns it (`fresh`: not recorded yet). Reverts once the
    ///         hash has left BLOCKHASH's window unrecorded: another draw would name
    ///         another leader.
    function _seed(uint64 slot) internal view returns (bytes32 seed, bool fresh) {
        seed = seedOf[slot];
        if (seed != bytes32(0)) return (seed, false);
        uint64 start = slotStart(slot);
        if (block.number <= start) revert SlotNotStarted(slot, start);
        seed = blockhash(start);
        if (seed == bytes32(0)) revert SeedExpired(slot, start);
        fresh = true;
    }

    /// @notice Records `slot`'s seed (anyone; `attest` and `slashMissed` do it too), so
    ///         its leader can still be read after 256 blocks.
    function recordSeed(uint64 slot) public returns (bytes32 seed) {
        bool fresh;
        (seed, fresh) = _seed(slot);
        if (fresh) seedOf[slot] = seed;
    }

    /// @notice The leader of `slot`: a stake-weighted draw (stake at the slot's start)
    ///         from the hash of the slot's first L1 block, recorded or still readable.
    function leader(uint64 slot) public view returns (address) {
        (bytes32 seed,) = _seed(slot);
        return _draw(slot, seed);
    }

    function _draw(uint64 slot, bytes32 seed) internal view returns (address) {
        uint64 start = slotStart(slot);
        uint256 total = stakeAt(slot);
        if (total == 0) revert NoActiveStake();
        uint256 r = uint256(keccak256(abi.encode(seed, slot))) % total;
        for (uint256 i = 0; i < validators.length; i++) {
            uint256 s = stakeOfAt(validators[i], start);
            if (r < s) return validators[i];
            r -= s;
        }
        revert NoActiveStake();
    }

    /// @notice Whether `v`'s stake counts at L1 block `at`.
    function countsAt(address v, uint64 at) public view returns (bool) {
        uint64 from = activeFrom[v];
        uint64 exit = exitAt[v];
        return from != 0 && from <= at && (exit == 0 || at < exit - exitDelayBlocks);
    }

    /// @notice The stake that counts for `slot` (the 2/3 threshold's base).
    function stakeAt(uint64 slot) public view returns (uint256 total) {
        uint64 start = slotStart(slot);
        for (uint256 i = 0; i < validators.length; i++) {
            total += stakeOfAt(validators[i], start);
        }
    }

    /// @notice The digest validators sign to attest `blockHash` for `slot`.
    function attestationDigest(uint64 slot, bytes32 blockHash) public view returns (bytes32) {
        return keccak256(abi.encode("zkarena/attest", address(this), slot, blockHash));
    }

    /// @notice Records attestations (65-byte signatures) for the block (slot, parent,
    ///         batch); the leader's own must be among them, and the block must extend
    ///         the canonical head. At 2/3 of the slot's stake the block is canonical and
    ///         its batch is sequenced in the rollup.
    function attest(uint64 slot, bytes32 parent, bytes calldata batch, bytes[] calldata signatures) external {
        bytes32 existing = canonical[slot];
        if (existing != bytes32(0)) revert AlreadyCanonical(slot, existing);
        if (slashed[slot]) revert SlotSlashed(slot);
        if (parent != head) revert NotOnHead(parent, head);
        if (head != bytes32(0) && slot <= headSlot) revert SlotBehindHead(slot, headSlot);
        address l = _draw(slot, recordSeed(slot));
        bytes32 blockHash = blockHashOf(slot, parent, batch);
        uint256 total = _count(slot, blockHash, l, signatures);
        uint256 base = stakeAt(slot);
        emit Attested(slot, blockHash, total, base);
        if (total * 3 >= base * 2) {
            canonical[slot] = blockHash;
            head = blockHash;
            headSlot = slot;
            emit Canonical(slot, blockHash, l);
            if (address(rollup) != address(0)) rollup.sequenceCanonical(slot, batch);
        }
    }

    function _count(uint64 slot, bytes32 blockHash, address l, bytes[] calldata signatures)
        internal
        returns (uint256 total)
    {
        bytes32 digest = attestationDigest(slot, blockHash);
        bool leaderSigned = attestedBy[slot][blockHash][l];
        total = attestedStake[slot][blockHash];
        uint64 start = slotStart(slot);
        for (uint256 i = 0; i < signatures.length; i++) {
            address v = _recover(digest, signatures[i]);
            if (v == address(0) || attestedBy[slot][blockHash][v]) continue;
            uint256 s = stakeOfAt(v, start);
            if (s == 0) continue;
            attestedBy[slot][blockHash][v] = true;
            total += s;
            if (v == l) leaderSigned = true;
        }
        if (!leaderSigned) revert LeaderDidNotSign(slot, l);
        attestedStake[slot][blockHash] = total;
    }

    /// @notice Slashes the leader of `slot` if the slot has no canonical block once the
    ///         timeout has passed; the slash is burnt, or `reporterBps` of it paid to the
    ///         caller and the rest burnt, so a leader reporting itself from any address
    ///         still loses the rest. When it is paid, the leader cannot be the caller.
    function slashMissed(uint64 slot) external returns (uint256 amount) {
        uint64 from = slotStart(slot + 1 + timeoutSlots);
        if (block.number < from) revert TimeoutNotReached(slot, from);
        if (slashed[slot]) revert AlreadySlashed(slot);
        bytes32 c = canonical[slot];
        if (c != bytes32(0)) revert AlreadyCanonical(slot, c);
        address l = _draw(slot, recordSeed(slot));
        if (!burnSlash && msg.sender == l) revert SelfReport(slot, l);
        slashed[slot] = true;
        amount = stakeOf[l] * slashBps / 10_000;
        stakeOf[l] -= amount;
        _checkpoint(l, stakeOf[l]);
        if (exitAt[l] == 0) activeStake -= amount;
        uint256 reward = burnSlash ? 0 : amount * reporterBps / 10_000;
        burnt += amount - reward;
        if (reward > 0 && !token.transfer(msg.sender, reward)) revert TransferFailed();
        emit Slashed(slot, l, amount, msg.sender, reward);
    }

    function _recover(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        return ecrecover(digest, v, r, s);
    }
}
