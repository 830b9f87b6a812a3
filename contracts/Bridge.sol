// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title Bridge
/// @notice Holds the L1 escrow of the rollup. Deposits (ETH or the network token) are
///         appended to an ordered queue with a running hash that the rollup's batch
///         proofs consume in order; withdrawals are paid out by the rollup contract once
///         the batch that made them is verified.
/// @dev L2 balances are 64-bit Goldilocks-field values counted in L2 units of 1 gwei,
///      so a deposit must be a whole number of L2 units and below MAX_L2_AMOUNT units;
///      the escrow of each asset is capped at MAX_L2_AMOUNT units, which bounds the L2
///      supply of each asset (and so every balance, fee sum and reserve) below 2^62.
///      Running hash: h_0 = 0, h_{i+1} = keccak256(abi.encode(h_i, i, asset, to,
///      l2Account, l2Key, l2Amount)), with asset = address(0) for ETH. The depositor
///      names the L2 account (`l2Account`), its owner (`to`) and the digest of the
///      one-time key the account opens with (`l2Key`, two Goldilocks elements as
///      k0 << 64 | k1): all are in the hash, so no sequencer can redirect the deposit
///      or register another key. Only the owner names a key (`l2Key != 0` needs
///      `to == msg.sender`): anyone else would open the owner's account with a key of
///      their own and spend from it. A deposit without a key cannot open an account
///      (the L2 refunds it); it tops up an existing one. A deposit the L2 cannot place (the account
///      is outside the tree or owned by another address) is refunded: the batch circuit
///      turns it into a withdrawal of the same asset and amount to `to`, paid here when
///      the batch is verified. The depositor (`from`) is only in the event.
contract Bridge {
    /// @notice Wei per L2 balance unit.
    uint256 public constant L2_UNIT = 1 gwei;
    /// @notice Largest amount, in L2 units, that one deposit may carry (2^62 - 1).
    uint64 public constant MAX_L2_AMOUNT = (uint64(1) << 62) - 1;

    address public immutable token;
    address public immutable admin;
    /// @notice The rollup contract allowed to pay out withdrawals; set once.
    address public rollup;

    /// @notice Number of deposits queued so far.
    uint256 public depositCount;
    /// @notice Running hash after the first `i` deposits (index 0 is the empty queue).
    mapping(uint256 => bytes32) public depositHashAt;
    /// @notice Escrowed amounts, in wei, per asset (address(0) = ETH).
    mapping(address => uint256) public escrow;

    event DepositQueued(
        uint256 indexed index,
        address indexed from,
        address indexed to,
        address asset,
        uint64 l2Account,
        uint128 l2Key,
        uint64 l2Amount,
        bytes32 runningHash
    );
    event RollupSet(address rollup);
    event EscrowSeeded(uint256 eth, uint256 token);
    event WithdrawalPaid(address indexed to, address asset, uint256 amount);

    error ZeroAmount();
    error AmountNotL2Representable(uint256 amount);
    error NotAdmin(address caller);
    error NotRollup(address caller);
    error RollupAlreadySet(address rollup);
    error ZeroAddress();
    error TokenTransferFailed(address from, address to, uint256 amount);
    error EthTransferFailed(address to, uint256 amount);
    error InsufficientEscrow(address asset, uint256 escrowed, uint256 needed);
    error UnknownAsset(address asset);
    error GenesisClosed();
    error AccountNotEncodable(uint64 account);
    error KeyNotEncodable(uint128 key);
    error KeyFromNonOwner(address owner, address depositor);
    error EscrowCapExceeded(address asset, uint256 escrowed, uint256 amount, uint256 cap);

    /// @notice Most an asset's escrow may hold, in wei: MAX_L2_AMOUNT L2 units.
    uint256 public constant MAX_ESCROW = uint256(MAX_L2_AMOUNT) * L2_UNIT;

    constructor(address token_, address admin_) {
        if (token_ == address(0) || admin_ == address(0)) revert ZeroAddress();
        token = token_;
        admin = admin_;
    }

    /// @notice The running hash over every deposit queued so far.
    function depositHash() external view returns (bytes32) {
        return depositHashAt[depositCount];
    }

    /// @notice Sets the rollup contract that may pay out withdrawals. Callable once, by the admin.
    function setRollup(address rollup_) external {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        if (rollup != address(0)) revert RollupAlreadySet(rollup);
        if (rollup_ == address(0)) revert ZeroAddress();
        rollup = rollup_;
        emit RollupSet(rollup_);
    }

    /// @notice Backs the rollup's genesis state (balances that exist on L2 from the
    ///         start): escrows the ETH sent and `tokenAmount` tokens pulled from the
    ///         admin, without queueing deposits. Admin only, before the rollup is set.
    function seedEscrow(uint256 tokenAmount) external payable {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        if (rollup != address(0)) revert GenesisClosed();
        _escrow(address(0), msg.value);
        if (tokenAmount > 0) {
            if (!IERC20Like(token).transferFrom(msg.sender, address(this), tokenAmount)) {
                revert TokenTransferFailed(msg.sender, address(this), tokenAmount);
            }
            _escrow(token, tokenAmount);
        }
        emit EscrowSeeded(msg.value, tokenAmount);
    }

    /// @notice Deposits the ETH sent with the call to L2 account `l2Account`, owned by
    ///         (or opened for) `l2Recipient` with key digest `l2Key`.
    function depositEth(address l2Recipient, uint64 l2Account, uint128 l2Key)
        external
        payable
        returns (uint256 index)
    {
        uint64 l2Amount = _l2Amount(msg.value);
        _escrow(address(0), msg.value);
        return _enqueue(address(0), msg.sender, l2Recipient, l2Account, l2Key, l2Amount);
    }

    /// @notice Deposits `amount` network tokens (wei) to L2 account `l2Account` of
    ///         `l2Recipient` (key digest `l2Key` if it opens the account); needs an
    ///         allowance.
    function depositToken(address l2Recipient, uint64 l2Account, uint128 l2Key, uint256 amount)
        external
        returns (uint256 index)
    {
        uint64 l2Amount = _l2Amount(amount);
        _escrow(token, amount);
        if (!IERC20Like(token).transferFrom(msg.sender, address(this), amount)) {
            revert TokenTransferFailed(msg.sender, address(this), amount);
        }
        return _enqueue(token, msg.sender, l2Recipient, l2Account, l2Key, l2Amount);
    }

    function _escrow(address asset, uint256 amount) internal {
        uint256 escrowed = escrow[asset];
        if (escrowed + amount > MAX_ESCROW) revert EscrowCapExceeded(asset, escrowed, amount, MAX_ESCROW);
        escrow[asset] = escrowed + amount;
    }

    /// @notice Pays a withdrawal of `l2Amount` L2 units of `asset` to `to`. Only the rollup.
    function payWithdrawal(address asset, address to, uint64 l2Amount) external {
        if (msg.sender != rollup) revert NotRollup(msg.sender);
        uint256 amount = uint256(l2Amount) * L2_UNIT;
        uint256 escrowed = escrow[asset];
        if (escrowed < amount) revert InsufficientEscrow(asset, escrowed, amount);
        escrow[asset] = escrowed - amount;
        if (asset == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else if (asset == token) {
            if (!IERC20Like(token).transfer(to, amount)) revert TokenTransferFailed(address(this), to, amount);
        } else {
            revert UnknownAsset(asset);
        }
        emit WithdrawalPaid(to, asset, amount);
    }

    function _l2Amount(uint256 amount) internal pure returns (uint64) {
        if (amount == 0) revert ZeroAmount();
        if (amount % L2_UNIT != 0 || amount / L2_UNIT > MAX_L2_AMOUNT) {
            revert AmountNotL2Representable(amount);
        }
        return uint64(amount / L2_UNIT);
    }

    /// @notice The Goldilocks modulus: each half of a key digest is a field element below it.
    uint64 public constant FIELD_ORDER = 0xffffffff00000001;

    function _enqueue(address asset, address from, address to, uint64 account, uint128 key, uint64 l2Amount)
        internal
        returns (uint256 index)
    {
        if (to == address(0)) revert ZeroAddress();
        // The batch codec carries 32-bit account indices and canonical field elements:
        // anything else could never be sequenced, and would block every deposit queued
        // after it.
        if (account > type(uint32).max) revert AccountNotEncodable(account);
        if (uint64(key >> 64) >= FIELD_ORDER || uint64(key) >= FIELD_ORDER) revert KeyNotEncodable(key);
        if (key != 0 && to != from) revert KeyFromNonOwner(to, from);
        index = depositCount;
        bytes32 next = keccak256(abi.encode(depositHashAt[index], index, asset, to, account, key, l2Amount));
        depositHashAt[index + 1] = next;
        depositCount = index + 1;
        emit DepositQueued(index, from, to, asset, account, key, l2Amount, next);
    }
}
