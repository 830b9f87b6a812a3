//! The batch codec: the bytes a sequencer posts to L1 (calldata or blob) and everyone
//! decodes. Two formats share one field sequence: `Plain` writes every integer at fixed
//! width, big-endian; `Compact` writes integers as LEB128 varints (most fields are small),
//! which is the optional compression. Decoding checks every bound and names the byte
//! offset of the first problem.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use super::tx::{Action, Asset, Deposit, Fee, L2Tx, UserTx, MAX_AMOUNT, MAX_NONCE};
use super::wots::{KeyDigest, Signature, SIG_BYTES};

/// Most transactions one batch may hold: the largest batch circuit's slots
/// ([`crate::zk::SHAPES`]), so that every batch the L1 accepts can be proven. A longer
/// batch is malformed (a test pins the two constants together).
pub const MAX_BATCH_TXS: usize = 64;

/// A batch: who sequenced it, the L1 block it targets, where its fees go, and its
/// transactions in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Sequencer id (what a transaction's chain id names).
    pub sequencer: u64,
    /// L1 block the sequencer targets.
    pub l1_block: u64,
    /// L2 account credited with the batch's fees.
    pub fee_account: u64,
    /// Transactions.
    pub txs: Vec<L2Tx>,
}

/// How a batch is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Fixed-width big-endian integers.
    Plain = 0,
    /// LEB128 varints.
    Compact = 1,
}

/// A decoding failure: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("batch bytes at offset {offset}: {kind}")]
pub struct CodecError {
    /// Byte offset of the field that failed.
    pub offset: usize,
    /// What was wrong.
    pub kind: CodecErrorKind,
}

