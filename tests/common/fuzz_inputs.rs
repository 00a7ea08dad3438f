//! The inputs of the fuzzers and what they check, shared by the stable proptest loop
//! (tests/fuzz.rs) and the cargo-fuzz targets (fuzz/fuzz_targets/, which include this file by
//! path and draw from these same strategies with a generator seeded by their bytes).
//! It uses only `kafkasim`, `proptest` and `std`, so that both can compile it.

#![allow(dead_code)]
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use kafkasim::scenario::{parse_str, FaultAction, Scenario, TargetClass};
use kafkasim::strategy::{scenario, Semantic, Shape};
use kafkasim::RunOptions;

/// Values that stress the validators when put in place of a valid one.
pub const JUNK: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "5",
    "64",
    "65",
    "1001",
    "2147483648",
    "9223372036854775807",
    "1.5",
    "true",
    "\"\"",
    "\"0\"",
    "\"all\"",
    "\"p1#0 acked\"",
    "\"p1#999999999999 acked\"",
    "\"p1 acked 0\"",
    "\"broker:0\"",
    "\"broker:99999999999\"",
    "\"leader:orders/4294967295\"",
    "\"leader:/0\"",
    "\"producer:\"",
    "\"consumer:c1/1\"",
    "\"consumer:c1/\"",
    "\"coordinator:group:g1\"",
    "\"coordinator:transaction:tx\"",
    "\"coordinator:transaction:\"",
    "\"p1 txn-committed 1\"",
    "\"p1 txn-aborted 0\"",
    "\"tx\"",
    "\" \"",
    "900001",
    "\"coordinator:group:\"",
    "\"coordinator:\"",
    "\"c1 processed 0\"",
    "\"c1 polled 1\"",
    "\"p1#0 processed\"",
    "[\"orders\", \"orders\"]",
    "[\"orders\"]",
    "\"read_committed\"",
    "\"after-processing\"",
    "false",
    "44999",
    "\":\"",
    "\"#\"",
    "\"é\\u0000\"",
    "[]",
    "[1]",
    "[2, 1]",
    "[0, 18446744073709551615]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "\"processor:s1/1\"",
    "\"processor:s1/2\"",
    "\"processor:c1\"",
    "\"s1 txn-committed 1\"",
    "\"s2 txn-aborted 1\"",
    "\"s1 acked 1\"",
    "\"exactly_once\"",
    "\"exactly_once_v2\"",
    "\"at_least_once\"",
    "\"orders\"",
    "\"shipments\"",
    "\"app\"",
    "\"g1\"",
    "\"coordinator:transaction:app-s1-1\"",
    "\"coordinator:group:app\"",
    "[\"processors\"]",
    "10001",
];

/// Table headers a mutation may put in place of another (or of any line).
const HEADERS: &[&str] = &[
    "[cluster]",
    "[cluster.config]",
    "[network]",
    "[[topic]]",
    "[topic.config]",
    "[[producer]]",
    "[producer.config]",
    "[[consumer]]",
    "[consumer.config]",
    "[[processor]]",
    "[processor.config]",
    "[[fault]]",
    "[nemesis]",
    "[expect]",
    "[[service]]",
    "[[cluster]]",
    "[expect.config]",
    "[[fault.config]]",
    "[",
    "[[]]",
];

/// Characters that break lines, strings or terminals, inserted anywhere.
const CONTROLS: &[&str] =
    &["\0", "\u{1b}[2J", "\r", "\n", "\t", "\u{7f}", "\u{feff}", "\u{85}", "\u{2028}", "\"", "'", "#", "[", "=", "\\"];

/// The bundled example scenarios in `dir` (examples/scenarios), in file-name order: (file name,
/// text).
pub fn examples(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the examples directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

/// The bundled examples (file name, text) and the keys they spell.
pub type Bundled = (Vec<(String, String)>, Vec<String>);

/// The bundled examples in `dir` and the keys they spell, read once (the first `dir` asked for).
pub fn bundled(dir: &str) -> &'static Bundled {
    static EXAMPLES: OnceLock<Bundled> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let examples = examples(Path::new(dir));
        let keys = keys_of(examples.iter().map(|(_, t)| t.as_str()));
        (examples, keys)
    })
}

