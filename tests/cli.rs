//! The `zkarena` command, run as a user runs it.

use std::process::Command;

fn zkarena(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkarena"))
        .args(args)
        .output()
        .expect("zkarena runs")
}

#[test]
fn boot_deploys_the_genesis_contracts_and_is_deterministic() {
    let a = zkarena(&["boot", "--json", "--seed", "7"]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let b = zkarena(&["boot", "--json", "--seed", "7"]);
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    let summary: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    // Numbers are JSON numbers, not hex strings.
    assert_eq!(summary["deposit_count"], 2);
    assert!(summary["block"]["base_fee"].is_u64());
    let txs = summary["block"]["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 2);
    assert!(txs
        .iter()
        .all(|t| t["status"] == "Success" && t["gas_used"].as_u64() > Some(21_000)));
    assert_ne!(
        summary["deployment"]["token"],
        summary["deployment"]["bridge"]
    );
}

#[test]
fn text_output_names_the_contracts() {
    let out = zkarena(&["boot"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["NetworkToken", "Bridge", "2 deposits", "block 5"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = zkarena(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
}

fn scenario_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zkarena-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const GOOD: &str = r#"{
  "description": "tiny",
  "mechanism": { "kind": "centralized" },
  "slots": 3,
  "proof_mode": "dev",
  "cast": [
    { "role": "sequencer", "name": "seq", "id": 1 },
    { "role": "aggregator", "name": "agg", "hardware": { "rows_per_sec": 4096 } }
  ],
  "workload": { "users": 2, "sequencer": "seq", "txs_per_slot": 1 }
}"#;

const GOOD_POS: &str = r#"{
  "description": "tiny pos",
  "mechanism": { "kind": "proof_of_stake", "slash_bps": 1000 },
  "slots": 6,
  "proof_mode": "dev",
  "cast": [
    { "role": "validator", "name": "v1", "id": 1, "stake": 30 },
    { "role": "validator", "name": "v2", "id": 2, "stake": 30 },
    { "role": "validator", "name": "c1", "id": 3, "stake": 40, "strategy": "uncle" },
    { "role": "aggregator", "name": "agg", "hardware": { "rows_per_sec": 4096 } }
  ],
  "workload": { "users": 2, "txs_per_slot": 1 }
}"#;

/// `zkarena run <path> --out <out_dir>`, which must succeed.
fn run_ok(path: &std::path::Path, out_dir: &std::path::Path) -> std::process::Output {
    let out = zkarena(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn run_writes_the_report_trace_and_timeline() {
    let path = scenario_file("tiny.json", GOOD);
    let out_dir = path.with_file_name("out");
    let out = run_ok(&path, &out_dir);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["scenario"], "tiny");
    assert_eq!(report["l1_blocks"], 3);
    let trace = std::fs::read_to_string(out_dir.join("trace.jsonl")).unwrap();
    assert!(trace.lines().count() > 10);
    assert!(trace
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    let html = std::fs::read_to_string(out_dir.join("timeline.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("seq"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("scorecard"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("L1 block 3/3"));
}

#[test]
fn a_failed_expectation_exits_non_zero() {
    let text = GOOD.replace(
        r#""proof_mode": "dev","#,
        r#""proof_mode": "dev", "expect": [{ "metric": "batches_verified", "op": ">=", "value": 99 }],"#,
    );
    let path = scenario_file("unmet.json", &text);
    let out_dir = path.with_file_name("out-unmet");
    let out = zkarena(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED"));
}

#[test]
fn bad_scenarios_are_exit_2_with_file_path_and_reason() {
    let cases: &[(&str, String, &[&str])] = &[
        (
            "syntax.json",
            "{ \"description\": ".into(),
            &["syntax.json:1:", "EOF"],
        ),
        (
            "type.json",
            GOOD.replace(r#""slots": 3"#, r#""slots": "three""#),
            &["type.json:4:", "`slots`", "expected u64"],
        ),
        (
            "role.json",
            GOOD.replace(r#""role": "sequencer""#, r#""role": "wizard""#),
            &["role.json:7:", "`cast[0].role`", "unknown variant `wizard`"],
        ),
        (
            "negative.json",
            GOOD.replace(r#""rows_per_sec": 4096"#, r#""rows_per_sec": -5"#),
            &[
                "negative.json:9:",
                "`cast[1]`",
                "integer `-5`, expected u64",
            ],
        ),
        (
            "unknown-field.json",
            GOOD.replace(r#""id": 1"#, r#""id": 1, "speed": 9"#),
            &["unknown-field.json", "cast[0]", "unknown field `speed`"],
        ),
        (
            "flood.json",
            GOOD.replace(r#""txs_per_slot": 1"#, r#""txs_per_slot": 1e12"#),
            &["`workload.txs_per_slot`", "0..=1000"],
        ),
        (
            "tiny-tree.json",
            GOOD.replace(r#""slots": 3"#, r#""slots": 3, "l2": { "depth": 2 }"#),
            &[
                "`l2.depth`",
                "holds 4 accounts, the cast and workload need 7",
            ],
        ),
        (
            "no-such-sequencer.json",
            GOOD.replace(r#""sequencer": "seq""#, r#""sequencer": "nobody""#),
            &["`workload.sequencer`", "`nobody` is not a sequencer"],
        ),
        (
            "validator-without-pos.json",
            GOOD.replace(
                r#"{ "role": "sequencer", "name": "seq", "id": 1 }"#,
                r#"{ "role": "sequencer", "name": "seq", "id": 1 }, { "role": "validator", "name": "v", "id": 2, "stake": 5 }"#,
            ),
            &["`cast[1].role`", "needs the proof_of_stake mechanism"],
        ),
        (
            "pos-sequencer.json",
            GOOD_POS.replace(r#""users": 2,"#, r#""users": 2, "sequencer": "v1","#),
            &["`workload.sequencer`", "users send to every validator"],
        ),
        (
            "pos-strategy.json",
            GOOD_POS.replace(r#""strategy": "uncle""#, r#""strategy": "bribe""#),
            &["pos-strategy.json:", "`cast[2]`", "unknown variant `bribe`"],
        ),
        (
            "pos-slash.json",
            GOOD_POS.replace(r#""slash_bps": 1000"#, r#""slash_bps": 20000"#),
            &["`mechanism.slash_bps`", "above 10000"],
        ),
        (
            // Found by tests/check_fuzz.rs: the second claim of an id reverted at
            // genesis, after `check` had accepted the file.
            "same-id.json",
            GOOD.replace(
                r#"{ "role": "aggregator", "name": "agg""#,
                r#"{ "role": "sequencer", "name": "seq2", "id": 1 },
    { "role": "aggregator", "name": "agg""#,
            ),
            &["`cast[1].id`", "sequencer id 1 is `seq`'s already"],
        ),
        (
            "fault-kind.json",
            GOOD.replace(
                r#""workload""#,
                r#""faults": [{ "fault": "drop", "from_ms": 0, "until_ms": 9, "link": { "kind": "SubmitL1" } }], "workload""#,
            ),
            &["`faults[0]`", "unknown message kind `SubmitL1`", "submit_l1"],
        ),
        (
            // A PoS metric under another mechanism was NaN at the end of the run.
            "metric-of-another-mechanism.json",
            GOOD.replace(
                r#""proof_mode": "dev","#,
                r#""proof_mode": "dev", "expect": [{ "metric": "slots_canonical", "op": ">", "value": 0 }],"#,
            ),
            &[
                "`expect[0].metric`",
                "`slots_canonical` is a metric of proof_of_stake, not of centralized",
            ],
        ),
        (
            "metric-of-nobody.json",
            GOOD.replace(
                r#""proof_mode": "dev","#,
                r#""proof_mode": "dev", "expect": [{ "metric": "ghost.l1_gas", "op": ">", "value": 0 }],"#,
            ),
            &["`expect[0].metric`", "no actor `ghost`"],
        ),
        (
            // PoS messages exist only under proof of stake.
            "pos-kind-without-pos.json",
            GOOD.replace(
                r#""workload""#,
                r#""faults": [{ "fault": "drop", "from_ms": 0, "until_ms": 9, "link": { "kind": "attestation" } }], "workload""#,
            ),
            &["`faults[0]`", "unknown message kind `attestation`"],
        ),
        (
            "centralized-parameter.json",
            GOOD.replace(
                r#"{ "kind": "centralized" }"#,
                r#"{ "kind": "centralized", "batch_fee_gwei": 5 }"#,
            ),
            &["`mechanism`", "unknown field `batch_fee_gwei`"],
        ),
        (
            "huge-slot.json",
            GOOD.replace(r#""slots": 3"#, r#""slots": 3, "slot_seconds": 18446744073709551615"#),
            &["`slot_seconds`", "is outside 1..=86400"],
        ),
        (
            // `check` itself used to panic on this one (slot_seconds * 1000 under PoS).
            "pos-huge-slot.json",
            GOOD_POS.replace(r#""slots": 6"#, r#""slots": 6, "slot_seconds": 18446744073709551615"#),
            &["`slot_seconds`", "is outside 1..=86400"],
        ),
        (
            "huge-tip.json",
            GOOD.replace(
                r#""txs_per_slot": 1"#,
                r#""txs_per_slot": 1, "fee": [10, 18446744073709551615]"#,
            ),
            &["`workload.fee[1]`", "above the codec's bound"],
        ),
        (
            // A PoS leader reposting every 0 ms never let time advance: 2.7 GB in 20 s.
            "pos-collect-0.json",
            GOOD_POS.replace(r#""slash_bps": 1000"#, r#""slash_bps": 1000, "collect_ms": 0"#),
            &["`mechanism.collect_ms`", "0 ms is below 100 ms"],
        ),
        (
            "endless.json",
            GOOD.replace(r#""slots": 3"#, r#""slots": 4000000000"#),
            &["`slots`", "is outside 1..=20000"],
        ),
        (
            "reversed-window.json",
            GOOD.replace(
                r#""workload""#,
                r#""faults": [{ "fault": "drop", "from_ms": 5000, "until_ms": 1000 }], "workload""#,
            ),
            &["`faults[0]`", "window [5000, 1000) ms is empty"],
        ),
        (
            "restart-before-crash.json",
            GOOD.replace(
                r#""workload""#,
                r#""faults": [{ "fault": "crash", "actor": "seq", "at_ms": 5000, "restart_ms": 10 }], "workload""#,
            ),
            &["`faults[0]`", "window [5000, 10) ms is empty"],
        ),
        (
            "empty-pool.json",
            GOOD.replace(r#""slots": 3"#, r#""slots": 3, "l2": { "pool": [0, 0] }"#),
            &["`l2.pool[0]`", "an empty reserve quotes nothing"],
        ),
        (
            "huge-funds.json",
            GOOD.replace(
                r#""slots": 3"#,
                r#""slots": 3, "l2": { "user_funds": 4611686018427387903 }"#,
            ),
            &["`l2.user_funds`", "above the bridge's escrow cap"],
        ),
        (
            "wide-id.json",
            GOOD.replace(r#""id": 1"#, r#""id": 4294967296"#),
            &["`cast[0].id`", "4294967296 does not fit the batch header's 32 bits"],
        ),
        // The safety oracle cannot be blinded: a forging aggregator with a crashed
        // referee used to exit 0 with "safety ... 0 checks ok".
        (
            "crash-referee.json",
            GOOD.replace(
                r#""workload""#,
                r#""faults": [{ "fault": "crash", "actor": "referee", "at_ms": 0 }], "workload""#,
            ),
            &[
                "`faults[0]`",
                "`referee` is the test's instrument",
                "faults cannot target it",
            ],
        ),
    ];
    for (name, text, needles) in cases {
        let path = scenario_file(name, text);
        for cmd in ["check", "run"] {
            let out = zkarena(&[cmd, path.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{cmd} {name}");
            let err = String::from_utf8_lossy(&out.stderr);
            for n in *needles {
                assert!(err.contains(n), "{cmd} {name}: missing {n:?} in {err}");
            }
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    let out = zkarena(&["check", "/no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_and_check_the_shipped_scenarios() {
    let out = zkarena(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["baseline", "aggregator-race"] {
        assert!(text.contains(name), "{text}");
        let out = zkarena(&["check", name]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `zkarena args...` run from `dir` (not the repository).
fn zkarena_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkarena"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("zkarena runs")
}

#[test]
fn names_are_shipped_scenarios_and_paths_are_files_wherever_it_runs() {
    let dir = std::env::temp_dir().join(format!("zkarena-cwd-{}", std::process::id()));
    // A folder named like a shipped scenario (what `--out baseline` leaves behind).
    std::fs::create_dir_all(dir.join("baseline")).unwrap();
    // The shipped scenarios are in the binary: listed and checked from any folder.
    let list = String::from_utf8(zkarena_in(&dir, &["list"]).stdout).unwrap();
    let listed = |name: &str| {
        list.lines()
            .any(|l| l.trim_start().starts_with(&format!("{name} ")))
    };
    assert!(listed("baseline") && listed("poe-proof-copy"), "{list}");
    // Sweep plans are listed too, and `run` points a plan's name at `sweep`.
    assert!(listed("pos-uncle-sweep"), "{list}");
    let out = zkarena_in(&dir, &["run", "pos-uncle-sweep"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("run it with `zkarena sweep pos-uncle-sweep`"),
        "{err}"
    );
    let out = zkarena_in(&dir, &["check", "baseline"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An unknown name: exit 2, pointing at `zkarena list` and the nearest names.
    let out = zkarena_in(&dir, &["run", "baselin", "--dev-proofs"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "no shipped scenario is named `baselin`",
        "did you mean baseline",
        "`zkarena list`",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    // A path is a file, even one named like a shipped scenario.
    let out = zkarena_in(&dir, &["check", "./baseline"]);
    assert_eq!(out.status.code(), Some(2));
    let out = zkarena_in(&dir, &["check", "nosuch.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuch.json"));
}

#[test]
fn an_unwritable_out_is_refused_before_the_run() {
    let dir = std::env::temp_dir().join(format!("zkarena-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, b"").unwrap();
    let out_dir = file.join("report");
    let out = zkarena(&[
        "run",
        "baseline",
        "--dev-proofs",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: --out"), "{err}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("L1 blocks"),
        "it did not run"
    );
}

#[test]
fn help_documents_the_exit_statuses() {
    for args in [&["--help"][..], &["run", "--help"], &["check", "--help"]] {
        let text = String::from_utf8(zkarena(args).stdout).unwrap();
        assert!(text.contains("Exit status: 0"), "{args:?}: {text}");
        assert!(text.contains("2 the scenario"), "{args:?}");
    }
    for args in [&["sweep", "--help"][..], &["scorecard", "--help"]] {
        let text = String::from_utf8(zkarena(args).stdout).unwrap();
        assert!(text.contains("Exit status: 0"), "{args:?}: {text}");
        assert!(text.contains("2 the plan"), "{args:?}");
        assert!(text.contains("3 a run broke"), "{args:?}");
    }
}
