//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kafkasim::record::{EventKind, History};
use kafkasim::report::text::to_text;
use kafkasim::report::Report;
use kafkasim::scenario::{load_file, parse_str, Scenario};
use kafkasim::{run_seed, RunOptions, RunOutput};

/// Load a bundled example scenario by file stem.
pub fn example(stem: &str) -> Scenario {
    load_file(std::path::Path::new(&format!("examples/scenarios/{stem}.toml"))).expect("bundled example loads")
}

/// Parse an inline scenario.
pub fn inline(src: &str) -> Scenario {
    parse_str(src, "inline.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Run one seed and judge it.
pub fn judge(s: &Scenario, seed: u64) -> (Report, RunOutput) {
    run_seed(s, seed, RunOptions::default()).unwrap()
}

/// Time of the first Acked event covering record `index` of producer 0.
pub fn acked_at(h: &History, index: u32) -> Option<(u64, i64)> {
    h.events.iter().find_map(|e| match &e.kind {
        EventKind::Acked { producer: 0, records, offset, .. } => {
            records.position(index).map(|k| (e.at, if *offset < 0 { -1 } else { offset + k as i64 }))
        }
        _ => None,
    })
}

/// Offsets at which record `index` of producer 0 stands in partition `p`'s final log.
pub fn offsets_of(h: &History, p: usize, index: u32) -> Vec<u64> {
    let Some(l) = h.partitions[p].leader_replica() else { return Vec::new() };
    l.log
        .iter()
        .flat_map(|b| b.records.iter().enumerate().map(move |(k, r)| (b.base_offset + k as u64, b.producer, r)))
        .filter(|&(_, pr, r)| pr == 0 && r == index)
        .map(|(o, _, _)| o)
        .collect()
}

/// Run the `kafkasim` binary with `args`: (exit status, stdout, stderr).
pub fn kafkasim(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kafkasim")).args(args).output().expect("run kafkasim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Write `body` to a file `name` in a directory of this test process, and return its path.
pub fn temp_file(name: &str, body: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kafkasim-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

/// Records processed by instances other than `skip` between `from` and `to` (history times).
pub fn processed_by_others(s: &Scenario, skip: u32, (from, to): (u64, u64)) -> usize {
    let (report, out) = judge(s, 1);
    assert!(report.expect.passed, "{}", to_text(&report));
    out.history
        .events
        .iter()
        .filter(|e| e.at > from && e.at < to)
        .map(|e| match &e.kind {
            EventKind::Processed { instance, records, .. } if *instance != skip => records.len(),
            _ => 0,
        })
        .sum()
}
