//! The `zkarena` command.

use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// Exit statuses, shown in `--help`.
const EXIT_CODES: &str =
    "Exit status: 0 every expectation and invariant held; 1 one failed (the report \
says which); 2 the scenario or the command line is malformed (the error names the file, \
line and field), or --out cannot be written (checked before the run); 3 the run itself broke (a defect of zkarena: the error says what, and trace.jsonl holds every event before it).";

/// zkarena: an in-process testnet for attacking decentralized ZK rollups.
#[derive(Parser)]
#[command(version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (a path, or the name of a shipped one) and write its report.
    #[command(after_help = EXIT_CODES)]
    Run {
        /// Shipped scenario name (see `zkarena list`), or a file: a path with `/` or
        /// ending in `.json`.
        scenario: String,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Directory for report.json, trace.jsonl, trace.perfetto.json and timeline.html.
        #[arg(long, default_value = "out")]
        out: std::path::PathBuf,
        /// Use dev proofs instead of real plonky2 proofs.
        #[arg(long)]
        dev_proofs: bool,
        /// Prover worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Run a sweep: a plan's scenarios over its grid and seeds (or one scenario over
    /// seeds), in parallel, and write sweep.json, sweep.md, runs.csv and sweep.html.
    #[command(after_help = SWEEP_EXIT_CODES, args_conflicts_with_subcommands = true)]
    Sweep {
        #[command(subcommand)]
        merge: Option<SweepCommand>,
        #[command(flatten)]
        args: SweepArgs,
    },
    /// Every registered mechanism x its shipped scenarios over many seeds: the seed's
    /// five properties with intervals, as scorecard.md, scorecard.json and scorecard.html.
    #[command(after_help = SWEEP_EXIT_CODES)]
    Scorecard {
        /// Seeds per scenario (from 1).
        #[arg(long, default_value_t = zkarena::scorecard::DEFAULT_SEEDS)]
        seeds: u64,
        /// Directory for the scorecard's files.
        #[arg(long, default_value = "out/scorecard")]
        out: std::path::PathBuf,
        /// Compare the Markdown with this file instead of only writing it: exit 1 if it
        /// differs (CI keeps docs/scorecard.md current this way).
        #[arg(long)]
        check: Option<std::path::PathBuf>,
        /// Runs at a time (default: the cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// List the shipped scenarios and sweep plans.
    List,
    /// Print the JSON Schema of scenario or sweep plan files (as in docs/), for
    /// editors to validate and complete them.
    Schema {
        /// `scenario` or `plan`.
        #[arg(value_enum)]
        of: SchemaOf,
    },
    /// Validate a scenario without running it.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// Shipped scenario name, or a file: a path with `/` or ending in `.json`.
        scenario: String,
    },
    /// Boot the L1, deploy the genesis contracts, make two bridge deposits and print
    /// the addresses and the block that carried them.
    Boot {
        /// Seed of the chain's randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Exit statuses of `sweep` and `scorecard`, shown in `--help`.
const SWEEP_EXIT_CODES: &str =
    "Exit status: 0 every run kept every invariant and every claim held over its runs; 1 a claim or an invariant failed (sweep.md says which); 2 the plan, a scenario or the command line is malformed (the error names the file and field), or --out cannot be written; 3 a run broke (a defect of zkarena: its row in runs.csv says what). The files are written in every case but 2.";

#[derive(clap::Args)]
struct SweepArgs {
    /// Shipped plan or scenario name (see `zkarena list`), or a file: a plan, or a
    /// scenario (swept over seeds).
    plan: Option<String>,
    /// Seeds per cell, counting up from --seed (replaces the plan's seeds).
    #[arg(long)]
    seeds: Option<u64>,
    /// First seed of a count of seeds (the plan's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Runs at a time (default: the cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run shard i of N (0-based) and write shard-i-of-N.jsonl for `zkarena sweep
    /// merge`; without it, a Slurm job array or a Kubernetes Indexed Job names the
    /// shard.
    #[arg(long)]
    shard: Option<String>,
    /// Directory for the sweep's files.
    #[arg(long, default_value = "out/sweep")]
    out: std::path::PathBuf,
    /// Real plonky2 proofs instead of the plan's (dev by default).
    #[arg(long)]
    real_proofs: bool,
    /// Prover worker threads per run.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// Which files a schema describes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaOf {
    /// Scenario files.
    Scenario,
    /// Sweep plan files.
    Plan,
}

#[derive(Subcommand)]
enum SweepCommand {
    /// Join the shard files of one sweep into exactly what one machine writes.
    Merge {
        /// Folders holding shard-*-of-*.jsonl.
        #[arg(required = true)]
        dirs: Vec<std::path::PathBuf>,
        /// Directory for the sweep's files.
        #[arg(long, default_value = "out/sweep")]
        out: std::path::PathBuf,
    },
}

/// Exit status of a scenario that cannot be loaded, or of an unwritable `--out`.
const BAD_SCENARIO: u8 = 2;

/// Exit status of a run that broke (a panic caught in it).
const BROKEN_RUN: u8 = 3;

/// Reports a run that broke: the error, and its trace so far in `out/trace.jsonl`.
fn broken(
    err: &zkarena::run::RunError,
    out: &std::path::Path,
) -> anyhow::Result<std::process::ExitCode> {
    if let zkarena::run::RunError::Panicked { trace, .. } = err {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        // No report of an earlier run may stand beside this trace.
        for stale in ["report.json", "timeline.html", "trace.perfetto.json"] {
            let _ = std::fs::remove_file(out.join(stale));
        }
        let mut file = std::io::BufWriter::new(std::fs::File::create(out.join("trace.jsonl"))?);
        zkarena::harness::sim::trace::write_jsonl(trace, &mut file)?;
        eprintln!(
            "error: {err}\n(a defect of zkarena; the {} events before it are in {}/trace.jsonl)",
            trace.len(),
            out.display()
        );
    }
    Ok(std::process::ExitCode::from(BROKEN_RUN))
}

/// Creates `out` and checks that a file can be written in it, before a run spends its
/// time: a run's report is never lost to an unwritable folder.
fn writable(out: &std::path::Path) -> Result<(), std::process::ExitCode> {
    // Named by process: shards of one sweep probe the same shared folder at once.
    let probe = out.join(format!(".zkarena-write-test-{}", std::process::id()));
    std::fs::create_dir_all(out)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            eprintln!("error: --out {}: {e}", out.display());
            std::process::ExitCode::from(BAD_SCENARIO)
        })
}

