//! The trace: one entry per delivered event (time, sender, receiver, kind, a short
//! summary) and per proving job started (with its simulated duration), kept in memory
//! and written as JSON lines. It is what a broken invariant carries, what the HTML
//! timeline draws and what the Perfetto export is made of.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// One delivered event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// Simulated milliseconds.
    pub t_ms: u64,
    /// Sender.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// Message kind.
    pub kind: String,
    /// One line about the message.
    pub summary: String,
    /// For work that takes simulated time (a proving job, `kind` "prove"), how long:
    /// the entry is its start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dur_ms: Option<u64>,
}

impl TraceEntry {
    /// A delivered message.
    pub fn message(t_ms: u64, from: String, to: String, kind: &str, summary: String) -> Self {
        Self {
            t_ms,
            from,
            to,
            kind: kind.into(),
            summary,
            dur_ms: None,
        }
    }
}

/// Writes `entries` as JSON lines.
pub fn write_jsonl(entries: &[TraceEntry], mut out: impl Write) -> std::io::Result<()> {
    for e in entries {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