/// What was wrong with the bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecErrorKind {
    /// Input ended inside a field.
    #[error("truncated: {field} needs {needed} more bytes")]
    Truncated {
        /// Field being read.
        field: &'static str,
        /// Bytes missing.
        needed: usize,
    },
    /// Unknown format byte.
    #[error("unknown format byte {0:#04x}")]
    UnknownFormat(u8),
    /// Unknown transaction kind.
    #[error("unknown transaction kind {0}")]
    UnknownKind(u64),
    /// A field is above its bound.
    #[error("{field} = {value} is above its bound {max}")]
    OutOfRange {
        /// Field.
        field: &'static str,
        /// Value read.
        value: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A varint is longer than 10 bytes or overflows 64 bits.
    #[error("malformed varint in {0}")]
    BadVarint(&'static str),
    /// Bytes remain after the last transaction.
    #[error("{0} trailing bytes after the last transaction")]
    Trailing(usize),
    /// A deposit is not the bridge queue's next one.
    #[error("deposit {got} where the queue is at {expected}")]
    DepositOutOfOrder {
        /// The deposit's index.
        got: u64,
        /// The queue's next index.
        expected: u64,
    },
}

const U32: u64 = u32::MAX as u64;
/// The Goldilocks modulus: key digests and signature elements are below it.
const FIELD_ORDER: u64 = <super::smt::F as plonky2::field::types::Field64>::ORDER;

impl Batch {
    /// Encodes the batch.
    pub fn encode(&self, format: Format) -> Vec<u8> {
        let mut w = Writer {
            out: vec![format as u8],
            format,
        };
        w.uint(self.sequencer, 4);
        w.uint(self.l1_block, 8);
        w.uint(self.fee_account, 4);
        w.uint(self.txs.len() as u64, 4);
        for tx in &self.txs {
            match tx {
                L2Tx::User(u) => {
                    let (kind, to, asset, amount, min_out) = match u.action {
                        Action::Transfer { to, asset, amount } => (1, to, asset, amount, 0),
                        Action::Swap {
                            asset_in,
                            amount_in,
                            min_out,
                        } => (2, 0, asset_in, amount_in, min_out),
                        Action::Withdraw { asset, amount } => (3, 0, asset, amount, 0),
                    };
                    w.uint(kind, 1);
                    w.uint(u.from, 4);
                    w.uint(u.nonce, 8);
                    w.uint(u.fee.base, 8);
                    w.uint(u.fee.tip, 8);
                    w.uint(u.chain_id, 4);
                    if kind == 1 {
                        w.uint(to, 4);
                    }
                    w.uint(asset.code(), 1);
                    w.uint(amount, 8);
                    if kind == 2 {
                        w.uint(min_out, 8);
                    }
                    w.key(u.next_key);
                    w.out.extend_from_slice(&u.signature.to_bytes());
                }
                L2Tx::Deposit(d) => {
                    w.uint(4, 1);
                    w.uint(d.index, 8);
                    w.uint(d.account, 4);
                    w.out.extend_from_slice(d.owner.as_slice());
                    w.uint(d.asset.code(), 1);
                    w.uint(d.amount, 8);
                    w.key(d.key);
                }
            }
        }
        w.out
    }

    /// Decodes a batch written by [`Batch::encode`] in either format.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let Some(&first) = bytes.first() else {
            return Err(CodecError {
                offset: 0,
                kind: CodecErrorKind::Truncated {
                    field: "format",
                    needed: 1,
                },
            });
        };
        let format = match first {
            0 => Format::Plain,
            1 => Format::Compact,
            other => {
                return Err(CodecError {
                    offset: 0,
                    kind: CodecErrorKind::UnknownFormat(other),
                })
            }
        };
        let mut r = Reader {
            bytes,
            pos: 1,
            format,
        };
        let sequencer = r.uint("sequencer", 4, U32)?;
        let l1_block = r.uint("l1_block", 8, MAX_AMOUNT)?;
        let fee_account = r.uint("fee_account", 4, U32)?;
        let count = r.uint("tx_count", 4, MAX_BATCH_TXS as u64)? as usize;
        let mut txs = Vec::with_capacity(count);
        for _ in 0..count {
            let kind_at = r.pos;
            let kind = r.uint("kind", 1, u8::MAX as u64)?;
            let tx = match kind {
                1..=3 => {
                    let from = r.uint("from", 4, U32)?;
                    let nonce = r.uint("nonce", 8, MAX_NONCE)?;
                    let base = r.uint("fee.base", 8, MAX_AMOUNT)?;
                    let tip = r.uint("fee.tip", 8, MAX_AMOUNT)?;
                    let chain_id = r.uint("chain_id", 4, U32)?;
                    let to = if kind == 1 { r.uint("to", 4, U32)? } else { 0 };
                    let asset = r.asset()?;
                    let amount_at = r.pos;
                    let amount = r.uint("amount", 8, MAX_AMOUNT)?;
                    let action = match kind {
                        1 => Action::Transfer { to, asset, amount },
                        2 => {
                            if amount == 0 {
                                return Err(CodecError {
                                    offset: amount_at,
                                    kind: CodecErrorKind::OutOfRange {
                                        field: "swap amount_in (must be at least 1)",
                                        value: 0,
                                        max: MAX_AMOUNT,
                                    },
                                });
                            }
                            let min_out = r.uint("min_out", 8, MAX_AMOUNT)?;
                            Action::Swap {
                                asset_in: asset,
                                amount_in: amount,
                                min_out,
                            }
                        }
                        _ => Action::Withdraw { asset, amount },
                    };
                    let next_key = r.key("next_key")?;
                    let signature = r.signature()?;
                    L2Tx::User(UserTx {
                        from,
                        nonce,
                        fee: Fee { base, tip },
                        chain_id,
                        action,
                        next_key,
                        signature,
                    })
                }
                4 => {
                    let index = r.uint("deposit.index", 8, MAX_AMOUNT)?;
                    let account = r.uint("deposit.account", 4, U32)?;
                    let owner = Address::from_slice(r.take("deposit.owner", 20)?);
                    let asset = r.asset()?;
                    let amount = r.uint("deposit.amount", 8, MAX_AMOUNT)?;
                    let key = r.key("deposit.key")?;
                    L2Tx::Deposit(Deposit {
                        index,
                        account,
                        owner,
                        asset,
                        amount,
                        key,
                    })
                }
                other => {
                    return Err(CodecError {
                        offset: kind_at,
                        kind: CodecErrorKind::UnknownKind(other),
                    })
                }
            };
            txs.push(tx);
        }
        if r.pos != bytes.len() {
            return Err(CodecError {
                offset: r.pos,
                kind: CodecErrorKind::Trailing(bytes.len() - r.pos),
            });
        }
        Ok(Self {
            sequencer,
            l1_block,
            fee_account,
            txs,
        })
    }

    /// The batch the L1 sequences for `bytes` when the bridge's deposit queue has
    /// `first_deposit` deposits consumed already: the decoded batch, or, when the bytes
    /// are malformed or consume deposits out of queue order, the no-op batch with the
    /// reason. The BATCH_COMMITMENT precompile and every actor that reads batches back
    /// from L1 call this one function, so the batch the provers execute is the one the
    /// L1 committed to.
    pub fn sequenced(bytes: &[u8], first_deposit: u64) -> Result<Self, CodecError> {
        let batch = Self::decode(bytes)?;
        let mut expected = first_deposit;
        for tx in &batch.txs {
            if let L2Tx::Deposit(d) = tx {
                if d.index != expected {
                    return Err(CodecError {
                        offset: 0,
                        kind: CodecErrorKind::DepositOutOfOrder {
                            got: d.index,
                            expected,
                        },
                    });
                }
                expected += 1;
            }
        }
        Ok(batch)
    }

    /// The transaction count the header of `bytes` claims (at most [`MAX_BATCH_TXS`]),
    /// without decoding the transactions; `None` if the header does not decode. What
    /// a decoder's work is bounded by (the L1 prices the batch commitment by it).
    pub fn claimed_tx_count(bytes: &[u8]) -> Option<u64> {
        let format = match bytes.first()? {
            0 => Format::Plain,
            1 => Format::Compact,
            _ => return None,
        };
        let mut r = Reader {
            bytes,
            pos: 1,
            format,
        };
        r.uint("sequencer", 4, U32).ok()?;
        r.uint("l1_block", 8, MAX_AMOUNT).ok()?;
        r.uint("fee_account", 4, U32).ok()?;
        r.uint("tx_count", 4, MAX_BATCH_TXS as u64).ok()
    }

    /// Deposits the batch consumes.
    pub fn deposit_count(&self) -> u64 {
        self.txs
            .iter()
            .filter(|tx| matches!(tx, L2Tx::Deposit(_)))
            .count() as u64
    }

    /// What malformed batch bytes count as: no transactions, header (0, 0, 0).
    pub fn noop() -> Self {
        Self {
            sequencer: 0,
            l1_block: 0,
            fee_account: 0,
            txs: Vec::new(),
        }
    }

    /// Bytes of the plain header: format, sequencer, L1 block, fee account, count.
    pub const PLAIN_HEADER_BYTES: usize = 21;

    /// One transaction's record in the plain format (what a batch of it carries after
    /// the header): what a censored user posts on L1 with `forceBatch`.
    pub fn plain_record(tx: &L2Tx) -> Vec<u8> {
        let one = Batch {
            sequencer: 0,
            l1_block: 0,
            fee_account: 0,
            txs: vec![*tx],
        };
        one.encode(Format::Plain)[Self::PLAIN_HEADER_BYTES..].to_vec()
    }

    /// The transaction a plain record (from [`Batch::plain_record`]) holds.
    pub fn from_plain_record(record: &[u8]) -> Result<L2Tx, CodecError> {
        let mut bytes = Self::noop().encode(Format::Plain);
        bytes[Self::PLAIN_HEADER_BYTES - 4..].copy_from_slice(&1u32.to_be_bytes());
        bytes.extend_from_slice(record);
        Ok(Self::decode(&bytes)?.txs[0])
    }

    /// The header words the commitment starts from: sequencer, L1 block, fee account.
    pub fn header_words(&self) -> [u64; 3] {
        [self.sequencer, self.l1_block, self.fee_account]
    }
}

