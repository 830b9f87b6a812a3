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
    assert_eq!(summary["deposit_count"], "0x2");
    let txs = summary["block"]["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 2);
    assert!(txs.iter().all(|t| t.as_str().unwrap().ends_with("Success")));
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
