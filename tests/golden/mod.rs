//! Golden files of pinned runs: each run's trace hash and its first events, so that a changed
//! hash names the first event that differs. `UPDATE_GOLDEN=1` rewrites a golden file.
#![allow(dead_code)]

/// How many leading trace lines (header included) a golden file keeps per run.
const KEPT_LINES: usize = 100;

/// One pinned run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub stem: String,
    pub seed: u64,
    pub hash: u64,
    pub first: Vec<String>,
}

impl Run {
    /// A run of example `stem` with `seed`, hashing to `hash` (hex) with `trace` (all families).
    pub fn new(stem: &str, seed: u64, hash: u64, trace: &[String]) -> Self {
        Run { stem: stem.into(), seed, hash, first: trace.iter().take(KEPT_LINES).cloned().collect() }
    }
}

/// Parse a golden file.
pub fn read(path: &str) -> Vec<Run> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut runs: Vec<Run> = Vec::new();
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("== ") {
            let w: Vec<&str> = head.split_whitespace().collect();
            let [stem, "seed", seed, "hash", hash] = w[..] else { panic!("{path}: bad run header `{line}`") };
            runs.push(Run {
                stem: stem.into(),
                seed: seed.parse().expect("seed"),
                hash: u64::from_str_radix(hash, 16).expect("hex hash"),
                first: Vec::new(),
            });
        } else if !line.starts_with('#') {
            runs.last_mut().unwrap_or_else(|| panic!("{path}: a line before any run")).first.push(line.into());
        }
    }
    runs
}

fn write(path: &str, runs: &[Run]) {
    let mut out = String::from(
        "# Pinned runs: example, seed, trace hash, and the run's first events (`--trace all`).\n\
         # Rewrite with `UPDATE_GOLDEN=1 cargo test --test determinism` when a change of\n\
         # behaviour is intended, and say why in the commit.\n",
    );
    for r in runs {
        out.push_str(&format!("== {} seed {} hash {:016x}\n", r.stem, r.seed, r.hash));
        for l in &r.first {
            out.push_str(l);
            out.push('\n');
        }
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("{path}: {e}"));
}

/// Compare `runs` with the golden file at `path` (or rewrite it under `UPDATE_GOLDEN=1`). A
/// mismatch names the run and its first differing event.
pub fn check(path: &str, runs: &[Run]) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        write(path, runs);
        return;
    }
    let golden = read(path);
    let mut problems = Vec::new();
    for r in runs {
        let Some(g) = golden.iter().find(|g| g.stem == r.stem && g.seed == r.seed) else {
            problems.push(format!("{} seed {}: not in {path}", r.stem, r.seed));
            continue;
        };
        if g.hash == r.hash {
            continue;
        }
        let first_diff = g.first.iter().zip(&r.first).position(|(a, b)| a != b);
        let detail = match first_diff {
            Some(i) => {
                format!("first differing event (line {}):\n  pinned: {}\n  now:    {}", i + 1, g.first[i], r.first[i])
            }
            None => format!("the first {} events agree; the runs part later", g.first.len().min(r.first.len())),
        };
        problems
            .push(format!("{} seed {}: trace hash {:016x}, pinned {:016x}; {detail}", r.stem, r.seed, r.hash, g.hash));
    }
    assert!(
        problems.is_empty(),
        "{}\n(if the behaviour change is intended: UPDATE_GOLDEN=1 cargo test --test determinism)",
        problems.join("\n")
    );
}
