//! The run as a Chrome trace-event file (`trace.perfetto.json`), which ui.perfetto.dev
//! and chrome://tracing open: one track per actor, a slice per proving job (its
//! simulated duration), an instant per delivered message (kind, sender, summary), and
//! counters for the L1 base fee, blob base fee, gas used, mempool depth and the event
//! queue. Timestamps are simulated microseconds; nothing depends on the wall clock.
//!
//! The format is the "JSON Object Format" of the Trace Event Format document
//! (<https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU>):
//! `{"traceEvents": [...], "displayTimeUnit": "ms"}`. The crates that write it are
//! layers over `tracing` spans timed by the wall clock, so these few typed events are
//! written with serde here.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use zkarena_harness::sim::TraceEntry;

use crate::run::{BlockPoint, Outcome};

/// The process id of the run in the trace.
const PID: u64 = 1;
/// Track of the counters (the L1 and the event queue): tid 0, before every actor's.
const COUNTERS_TID: u64 = 0;

/// One trace event (the fields the format defines that zkarena uses).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Its name (slice title, message kind, counter name, or metadata kind).
    pub name: String,
    /// Category.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cat: String,
    /// Phase: `X` complete slice, `i` instant, `C` counter, `M` metadata.
    pub ph: String,
    /// Microseconds of simulated time.
    #[serde(default)]
    pub ts: u64,
    /// A slice's duration (µs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dur: Option<u64>,
    /// Process.
    pub pid: u64,
    /// Thread: the actor's track.
    #[serde(default)]
    pub tid: u64,
    /// An instant's scope (`t`: its thread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<String>,
    /// Arguments shown with the event (a counter's values).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub args: Value,
}

impl TraceEvent {
    fn new(name: impl Into<String>, ph: &str, ts: u64, tid: u64, args: Value) -> Self {
        Self {
            name: name.into(),
            cat: String::new(),
            ph: ph.into(),
            ts,
            dur: None,
            pid: PID,
            tid,
            s: None,
            args,
        }
    }
}

/// The tracks: every participant, from tid 1 (the order of [`super::participants`]).
fn tracks(outcome: &Outcome) -> (Vec<&str>, BTreeMap<&str, u64>) {
    let order = super::participants(&outcome.report, &outcome.trace);
    let tid = order.iter().zip(1..).map(|(n, t)| (*n, t)).collect();
    (order, tid)
}

/// The metadata events: the process's name and each track's name and place.
fn metadata(outcome: &Outcome, order: &[&str]) -> Vec<TraceEvent> {
    let r = &outcome.report;
    let mut out = vec![TraceEvent::new(
        "process_name",
        "M",
        0,
        0,
        json!({"name": format!("zkarena {} (seed {})", r.scenario, r.seed)}),
    )];
    out.extend(track(COUNTERS_TID, "counters"));
    for (tid, name) in (1..).zip(order) {
        out.extend(track(tid, name));
    }
    out
}

/// A track's name and its place (tracks sort by tid).
fn track(tid: u64, name: &str) -> [TraceEvent; 2] {
    [
        TraceEvent::new("thread_name", "M", 0, tid, json!({ "name": name })),
        TraceEvent::new(
            "thread_sort_index",
            "M",
            0,
            tid,
            json!({ "sort_index": tid }),
        ),
    ]
}

/// A trace entry's event: a proving slice on the prover's track, or a message instant
/// on the receiver's.
fn entry_event(e: &TraceEntry, tid: &BTreeMap<&str, u64>) -> TraceEvent {
    let us = e.t_ms.saturating_mul(1000);
    match e.dur_ms {
        Some(dur) => TraceEvent {
            cat: "proving".into(),
            dur: Some(dur.saturating_mul(1000)),
            ..TraceEvent::new(
                &e.summary,
                "X",
                us,
                tid[e.from.as_str()],
                json!({ "to": e.to }),
            )
        },
        None => TraceEvent {
            cat: "message".into(),
            s: Some("t".into()),
            ..TraceEvent::new(
                &e.kind,
                "i",
                us,
                tid[e.to.as_str()],
                json!({ "from": e.from, "summary": e.summary }),
            )
        },
    }
}

/// A block's counters.
fn block_events(b: &BlockPoint) -> [TraceEvent; 4] {
    let us = b.t_ms.saturating_mul(1000);
    let counter = |name: &str, value: Value| {
        TraceEvent::new(name, "C", us, COUNTERS_TID, json!({ "value": value }))
    };
    [
        counter("L1 base fee (gwei)", json!(b.base_fee as f64 / 1e9)),
        counter("L1 blob base fee (wei)", json!(b.blob_base_fee as f64)),
        counter("L1 gas used", json!(b.gas_used)),
        counter("L1 mempool (txs)", json!(b.pending_after)),
    ]
}

/// Writes `outcome` as a trace-event file (`{"displayTimeUnit": "ms", "traceEvents":
/// [...]}`): metadata first, then every event in time order (at one time: messages and
/// jobs as they happened, then block counters, then the queue's depth), one at a time,
/// so the export needs no more memory than the run already holds.
pub fn write(outcome: &Outcome, mut out: impl Write) -> std::io::Result<()> {
    let (order, tid) = tracks(outcome);
    out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[")?;
    let mut first = true;
    let mut emit = |e: &TraceEvent, out: &mut dyn Write| -> std::io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        serde_json::to_writer(out, e).map_err(std::io::Error::from)
    };
    for e in metadata(outcome, &order) {
        emit(&e, &mut out)?;
    }
    let mut entries = outcome.trace.iter().peekable();
    let mut blocks = outcome.l1_blocks.iter().peekable();
    let mut depths = outcome.queue_depths.iter().peekable();
    loop {
        let t_entry = entries.peek().map(|e| e.t_ms);
        let t_block = blocks.peek().map(|b| b.t_ms);
        let t_depth = depths.peek().map(|d| d.0);
        let Some(next) = [t_entry, t_block, t_depth].into_iter().flatten().min() else {
            break;
        };
        if t_entry == Some(next) {
            let e = entries.next().expect("peeked");
            emit(&entry_event(e, &tid), &mut out)?;
        } else if t_block == Some(next) {
            for e in block_events(blocks.next().expect("peeked")) {
                emit(&e, &mut out)?;
            }
        } else {
            let &(t_ms, depth) = depths.next().expect("peeked");
            let e = TraceEvent::new(
                "event queue (events)",
                "C",
                t_ms.saturating_mul(1000),
                COUNTERS_TID,
                json!({ "value": depth }),
            );
            emit(&e, &mut out)?;
        }
    }
    out.write_all(b"]}")
}

/// The whole file, as a reader parses it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceFile {
    /// Every event.
    pub trace_events: Vec<TraceEvent>,
    /// How the viewer shows times.
    pub display_time_unit: String,
}
