//! L2 transactions: what users sign (transfers, swaps, withdrawals) and what the bridge
//! queues (deposits), with the fixed word layout the batch circuit commits to.

use alloy_primitives::{keccak256, Address, B256};
pub use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};

use super::wots::{self, KeyDigest, Seed, Signature};

/// Largest amount, fee, nonce or balance the L2 admits: `2^62 - 1` (the bridge's cap).
/// Every such value is a canonical Goldilocks element, and sums of two stay below the
/// modulus, which is what the circuit's comparisons rely on.
pub const MAX_AMOUNT: u64 = (1 << 62) - 1;

/// Largest nonce a transaction may carry: one below [`MAX_AMOUNT`], so that the
/// account's next nonce is still below 2^62.
pub const MAX_NONCE: u64 = MAX_AMOUNT - 1;

/// Number of field words one transaction occupies in the batch commitment (its
/// signature's [`wots::SIG_ELEMS`] elements follow them there).
pub const TX_WORDS: usize = 18;

/// Swap fee: `SWAP_FEE_NUM` units per `2^SWAP_FEE_SHIFT` units of input (3/1024 ≈ 0.29%),
/// computed as `SWAP_FEE_NUM * (amount_in >> SWAP_FEE_SHIFT)` so that it needs no
/// division in the circuit. The fee stays in the pool.
pub const SWAP_FEE_NUM: u64 = 3;
/// See [`SWAP_FEE_NUM`].
pub const SWAP_FEE_SHIFT: u32 = 10;

/// The two L2 assets: ETH and the network token, in L2 units of 1 gwei / 1e-9 token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    /// Ether (L2 fees are paid in it).
    Eth = 0,
    /// The network token.
    Token = 1,
}

impl Asset {
    /// The asset with code `code` (0 or 1).
    pub fn from_code(code: u64) -> Option<Self> {
        match code {
            0 => Some(Self::Eth),
            1 => Some(Self::Token),
            _ => None,
        }
    }

    /// Its code in encodings and in the circuit.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The other asset (what a swap pays out).
    pub fn other(self) -> Self {
        match self {
            Self::Eth => Self::Token,
            Self::Token => Self::Eth,
        }
    }
}

/// The fee a user offers: the base fee and the tip, both in gwei of L2 ETH. Both go to
/// the account the batch names as its fee recipient (the sequencer's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Base fee.
    pub base: u64,
    /// Tip: what orders transactions under the tip-based policy.
    pub tip: u64,
}

impl Fee {
    /// Base fee plus tip (saturating: each is below 2^62 in any decoded batch, so the
    /// sum is exact there).
    pub fn total(&self) -> u64 {
        self.base.saturating_add(self.tip)
    }
}

/// What a signed transaction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Moves `amount` of `asset` to the existing account `to`.
    Transfer {
        /// Receiving account index.
        to: u64,
        /// Asset moved.
        asset: Asset,
        /// Amount.
        amount: u64,
    },
    /// Sells `amount_in` of `asset_in` to the pool for the other asset; skipped if the
    /// output would be below `min_out`.
    Swap {
        /// Asset sold.
        asset_in: Asset,
        /// Amount sold (at least 1).
        amount_in: u64,
        /// Slippage bound on the output.
        min_out: u64,
    },
    /// Burns `amount` of `asset` on L2; the bridge pays it to the account's owner on L1
    /// once the batch is verified.
    Withdraw {
        /// Asset withdrawn.
        asset: Asset,
        /// Amount.
        amount: u64,
    },
}

impl Action {
    /// Whether it moves the network token: a swap (one side is the token), or a token
    /// transfer or withdrawal.
    pub fn moves_token(&self) -> bool {
        match *self {
            Action::Swap { .. } => true,
            Action::Transfer { asset, .. } | Action::Withdraw { asset, .. } => {
                asset == Asset::Token
            }
        }
    }
}

/// A user transaction, signed with the sending account's one-time key (see
/// [`wots`]): it names the account's next key, which replaces the current one once the
/// transaction is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTx {
    /// Sending account index.
    pub from: u64,
    /// Must equal the account's nonce.
    pub nonce: u64,
    /// Fee offered.
    pub fee: Fee,
    /// The sequencer this transaction authorises (0: any sequencer).
    pub chain_id: u64,
    /// What it does.
    pub action: Action,
    /// Digest of the account's key after this transaction (the key of nonce + 1).
    pub next_key: KeyDigest,
    /// One-time signature over [`UserTx::message`] with the account's current key.
    pub signature: Signature,
}

/// A deposit taken from the bridge's queue: credits `amount` of `asset` to `account`,
/// opening it for `owner` if it is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// Position in the bridge's deposit queue.
    pub index: u64,
    /// L2 account credited.
    pub account: u64,
    /// L1 address the deposit is for (the account's owner).
    pub owner: Address,
    /// Asset.
    pub asset: Asset,
    /// Amount in L2 units.
    pub amount: u64,
    /// The key digest the account opens with if the deposit creates it.
    pub key: KeyDigest,
}

