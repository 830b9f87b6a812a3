//! What a person sees of a run: the Perfetto export checked against the trace-event
//! format and against the run (a slice per proving job, of the hardware's simulated
//! time; a base-fee counter per block that follows EIP-1559), and the timeline page
//! (axes, legend, lanes folded, binned above its mark limit, under 5 MB at any size).

#[path = "common/outcomes.rs"]
#[allow(unused_macros)]
mod outcomes;

use serde_json::Value;
use zkarena::harness::l1::fees::next_base_fee;
use zkarena::harness::zk::{batch_rows, SHAPES};
use zkarena::run::{run, Outcome, RunOptions};
use zkarena::view::{self, perfetto, MAX_LANES};

fn dev_run(name: &str) -> Outcome {
    run(&outcomes::dev(name), &RunOptions::default()).unwrap()
}

/// Checks `file` against the Trace Event Format's JSON object form: the fields each
/// phase needs, and a named track for every event on one. Returns the events.
fn check_format(file: &Value) -> Vec<Value> {
    let events = file["traceEvents"].as_array().expect("traceEvents").clone();
    assert!(matches!(
        file["displayTimeUnit"].as_str(),
        Some("ms" | "ns")
    ));
    let mut named = std::collections::BTreeSet::new();
    for e in &events {
        let ph = e["ph"].as_str().expect("ph");
        assert!(
            e["name"].is_string() && e["pid"].is_u64() && e["tid"].is_u64(),
            "{e}"
        );
        match ph {
            "M" => {
                let n = e["name"].as_str().unwrap();
                assert!(
                    ["process_name", "thread_name", "thread_sort_index"].contains(&n),
                    "{e}"
                );
                assert!(e["args"].is_object(), "{e}");
                if n == "thread_name" {
                    assert!(e["args"]["name"].is_string());
                    named.insert((e["pid"].as_u64(), e["tid"].as_u64()));
                }
            }
            "X" => assert!(e["ts"].is_u64() && e["dur"].is_u64(), "{e}"),
            "i" => assert!(
                e["ts"].is_u64() && matches!(e["s"].as_str(), Some("g" | "p" | "t")),
                "{e}"
            ),
            "C" => {
                let args = e["args"].as_object().expect("counter args");
                assert!(
                    !args.is_empty() && args.values().all(Value::is_number),
                    "{e}"
                );
            }
            other => panic!("phase {other} is not one the export writes"),
        }
    }
    for e in events.iter().filter(|e| e["ph"] != "M") {
        assert!(
            named.contains(&(e["pid"].as_u64(), e["tid"].as_u64())),
            "an event on an unnamed track: {e}"
        );
    }
    events
}

