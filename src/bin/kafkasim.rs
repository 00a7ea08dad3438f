//! `kafkasim run SCENARIO.toml [--seed N | --seeds A..B] [--format text|json] [--trace] [--check-invariants]
//! [--findings N|all] [--explain RECORD] [--html FILE] [--svg FILE]`
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
        /// Run every seed from A to B inclusive, e.g. `1..200` (or `1..=200`, the same); the text
        /// report ends with a summary of the sweep.
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
        /// Explanations per anomaly: in the text report (default 10) and as the JSON `examples`
        /// (default 3); `all`: every finding the checker keeps (up to 100 per anomaly).
        #[arg(long, value_name = "N|all", value_parser = parse_findings)]
        findings: Option<Findings>,
        /// One record's whole story (e.g. `p1#700`, or a processor's output `s1(p1#7)`): its sends,
        /// acknowledgements, transactions, polls and processing, where it stands in the final logs.
        #[arg(long, value_name = "RECORD")]
        explain: Option<String>,
        /// Write the run's timeline page (one self-contained HTML file) to FILE. One seed only.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Write a static SVG picture of the run's timeline to FILE. One seed only.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
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

/// `--findings N|all`: `None` is all.
#[derive(Clone, Copy, Debug)]
struct Findings(Option<usize>);

fn parse_findings(s: &str) -> Result<Findings, String> {
    if s == "all" {
        return Ok(Findings(None));
    }
    s.parse().map(|n| Findings(Some(n))).map_err(|_| format!("`{s}` is neither a number nor `all`"))
}

/// `A..B` or `A..=B`, both inclusive of B (the contract's meaning of `--seeds A..B`).
fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("`{s}` is not a range A..B"))?;
    let b = b.strip_prefix('=').unwrap_or(b);
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
    /// Its anomaly counts, for the sweep's summary.
    summary: Option<Summary>,
    /// A `--html` or `--svg` file could not be written.
    unwritten: bool,
}

/// One seed's anomaly counts and verdict, for the summary after a sweep.
struct Summary {
    seed: u64,
    anomalies: Vec<(&'static str, u64)>,
    passed: bool,
}

impl Summary {
    fn of(r: &kafkasim::report::Report) -> Self {
        let anomalies = kafkasim::record::Anomaly::ALL.iter().map(|&a| (a.name(), r.anomalies[a])).collect();
        Summary { seed: r.seed, anomalies, passed: r.expect.passed }
    }
}

/// The text after a sweep: per anomaly, how many seeds show it, the worst seed and the total.
fn sweep_summary(first: u64, last: u64, all: &[Summary]) -> String {
    use std::fmt::Write as _;
    let mut s = format!("\nsummary of seeds {first}..={last} ({} runs):\n", all.len());
    let failed: Vec<String> = all.iter().filter(|x| !x.passed).map(|x| x.seed.to_string()).collect();
    let _ = writeln!(s, "  [expect] held for {} of {} seeds", all.len() - failed.len(), all.len());
    let mut rows = Vec::new();
    for (k, (name, _)) in all.first().map(|x| x.anomalies.as_slice()).unwrap_or_default().iter().enumerate() {
        let counts: Vec<(u64, u64)> = all.iter().map(|x| (x.seed, x.anomalies[k].1)).collect();
        let seeds = counts.iter().filter(|c| c.1 > 0).count();
        if seeds == 0 {
            continue;
        }
        let total: u64 = counts.iter().map(|c| c.1).sum();
        // The worst seed: the most records, the lowest seed among equals.
        let worst = counts.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).expect("a seed");
        rows.push(format!("  {name:<22} {seeds:>6} seeds  worst seed {:>6} ({})  total {total}", worst.0, worst.1));
    }
    if rows.is_empty() {
        s.push_str("  no anomaly in any seed\n");
    }
    for r in rows {
        s.push_str(&r);
        s.push('\n');
    }
    if !failed.is_empty() {
        let shown: Vec<&str> = failed.iter().take(20).map(String::as_str).collect();
        let more = if failed.len() > 20 { format!(" and {} more", failed.len() - 20) } else { String::new() };
        let _ = writeln!(s, "  [expect] failed for seed(s) {}{more}", shown.join(", "));
    }
    s
}

