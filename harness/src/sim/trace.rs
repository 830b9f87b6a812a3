//! The trace: one entry per delivered event (time, sender, receiver, kind, a short
//! summary), kept in memory and written as JSON lines. It is what a broken invariant
//! carries and what the HTML timeline draws.

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
}

/// Writes `entries` as JSON lines.
pub fn write_jsonl(entries: &[TraceEntry], mut out: impl Write) -> std::io::Result<()> {
    for e in entries {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