fn perfetto_json(outcome: &Outcome) -> Value {
    let mut bytes = Vec::new();
    perfetto::write(outcome, &mut bytes).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn the_perfetto_export_follows_the_format_and_the_run() {
    let outcome = dev_run("baseline");
    let events = check_format(&perfetto_json(&outcome));
    let r = &outcome.report;
    // One slice per proving job, on the aggregator's track, as long as its hardware
    // takes for the batch's shape: 500 ms + rows / 4,096 rows per second.
    let slices: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    let agg = r.actors.iter().find(|a| a.name == "agg").unwrap();
    assert!(slices.len() as u64 >= agg.proofs_submitted && agg.proofs_submitted >= 8);
    let durations: Vec<u64> = SHAPES
        .iter()
        .map(|&s| (500 + batch_rows(s) as u64 * 1000 / 4096) * 1000)
        .collect();
    for s in &slices {
        assert!(durations.contains(&s["dur"].as_u64().unwrap()), "{s}");
        assert_eq!(s["args"]["to"], "prover-pool");
    }
    // An instant per delivered message.
    let messages = outcome.trace.iter().filter(|e| e.dur_ms.is_none()).count();
    assert_eq!(events.iter().filter(|e| e["ph"] == "i").count(), messages);
    // A base-fee counter per L1 block of the run, each following EIP-1559 from the
    // block before.
    let fees: Vec<f64> = events
        .iter()
        .filter(|e| e["name"] == "L1 base fee (gwei)")
        .map(|e| e["args"]["value"].as_f64().unwrap())
        .collect();
    assert_eq!(fees.len() as u64, r.l1_blocks);
    let blocks = &outcome.l1_blocks;
    assert_eq!(blocks.last().unwrap().number, r.last_l1_block);
    for (w, fee) in blocks.windows(2).zip(&fees[1..]) {
        let want = next_base_fee(w[0].base_fee, w[0].gas_used, w[0].gas_limit / 2);
        assert_eq!(w[1].base_fee, want);
        assert_eq!(*fee, want as f64 / 1e9);
    }
    // Times are simulated: sorted, and none past the run's end.
    let ts: Vec<u64> = events.iter().filter_map(|e| e["ts"].as_u64()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    assert!(*ts.last().unwrap() <= r.duration_ms * 1000);
}

#[test]
fn the_perfetto_export_of_a_pos_run_names_every_actor_and_is_deterministic() {
    let a = dev_run("pos-uncle-20");
    let file = perfetto_json(&a);
    let events = check_format(&file);
    for actor in &a.report.actors {
        assert!(
            events
                .iter()
                .any(|e| e["name"] == "thread_name" && e["args"]["name"] == actor.name.as_str()),
            "{} has no track",
            actor.name
        );
    }
    assert_eq!(file, perfetto_json(&dev_run("pos-uncle-20")));
}

#[test]
fn the_timeline_has_axes_a_legend_and_every_lane() {
    let outcome = dev_run("poe-baseline");
    let html = view::html(&outcome);
    for text in [
        "simulated time (s)",
        "L1 block",
        "proving (simulated time)",
        "gwei of ETH",
    ] {
        assert!(html.contains(text), "{text}");
    }
    // plotters writes a label as `<text ...>\nNAME\n</text>`.
    for a in &outcome.report.actors {
        assert!(
            html.contains(&format!(">\n{}\n<", a.name)),
            "no lane for {}",
            a.name
        );
    }
    // Every kind in the legend with its count.
    let proofs = outcome
        .trace
        .iter()
        .filter(|e| e.kind == "proof_ready")
        .count();
    assert!(html.contains(&format!("proof_ready ({proofs})")));
}

#[test]
fn a_large_run_folds_its_users_and_bins_its_marks_under_5_mb() {
    let s = outcomes::variant("baseline", |s| {
        s.slots = 6;
        s.workload.users = 300;
    });
    let mut outcome = run(&s, &RunOptions::default()).unwrap();
    let small = view::html(&outcome);
    assert!(small.contains("user x300"));
    let lanes = view::Lanes::new(&outcome.report, &outcome.trace);
    assert!(lanes.lanes.len() <= MAX_LANES);
    // The same run's trace 100 times over (3,000 users' worth of messages): binned,
    // and still small.
    let one = outcome.trace.clone();
    for _ in 0..99 {
        outcome.trace.extend(one.iter().cloned());
    }
    assert!(outcome.trace.len() > 100 * view::MAX_MARKS / 10);
    let big = view::html(&outcome);
    assert!(big.contains("one dot stands for all of a lane's messages"));
    assert!(big.len() < 5_000_000, "{} bytes", big.len());
}

#[test]
fn names_from_the_scenario_are_escaped_in_the_page() {
    let (_, text) = zkarena::scenario::shipped_sources()
        .iter()
        .find(|(n, _)| *n == "baseline")
        .unwrap();
    let text = text
        .replace(r#""proof_mode": "real""#, r#""proof_mode": "dev""#)
        .replace(r#""seq""#, r#""s<q&x""#);
    let s = zkarena::scenario::Scenario::parse(&text, "escape.json", "escape").unwrap();
    let outcome = run(&s, &RunOptions::default()).unwrap();
    let html = view::html(&outcome);
    assert!(!html.contains("s<q&x"));
    assert!(html.contains("s&lt;q&amp;x"));
}

#[test]
fn a_run_of_the_longest_length_stays_under_5_mb() {
    // A short run stretched to 20,000 slots (the most a scenario may have): a proving
    // job and an L1 block every slot, none overlapping.
    let mut outcome = dev_run("baseline");
    let slots = zkarena::scenario::MAX_SLOTS;
    let template = outcome.l1_blocks[0].clone();
    let job = outcome
        .trace
        .iter()
        .find(|e| e.dur_ms.is_some())
        .unwrap()
        .clone();
    for k in 0..slots {
        let t_ms = k * 12_000;
        outcome.trace.push(zkarena::harness::sim::TraceEntry {
            t_ms,
            dur_ms: Some(500),
            ..job.clone()
        });
        outcome.l1_blocks.push(zkarena::run::BlockPoint {
            number: template.number + k,
            t_ms,
            base_fee: 1_000_000_000 + k % 1_000,
            ..template.clone()
        });
    }
    outcome.report.duration_ms = slots * 12_000;
    let html = view::html(&outcome);
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
}
