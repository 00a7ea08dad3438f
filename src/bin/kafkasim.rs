//! `kafkasim run SCENARIO.toml [--seed N | --seeds A..B] [--format text|json] [--trace] [--check-invariants]
//! [--findings N|all] [--explain RECORD] [--html FILE] [--svg FILE]`
//! `kafkasim explore SCENARIO.toml [--seed N] [--depth 1|2] [--max-runs N] [--format text|json]`

use std::collections::BTreeMap;
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
        /// The scenario file (TOML); `-` reads it from standard input.
        scenario: PathBuf,
        /// Run this seed instead of the file's `seed`.
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Run every seed from A to B inclusive, e.g. `1..200` (or `1..=200`, the same); the text
        /// report ends with a summary of the sweep. At most 10,000,000 seeds; a closed output
        /// (`| head -1`) stops the sweep with exit status 0.
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
        /// End a run that has handled N events without ending (a scenario that never settles
        /// before an enormous `duration_ms`): its report is printed, a message says so, and the
        /// exit status is 2.
        #[arg(long, value_name = "N", default_value_t = kafkasim::world::DEFAULT_MAX_EVENTS,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_events: u64,
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
        /// The scenario file (TOML; `-`: standard input); its [[fault]] entries are the candidate
        /// faults.
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

/// The most seeds one `--seeds` sweep may run (a bigger range is refused before anything runs).
const MAX_SEEDS: u64 = 10_000_000;

/// `A..B` or `A..=B`, both inclusive of B (the contract's meaning of `--seeds A..B`), of at most
/// [`MAX_SEEDS`] seeds.
fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("`{s}` is not a range A..B"))?;
    let b = b.strip_prefix('=').unwrap_or(b);
    let a: u64 = a.trim().parse().map_err(|_| format!("`{a}` is not a seed (a whole number up to {})", u64::MAX))?;
    let b: u64 = b.trim().parse().map_err(|_| format!("`{b}` is not a seed (a whole number up to {})", u64::MAX))?;
    if b < a {
        return Err(format!("empty range {a}..{b}"));
    }
    // `b - a + 1` overflows only for 0..u64::MAX, which is over the limit anyway.
    if b - a >= MAX_SEEDS {
        return Err(format!("the range {a}..{b} has more than {MAX_SEEDS} seeds, the most one sweep runs"));
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
    /// Its anomaly counts (in `Anomaly::ALL` order), for the sweep's summary.
    anomalies: Vec<u64>,
    /// A `--html` or `--svg` file could not be written, or the run ran out of events.
    unwritten: bool,
}

/// Per anomaly of a sweep: how many seeds show it, the total, and the worst seed and its count.
#[derive(Clone, Copy, Default)]
struct Tally {
    seeds: u64,
    total: u64,
    worst: (u64, u64),
}

/// The summary after a sweep, added to seed by seed (in seed order) so that no seed's report is
/// kept once printed.
struct Sweep {
    runs: u64,
    tallies: Vec<Tally>,
    /// The first 20 seeds whose `[expect]` failed, and how many failed in all.
    failed: Vec<u64>,
    failed_count: u64,
}

impl Sweep {
    fn new() -> Self {
        let tallies = vec![Tally::default(); kafkasim::record::Anomaly::ALL.len()];
        Sweep { runs: 0, tallies, failed: Vec::new(), failed_count: 0 }
    }

    /// Adds seed `seed`'s counts; seeds come in increasing order.
    fn add(&mut self, seed: u64, anomalies: &[u64], passed: bool) {
        self.runs += 1;
        if !passed {
            self.failed_count += 1;
            if self.failed.len() < 20 {
                self.failed.push(seed);
            }
        }
        for (t, &n) in self.tallies.iter_mut().zip(anomalies) {
            if n == 0 {
                continue;
            }
            t.seeds += 1;
            t.total += n;
            // The worst seed: the most records, the lowest seed among equals.
            if t.seeds == 1 || n > t.worst.1 {
                t.worst = (seed, n);
            }
        }
    }