/// A value of `strategy` drawn from `data`: proptest's ChaCha generator seeded by a hash of the
/// bytes, so every input is a value and the fuzzer's coverage feedback keeps the inputs whose
/// values reach new code. (Proptest's pass-through generator, which would hand the bytes out
/// as the random numbers themselves, pads them with zeros once they run out, and on zeros
/// `rand`'s rejection sampling turns a draw down for ever: a hang, not a finding.) `None` when
/// the strategy rejects.
pub fn decode<S: Strategy>(strategy: S, data: &[u8]) -> Option<S::Value> {
    // Four FNV-1a hashes of the data, each from its own offset basis: the 32-byte seed.
    let mut seed = [0u8; 32];
    for (k, chunk) in seed.chunks_mut(8).enumerate() {
        let basis = 0xcbf2_9ce4_8422_2325u64 ^ k as u64;
        let h = data.iter().fold(basis, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    strategy.new_tree(&mut runner).ok().map(|t| t.current())
}

/// Every key spelled left of ` = ` in `texts` (sorted, once each): what a renamed key becomes.
pub fn keys_of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut keys: Vec<String> = texts
        .into_iter()
        .flat_map(|t| t.lines())
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty() && !k.starts_with('#'))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// One structure-aware edit of a scenario file. Line numbers and offsets are taken modulo the
/// text's, so every mutation applies to every text.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Delete a line.
    DeleteLine(usize),
    /// Write a line twice.
    DuplicateLine(usize),
    /// Swap two lines.
    SwapLines(usize, usize),
    /// Replace the value of the next `key = value` line from here with this text.
    ReplaceValue(usize, String),
    /// Rename the key of the next `key = value` line from here: to a key of the examples (an
    /// index into them, modulo their number) or to this text.
    RenameKey(usize, Result<usize, String>),
    /// Replace a line with a table header.
    Header(usize, &'static str),
    /// Cut the text at this byte (back to a character boundary).
    Truncate(usize),
    /// Insert this text at this byte (back to a character boundary).
    Insert(usize, String),
}

/// A value in place of a valid one: the usual suspects, any integer, any float, any string.
fn junk_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(JUNK).prop_map(String::from),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        2 => (-3i64..100).prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| format!("{f:?}")),
        2 => "[^\"\\\\]{0,24}".prop_map(|s| format!("{s:?}")),
        1 => "[ -~]{0,12}",
    ]
}

/// One structure-aware edit.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    let line = 0usize..400;
    let at = 0usize..20_000;
    prop_oneof![
        2 => line.clone().prop_map(Mutation::DeleteLine),
        2 => line.clone().prop_map(Mutation::DuplicateLine),
        2 => (line.clone(), line.clone()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        6 => (line.clone(), junk_value()).prop_map(|(l, v)| Mutation::ReplaceValue(l, v)),
        3 => (line.clone(), prop_oneof![3 => any::<usize>().prop_map(Ok), 1 => "[a-z_.\"]{0,16}".prop_map(Err)])
            .prop_map(|(l, k)| Mutation::RenameKey(l, k)),
        1 => (line.clone(), proptest::sample::select(HEADERS)).prop_map(|(l, h)| Mutation::Header(l, h)),
        1 => at.clone().prop_map(Mutation::Truncate),
        2 => (at, prop_oneof![proptest::sample::select(CONTROLS).prop_map(String::from), "[ -~\n]{0,12}"])
            .prop_map(|(a, t)| Mutation::Insert(a, t)),
    ]
}

/// An example (an index modulo their number) and 1..=4 edits of it.
pub fn mutated_example() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (any::<usize>(), proptest::collection::vec(mutation(), 1..=4))
}

