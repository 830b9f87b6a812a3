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
        /// Override the scenario's seed (a sweep then runs with this one seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Directory for report.json, trace.jsonl and timeline.html.
        #[arg(long, default_value = "out")]
        out: std::path::PathBuf,
        /// Use dev proofs instead of real plonky2 proofs.
        #[arg(long)]
        dev_proofs: bool,
        /// Prover worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// List the shipped scenarios.
    List,
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
        for stale in ["report.json", "timeline.html", "sweep.json", "sweep.html"] {
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
    let probe = out.join(".zkarena-write-test");
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
        if let Some(sweep) = &mut s.sweep {
            sweep.seeds = vec![seed];
        }
    }
    if let Err(code) = writable(out) {
        return Ok(code);
    }
    if dev_proofs {
        s.proof_mode = zkarena::harness::zk::ProofMode::Dev;
    }
    if s.sweep.is_some() {
        return sweep(&s, out, threads);
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
    std::fs::write(
        out.join("timeline.html"),
        outcome.report.html(&outcome.trace),
    )?;
    print!("{}", outcome.report.table());
    println!(
        "wrote {}/report.json, trace.jsonl, timeline.html",
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

fn sweep_progress(done: u64, total: u64) {
    use std::io::Write as _;
    eprint!("\rrun {done}/{total}");
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

/// Runs a scenario's sweep and writes sweep.json and sweep.html.
fn sweep(
    s: &zkarena::scenario::Scenario,
    out: &std::path::Path,
    threads: usize,
) -> anyhow::Result<std::process::ExitCode> {
    let opts = zkarena::run::RunOptions {
        threads,
        progress: None,
        jitter_seed: None,
    };
    let report = match zkarena::mechanisms::pos::sweep::run_sweep(s, &opts, Some(sweep_progress)) {
        Ok(report) => report,
        Err(e @ zkarena::run::RunError::Panicked { .. }) => return broken(&e, out),
        Err(e) => return Err(e).context("setting up a run"),
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("sweep.json"), report.to_json() + "\n")?;
    std::fs::write(out.join("sweep.html"), report.html())?;
    print!("{}", report.table());
    println!("wrote {}/sweep.json, sweep.html", out.display());
    let failed: Vec<String> = report
        .rows
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}%/seed {}", r.cartel_pct, r.seed))
        .collect();
    if !failed.is_empty() {
        eprintln!(
            "error: runs that broke an invariant or expectation: {}",
            failed.join(", ")
        );
        return Ok(std::process::ExitCode::FAILURE);
    }
    Ok(std::process::ExitCode::SUCCESS)
}

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
        Command::List => {
            for (name, description) in zkarena::scenario::shipped() {
                println!("{name:<28} {description}");
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
