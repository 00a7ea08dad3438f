//! `kafkasim run SCENARIO.toml [--seed N | --seeds A..B] [--format text|json] [--trace] [--check-invariants]`
//! `kafkasim explore SCENARIO.toml [--seed N] [--depth 1|2] [--max-runs N] [--format text|json]`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use parking_lot::{Condvar, Mutex};

use kafkasim::TraceFilter;
use kafkasim::{run_seed, scenario, RunOptions};

#[derive(Parser)]
#[command(
    name = "kafkasim",
    version,
    about = "A deterministic Kafka cluster simulator that judges delivery semantics under faults"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file and judge it.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Run this seed instead of the file's `seed`.
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Run every seed from A to B inclusive, e.g. `1..200`.
        #[arg(long, value_parser = parse_range)]
        seeds: Option<(u64, u64)>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Add one fixed-column line per event (to stderr with `--format json`). FILTER is a
        /// comma-separated list of families (faults, net, groups, txn, timers, replication,
        /// controller), `all`, or `default`: everything but timers and replica fetches.
        #[arg(long, value_name = "FILTER", num_args = 0..=1, default_missing_value = "default", value_parser = TraceFilter::parse)]
        trace: Option<TraceFilter>,
        /// Check the numbered invariants (docs/architecture.md) in this release build too; a
        /// violated one stops the process with `invariant N: ...` on stderr and exit status 101.
        #[arg(long)]
        check_invariants: bool,
    },
    /// Place the scenario's faults at every crash point of its fault-free run and tabulate
    /// which points lead to which anomalies. Exits 0 whatever the runs find (2 on bad input).
    Explore {
        /// The scenario file (TOML); its [[fault]] entries are the candidate faults.
        scenario: PathBuf,
        /// Run this seed instead of the file's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// 1: one fault per run; 2: also pairs of faults, the second at a later point.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
        depth: u8,
        /// The most simulations to run; a sweep that needs more is thinned (and says how).
        #[arg(long, default_value_t = kafkasim::explore::DEFAULT_MAX_RUNS as u64, value_parser = clap::value_parser!(u64).range(1..))]
        max_runs: u64,
        /// Output format: a text table, or one JSON object.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("`{s}` is not a range A..B"))?;
    let a: u64 = a.trim().parse().map_err(|_| format!("`{a}` is not a seed"))?;
    let b: u64 = b.trim().parse().map_err(|_| format!("`{b}` is not a seed"))?;
    if b < a {
        return Err(format!("empty range {a}..{b}"));
    }
    Ok((a, b))
}

/// One finished seed: what to print and whether its expectations held.
struct Done {
    stdout: String,
    stderr: String,
    passed: bool,
    /// The run panicked (a violated invariant): no report.
    panicked: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario, seed, seeds, format, trace, check_invariants } => {
            let opts = RunOptions { trace: trace.unwrap_or_default(), check_invariants };
            run(scenario, seed, seeds, format, opts)
        }
        Command::Explore { scenario, seed, depth, max_runs, format } => {
            explore(scenario, seed, depth, max_runs as usize, format)
        }
    }
}

fn explore(path: PathBuf, seed: Option<u64>, depth: u8, max_runs: usize, format: Format) -> ExitCode {
    let sc = match scenario::load_file(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(why) = sc.needs_user_code() {
        eprintln!("{}: {why}", path.display());
        return ExitCode::from(2);
    }
    let opts = kafkasim::explore::ExploreOptions {
        depth,
        max_runs,
        ..kafkasim::explore::ExploreOptions::new(seed.unwrap_or(sc.seed))
    };
    let exploration = match kafkasim::explore::explore(&sc, &opts) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let text = match format {
        Format::Text => exploration.to_text(),
        Format::Json => exploration.to_json() + "\n",
    };
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
    ExitCode::SUCCESS
}

fn run(path: PathBuf, seed: Option<u64>, seeds: Option<(u64, u64)>, format: Format, opts: RunOptions) -> ExitCode {
    let sc = match scenario::load_file(&path) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(why) = sc.needs_user_code() {
        eprintln!("{}: {why}", path.display());
        return ExitCode::from(2);
    }
    let (first, last) = seeds.unwrap_or_else(|| {
        let s = seed.unwrap_or(sc.seed);
        (s, s)
    });
    let count = (last - first + 1) as usize;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(count).max(1);

    // Seeds run on every core; each seed is still a deterministic single-threaded run.
    // Results are printed in seed order as soon as the next one is ready.
    let results: Arc<(Mutex<Vec<Option<Done>>>, Condvar)> =
        Arc::new((Mutex::new((0..count).map(|_| None).collect()), Condvar::new()));
    let next = Arc::new(Mutex::new(0usize));
    let mut pool = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (sc, results, next, path) = (sc.clone(), results.clone(), next.clone(), path.clone());
        pool.push(std::thread::spawn(move || loop {
            let i = {
                let mut n = next.lock();
                if *n >= count {
                    return;
                }
                *n += 1;
                *n - 1
            };
            // A panic (a violated invariant) has printed its message to stderr already; the seed
            // counts as failed and the process exits 101 once the earlier seeds are printed.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_seed(&sc, first + i as u64, opts).expect("the loader validated the scenario")
            }));
            let Ok((report, out)) = ran else {
                let (lock, cv) = &*results;
                let stderr =
                    format!("{}: seed {}: the run panicked (message above)\n", path.display(), first + i as u64);
                lock.lock()[i] = Some(Done { stdout: String::new(), stderr, passed: false, panicked: true });
                cv.notify_all();
                continue;
            };
            let mut stdout = String::new();
            let mut stderr = String::new();
            let lines = if format == Format::Json { &mut stderr } else { &mut stdout };
            for l in &out.trace {
                lines.push_str(l);
                lines.push('\n');
            }
            match format {
                Format::Json => {
                    stdout.push_str(&kafkasim::report::json::to_json_line(&report));
                    stdout.push('\n');
                }
                Format::Text => stdout.push_str(&kafkasim::report::text::to_text(&report)),
            }
            let (lock, cv) = &*results;
            lock.lock()[i] = Some(Done { stdout, stderr, passed: report.expect.passed, panicked: false });
            cv.notify_all();
        }));
    }
    let mut all_passed = true;
    let mut panicked = false;
    let stdout = std::io::stdout();
    let (lock, cv) = &*results;
    for i in 0..count {
        let done = {
            let mut r = lock.lock();
            while r[i].is_none() {
                cv.wait(&mut r);
            }
            r[i].take().expect("result")
        };
        eprint!("{}", done.stderr);
        let mut o = stdout.lock();
        let _ = o.write_all(done.stdout.as_bytes());
        let _ = o.flush();
        all_passed &= done.passed;
        if done.panicked {
            panicked = true;
            break;
        }
    }
    if panicked {
        // Seeds still running are not waited for.
        return ExitCode::from(101);
    }
    for worker in pool {
        let _ = worker.join();
    }
    if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
