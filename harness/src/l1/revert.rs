//! Decoding of revert data into what a person reads: the Solidity error's name and
//! arguments, a `require` string, or a panic code and its meaning.

use std::collections::BTreeMap;
use std::fmt;

use alloy_dyn_abi::{DynSolValue, JsonAbiExt};
use alloy_json_abi::{Error as AbiError, JsonAbi};
use alloy_primitives::{hex, Bytes, Selector};
use serde::{Deserialize, Serialize};

/// Selector of `Error(string)`.
const ERROR_STRING: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
/// Selector of `Panic(uint256)`.
const PANIC: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

/// A decoded revert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RevertReason {
    /// Reverted without data.
    Empty,
    /// `revert("...")` or a failed `require` with a message.
    Message {
        /// The message.
        message: String,
    },
    /// A compiler-inserted panic (`Panic(uint256)`).
    Panic {
        /// Panic code.
        code: u64,
        /// What the code means.
        meaning: String,
    },
    /// A custom Solidity error known from the shipped contract artifacts.
    Custom {
        /// Error name.
        name: String,
        /// Arguments, rendered.
        args: Vec<String>,
    },
    /// Data no known error matches.
    Unknown {
        /// The raw data, hex.
        data: String,
    },
}

impl RevertReason {
    /// The error name, for custom errors.
    pub fn name(&self) -> Option<&str> {
        match self {
            RevertReason::Custom { name, .. } => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for RevertReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevertReason::Empty => write!(f, "reverted without data"),
            RevertReason::Message { message } => write!(f, "{message:?}"),
            RevertReason::Panic { code, meaning } => write!(f, "Panic(0x{code:02x}: {meaning})"),
            RevertReason::Custom { name, args } => write!(f, "{name}({})", args.join(", ")),
            RevertReason::Unknown { data } => write!(f, "unknown revert data {data}"),
        }
    }
}

/// Decodes revert data against the custom errors of a set of ABIs.
#[derive(Clone, Debug, Default)]
pub struct RevertDecoder {
    errors: BTreeMap<Selector, AbiError>,
}

impl RevertDecoder {
    /// A decoder that knows no custom errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns every custom error of `abi`.
    pub fn add_abi(&mut self, abi: &JsonAbi) {
        for error in abi.errors() {
            self.errors
                .entry(error.selector())
                .or_insert_with(|| error.clone());
        }
    }

    /// Decodes `data` returned by a reverted call.
    pub fn decode(&self, data: &[u8]) -> RevertReason {
        if data.is_empty() {
            return RevertReason::Empty;
        }
        if data.len() < 4 {
            return unknown(data);
        }
        let (selector, body) = data.split_at(4);
        if selector == ERROR_STRING {
            if let Ok(DynSolValue::String(message)) =
                alloy_dyn_abi::DynSolType::String.abi_decode(body)
            {
                return RevertReason::Message { message };
            }
            return unknown(data);
        }
        if selector == PANIC {
            if let Ok(DynSolValue::Uint(code, _)) =
                alloy_dyn_abi::DynSolType::Uint(256).abi_decode(body)
            {
                let code = u64::try_from(code).unwrap_or(u64::MAX);
                return RevertReason::Panic {
                    code,
                    meaning: panic_meaning(code).to_string(),
                };
            }
            return unknown(data);
        }
        let selector = Selector::from_slice(selector);
        match self.errors.get(&selector) {
            Some(error) => match error.abi_decode_input(body) {
                Ok(values) => RevertReason::Custom {
                    name: error.name.clone(),
                    args: values.iter().map(render).collect(),
                },
                Err(_) => unknown(data),
            },
            None => unknown(data),
        }
    }
}

fn unknown(data: &[u8]) -> RevertReason {
    RevertReason::Unknown {
        data: hex::encode_prefixed(data),
    }
}

/// Renders a decoded ABI value the way Solidity tooling prints it.
fn render(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(w, size) => hex::encode_prefixed(&w[..*size]),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Function(f) => hex::encode_prefixed(f.as_slice()),
        DynSolValue::Bytes(b) => Bytes::copy_from_slice(b).to_string(),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            )
        }
        DynSolValue::Tuple(items) => {
            format!(
                "({})",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// What a Solidity panic code means (Solidity docs, "Panic via assert and Error via require").
fn panic_meaning(code: u64) -> &'static str {
    match code {
        0x00 => "generic compiler panic",
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division or modulo by zero",
        0x21 => "invalid enum value",
        0x22 => "invalid storage byte array encoding",
        0x31 => "pop on empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to uninitialized function",
        _ => "unknown panic code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_require_string_and_panic() {
        let d = RevertDecoder::new();
        let mut data = ERROR_STRING.to_vec();
        data.extend(DynSolValue::String("nope".into()).abi_encode());
        assert_eq!(
            d.decode(&data),
            RevertReason::Message {
                message: "nope".into()
            }
        );

        let mut data = PANIC.to_vec();
        data.extend(DynSolValue::Uint(alloy_primitives::U256::from(0x11), 256).abi_encode());
        assert_eq!(
            d.decode(&data).to_string(),
            "Panic(0x11: arithmetic overflow or underflow)"
        );
        assert_eq!(d.decode(&[]), RevertReason::Empty);
        assert!(matches!(d.decode(&[1, 2]), RevertReason::Unknown { .. }));
        // Truncated bodies never panic.
        assert!(matches!(
            d.decode(&ERROR_STRING),
            RevertReason::Unknown { .. }
        ));
    }
}
