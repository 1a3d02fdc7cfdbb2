//! `twin-fuzz`: runs every fuzz target (or the ones named) for a time or a number of cases and prints
//! one table: target, cases, time, result. `scripts/fuzz.sh` is the long run (ten minutes a target).

use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use twin_fuzz::{Budget, TARGETS};

/// Fuzz twin's parsers with property-based tests (proptest); prints the cases run per target.
#[derive(Parser)]
#[command(name = "twin-fuzz")]
struct Args {
    /// Seconds per target (the long run: `--seconds 600`).
    #[arg(long, conflicts_with = "cases")]
    seconds: Option<u64>,
    /// Cases per target instead of a time (default: each target's short-run count).
    #[arg(long)]
    cases: Option<u32>,
    /// Only these targets (see `--list`).
    #[arg(long = "target")]
    targets: Vec<String>,
    /// List the targets and what each checks.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for t in TARGETS {
            println!("{:<14} {}", t.name, t.what);
        }
        return ExitCode::SUCCESS;
    }
    if let Some(unknown) = args
        .targets
        .iter()
        .find(|n| !TARGETS.iter().any(|t| t.name == n.as_str()))
    {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        eprintln!(
            "twin-fuzz: no target {unknown:?}; the targets are {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    }
    let chosen = TARGETS
        .iter()
        .filter(|t| args.targets.is_empty() || args.targets.iter().any(|n| n == t.name));
    println!("| target | cases | time | cases/s | result |");
    println!("|---|---|---|---|---|");
    let mut failed = false;
    for t in chosen {
        let budget = match (args.seconds, args.cases) {
            (Some(s), _) => Budget::Time(Duration::from_secs(s)),
            (None, Some(n)) => Budget::Cases(n),
            (None, None) => Budget::Cases(t.ci_cases),
        };
        eprintln!("twin-fuzz: {} ({budget:?})", t.name);
        let out = (t.run)(budget);
        let secs = out.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            out.cases as f64 / secs
        } else {
            0.0
        };
        let result = match &out.failure {
            None => "ok".to_string(),
            Some(f) => {
                failed = true;
                eprintln!("twin-fuzz: {} FAILED:\n{f}", t.name);
                "FAILED (details above)".to_string()
            }
        };
        println!(
            "| {} | {} | {secs:.1} s | {rate:.0} | {result} |",
            t.name, out.cases
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
