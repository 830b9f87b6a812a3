//! The `sweep` and `scorecard` commands: load and check a plan, pick the shard, run
//! with a progress bar, write the files, and turn the verdict into the exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use zkarena::harness::zk::ProofMode;
use zkarena::run::RunOptions;
use zkarena::sweep::plan::{self, Plan, Resolved, Seeds, Target};
use zkarena::sweep::{exec, shard, Shard, SweepReport};

use super::{writable, BAD_SCENARIO, BROKEN_RUN};

fn refuse(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(BAD_SCENARIO)
}

/// The plan `args` names, with the command line's overrides, resolved self-contained:
/// what one machine and every shard run alike.
fn resolve(args: &super::SweepArgs) -> Result<Resolved, ExitCode> {
    let Some(arg) = &args.plan else {
        return Err(refuse(
            "name a plan or a scenario: zkarena sweep <plan> (see zkarena list)",
        ));
    };
    let (mut plan, file, dir) = match plan::load(arg).map_err(refuse)? {
        Target::Plan(p, file, dir) => (*p, file, dir),
        Target::Scenario(s) => (
            plan::of_scenario(&s, args.seeds, args.seed),
            s.name.clone(),
            None,
        ),
    };
    if let Some(n) = args.seeds {
        plan.seeds = Seeds::Count(n);
    }
    if let Some(first) = args.seed {
        if matches!(plan.seeds, Seeds::List(_)) {
            return Err(refuse(format!(
                "{file}: the plan lists its seeds; --seed sets the first of a count (add --seeds N)"
            )));
        }
        plan.seed = first;
    }
    if args.real_proofs {
        plan.proofs = ProofMode::Real;
    }
    self_contained(&plan, &file, dir.as_deref()).map_err(refuse)
}

/// Resolves `plan`, then resolves its self-contained form again: a shard's header
/// carries that form, so one machine must run exactly it too.
fn self_contained(
    plan: &Plan,
    file: &str,
    dir: Option<&Path>,
) -> Result<Resolved, plan::PlanError> {
    let first = plan.resolve(file, dir)?;
    first.plan.resolve(file, None)
}

fn jobs(asked: Option<usize>) -> usize {
    asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// A progress bar of runs with the time left, on stderr (hidden when it is not a
/// terminal).
fn progress(total: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {what}, {{elapsed}} so far, about {{eta}} left"
        ))
        .expect("a valid template"),
    );
    bar
}

fn run_rows(plan: &Resolved, shard: Shard, jobs: usize, threads: usize) -> Vec<exec::RunRow> {
    let runs = shard.indices(plan.total()).count();
    let bar = progress(runs, "runs");
    let opts = RunOptions {
        threads,
        ..RunOptions::default()
    };
    let rows = exec::execute(plan, shard, jobs, &opts, &|done, _| {
        bar.set_position(done as u64)
    });
    bar.finish_and_clear();
    rows
}

/// `zkarena sweep <plan>`.
pub fn sweep(args: &super::SweepArgs) -> anyhow::Result<ExitCode> {
    let plan = match resolve(args) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let shard = match &args.shard {
        Some(text) => Shard::parse(text).map(|s| Some((s, "--shard"))),
        None => Shard::from_env(|name| std::env::var(name).ok()),
    };
    let shard = match shard {
        Ok(s) => s,
        Err(e) => return Ok(refuse(format!("--shard: {e}"))),
    };
    if let Err(code) = writable(&args.out) {
        return Ok(code);
    }
    let jobs = jobs(args.jobs);
    let Some((shard, source)) = shard else {
        eprintln!(
            "sweep {}: {} runs ({} cells x {} seeds) on {jobs} cores",
            plan.plan.name,
            plan.total(),
            plan.cells.len(),
            plan.seeds.len()
        );
        let rows = run_rows(&plan, Shard::ALL, jobs, args.threads);
        return finish(&plan, &rows, &args.out);
    };
    eprintln!(
        "sweep {}: shard {shard} (from {source}) of {} runs on {jobs} cores",
        plan.plan.name,
        plan.total()
    );
    let rows = run_rows(&plan, shard, jobs, args.threads);
    let header = shard::ShardHeader {
        shard,
        total: plan.total(),
        plan: plan.plan.clone(),
    };
    let path = match shard::write(&args.out, &header, &rows) {
        Ok(path) => path,
        Err(e) => return Ok(refuse(format!("--out {}: {e}", args.out.display()))),
    };
    println!(
        "wrote {} ({} runs); join the shards with `zkarena sweep merge {}`",
        path.display(),
        rows.len(),
        args.out.display()
    );
    let broke = rows
        .iter()
        .filter(|r| r.status == exec::RunStatus::Broke)
        .count();
    if broke > 0 {
        eprintln!("error: {broke} runs broke (see their rows)");
        return Ok(ExitCode::from(BROKEN_RUN));
    }
    Ok(ExitCode::SUCCESS)
}