    /// The text after a sweep: per anomaly, how many seeds show it, the worst seed and the total.
    fn text(&self, first: u64, last: u64) -> String {
        use std::fmt::Write as _;
        let runs = self.runs;
        let mut s = format!("\nsummary of seeds {first}..={last} ({runs} runs):\n");
        let _ = writeln!(s, "  [expect] held for {} of {runs} seeds", runs - self.failed_count);
        let mut rows = Vec::new();
        for (a, t) in kafkasim::record::Anomaly::ALL.iter().zip(&self.tallies) {
            if t.seeds == 0 {
                continue;
            }
            let (name, seeds, total) = (a.name(), t.seeds, t.total);
            rows.push(format!(
                "  {name:<22} {seeds:>6} seeds  worst seed {:>6} ({})  total {total}",
                t.worst.0, t.worst.1
            ));
        }
        if rows.is_empty() {
            s.push_str("  no anomaly in any seed\n");
        }
        for r in rows {
            s.push_str(&r);
            s.push('\n');
        }
        if self.failed_count > 0 {
            let shown: Vec<String> = self.failed.iter().map(u64::to_string).collect();
            let more = self.failed_count - self.failed.len() as u64;
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            let _ = writeln!(s, "  [expect] failed for seed(s) {}{more}", shown.join(", "));
        }
        s
    }
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
        Command::Run {
            scenario,
            seed,
            seeds,
            format,
            trace,
            check_invariants,
            max_events,
            findings,
            explain,
            html,
            svg,
        } => {
            let timeline = html.is_some() || svg.is_some();
            if timeline && seeds.is_some_and(|(a, b)| a != b) {
                eprintln!(
                    "{}: --html and --svg draw one run: give --seed N (or no seed: the file's), not --seeds",
                    scenario.display()
                );
                return ExitCode::from(2);
            }
            let opts = RunOptions { trace: trace.unwrap_or_default(), check_invariants, timeline, max_events };
            let show = Show { format, findings, explain, html, svg };
            run(scenario, seed, seeds, &show, opts)
        }
        Command::Explore { scenario, seed, depth, max_runs, format } => {
            explore(scenario, seed, depth, max_runs as usize, format)
        }
    }
}

