//! `zkarena sweep`, `sweep merge` and population claims, run as a user runs them: the
//! same bytes whatever the parallelism or the sharding, shards that do not make one
//! sweep refused, bad plans refused at once, and claims over seeds with their Wilson
//! intervals.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zkarena(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkarena"));
    c.args(args);
    // A test inside a Slurm or Kubernetes job must not pick up its shard.
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c.output().expect("zkarena runs")
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkarena-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A centralized rollup small enough to run many times.
const TINY: &str = r#"{
  "description": "tiny",
  "mechanism": { "kind": "centralized" },
  "slots": 4,
  "proof_mode": "dev",
  "cast": [
    { "role": "sequencer", "name": "seq", "id": 1 },
    { "role": "aggregator", "name": "agg", "hardware": { "rows_per_sec": 4096 } }
  ],
  "workload": { "users": 3, "sequencer": "seq", "txs_per_slot": 1 },
  "expect": [{ "metric": "finalized_invalid_roots", "op": "==", "value": 0 }]
}"#;

/// The plan: the tiny scenario (a path relative to the plan) at two loads, three seeds.
const PLAN: &str = r#"{
  "description": "load against inclusion",
  "scenarios": ["tiny.json"],
  "grid": { "workload.txs_per_slot": [0.5, 2] },
  "seeds": 3,
  "seed": 5,
  "chart": ["txs_applied"]
}"#;

const FILES: [&str; 4] = ["sweep.json", "sweep.md", "runs.csv", "sweep.html"];

fn plan_dir(name: &str) -> PathBuf {
    let d = dir(name);
    std::fs::write(d.join("tiny.json"), TINY).unwrap();
    std::fs::write(d.join("plan.json"), PLAN).unwrap();
    d
}

