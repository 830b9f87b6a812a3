//! The `zkarena` command.

use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// zkarena: an in-process testnet for attacking decentralized ZK rollups.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
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
    Ok(())
}