/// A key digest as the bridge carries it: `uint128(k0 << 64 | k1)`.
pub fn key_to_u128(key: KeyDigest) -> u128 {
    (key[0] as u128) << 64 | key[1] as u128
}

impl Deposit {
    /// The bridge's running hash after this deposit, from `prev` (the hash before it):
    /// `keccak256(abi.encode(prev, index, asset, owner, account, key, amount))`, the
    /// asset being address(0) for ETH and `token` for the network token, the key as
    /// [`key_to_u128`]. The L2 account and its key are the depositor's choice,
    /// committed here so that no sequencer can redirect the deposit.
    pub fn l1_hash_step(&self, prev: B256, token: Address) -> B256 {
        use alloy_sol_types::SolValue;
        let asset = match self.asset {
            Asset::Eth => Address::ZERO,
            Asset::Token => token,
        };
        keccak256(
            (
                prev,
                alloy_primitives::U256::from(self.index),
                asset,
                self.owner,
                self.account,
                key_to_u128(self.key),
                self.amount,
            )
                .abi_encode(),
        )
    }
}

/// One L2 transaction in a batch.
// A user transaction carries its 1,088-byte signature inline so that transactions stay
// `Copy` and a batch is one allocation; deposits are the minority of any batch.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum L2Tx {
    /// Signed by a user.
    User(UserTx),
    /// Consumed from the bridge's queue.
    Deposit(Deposit),
}

/// Kind codes of the word layout (0 is the padding no-op).
pub mod kind {
    /// Padding slot.
    pub const NOOP: u64 = 0;
    /// [`super::Action::Transfer`].
    pub const TRANSFER: u64 = 1;
    /// [`super::Action::Swap`].
    pub const SWAP: u64 = 2;
    /// [`super::Action::Withdraw`].
    pub const WITHDRAW: u64 = 3;
    /// [`super::Deposit`].
    pub const DEPOSIT: u64 = 4;
}

/// Positions in the word layout shared by the codec, the executor and the circuit.
pub mod word {
    /// Kind code.
    pub const KIND: usize = 0;
    /// Sender (deposit: credited account).
    pub const FROM: usize = 1;
    /// Receiver of a transfer.
    pub const TO: usize = 2;
    /// Asset (swap: asset sold).
    pub const ASSET: usize = 3;
    /// Amount (swap: amount sold).
    pub const AMOUNT: usize = 4;
    /// Swap's minimum output.
    pub const MIN_OUT: usize = 5;
    /// Nonce.
    pub const NONCE: usize = 6;
    /// Base fee.
    pub const FEE_BASE: usize = 7;
    /// Tip.
    pub const FEE_TIP: usize = 8;
    /// Chain id.
    pub const CHAIN_ID: usize = 9;
    /// Deposit owner, five 32-bit big-endian limbs.
    pub const OWNER: usize = 10;
    /// Deposit queue index.
    pub const DEPOSIT_INDEX: usize = 15;
    /// Key digest, two words: a user transaction's next key; a deposit's opening key.
    pub const KEY: usize = 16;
}

/// An address as five 32-bit limbs, most significant first (how leaves and withdrawals
/// carry it in the field).
pub fn address_limbs(a: &Address) -> [u64; 5] {
    let mut out = [0u64; 5];
    for (i, chunk) in a.as_slice().chunks(4).enumerate() {
        out[i] = u32::from_be_bytes(chunk.try_into().expect("4-byte chunk")) as u64;
    }
    out
}

impl UserTx {
    /// Builds and signs a transaction with the one-time key of `from` at `nonce`
    /// derived from `key` (see [`l2_seed`]), naming the key of `nonce + 1` as next.
    pub fn sign(
        key: &SigningKey,
        from: u64,
        nonce: u64,
        fee: Fee,
        chain_id: u64,
        action: Action,
    ) -> Self {
        let seed = l2_seed(key);
        let mut tx = Self {
            from,
            nonce,
            fee,
            chain_id,
            action,
            next_key: seed.key_digest(from, nonce.saturating_add(1)),
            signature: Signature::default(),
        };
        tx.signature = seed.sign(tx.message(), from, nonce);
        tx
    }

    /// What the signature covers: the message digest of the transaction's words.
    pub fn message(&self) -> KeyDigest {
        wots::message_digest(&L2Tx::User(*self).words())
    }

    /// Whether the signature verifies against the account key digest `key`.
    pub fn authorized_by(&self, key: KeyDigest) -> bool {
        wots::recover(&self.signature, self.message(), self.from, self.nonce) == key
    }
}

/// The L2 signing seed of an L1 key's owner (every account and nonce key derives
/// from it).
pub fn l2_seed(key: &SigningKey) -> Seed {
    Seed::derive(&key.to_bytes())
}

/// The digest of the key `key`'s owner signs with for `account` at `nonce` (what a
/// deposit opening the account registers at nonce 0).
pub fn l2_key(key: &SigningKey, account: u64, nonce: u64) -> KeyDigest {
    l2_seed(key).key_digest(account, nonce)
}

