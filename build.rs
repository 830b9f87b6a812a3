//! Embeds the shipped scenarios (fixtures/scenarios/*.json) and sweep plans
//! (fixtures/plans/*.json) in the binary, so that an installed `zkarena` lists and runs
//! them wherever it is run from: writes `$OUT_DIR/shipped_scenarios.rs` and
//! `$OUT_DIR/shipped_plans.rs`, each a sorted table of (name, JSON text).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    embed(
        "fixtures/scenarios",
        "shipped_scenarios.rs",
        "Shipped scenarios",
    );
    embed("fixtures/plans", "shipped_plans.rs", "Shipped sweep plans");
}

/// Writes `$OUT_DIR/<target>`: `pub const SHIPPED` listing the JSON files of `folder`.
fn embed(folder: &str, target: &str, what: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    // A directory makes cargo rerun this script when any file in it changes.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{folder}: {e}"))
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = format!("/// {what}: (name, JSON text), sorted by name.\n");
    out.push_str("pub const SHIPPED: &[(&str, &str)] = &[\n");
    for p in files {
        let name = p.file_stem().expect("a file name").to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            p.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(target);
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