#[test]
fn a_sweep_is_the_same_bytes_whatever_the_parallelism_and_the_sharding() {
    let d = plan_dir("bytes");
    let plan = d.join("plan.json");
    let sweep = |out: &Path, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["sweep", s(&plan), "--out", s(out)];
        args.extend(extra);
        let o = zkarena(&args, env);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        o
    };
    let (one, two) = (d.join("jobs1"), d.join("jobs2"));
    let printed = sweep(&one, &["--jobs", "1"], &[]);
    sweep(&two, &["--jobs", "2"], &[]);
    // Three shards: one by flag, one as a Slurm array task (ids 1..=3), one as a
    // Kubernetes Indexed Job's pod; then merged.
    let shards = d.join("shards");
    sweep(&shards, &["--shard", "0/3"], &[]);
    sweep(
        &shards,
        &[],
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    sweep(
        &shards,
        &["--jobs", "2"],
        &[("JOB_COMPLETION_INDEX", "2"), ("JOB_COMPLETIONS", "3")],
    );
    let merged = d.join("merged");
    let o = zkarena(&["sweep", "merge", s(&shards), "--out", s(&merged)], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in FILES {
        let a = std::fs::read(one.join(f)).unwrap();
        assert_eq!(a, std::fs::read(two.join(f)).unwrap(), "{f}: --jobs 1 vs 2");
        assert_eq!(
            a,
            std::fs::read(merged.join(f)).unwrap(),
            "{f}: merged shards"
        );
    }
    // Two cells of three seeds (5, 6, 7), each run one tidy row with its load.
    let csv = std::fs::read_to_string(one.join("runs.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 6, "{csv}");
    assert!(lines[0]
        .starts_with("run,scenario,seed,workload.txs_per_slot,status,invariants_held,error,"));
    assert!(
        lines[1].starts_with("0,tiny,5,0.5,passed,true,,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[6].starts_with("5,tiny,7,2,passed,true,,"),
        "{}",
        lines[6]
    );
    let text = String::from_utf8_lossy(&printed.stdout);
    assert!(
        text.contains("| tiny workload.txs_per_slot=0.5 | 3/3 |"),
        "{text}"
    );
    let html = std::fs::read_to_string(one.join("sweep.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("txs_applied against workload.txs_per_slot"));

    // A row is the run: the same seed and load through `zkarena run` reports the same.
    let heavy = TINY.replace(r#""txs_per_slot": 1"#, r#""txs_per_slot": 2"#);
    std::fs::write(d.join("heavy.json"), heavy).unwrap();
    let single = d.join("single");
    let o = zkarena(
        &[
            "run",
            s(&d.join("heavy.json")),
            "--seed",
            "7",
            "--out",
            s(&single),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(single.join("report.json")).unwrap()).unwrap();
    let header: Vec<&str> = lines[0].split(',').collect();
    let row: Vec<&str> = lines[6].split(',').collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    let gap = report["scorecard"]["longest_finalization_gap_ms"]
        .as_u64()
        .unwrap();
    assert_eq!(column("longest_finalization_gap_ms"), gap.to_string());
    let applied = report["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["fate"] == "applied" && t["sender"] != "bridge")
        .count();
    assert_eq!(column("txs_applied"), applied.to_string());
}

#[test]
fn merge_refuses_shards_that_do_not_make_one_sweep() {
    let d = plan_dir("merge");
    let plan = d.join("plan.json");
    let shards = d.join("shards");
    for shard in ["0/3", "2/3"] {
        let o = zkarena(
            &["sweep", s(&plan), "--shard", shard, "--out", s(&shards)],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let merged = d.join("merged");
    let merge = |dirs: &[&Path]| {
        let mut args = vec!["sweep", "merge"];
        args.extend(dirs.iter().map(|d| s(d)));
        args.extend(["--out", s(&merged)]);
        zkarena(&args, &[])
    };
    let o = merge(&[&shards]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("shards 1 of 3 are missing"),
        "{}",
        stderr(&o)
    );
    // A shard of another plan (other seeds) does not join.
    let other = d.join("other");
    let o = zkarena(
        &[
            "sweep",
            s(&plan),
            "--seeds",
            "2",
            "--shard",
            "1/3",
            "--out",
            s(&other),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = merge(&[&shards, &other]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a shard of another sweep"),
        "{}",
        stderr(&o)
    );
    // A truncated shard (a job killed mid-write) is named, with the line.
    let file = shards.join("shard-2-of-3.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, &text[..text.len() - 20]).unwrap();
    let o = zkarena(
        &["sweep", s(&plan), "--shard", "1/3", "--out", s(&shards)],
        &[],
    );
    assert!(o.status.success());
    let o = merge(&[&shards]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("shard-2-of-3.jsonl:3:"),
        "{}",
        stderr(&o)
    );
    let o = merge(&[&d.join("nothing-here")]);
    assert_eq!(o.status.code(), Some(2));
    // A forged header cannot size the merge: a shard of 10^18 runs is refused, not
    // allocated.
    let forged = d.join("forged");
    std::fs::create_dir_all(&forged).unwrap();
    let header = std::fs::read_to_string(shards.join("shard-0-of-3.jsonl")).unwrap();
    let first = header.lines().next().unwrap();
    let mut v: serde_json::Value = serde_json::from_str(first).unwrap();
    v["total"] = serde_json::json!(1_000_000_000_000_000_000u64);
    std::fs::write(forged.join("shard-0-of-1.jsonl"), format!("{v}\n")).unwrap();
    let o = merge(&[&forged]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a shard zkarena writes"),
        "{}",
        stderr(&o)
    );
    // Rows that do not match their plan's run count (a shard file edited by hand).
    v["total"] = serde_json::json!(2);
    v["shard"] = serde_json::json!({"index": 0, "count": 1});
    let rows: Vec<&str> = header.lines().skip(1).take(2).collect();
    let mut second: serde_json::Value = serde_json::from_str(rows[1]).unwrap();
    second["run"] = serde_json::json!(1);
    std::fs::write(
        forged.join("shard-0-of-1.jsonl"),
        format!("{v}\n{}\n{second}\n", rows[0]),
    )
    .unwrap();
    let o = merge(&[&forged]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the shards hold 2 runs, their plan makes 6"),
        "{}",
        stderr(&o)
    );
    // A row whose seed or cell is not its run's (it would index past the cells, or
    // land in the wrong one).
    let whole = d.join("whole");
    for shard in ["0/2", "1/2"] {
        let o = zkarena(
            &["sweep", s(&plan), "--shard", shard, "--out", s(&whole)],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let file = whole.join("shard-1-of-2.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut row: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    row["cell"] = serde_json::json!(999);
    lines[1] = row.to_string();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let o = merge(&[&whole]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("run 1 in the shards is cell 999 with seed 6"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_plans_are_refused_at_once_with_the_reason() {
    let d = plan_dir("bad");
    let with = |name: &str, grid: &str| {
        let mut text = PLAN.replace(r#""grid": { "workload.txs_per_slot": [0.5, 2] }"#, grid);
        if grid.contains(r#""seeds""#) {
            text = text.replace(r#""seeds": 3,"#, "");
        }
        if grid.contains(r#""scenarios""#) {
            text = text.replace(r#""scenarios": ["tiny.json"],"#, "");
        }
        std::fs::write(d.join(name), text).unwrap();
        d.join(name)
    };
    let cases: Vec<(PathBuf, &[&str], &[&str])> = vec![
        (
            with("path.json", r#""grid": { "workload.userz": [1] }"#),
            &[],
            &[
                "path.json: at `grid.workload.userz`",
                "`workload` has no field `userz`",
                "users",
            ],
        ),
        (
            with("empty.json", r#""grid": { "slots": [] }"#),
            &[],
            &["`grid.slots`", "an empty list of values"],
        ),
        (
            with(
                "huge.json",
                r#""grid": { "slots": [1,2,3,4,5,6,7,8,9,10], "workload.users": [1,2,3,4,5,6,7,8,9,10], "workload.txs_per_slot": [1,2,3,4,5,6,7,8,9,10] }"#,
            ),
            &["--seeds", "1000"],
            &["more than 100000 runs"],
        ),
        (
            with("billion.json", r#""grid": {}"#),
            &["--seeds", "1000000000"],
            &["`seeds`", "more than 100000 runs"],
        ),
        (
            with("invalid.json", r#""grid": { "slots": [0] }"#),
            &[],
            &["`grid.slots`", "in scenario `tiny`", "`slots`"],
        ),
        (
            with("type.json", r#""grid": { "workload.users": ["many"] }"#),
            &[],
            &["`grid.workload.users`", "workload.users", "invalid type"],
        ),
        (
            with("field.json", r#""grdi": {}"#),
            &[],
            &["field.json", "unknown field `grdi`"],
        ),
        (
            with(
                "metric.json",
                r#""expect": [{"metric": "slots_canonical", "op": ">", "value": 1, "at_least": 0.5}]"#,
            ),
            &[],
            &["`expect[0].metric`", "a metric of proof_of_stake"],
        ),
        (
            with("list.json", r#""seeds": [1, 2]"#),
            &["--seed", "3"],
            &["the plan lists its seeds"],
        ),
        (
            with("shard.json", r#""seeds": 2"#),
            &["--shard", "3/3"],
            &["--shard", "shards count from 0 to 2"],
        ),
        (
            with("twice.json", r#""seeds": [4, 4]"#),
            &[],
            &["`seeds`", "seed 4 is listed twice"],
        ),
        (
            with(
                "knob.json",
                r#""scenarios": ["pos-uncle-40"], "grid": { "cartel_pct": [0, 99] }"#,
            ),
            &[],
            &["`grid.cartel_pct`", "0..=95"],
        ),
        (
            with("noknob.json", r#""grid": { "cartel_pct": [10] }"#),
            &[],
            &["`grid.cartel_pct`", "has no field `cartel_pct`"],
        ),
        (
            with(
                "nocartel.json",
                r#""scenarios": ["pos-baseline"], "grid": { "cartel_pct": [10] }"#,
            ),
            &[],
            &["`grid.cartel_pct`", "needs both cartel validators"],
        ),
        (
            with("seedkey.json", r#""grid": { "seed": [1, 2] }"#),
            &[],
            &["`grid.seed`", "comes from the plan's `seeds`"],
        ),
        (
            with(
                "twice-scenario.json",
                r#""scenarios": ["poe-*", "poe-frontrun"]"#,
            ),
            &[],
            &["`scenarios`", "scenario `poe-frontrun` comes twice"],
        ),
        (
            with("glob.json", r#""scenarios": ["nosuch-*"]"#),
            &[],
            &["`scenarios[0]`", "matches no shipped scenario"],
        ),
    ];
    for (plan, extra, needles) in cases {
        let out = d.join("out-bad");
        let mut args = vec!["sweep", s(&plan), "--out", s(&out)];
        args.extend(extra);
        let started = std::time::Instant::now();
        let o = zkarena(&args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        for n in needles {
            assert!(err.contains(n), "{plan:?}: missing {n:?} in {err}");
        }
        // Refused before any run: nothing written, and at once.
        assert!(!out.join("sweep.json").exists(), "{plan:?}");
        assert!(
            started.elapsed().as_secs() < 20,
            "{plan:?} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_population_claim_is_checked_over_its_seeds_with_a_wilson_interval() {
    let d = dir("claims");
    // Holds in every run (share 1 >= 0.5), and in none (share 0 < 0.1).
    let text = TINY.replace(
        r#""expect": [{ "metric": "finalized_invalid_roots", "op": "==", "value": 0 }]"#,
        r#""expect": [
            { "metric": "finalized_invalid_roots", "op": "==", "value": 0, "at_least": 0.5, "over_seeds": 10 },
            { "metric": "batches_sequenced", "op": ">", "value": 1000, "at_least": 0.1, "over_seeds": 10 }
        ]"#,
    );
    let file = d.join("claims.json");
    std::fs::write(&file, text).unwrap();
    // One run is one draw: it reports the claim without failing on it.
    let o = zkarena(&["run", s(&file), "--out", s(&d.join("run"))], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("does not hold in this run; a claim about at least 10% of 10 seeds, checked by `zkarena sweep`"),
        "{table}"
    );
    // The sweep of the scenario runs the 10 seeds its claims name, and fails the one
    // that holds in none of them.
    let out = d.join("sweep");
    let o = zkarena(&["sweep", s(&file), "--out", s(&out)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a claim or an invariant failed in: claims"),
        "{}",
        stderr(&o)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(report["runs"], 10);
    assert_eq!(
        report["seeds"],
        serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    );
    let claims = &report["cells"][0]["claims"];
    assert_eq!(
        (claims[0]["held"].as_u64(), claims[0]["ok"].as_bool()),
        (Some(10), Some(true))
    );
    assert_eq!(
        (claims[1]["held"].as_u64(), claims[1]["ok"].as_bool()),
        (Some(0), Some(false))
    );
    // Wilson at 0 of 10: [0, z^2 / (n + z^2)] = [0, 3.8415 / 13.8415] = [0, 0.277533].
    assert_eq!(claims[1]["share_ci"], serde_json::json!([0.0, 0.277533]));
    // And at 10 of 10: [n / (n + z^2), 1] = [0.722467, 1].
    assert_eq!(claims[0]["share_ci"], serde_json::json!([0.722467, 1.0]));
    // Fewer seeds than a claim names do not decide it, even where the share holds.
    let o = zkarena(
        &[
            "sweep",
            s(&file),
            "--seeds",
            "3",
            "--out",
            s(&d.join("few")),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("FAILED `finalized_invalid_roots == 0` in 3/3 (100%, 44-100%) (needs >= 50% of 10 seeds; ran 3)"),
        "{text}"
    );
    // A claim that is not a share is refused at check.
    let bad = TINY.replace(
        r#""value": 0 }"#,
        r#""value": 0, "at_least": 1.5, "over_seeds": 10 }"#,
    );
    std::fs::write(d.join("bad.json"), bad).unwrap();
    let o = zkarena(&["check", s(&d.join("bad.json"))], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`expect[0].at_least`: 1.5 is not a share"),
        "{}",
        stderr(&o)
    );
    let bad = TINY.replace(r#""value": 0 }"#, r#""value": 0, "at_least": 0.5 }"#);
    std::fs::write(d.join("bad2.json"), bad).unwrap();
    let o = zkarena(&["check", s(&d.join("bad2.json"))], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`expect[0].over_seeds`"),
        "{}",
        stderr(&o)
    );
}
