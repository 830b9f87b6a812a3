//! Sweeps: claims over populations of seeds. A plan ([`plan`]) names scenarios, a grid
//! of parameter values and seeds; its runs execute in parallel on the local cores
//! ([`exec`]) or as shards on a cluster's scheduler ([`shard`]); the rows become a
//! summary of every cell ([`summary`], with [`stats`]) written as JSON, Markdown, CSV
//! and HTML ([`output`]). Everything after the runs is a function of the plan and the
//! rows, so the bytes are the same whatever the parallelism or the sharding.

pub mod exec;
pub mod output;
pub mod path;
pub mod plan;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod table;

use std::path::Path;

pub use exec::{RunRow, RunStatus};
pub use plan::{Plan, PlanError, Resolved};
pub use shard::Shard;
pub use summary::SweepReport;

/// Files by name, with their text.
pub type Files = Vec<(&'static str, String)>;

/// The files a finished sweep writes, by name, with their bytes.
pub fn outputs(plan: &Resolved, rows: &[RunRow]) -> Result<(SweepReport, Files), csv::Error> {
    let report = SweepReport::of(plan, rows);
    let metrics = output::shown_metrics(plan);
    let files = vec![
        ("sweep.json", report.to_json()),
        ("sweep.md", output::markdown(&report, &metrics)),
        ("runs.csv", output::csv(plan, rows)?),
        ("sweep.html", output::html(plan, &report, rows, &metrics)),
    ];
    Ok((report, files))
}

/// Writes `files` into `out`.
pub fn write(out: &Path, files: &[(&'static str, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for (name, text) in files {
        std::fs::write(out.join(name), text)?;
    }
    Ok(())
}