/// An example and 1..=3 of its values replaced by numbers and the usual suspects: edits that
/// mostly leave a file the loader accepts, with values its authors did not try.
pub fn example_with_new_values() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    let value = prop_oneof![
        2 => (0i64..5).prop_map(|n| n.to_string()),
        2 => (0i64..100_000).prop_map(|n| n.to_string()),
        1 => proptest::sample::select(vec!["2147483647", "9223372036854775807", "true", "false"]).prop_map(String::from),
        2 => proptest::sample::select(JUNK).prop_map(String::from),
    ];
    (
        any::<usize>(),
        proptest::collection::vec((0usize..400, value).prop_map(|(l, v)| Mutation::ReplaceValue(l, v)), 1..=3),
    )
}

/// A mutated example to run: [`mutated_example`] or [`example_with_new_values`].
pub fn example_to_run() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    prop_oneof![mutated_example(), example_with_new_values()]
}

/// The first line at or after `from` (wrapping around) that is `key = value`: its index and the
/// byte where ` = ` starts.
fn key_line(lines: &[String], from: usize) -> Option<(usize, usize)> {
    (0..lines.len()).map(|k| (from + k) % lines.len()).find_map(|i| lines[i].find(" = ").map(|at| (i, at)))
}

/// The greatest character boundary of `s` at or before `at`.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text` with `m` applied; `keys` are what a renamed key may become.
pub fn apply(text: &str, m: &Mutation, keys: &[String]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let n = lines.len();
    match m {
        Mutation::DeleteLine(l) => {
            lines.remove(l % n);
        }
        Mutation::DuplicateLine(l) => lines.insert(l % n, lines[l % n].clone()),
        Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
        Mutation::ReplaceValue(l, v) => {
            if let Some((i, at)) = key_line(&lines, l % n) {
                lines[i] = format!("{} = {v}", &lines[i][..at]);
            }
        }
        Mutation::RenameKey(l, k) => {
            if let Some((i, at)) = key_line(&lines, l % n) {
                let key = match k {
                    Ok(k) if !keys.is_empty() => keys[k % keys.len()].as_str(),
                    Ok(_) => "",
                    Err(s) => s.as_str(),
                };
                lines[i] = format!("{key}{}", &lines[i][at..]);
            }
        }
        Mutation::Header(l, h) => lines[l % n] = h.to_string(),
        Mutation::Truncate(at) => return text[..boundary(text, at % (text.len() + 1))].to_string(),
        Mutation::Insert(at, t) => {
            let at = boundary(text, at % (text.len() + 1));
            return format!("{}{t}{}", &text[..at], &text[at..]);
        }
    }
    lines.join("\n")
}

/// Example `which` (modulo their number) with `edits` applied in turn.
pub fn mutate(examples: &[(String, String)], keys: &[String], (which, edits): &(usize, Vec<Mutation>)) -> String {
    let mut text = examples[which % examples.len()].1.clone();
    for m in edits {
        text = apply(&text, m, keys);
    }
    text
}

/// Load `src` as file `file` the way the CLI does, asserting what the loader promises: no panic,
/// and an error that displays as one line `FILE:LINE:COL: message` pointing into the text.
#[track_caller]
pub fn check_loader(src: &str, file: &str) -> Option<Scenario> {
    match parse_str(src, file) {
        Ok(s) => Some(s),
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains(['\n', '\r']), "the error is one line: {shown:?}");
            assert!(e.line >= 1 && e.column >= 1, "{shown}");
            assert!(e.line <= src.split('\n').count(), "{shown}: the file has {} lines", src.split('\n').count());
            let prefix = format!("{file}:{}:{}: ", e.line, e.column);
            assert!(shown.starts_with(&prefix) && shown.len() > prefix.len(), "{shown}");
            None
        }
    }
}