fn load(arg: &str) -> Result<zkarena::scenario::Scenario, std::process::ExitCode> {
    zkarena::scenario::Scenario::load(arg).map_err(|e| {
        eprintln!("error: {e}");
        if zkarena::sweep::plan::shipped_plans()
            .iter()
            .any(|(name, _)| *name == arg)
        {
            eprintln!("`{arg}` is a sweep plan: run it with `zkarena sweep {arg}`");
        }
        std::process::ExitCode::from(BAD_SCENARIO)
    })
}

fn progress(done: u64, total: u64) {
    use std::io::Write as _;
    let width = 30;
    let filled = (done * width / total.max(1)) as usize;
    eprint!(
        "\r[{}{}] L1 block {done}/{total}",
        "#".repeat(filled),
        ".".repeat(width as usize - filled)
    );
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

fn run(
    scenario: &str,
    seed: Option<u64>,
    out: &std::path::Path,
    dev_proofs: bool,
    threads: usize,
) -> anyhow::Result<std::process::ExitCode> {
    let mut s = match load(scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Some(seed) = seed {
        s.seed = seed;
    }
    if let Err(code) = writable(out) {
        return Ok(code);
    }
    if dev_proofs {
        s.proof_mode = zkarena::harness::zk::ProofMode::Dev;
    }
    let opts = zkarena::run::RunOptions {
        threads,
        progress: Some(progress),
        jitter_seed: None,
    };
    let outcome = match zkarena::run::run(&s, &opts) {
        Ok(outcome) => outcome,
        Err(e @ zkarena::run::RunError::Panicked { .. }) => return broken(&e, out),
        Err(e) => return Err(e).context("setting up the run"),
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("report.json"), outcome.report.to_json() + "\n")?;
    let mut trace = std::io::BufWriter::new(std::fs::File::create(out.join("trace.jsonl"))?);
    zkarena::harness::sim::trace::write_jsonl(&outcome.trace, &mut trace)?;
    std::fs::write(out.join("timeline.html"), zkarena::view::html(&outcome))?;
    let mut perfetto =
        std::io::BufWriter::new(std::fs::File::create(out.join("trace.perfetto.json"))?);
    zkarena::view::perfetto::write(&outcome, &mut perfetto)?;
    std::io::Write::flush(&mut perfetto)?;
    print!("{}", outcome.report.table());
    println!(
        "wrote {}/report.json, trace.jsonl, trace.perfetto.json, timeline.html",
        out.display()
    );
    if let Some(v) = &outcome.violation {
        eprintln!(
            "error: {v} (trace of {} events in trace.jsonl)",
            v.trace.len()
        );
    }
    Ok(if outcome.report.passed() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

#[path = "cli/sweep.rs"]
mod sweeping;

fn main() -> anyhow::Result<std::process::ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run {
            scenario,
            seed,
            out,
            dev_proofs,
            threads,
        } => return run(&scenario, seed, &out, dev_proofs, threads),
        Command::Sweep { merge, args } => {
            return match merge {
                Some(SweepCommand::Merge { dirs, out }) => sweeping::merge(&dirs, &out),
                None => sweeping::sweep(&args),
            }
        }
        Command::Scorecard {
            seeds,
            out,
            check,
            jobs,
        } => return sweeping::scorecard(seeds, &out, check.as_deref(), jobs),
        Command::Schema { of } => {
            let schema = match of {
                SchemaOf::Scenario => zkarena::scenario::json_schema(),
                SchemaOf::Plan => zkarena::sweep::plan::json_schema(),
            };
            println!("{}", serde_json::to_string_pretty(&schema)?);
        }
        Command::List => {
            println!("scenarios (zkarena run <name>, zkarena sweep <name>):");
            for (name, description) in zkarena::scenario::shipped() {
                println!("  {name:<28} {description}");
            }
            println!("sweep plans (zkarena sweep <name>):");
            for (name, description) in zkarena::sweep::plan::shipped_plans()
                .iter()
                .filter_map(|(name, text)| zkarena::sweep::plan::parse(text, name, name).ok())
                .map(|p| (p.name, p.description))
            {
                println!("  {name:<28} {description}");
            }
        }
        Command::Check { scenario } => match load(&scenario) {
            Ok(s) => println!(
                "{}: ok ({}, {} slots, {} actors, {} users, {} faults, {} expectations)",
                s.name,
                s.mechanism.name(),
                s.slots,
                s.cast.len(),
                s.workload.users,
                s.faults.len(),
                s.expect.len()
            ),
            Err(code) => return Ok(code),
        },
        Command::Boot { seed, json } => {
            let summary = zkarena::boot::boot(seed).context("booting the L1")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                let d = &summary.deployment;
                println!("L1 chain id {}", summary.chain_id);
                println!("  deployer      {}", d.deployer);
                println!("  NetworkToken  {}", d.token);
                println!("  Bridge        {}", d.bridge);
                println!("  depositor     {}", summary.depositor);
                println!(
                    "bridge: {} deposits, running hash {}",
                    summary.deposit_count, summary.deposit_hash
                );
                let b = &summary.block;
                println!(
                    "block {} (t={}) base fee {} wei, gas used {}",
                    b.number, b.timestamp, b.base_fee, b.gas_used
                );
                for tx in &b.transactions {
                    println!("  {tx}");
                }
                println!("state root {}", summary.state_root);
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