/// `zkarena sweep merge <dirs>`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> anyhow::Result<ExitCode> {
    let (plan, rows) = match shard::merge(dirs) {
        Ok(x) => x,
        Err(e) => return Ok(refuse(e)),
    };
    let plan = match plan.resolve("the shards' plan", None) {
        Ok(p) if p.total() == rows.len() => p,
        Ok(p) => {
            return Ok(refuse(format!(
                "the shards hold {} runs, their plan makes {}",
                rows.len(),
                p.total()
            )))
        }
        Err(e) => return Ok(refuse(e)),
    };
    // Each row must be the run its index names (a shard file edited by hand is not).
    if let Some(r) = rows.iter().find(|r| (r.cell, r.seed) != plan.run(r.run)) {
        return Ok(refuse(format!(
            "run {} in the shards is cell {} with seed {}, but the plan's run {} is cell {} with seed {}",
            r.run,
            r.cell,
            r.seed,
            r.run,
            plan.run(r.run).0,
            plan.run(r.run).1
        )));
    }
    if let Err(code) = writable(out) {
        return Ok(code);
    }
    finish(&plan, &rows, out)
}

/// Writes a sweep's files and prints its verdict.
fn finish(plan: &Resolved, rows: &[exec::RunRow], out: &Path) -> anyhow::Result<ExitCode> {
    let (report, files) = zkarena::sweep::outputs(plan, rows).context("writing runs.csv")?;
    if let Err(e) = zkarena::sweep::write(out, &files) {
        return Ok(refuse(format!("--out {}: {e}", out.display())));
    }
    print!(
        "{}",
        files
            .iter()
            .find(|(n, _)| *n == "sweep.md")
            .map_or("", |(_, t)| t.as_str())
    );
    println!(
        "\nwrote {}/sweep.json, sweep.md, runs.csv, sweep.html",
        out.display()
    );
    Ok(verdict(&report))
}

fn verdict(report: &SweepReport) -> ExitCode {
    if report.broke() > 0 {
        eprintln!(
            "error: {} runs broke (a defect of zkarena; see runs.csv)",
            report.broke()
        );
        return ExitCode::from(BROKEN_RUN);
    }
    let failed: Vec<&str> = report
        .cells
        .iter()
        .filter(|c| !c.ok())
        .map(|c| c.label.as_str())
        .collect();
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: a claim or an invariant failed in: {}",
            failed.join("; ")
        );
        ExitCode::FAILURE
    }
}

/// `zkarena scorecard`.
pub fn scorecard(
    seeds: u64,
    out: &Path,
    check: Option<&Path>,
    jobs_asked: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let plan = match self_contained(&zkarena::scorecard::plan(seeds), "the scorecard", None) {
        Ok(p) => p,
        Err(e) => return Ok(refuse(e)),
    };
    if let Err(code) = writable(out) {
        return Ok(code);
    }
    let jobs = jobs(jobs_asked);
    eprintln!(
        "scorecard: {} scenarios x {} seeds = {} runs on {jobs} cores",
        plan.cells.len(),
        plan.seeds.len(),
        plan.total()
    );
    let rows = run_rows(&plan, Shard::ALL, jobs, 1);
    let report = SweepReport::of(&plan, &rows);
    let card = zkarena::scorecard::Scorecard::of(&report);
    let markdown = card.markdown();
    zkarena::sweep::write(
        out,
        &[
            ("scorecard.md", markdown.clone()),
            ("scorecard.json", card.to_json()),
            ("scorecard.html", card.html()),
        ],
    )
    .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
    print!("{markdown}");
    println!(
        "\nwrote {}/scorecard.md, scorecard.json, scorecard.html",
        out.display()
    );
    let verdict = verdict(&report);
    if report.broke() > 0 {
        return Ok(verdict);
    }
    if let Some(path) = check {
        let committed = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => return Ok(refuse(format!("--check {}: {e}", path.display()))),
        };
        if committed != markdown {
            eprintln!(
                "error: {} is not current: regenerate it with scripts/scorecard.sh (the new one is {}/scorecard.md)",
                path.display(),
                out.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        println!("{} is current", path.display());
    }
    Ok(verdict)
}