fn explore(path: PathBuf, seed: Option<u64>, depth: u8, max_runs: usize, format: Format) -> ExitCode {
    let sc = match load(&path) {
        Some(s) => s,
        None => return ExitCode::from(2),
    };
    if let Some(why) = sc.needs_user_code() {
        eprintln!("{}: {}", shown(&path), esc(why));
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
            eprintln!("{}: {}", shown(&path), esc(e));
            return ExitCode::from(2);
        }
    };
    let text = match format {
        Format::Text => exploration.to_text(),
        Format::Json => exploration.to_json() + "\n",
    };
    match emit(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => ExitCode::from(code),
    }
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
    let sc = match load(&path) {
        Some(s) => Arc::new(s),
        None => return ExitCode::from(2),
    };
    if let Some(why) = sc.needs_user_code() {
        eprintln!("{}: {}", shown(&path), esc(why));
        return ExitCode::from(2);
    }
    if let Some(record) = &show.explain {
        if let Err(e) = kafkasim::check::explain::parse_record(&names(&sc), record) {
            eprintln!("{}: --explain: {}", shown(&path), esc(e));
            return ExitCode::from(2);
        }
    }
    let (first, last) = seeds.unwrap_or_else(|| {
        let s = seed.unwrap_or(sc.seed);
        (s, s)
    });
    // At most MAX_SEEDS (parse_range), so neither this nor the indices below overflow.
    let count = last - first + 1;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get() as u64).min(count).max(1);
    // Seeds run at most this far ahead of the one printed next, so a sweep holds a bounded
    // number of reports whatever its length.
    let window = workers * 4;

    // Seeds run on every core; each seed is still a deterministic single-threaded run.
    // Results are printed in seed order as soon as the next one is ready.
    let state =
        Arc::new((Mutex::new(Queue { next: 0, printed: 0, stop: false, done: BTreeMap::new() }), Condvar::new()));
    let mut pool = Vec::new();
    for _ in 0..workers {
        let (sc, state, path) = (sc.clone(), state.clone(), path.clone());
        let (findings, explain) = (show.findings, show.explain.clone());
        let pictures = (show.html.clone(), show.svg.clone());
        pool.push(std::thread::spawn(move || loop {
            let i = {
                let (lock, cv) = &*state;
                let mut q = lock.lock();
                loop {
                    if q.stop || q.next >= count {
                        return;
                    }
                    if q.next < q.printed + window {
                        break;
                    }
                    cv.wait(&mut q);
                }
                q.next += 1;
                q.next - 1
            };
            let seed = first + i;
            // A panic (a violated invariant) has printed its message to stderr already; the seed
            // counts as failed and the process exits 101 once the earlier seeds are printed.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_seed(&sc, seed, opts).expect("the loader validated the scenario")
            }));
            let done = match ran {
                Err(_) => {
                    let stderr = format!("{}: seed {seed}: the run panicked (message above)\n", shown(&path));
                    Done {
                        stdout: String::new(),
                        stderr,
                        passed: false,
                        panicked: true,
                        anomalies: Vec::new(),
                        unwritten: false,
                    }
                }
                Ok((mut report, out)) => {
                    if let Some(Findings(n)) = findings {
                        report.set_examples(n);
                    }
                    if let Some(record) = &explain {
                        let r = kafkasim::check::explain::parse_record(&out.history, record).expect("checked above");
                        report.explain = kafkasim::check::explain::explain(&out.history, &report.findings, r);
                    }
                    let anomalies = kafkasim::record::Anomaly::ALL.iter().map(|&a| report.anomalies[a]).collect();
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
                        if let Err(e) = text
                            .map_err(|e| e.to_string())
                            .and_then(|t| std::fs::write(file, t).map_err(|e| e.to_string()))
                        {
                            stderr.push_str(&format!("{}: {e}\n", file.display()));
                            written = false;
                        }
                    }
                    if out.out_of_events {
                        stderr.push_str(&format!(
                            "{}: seed {seed}: the run handled {} events and had not ended at {} ms of virtual time \
                             (--max-events {}): its scenario may never settle (a fault that never heals, a \
                             duration_ms far past the work); its report is partial\n",
                            shown(&path),
                            out.events,
                            out.virtual_ms,
                            opts.max_events
                        ));
                        written = false;
                    }
                    let lines = if format == Format::Json { &mut stderr } else { &mut stdout };
                    for l in &out.trace {
                        lines.push_str(&scenario::escape_controls(l));
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
                    Done {
                        stdout,
                        stderr,
                        passed: report.expect.passed,
                        panicked: false,
                        anomalies,
                        unwritten: !written,
                    }
                }
            };
            let (lock, cv) = &*state;
            lock.lock().done.insert(i, done);
            cv.notify_all();
        }));
    }
    let mut all_passed = true;
    let mut sweep = Sweep::new();
    let mut unwritten = false;
    let progress = count > 1 && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (lock, cv) = &*state;
    let stop = || {
        lock.lock().stop = true;
        cv.notify_all();
    };
    for i in 0..count {
        let done = {
            let mut q = lock.lock();
            let done = loop {
                match q.done.remove(&i) {
                    Some(d) => break d,
                    None => cv.wait(&mut q),
                }
            };
            q.printed = i + 1;
            cv.notify_all();
            done
        };
        eprint!("{}", done.stderr);
        if let Err(code) = emit(&done.stdout) {
            // Seeds still running are not waited for.
            stop();
            return ExitCode::from(code);
        }
        all_passed &= done.passed;
        unwritten |= done.unwritten;
        if !done.panicked {
            sweep.add(first + i, &done.anomalies, done.passed);
        }
        if progress {
            eprint!("\r{}/{count} seeds run", i + 1);
        }
        if done.panicked {
            // Seeds still running are not waited for.
            stop();
            return ExitCode::from(101);
        }
    }
    for worker in pool {
        let _ = worker.join();
    }
    if progress {
        eprintln!();
    }
    if count > 1 && format == Format::Text {
        if let Err(code) = emit(&sweep.text(first, last)) {
            return ExitCode::from(code);
        }
    }
    if unwritten {
        ExitCode::from(2)
    } else if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The scenario at `path` (`-`: standard input), its warnings printed on standard error; `None`
/// when it is rejected, its error printed.
fn load(path: &std::path::Path) -> Option<scenario::Scenario> {
    match scenario::load_file_with_warnings(path) {
        Ok((s, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            Some(s)
        }
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

/// How messages name the scenario at `path`: `<stdin>` for `-`.
fn shown(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        scenario::load::STDIN_NAME.to_string()
    } else {
        esc(path.display())
    }
}

/// `text` with its control characters written out, for a line of standard error.
fn esc(text: impl std::fmt::Display) -> String {
    scenario::escape_controls(&text.to_string()).into_owned()
}

/// The seeds of a run between the workers and the printer.
struct Queue {
    /// The next seed (as an index from the first) a worker takes.
    next: u64,
    /// How many seeds are printed; workers stay within a window of it.
    printed: u64,
    /// Set when the printer gives up (a closed stdout, a panicked run): workers take no more seeds.
    stop: bool,
    /// Finished seeds not yet printed, by index.
    done: BTreeMap<u64, Done>,
}

/// Writes `text` to standard output and flushes it. A closed pipe (a reader such as `head -1`
/// that has read enough) is `Err(0)`: the run ends quietly with status 0. Any other failure (a
/// full disk) is reported on standard error and is `Err(2)`.
fn emit(text: &str) -> Result<(), u8> {
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(0),
        Err(e) => {
            eprintln!("kafkasim: cannot write the report to standard output: {e}");
            Err(2)
        }
    }
}