impl L2Tx {
    /// The transaction's words in the commitment layout (see [`word`]).
    pub fn words(&self) -> [u64; TX_WORDS] {
        let mut w = [0u64; TX_WORDS];
        match self {
            L2Tx::User(tx) => {
                w[word::FROM] = tx.from;
                w[word::NONCE] = tx.nonce;
                w[word::FEE_BASE] = tx.fee.base;
                w[word::FEE_TIP] = tx.fee.tip;
                w[word::CHAIN_ID] = tx.chain_id;
                w[word::KEY..word::KEY + 2].copy_from_slice(&tx.next_key);
                match tx.action {
                    Action::Transfer { to, asset, amount } => {
                        w[word::KIND] = kind::TRANSFER;
                        w[word::TO] = to;
                        w[word::ASSET] = asset.code();
                        w[word::AMOUNT] = amount;
                    }
                    Action::Swap {
                        asset_in,
                        amount_in,
                        min_out,
                    } => {
                        w[word::KIND] = kind::SWAP;
                        w[word::ASSET] = asset_in.code();
                        w[word::AMOUNT] = amount_in;
                        w[word::MIN_OUT] = min_out;
                    }
                    Action::Withdraw { asset, amount } => {
                        w[word::KIND] = kind::WITHDRAW;
                        w[word::ASSET] = asset.code();
                        w[word::AMOUNT] = amount;
                    }
                }
            }
            L2Tx::Deposit(d) => {
                w[word::KIND] = kind::DEPOSIT;
                w[word::FROM] = d.account;
                w[word::ASSET] = d.asset.code();
                w[word::AMOUNT] = d.amount;
                w[word::OWNER..word::OWNER + 5].copy_from_slice(&address_limbs(&d.owner));
                w[word::DEPOSIT_INDEX] = d.index;
                w[word::KEY..word::KEY + 2].copy_from_slice(&d.key);
            }
        }
        w
    }

    /// The transaction's id: keccak256 of its words and (for user transactions) its
    /// signature. Stable across encodings.
    pub fn hash(&self) -> B256 {
        let mut buf = Vec::with_capacity(TX_WORDS * 8 + wots::SIG_BYTES);
        for w in self.words() {
            buf.extend_from_slice(&w.to_be_bytes());
        }
        if let L2Tx::User(tx) = self {
            buf.extend_from_slice(&tx.signature.to_bytes());
        }
        keccak256(&buf)
    }

    /// Its signature (all zero for a deposit, which is not signed): what the batch
    /// commitment and the circuit read.
    pub fn signature(&self) -> Signature {
        match self {
            L2Tx::User(tx) => tx.signature,
            L2Tx::Deposit(_) => Signature::default(),
        }
    }

    /// Fee offered (zero for deposits).
    pub fn fee(&self) -> Fee {
        match self {
            L2Tx::User(tx) => tx.fee,
            L2Tx::Deposit(_) => Fee::default(),
        }
    }
}

/// A secp256k1 key derived deterministically from a name and a seed (test and scenario
/// accounts): keccak256(seed ‖ name), re-hashed until it is a valid scalar.
pub fn deterministic_key(seed: u64, name: &str) -> SigningKey {
    let mut material = keccak256([&seed.to_be_bytes()[..], name.as_bytes()].concat());
    loop {
        if let Ok(key) = SigningKey::from_slice(material.as_slice()) {
            return key;
        }
        material = keccak256(material);
    }
}

/// The Ethereum address of a key.
pub fn key_address(key: &SigningKey) -> Address {
    Address::from_public_key(key.verifying_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_against_the_current_key_and_bind_every_field() {
        let key = deterministic_key(7, "alice");
        let tx = UserTx::sign(
            &key,
            3,
            0,
            Fee { base: 10, tip: 2 },
            0,
            Action::Transfer {
                to: 4,
                asset: Asset::Eth,
                amount: 100,
            },
        );
        let current = l2_key(&key, 3, 0);
        assert!(tx.authorized_by(current));
        assert_eq!(tx.next_key, l2_key(&key, 3, 1));
        assert!(!tx.authorized_by(tx.next_key));
        let mut other = tx;
        other.fee.tip = 3;
        assert!(!other.authorized_by(current));
        other = tx;
        other.next_key[0] ^= 1;
        assert!(!other.authorized_by(current), "the next key is signed");
        other = tx;
        other.signature.0[10][0] ^= 1;
        assert!(!other.authorized_by(current));
        let stranger = deterministic_key(7, "mallory");
        assert!(!tx.authorized_by(l2_key(&stranger, 3, 0)));
    }

    #[test]
    fn address_limbs_are_big_endian() {
        let a: Address = "0x0102030405060708090a0b0c0d0e0f1011121314"
            .parse()
            .unwrap();
        assert_eq!(
            address_limbs(&a),
            [0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10, 0x11121314]
        );
    }
}