struct Writer {
    out: Vec<u8>,
    format: Format,
}

impl Writer {
    /// A key digest: two field elements, 8 bytes each in both formats (they are
    /// uniformly spread, so a varint would not shrink them).
    fn key(&mut self, key: KeyDigest) {
        for e in key {
            self.out.extend_from_slice(&e.to_be_bytes());
        }
    }

    fn uint(&mut self, v: u64, width: usize) {
        match self.format {
            Format::Plain => self.out.extend_from_slice(&v.to_be_bytes()[8 - width..]),
            Format::Compact => {
                let mut v = v;
                loop {
                    let byte = (v & 0x7f) as u8;
                    v >>= 7;
                    if v == 0 {
                        self.out.push(byte);
                        break;
                    }
                    self.out.push(byte | 0x80);
                }
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    format: Format,
}

impl<'a> Reader<'a> {
    /// A key digest written by [`Writer::key`]; each element must be canonical.
    fn key(&mut self, field: &'static str) -> Result<KeyDigest, CodecError> {
        let mut key = [0; 2];
        for e in &mut key {
            let at = self.pos;
            let v = u64::from_be_bytes(self.take(field, 8)?.try_into().expect("8 bytes"));
            if v >= FIELD_ORDER {
                return Err(CodecError {
                    offset: at,
                    kind: CodecErrorKind::OutOfRange {
                        field,
                        value: v,
                        max: FIELD_ORDER - 1,
                    },
                });
            }
            *e = v;
        }
        Ok(key)
    }

    /// A one-time signature: [`SIG_BYTES`] bytes of canonical field elements.
    fn signature(&mut self) -> Result<Signature, CodecError> {
        let at = self.pos;
        let bytes: &[u8; SIG_BYTES] = self
            .take("signature", SIG_BYTES)?
            .try_into()
            .expect("SIG_BYTES bytes");
        Signature::from_bytes(bytes).map_err(|i| CodecError {
            offset: at + 8 * i,
            kind: CodecErrorKind::OutOfRange {
                field: "signature element",
                value: u64::from_be_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes")),
                max: FIELD_ORDER - 1,
            },
        })
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], CodecError> {
        let rest = self.bytes.len() - self.pos;
        if rest < n {
            return Err(CodecError {
                offset: self.pos,
                kind: CodecErrorKind::Truncated {
                    field,
                    needed: n - rest,
                },
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn uint(&mut self, field: &'static str, width: usize, max: u64) -> Result<u64, CodecError> {
        let at = self.pos;
        let value = match self.format {
            Format::Plain => {
                let mut buf = [0u8; 8];
                buf[8 - width..].copy_from_slice(self.take(field, width)?);
                u64::from_be_bytes(buf)
            }
            Format::Compact => {
                let mut v: u64 = 0;
                let mut shift = 0u32;
                loop {
                    let byte = self.take(field, 1)?[0];
                    let bits = (byte & 0x7f) as u64;
                    if shift == 63 && bits > 1 || shift > 63 {
                        return Err(CodecError {
                            offset: at,
                            kind: CodecErrorKind::BadVarint(field),
                        });
                    }
                    v |= bits << shift;
                    if byte & 0x80 == 0 {
                        break;
                    }
                    shift += 7;
                }
                v
            }
        };
        if value > max {
            return Err(CodecError {
                offset: at,
                kind: CodecErrorKind::OutOfRange { field, value, max },
            });
        }
        Ok(value)
    }

    fn asset(&mut self) -> Result<Asset, CodecError> {
        let at = self.pos;
        let code = self.uint("asset", 1, u8::MAX as u64)?;
        Asset::from_code(code).ok_or(CodecError {
            offset: at,
            kind: CodecErrorKind::OutOfRange {
                field: "asset",
                value: code,
                max: 1,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l2::tx::deterministic_key;

    fn sample() -> Batch {
        let key = deterministic_key(1, "u");
        let user = |nonce, action| {
            L2Tx::User(UserTx::sign(
                &key,
                2,
                nonce,
                Fee { base: 5, tip: 1 },
                7,
                action,
            ))
        };
        Batch {
            sequencer: 7,
            l1_block: 12,
            fee_account: 1,
            txs: vec![
                L2Tx::Deposit(Deposit {
                    index: 0,
                    account: 2,
                    owner: Address::repeat_byte(0xab),
                    asset: Asset::Token,
                    amount: 1 << 40,
                    key: [3, 0xffff_ffff_0000_0000],
                }),
                user(
                    0,
                    Action::Transfer {
                        to: 3,
                        asset: Asset::Eth,
                        amount: 9,
                    },
                ),
                user(
                    1,
                    Action::Swap {
                        asset_in: Asset::Token,
                        amount_in: 1000,
                        min_out: MAX_AMOUNT,
                    },
                ),
                user(
                    2,
                    Action::Withdraw {
                        asset: Asset::Eth,
                        amount: 1,
                    },
                ),
            ],
        }
    }

    #[test]
    fn both_formats_round_trip_and_compact_is_smaller() {
        let b = sample();
        for f in [Format::Plain, Format::Compact] {
            assert_eq!(Batch::decode(&b.encode(f)).unwrap(), b, "{f:?}");
        }
        assert!(b.encode(Format::Compact).len() < b.encode(Format::Plain).len());
    }

    #[test]
    fn a_plain_record_round_trips() {
        for tx in sample().txs {
            assert_eq!(
                Batch::from_plain_record(&Batch::plain_record(&tx)).unwrap(),
                tx
            );
        }
        assert!(Batch::from_plain_record(&[1, 2]).is_err());
    }

    #[test]
    fn every_truncation_is_a_typed_error_at_the_end() {
        for f in [Format::Plain, Format::Compact] {
            let bytes = sample().encode(f);
            for cut in 0..bytes.len() {
                let err = Batch::decode(&bytes[..cut]).unwrap_err();
                assert!(
                    matches!(err.kind, CodecErrorKind::Truncated { .. }),
                    "{f:?} cut {cut}: {err}"
                );
                assert!(err.offset <= cut, "{f:?} cut {cut}: {err}");
            }
        }
    }

    #[test]
    fn bad_fields_name_their_offset() {
        let mut bytes = sample().encode(Format::Plain);
        // Header: format 1 + sequencer 4 + block 8 + fee account 4 + count 4 = 21; the
        // first transaction's kind byte follows.
        bytes[21] = 9;
        assert_eq!(
            Batch::decode(&bytes).unwrap_err(),
            CodecError {
                offset: 21,
                kind: CodecErrorKind::UnknownKind(9)
            }
        );
        let mut bytes = sample().encode(Format::Plain);
        bytes.push(0);
        assert!(matches!(
            Batch::decode(&bytes).unwrap_err().kind,
            CodecErrorKind::Trailing(1)
        ));
        assert!(matches!(
            Batch::decode(&[7]).unwrap_err().kind,
            CodecErrorKind::UnknownFormat(7)
        ));
        // An amount at or above 2^62 is rejected where it sits.
        let mut bytes = sample().encode(Format::Plain);
        let amount_at = 21 + 1 + 8 + 4 + 20 + 1;
        bytes[amount_at] = 0x40;
        assert_eq!(Batch::decode(&bytes).unwrap_err().offset, amount_at);
        // A compact varint that overflows 64 bits.
        let mut bytes = vec![1u8];
        bytes.extend([0xff; 10]);
        assert!(matches!(
            Batch::decode(&bytes).unwrap_err().kind,
            CodecErrorKind::BadVarint("sequencer")
        ));
    }
}
