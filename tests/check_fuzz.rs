//! `check` as a safety net: a seeded mutator rewrites fields of the shipped scenarios
//! with extreme values, wrong types and missing pieces. Every mutant `check` refuses
//! must say where (a JSON path or a line); every mutant it accepts must run (dev proofs,
//! its first slots) to the end without a panic, within a time bound and, for the whole
//! test, a memory bound; and the published JSON Schema must accept it too.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zkarena::harness::sim::rng::SimRng;
use zkarena::harness::zk::ProofMode;
use zkarena::run::{run, RunError, RunOptions};
use zkarena::scenario::{shipped_sources, Scenario, ScenarioError};

/// Mutants tried (`FUZZ_CASES` and `FUZZ_SEED` explore further, e.g.
/// `FUZZ_CASES=20000 FUZZ_SEED=3 cargo test --release --test check_fuzz`).
const CASES: usize = 400;

fn from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Slots an accepted mutant runs (its first ones: enough for every actor to act).
const SLOTS: u64 = 4;

/// Longest a short run may take (they take well under a second).
const RUN_BOUND: Duration = Duration::from_secs(20);

/// Most memory the whole test may reach (peak resident set).
const MEMORY_BOUND_KB: u64 = 2 * 1024 * 1024;

/// True once in `n` draws.
fn one_in(rng: &mut SimRng, n: u64) -> bool {
    rng.next_u64().is_multiple_of(n)
}

/// Values that break careless arithmetic, parsing and allocation.
fn extreme(rng: &mut SimRng) -> Value {
    let pick = [
        json!(0),
        json!(1),
        json!(-1),
        json!(u64::MAX),
        json!(u64::MAX - 1),
        json!(1u64 << 32),
        json!(1u64 << 53),
        json!(i64::MIN),
        json!(1e308),
        json!(0.5),
        json!(-0.0),
        json!(""),
        json!("x".repeat(300)),
        json!(null),
        json!(true),
        json!([]),
        json!([0, 0]),
        json!({}),
    ];
    pick[(rng.next_u64() % pick.len() as u64) as usize].clone()
}

/// Replaces, removes or retypes one value somewhere in `v` (below the top: a file
/// that is not an object is refused at once, which says nothing new).
fn mutate(v: &mut Value, rng: &mut SimRng, depth: usize) {
    let go_deeper = depth == 0 || !one_in(rng, 3);
    match v {
        Value::Object(map) if !map.is_empty() && go_deeper => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[(rng.next_u64() % keys.len() as u64) as usize];
            if one_in(rng, 8) {
                map.remove(key);
            } else if let Some(child) = map.get_mut(key) {
                mutate(child, rng, depth + 1);
            }
        }
        Value::Array(items) if !items.is_empty() && go_deeper => {
            let k = (rng.next_u64() % items.len() as u64) as usize;
            if one_in(rng, 8) {
                let copy = items[k].clone();
                items.push(copy);
            } else {
                mutate(&mut items[k], rng, depth + 1);
            }
        }
        // Mostly a plausible change (a number scaled or nudged, a flag flipped),
        // which `check` often accepts; else an extreme value.
        Value::Number(n) if !one_in(rng, 4) => {
            let x = n.as_f64().unwrap_or(0.0);
            let factors = [0.0, 0.5, 2.0, 3.0, 10.0, 1000.0];
            let y = match rng.next_u64() % 3 {
                0 => x + 1.0,
                1 => (x - 1.0).max(0.0),
                _ => x * factors[(rng.next_u64() % factors.len() as u64) as usize],
            };
            *v = if n.is_f64() {
                json!(y)
            } else {
                json!(y.round() as u64)
            };
        }
        Value::Bool(b) if one_in(rng, 2) => *b = !*b,
        _ => *v = extreme(rng),
    }
}

/// Peak resident memory of this process (KB), from /proc where there is one.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn every_mutant_check_accepts_runs_to_the_end_and_every_refusal_says_where() {
    let shipped = shipped_sources();
    let cases = from_env("FUZZ_CASES", CASES as u64) as usize;
    // The published schema may be looser than `check` (it cannot say that names are
    // unique), never stricter: an editor must not flag a file zkarena runs.
    let schema = jsonschema::validator_for(&zkarena::scenario::json_schema()).unwrap();
    let mut rng = SimRng::stream(from_env("FUZZ_SEED", 17), "check-fuzz");
    let (mut accepted, mut refused) = (0, 0);
    let opts = RunOptions {
        threads: 1,
        ..RunOptions::default()
    };
    for case in 0..cases {
        let (name, text) = shipped[(rng.next_u64() % shipped.len() as u64) as usize];
        let mut v: Value = serde_json::from_str(text).unwrap();
        for _ in 0..1 + rng.next_u64() % 3 {
            mutate(&mut v, &mut rng, 0);
        }
        let mutant = serde_json::to_string_pretty(&v).unwrap();
        let label = format!("case {case} (from {name}): {}", v);
        match Scenario::parse(&mutant, "mutant.json", name) {
            Err(e) => {
                refused += 1;
                if std::env::var("FUZZ_VERBOSE").is_ok() {
                    eprintln!("refused: {e}");
                }
                // Where: a JSON path, or a line for what is not JSON at all.
                let located = match &e {
                    ScenarioError::Parse { path, line, .. } => !path.is_empty() || *line > 0,
                    ScenarioError::Invalid { path, .. } => !path.is_empty(),
                    other => panic!("{label}: refused without a place: {other}"),
                };
                assert!(located, "{label}: {e}");
            }
            Ok(mut s) => {
                accepted += 1;
                let complaints: Vec<String> =
                    schema.iter_errors(&v).map(|e| e.to_string()).collect();
                assert!(
                    complaints.is_empty(),
                    "{label}: check accepts it, the schema does not: {complaints:?}"
                );
                s.proof_mode = ProofMode::Dev;
                s.slots = s.slots.min(SLOTS);
                let started = Instant::now();
                match run(&s, &opts) {
                    Ok(_) => {}
                    Err(e @ RunError::Panicked { .. }) => {
                        panic!("{label}: accepted, then broke: {e}")
                    }
                    Err(e) => panic!("{label}: accepted, then failed to set up: {e}"),
                }
                let took = started.elapsed();
                assert!(took < RUN_BOUND, "{label}: {SLOTS} slots took {took:?}");
            }
        }
    }
    eprintln!("{cases} mutants: {accepted} accepted and run, {refused} refused with a place");
    // Both sides are exercised.
    assert!(
        accepted >= 30 && refused >= 30,
        "{accepted} accepted, {refused} refused"
    );
    if let Some(kb) = peak_rss_kb() {
        assert!(kb < MEMORY_BOUND_KB, "peak memory {kb} KB");
    }
}