/// Shapes of every kind [`kafkasim::strategy::scenario`] builds: each semantic, a consumer
/// and a processor or not, faults of every action (partitions too) on every class of target.
pub fn shape() -> impl Strategy<Value = Shape> {
    let semantic = proptest::sample::select(vec![Semantic::AtMostOnce, Semantic::AtLeastOnce, Semantic::ExactlyOnce]);
    let actions = proptest::sample::subsequence(
        vec![
            FaultAction::Crash,
            FaultAction::PowerLoss,
            FaultAction::Isolate,
            FaultAction::Pause,
            FaultAction::Partition,
        ],
        0..=5,
    );
    let targets = proptest::sample::subsequence(
        vec![TargetClass::Brokers, TargetClass::Producers, TargetClass::Consumers, TargetClass::Processors],
        0..=4,
    );
    (semantic, 1u32..=5, 1u32..=60, 1u32..=3, any::<(bool, bool)>(), 0usize..=6, actions, targets, 1_000u64..=20_000)
        .prop_map(
            |(
                semantic,
                max_brokers,
                max_records,
                max_partitions,
                (consumer, processor),
                max_faults,
                actions,
                targets,
                horizon_ms,
            )| {
                Shape {
                    max_brokers,
                    max_records,
                    max_partitions,
                    consumer,
                    processor,
                    max_faults,
                    actions,
                    targets,
                    horizon_ms,
                    ..Shape::new(semantic)
                }
            },
        )
}

/// A scenario of any [`shape`] and the seed to run it with.
pub fn model_case() -> impl Strategy<Value = (Scenario, u64)> {
    (shape().prop_flat_map(scenario), any::<u64>())
}

/// Run `s` with `seed` as `kafkasim run --check-invariants` does, twice, and render its reports:
/// no panic (a violated invariant panics), the same trace hash both times. `max_events` bounds
/// each run (0: the default bound).
pub fn check_model(s: &Scenario, seed: u64, max_events: u64) {
    let opts = RunOptions { check_invariants: true, max_events, ..RunOptions::default() };
    let (report, out) = kafkasim::run_seed(s, seed, opts).expect("a valid scenario runs");
    let _ = kafkasim::report::text::to_text(&report);
    let _ = kafkasim::report::json::to_json_line(&report);
    let (again, _) = kafkasim::run_seed(s, seed, opts).expect("a valid scenario runs");
    assert_eq!(report.trace_hash, again.trace_hash, "seed {seed}: the same run twice, two trace hashes");
    assert_eq!(out.events, again.events);
}

/// Run a scenario the loader accepted as `kafkasim run FILE --check-invariants --max-events
/// MAX_EVENTS` does, once: the loader validated it, so it runs (unless it needs user code, which
/// the CLI refuses), without a panic, and its report renders.
pub fn check_loaded_run(s: &Scenario, max_events: u64) {
    if s.needs_user_code().is_some() {
        return;
    }
    let opts = RunOptions { check_invariants: true, max_events, ..RunOptions::default() };
    let (report, _) = kafkasim::run_seed(s, s.seed, opts).expect("the loader validated the scenario");
    let _ = kafkasim::report::text::to_text(&report);
    let _ = kafkasim::report::json::to_json_line(&report);
}

/// A run of a mutated example ends after this many events: enough for most examples to settle,
/// few enough that a case costs milliseconds.
pub const MUTANT_EVENTS: u64 = 200_000;

/// The model fuzz target's input (a file of fuzz/corpus/model): an even first byte makes the rest
/// a [`model_case`], run by [`check_model`]; an odd one an [`example_to_run`] of the examples in
/// `dir`, run by [`check_loaded_run`] when the loader accepts it.
pub fn run_model_input(data: &[u8], dir: &str) {
    let Some((&first, rest)) = data.split_first() else { return };
    if first % 2 == 0 {
        if let Some((s, seed)) = decode(model_case(), rest) {
            check_model(&s, seed, 0);
        }
    } else if let Some(case) = decode(example_to_run(), rest) {
        let (examples, keys) = bundled(dir);
        if let Some(s) = check_loader(&mutate(examples, keys, &case), "fuzz.toml") {
            check_loaded_run(&s, MUTANT_EVENTS);
        }
    }
}