/// The names records of a scenario's run go by, for checking `--explain` before running.
fn names(sc: &kafkasim::scenario::Scenario) -> kafkasim::record::History {
    kafkasim::record::History {
        producers: sc
            .producers
            .iter()
            .map(|p| p.name.clone())
            .chain(sc.processors.iter().map(|p| p.name.clone()))
            .collect(),
        record_base: sc.record_base(),
        ..Default::default()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario, seed, seeds, format, trace, check_invariants, findings, explain, html, svg } => {
            let timeline = html.is_some() || svg.is_some();
            if timeline && seeds.is_some_and(|(a, b)| a != b) {
                eprintln!(
                    "{}: --html and --svg draw one run: give --seed N (or no seed: the file's), not --seeds",
                    scenario.display()
                );
                return ExitCode::from(2);
            }
            let opts = RunOptions { trace: trace.unwrap_or_default(), check_invariants, timeline };
            let show = Show { format, findings, explain, html, svg };
            run(scenario, seed, seeds, &show, opts)
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

/// What to print of each seed's run.
struct Show {
    format: Format,
    findings: Option<Findings>,
    explain: Option<String>,
    /// `--html FILE`.
    html: Option<PathBuf>,
    /// `--svg FILE`.
    svg: Option<PathBuf>,
}

fn run(path: PathBuf, seed: Option<u64>, seeds: Option<(u64, u64)>, show: &Show, opts: RunOptions) -> ExitCode {
    let format = show.format;
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
    if let Some(record) = &show.explain {
        if let Err(e) = kafkasim::check::explain::parse_record(&names(&sc), record) {
            eprintln!("{}: --explain: {e}", path.display());
            return ExitCode::from(2);
        }
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
        let (findings, explain) = (show.findings, show.explain.clone());
        let pictures = (show.html.clone(), show.svg.clone());
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
            let Ok((mut report, out)) = ran else {
                let (lock, cv) = &*results;
                let stderr =
                    format!("{}: seed {}: the run panicked (message above)\n", path.display(), first + i as u64);
                lock.lock()[i] = Some(Done {
                    stdout: String::new(),
                    stderr,
                    passed: false,
                    panicked: true,
                    summary: None,
                    unwritten: false,
                });
                cv.notify_all();
                continue;
            };
            if let Some(Findings(n)) = findings {
                report.set_examples(n);
            }
            if let Some(record) = &explain {
                let r = kafkasim::check::explain::parse_record(&out.history, record).expect("checked above");
                report.explain = kafkasim::check::explain::explain(&out.history, &report.findings, r);
            }
            let summary = Summary::of(&report);
            let mut stdout = String::new();
            let mut stderr = String::new();
            let mut written = true;
            for (file, svg) in [(&pictures.0, false), (&pictures.1, true)] {
                let Some(file) = file else { continue };
                let text = if svg {
                    kafkasim::report::timeline::svg(&sc, &report, &out)
                } else {
                    kafkasim::report::timeline::html(&sc, &report, &out)
                };
                if let Err(e) =
                    text.map_err(|e| e.to_string()).and_then(|t| std::fs::write(file, t).map_err(|e| e.to_string()))
                {
                    stderr.push_str(&format!("{}: {e}\n", file.display()));
                    written = false;
                }
            }
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
                Format::Text => {
                    let n = findings.map_or(Some(kafkasim::report::text::TEXT_FINDINGS_PER_ANOMALY), |f| f.0);
                    stdout.push_str(&kafkasim::report::text::to_text_with(&report, n))
                }
            }
            let (lock, cv) = &*results;
            let done = Done {
                stdout,
                stderr,
                passed: report.expect.passed,
                panicked: false,
                summary: Some(summary),
                unwritten: !written,
            };
            lock.lock()[i] = Some(done);
            cv.notify_all();
        }));
    }
    let mut all_passed = true;
    let mut unwritten = false;
    let mut panicked = false;
    let mut summaries = Vec::with_capacity(count);
    let progress = count > 1 && std::io::IsTerminal::is_terminal(&std::io::stderr());
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
        unwritten |= done.unwritten;
        summaries.extend(done.summary);
        if progress {
            eprint!("\r{}/{count} seeds run", i + 1);
        }
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
    if progress {
        eprintln!();
    }
    if count > 1 && format == Format::Text {
        let mut o = stdout.lock();
        let _ = o.write_all(sweep_summary(first, last, &summaries).as_bytes());
        let _ = o.flush();
    }
    if unwritten {
        ExitCode::from(2)
    } else if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
