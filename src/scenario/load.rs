//! Loading a scenario file: TOML text in, a validated [`Scenario`] out, or one
//! `FILE:LINE:COL: MESSAGE` error that says what was wrong and where, so that nothing bad is run.
//!
//! The file is parsed with `toml_edit`, which keeps the byte span of every key and value; each
//! check reports the position of the offending key or value. Unknown keys get the nearest valid
//! key by edit distance.

use std::collections::HashMap;
use std::path::Path;

use thiserror::Error;
use toml_edit::{ImDocument, Item, TableLike, Value};

use super::model::{
    Acks, Bound, BrokerConfig, ClientEvent, ClientRef, ClusterSpec, CommitMode, ConsumerConfig, ConsumerSpec,
    Expectation, FaultAction, FaultSpec, IsolationLevel, NemesisSpec, NetworkSpec, OffsetReset, OnRestart,
    ProcessingGuarantee, ProcessorConfig, ProcessorSpec, ProducerConfig, ProducerSpec, RecordEvent, Scenario, Target,
    TargetClass, TopicSpec, Trigger,
};
use crate::record::Anomaly;

/// A rejected scenario file: where (1-based line and column) and what was wrong.
///
/// Displays as `FILE:LINE:COL: MESSAGE`, the form editors and the CLI's exit-2 path expect.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    /// The file name, as the caller gave it.
    pub file: String,
    /// 1-based line of the offending key or value (0 when the file could not be read at all).
    pub line: usize,
    /// 1-based column in characters (0 when the file could not be read at all).
    pub column: usize,
    /// What was wrong, with the allowed values or the nearest valid spelling when there is one.
    pub message: String,
}

/// Reads and validates the scenario file at `path`; I/O and UTF-8 failures are errors too.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the scenario file: {e}"),
    })?;
    match std::str::from_utf8(&bytes) {
        Ok(source) => parse_str(source, &file),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let (line, column) = line_col(valid, valid.len());
            Err(ScenarioError { file, line, column, message: "the file is not valid UTF-8".into() })
        }
    }
}

/// Parses and validates scenario TOML `source`; `file` is only used to label errors.
pub fn parse_str(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let cx = Cx { src: source, file };
    let doc = ImDocument::parse(source).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let what = one_line(e.message());
        let what = if what.is_empty() { "syntax error".into() } else { what };
        cx.err(at, format!("invalid TOML: {what}"))
    })?;
    let root = Tab { t: doc.as_table(), at: 0, name: TOP };
    cx.scenario(root)
}

/// Edit distance (insertions, deletions, substitutions) between two strings, by characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `word` by edit distance (the first one on ties), if any.
fn nearest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_lowercase();
    candidates.into_iter().map(|c| (levenshtein(&word, &c.to_lowercase()), c)).min_by_key(|&(d, _)| d).map(|(_, c)| c)
}

/// 1-based line and column (in characters) of byte offset `at` in `src`.
fn line_col(src: &str, at: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    for (i, ch) in src.char_indices() {
        if i >= at {
            break;
        }
        if ch == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// A multi-line parser message folded into one line.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

type R<T> = Result<T, ScenarioError>;

/// The name used for the document's root table in messages.
const TOP: &str = "the top level";

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration_ms",
    "cluster",
    "network",
    "topic",
    "producer",
    "consumer",
    "processor",
    "fault",
    "nemesis",
    "expect",
];
const CLUSTER_KEYS: &[&str] = &["brokers", "config"];
const BROKER_CONFIG_KEYS: &[&str] = &[
    "min.insync.replicas",
    "unclean.leader.election.enable",
    "replica.lag.time.max.ms",
    "log.flush.interval.messages",
    "broker.session.timeout.ms",
    "broker.heartbeat.interval.ms",
    "replica.fetch.wait.max.ms",
    "replica.fetch.backoff.ms",
    "offsets.topic.num.partitions",
    "offsets.topic.replication.factor",
    "offsets.commit.timeout.ms",
    "group.initial.rebalance.delay.ms",
    "group.min.session.timeout.ms",
    "group.max.session.timeout.ms",
    "transaction.state.log.num.partitions",
    "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    "transaction.max.timeout.ms",
];
const NETWORK_KEYS: &[&str] = &["latency_ms"];
const TOPIC_KEYS: &[&str] = &["name", "partitions", "replication_factor", "config"];
const TOPIC_CONFIG_KEYS: &[&str] = &["min.insync.replicas", "unclean.leader.election.enable", "flush.messages"];
const PRODUCER_KEYS: &[&str] = &[
    "name",
    "topic",
    "records",
    "keys",
    "interval_ms",
    "start_ms",
    "record_bytes",
    "on_restart",
    "config",
    "transaction_records",
    "abort_every",
];
const PRODUCER_CONFIG_KEYS: &[&str] = &[
    "acks",
    "enable.idempotence",
    "retries",
    "max.in.flight.requests.per.connection",
    "linger.ms",
    "batch.size",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "transactional.id",
    "transaction.timeout.ms",
];
const CONSUMER_KEYS: &[&str] =
    &["name", "group", "topics", "commit", "processing_ms", "instances", "poll_timeout_ms", "config"];
const CONSUMER_CONFIG_KEYS: &[&str] = &[
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "isolation.level",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "max.poll.records",
    "request.timeout.ms",
    "default.api.timeout.ms",
    "fetch.max.wait.ms",
    "retry.backoff.ms",
];
const PROCESSOR_KEYS: &[&str] =
    &["name", "group", "input", "output", "instances", "processing_ms", "poll_timeout_ms", "config"];
const PROCESSOR_CONFIG_KEYS: &[&str] = &[
    "processing.guarantee",
    "commit.interval.ms",
    "transaction.timeout.ms",
    "linger.ms",
    "max.poll.records",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "request.timeout.ms",
];
const FAULT_KEYS: &[&str] = &["at_ms", "after", "action", "target", "restart_after_ms", "duration_ms"];
const NEMESIS_KEYS: &[&str] =
    &["actions", "targets", "interval_ms", "start_ms", "stop_ms", "restart_after_ms", "duration_ms", "safe_power_loss"];

const ACTIONS: &[(&str, FaultAction)] = &[
    ("crash", FaultAction::Crash),
    ("power-loss", FaultAction::PowerLoss),
    ("isolate", FaultAction::Isolate),
    ("pause", FaultAction::Pause),
];
pub(super) const TARGET_CLASSES: &[(&str, TargetClass)] = &[
    ("brokers", TargetClass::Brokers),
    ("producers", TargetClass::Producers),
    ("consumers", TargetClass::Consumers),
    ("processors", TargetClass::Processors),
];
const TARGET_KINDS: &[&str] = &["broker", "leader", "producer", "coordinator", "consumer", "processor"];
pub(super) const RECORD_EVENTS: &[(&str, RecordEvent)] = &[
    ("sent", RecordEvent::Sent),
    ("appended", RecordEvent::Appended),
    ("acked", RecordEvent::Acked),
    ("committed", RecordEvent::Committed),
    ("processed", RecordEvent::Processed),
];
pub(super) const CLIENT_EVENTS: &[(&str, ClientEvent)] = &[
    ("acked", ClientEvent::Acked),
    ("polled", ClientEvent::Polled),
    ("processed", ClientEvent::Processed),
    ("committed", ClientEvent::Committed),
    ("txn-committed", ClientEvent::TxnCommitted),
    ("txn-aborted", ClientEvent::TxnAborted),
    ("offsets-sent", ClientEvent::OffsetsSent),
];
pub(super) const ON_RESTART: &[(&str, OnRestart)] =
    &[("resend-unacked", OnRestart::ResendUnacked), ("skip-unacked", OnRestart::SkipUnacked)];
const COMMIT_MODES: &[(&str, CommitMode)] = &[
    ("auto", CommitMode::Auto),
    ("before-processing", CommitMode::BeforeProcessing),
    ("after-processing", CommitMode::AfterProcessing),
];
pub(super) const OFFSET_RESETS: &[(&str, OffsetReset)] =
    &[("earliest", OffsetReset::Earliest), ("latest", OffsetReset::Latest), ("none", OffsetReset::None)];
pub(super) const ISOLATION_LEVELS: &[(&str, IsolationLevel)] =
    &[("read_uncommitted", IsolationLevel::ReadUncommitted), ("read_committed", IsolationLevel::ReadCommitted)];
const GUARANTEES: &[(&str, ProcessingGuarantee)] =
    &[("at_least_once", ProcessingGuarantee::AtLeastOnce), ("exactly_once_v2", ProcessingGuarantee::ExactlyOnceV2)];
/// `processing.guarantee` values Kafka Streams 4.0 removed.
const REMOVED_GUARANTEES: &[&str] = &["exactly_once", "exactly_once_beta"];
const COORDINATOR_KINDS: &[(&str, bool)] = &[("group", true), ("transaction", false)];

/// Java `int` bound of Kafka's INT-typed configs.
const INT_MAX: i64 = i32::MAX as i64;
/// Java `short` bound of Kafka's SHORT-typed configs.
const SHORT_MAX: i64 = i16::MAX as i64;
/// Most members one `[[consumer]]` or `[[processor]]` may run.
const MAX_INSTANCES: i64 = 64;
/// Kafka's `replica.socket.timeout.ms` default, which `replica.fetch.wait.max.ms` may not exceed.
const REPLICA_SOCKET_TIMEOUT_MS: u64 = 30_000;
/// The idempotent producer's limit on `max.in.flight.requests.per.connection`.
const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: u32 = 5;

/// A table (standard, inline, or an entry of an array of tables) and where it starts.
#[derive(Clone, Copy)]
struct Tab<'a> {
    t: &'a dyn TableLike,
    at: usize,
    name: &'static str,
}

impl<'a> Tab<'a> {
    /// The entry for `key`, with the positions of its key and value.
    fn get(&self, key: &str) -> Option<Field<'a>> {
        let t: &'a dyn TableLike = self.t;
        let (k, item) = t.get_key_value(key)?;
        if item.is_none() {
            return None;
        }
        let key_at = k.span().map_or(self.at, |s| s.start);
        let at = item.span().map_or(key_at, |s| s.start);
        Some(Field { key: k.get(), key_at, item, at })
    }

    /// "in [producer.config]" or "at the top level", for messages.
    fn place(&self) -> String {
        if self.name == TOP {
            format!("at {TOP}")
        } else {
            format!("in {}", self.name)
        }
    }
}

/// One key/value entry of a table, with byte offsets of the key and of the value.
#[derive(Clone, Copy)]
struct Field<'a> {
    key: &'a str,
    key_at: usize,
    item: &'a Item,
    at: usize,
}

/// The loader: the source text (for positions) and the file name (for messages).
struct Cx<'s> {
    src: &'s str,
    file: &'s str,
}

/// What the file declared before its faults, which targets and triggers refer to.
struct Declared<'d> {
    brokers: u32,
    topics: &'d [TopicSpec],
    producers: &'d [ProducerSpec],
    consumers: &'d [ConsumerSpec],
    processors: &'d [ProcessorSpec],
}

impl Declared<'_> {
    /// The transactional ids of every instance of every exactly_once_v2 processor.
    fn processor_txn_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.processors
            .iter()
            .filter(|p| p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2)
            .flat_map(|p| (0..p.instances).map(move |k| p.transactional_id(k)))
    }
}

/// A client name already given, for the uniqueness check: producers, consumers and processors
/// share one namespace, since triggers name clients.
struct Taken {
    name: String,
    kind: &'static str,
    at: usize,
}

/// "a string", "an integer", ...: what a value is, for type errors.
fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::InlineTable(_) => "an inline table",
        },
    }
}

/// "from 1 to 64" or "at least 1".
fn range_text(min: i64, max: i64) -> String {
    if max == i64::MAX {
        format!("at least {min}")
    } else {
        format!("from {min} to {max}")
    }
}

/// `"a", "b" or "c"`.
fn one_of<T>(options: &[(&str, T)]) -> String {
    let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The full name of a dotted key (`min.insync.replicas = 1` unquoted), when `item` is one.
fn dotted_path(key: &str, item: &Item) -> Option<String> {
    let mut cur = item.as_table_like()?;
    if !cur.is_dotted() {
        return None;
    }
    let mut path = key.to_string();
    loop {
        let (k, next) = cur.iter().next()?;
        path.push('.');
        path.push_str(k);
        match next.as_table_like() {
            Some(t) if t.is_dotted() => cur = t,
            _ => return Some(path),
        }
    }
}

/// Kafka's legal topic names: 1..=249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(super) fn legal_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The least `delivery.timeout.ms` the producer accepts: `linger.ms + request.timeout.ms`, capped
/// at Java's `int` bound. A written value below it is rejected; the default is raised to it.
pub(super) fn delivery_timeout_floor(linger_ms: u64, request_timeout_ms: u64) -> u64 {
    linger_ms.min(INT_MAX as u64).saturating_add(request_timeout_ms).min(INT_MAX as u64)
}

/// Parses an `[expect]` string bound: "N", ">N", ">=N", "<=N" or "<N", whitespace tolerated.
fn parse_bound(s: &str) -> Option<Bound> {
    let t = s.trim();
    let (make, rest): (fn(u64) -> Bound, &str) = if let Some(r) = t.strip_prefix(">=") {
        (Bound::Ge, r)
    } else if let Some(r) = t.strip_prefix("<=") {
        (Bound::Le, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (Bound::Gt, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (Bound::Lt, r)
    } else {
        (Bound::Eq, t)
    };
    let rest = rest.trim();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok().map(make)
}

/// Whitespace-separated words of `s` with their byte offsets.
fn words(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(b)) => {
                out.push((b, &s[b..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, &s[b..]));
    }
    out
}

impl Cx<'_> {
    /// An error at byte offset `at`.
    fn err(&self, at: usize, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.src, at);
        ScenarioError { file: self.file.to_string(), line, column, message: message.into() }
    }

    /// The line of byte offset `at`, for "first declared at line N" notes.
    fn line_of(&self, at: usize) -> usize {
        line_col(self.src, at).0
    }

    /// Byte offset of byte `offset` inside string value `f`, when the source spells the string
    /// without escapes (else the start of the value).
    fn inside(&self, f: Field<'_>, offset: usize) -> usize {
        let (Some(span), Some(value)) = (f.item.span(), f.item.as_str()) else {
            return f.at;
        };
        let raw = self.src.get(span.clone()).unwrap_or_default();
        let plain = raw.len() == value.len() + 2
            && (raw.starts_with('"') || raw.starts_with('\''))
            && raw.get(1..raw.len() - 1) == Some(value);
        if plain && offset <= value.len() {
            span.start + 1 + offset
        } else {
            f.at
        }
    }

    /// The required entry `key` of `t`, or an error at the table.
    fn required<'a>(&self, t: &Tab<'a>, key: &str) -> R<Field<'a>> {
        t.get(key).ok_or_else(|| self.err(t.at, format!("missing required key `{key}` {}", t.place())))
    }

    /// Rejects any key of `t` not in `allowed`, naming the nearest valid one.
    fn check_keys(&self, t: &Tab<'_>, allowed: &[&str]) -> R<()> {
        for (k, item) in t.t.iter() {
            if allowed.contains(&k) {
                continue;
            }
            let at = t.t.key(k).and_then(|key| key.span()).map_or(t.at, |s| s.start);
            let shown = match dotted_path(k, item) {
                Some(path) if allowed.contains(&path.as_str()) => {
                    return Err(self.err(
                        at,
                        format!(
                            "write the key in quotes, \"{path}\" = ...: unquoted, TOML reads \
                             its dots as nested tables"
                        ),
                    ));
                }
                Some(path) => path,
                None => k.to_string(),
            };
            let hint =
                nearest(&shown, allowed.iter().copied()).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            return Err(self.err(at, format!("unknown key `{shown}` {}{hint}", t.place())));
        }
        Ok(())
    }

    /// A type error: "`brokers` must be an integer, found a string".
    /// `transaction.timeout.ms` of a client config table `t` (`table` names it in messages):
    /// rejected where it does not apply; else the coordinator answers an InitProducerId whose
    /// timeout is not in 1..=`transaction.max.timeout.ms` with INVALID_TRANSACTION_TIMEOUT, so
    /// such a client could never start, and the default (`default`) must fit too.
    fn transaction_timeout(
        &self,
        t: &Tab<'_>,
        broker: &BrokerConfig,
        (applies, not_applied): (bool, &str),
        default: u64,
        table: &str,
    ) -> R<u64> {
        let max = broker.transaction_max_timeout_ms;
        let invalid = "Kafka's InitProducerId would fail with INVALID_TRANSACTION_TIMEOUT";
        match t.get("transaction.timeout.ms") {
            Some(f) if !applies => Err(self.err(f.key_at, not_applied)),
            Some(f) => {
                let Some(n) = f.item.as_integer() else {
                    return Err(self.type_err(f, "an integer"));
                };
                if n < 1 || n as u64 > max {
                    return Err(self.err(
                        f.at,
                        format!(
                            "`transaction.timeout.ms` must be from 1 to the cluster's \
                             `transaction.max.timeout.ms` ({max}), found {n}: {invalid}"
                        ),
                    ));
                }
                Ok(n as u64)
            }
            None if applies && default > max => Err(self.err(
                t.at,
                format!(
                    "the default `transaction.timeout.ms` ({default}) is above the cluster's \
                     `transaction.max.timeout.ms` ({max}): {invalid}; set \"transaction.timeout.ms\" in {table}"
                ),
            )),
            None => Ok(default),
        }
    }

    fn type_err(&self, f: Field<'_>, want: &str) -> ScenarioError {
        let mut message = format!("`{}` must be {want}, found {}", f.key, kind(f.item));
        if let Some(s) = f.item.as_str() {
            let t = s.trim();
            let unquote = (want.contains("integer") && t.parse::<i64>().is_ok())
                || (want.contains("boolean") && (t == "true" || t == "false"));
            if unquote {
                message.push_str(&format!(" (write {t} without quotes)"));
            }
        }
        self.err(f.at, message)
    }

    /// An integer in `min..=max`.
    fn int(&self, f: Field<'_>, min: i64, max: i64) -> R<i64> {
        let Some(n) = f.item.as_integer() else {
            return Err(self.type_err(f, "an integer"));
        };
        if n < min || n > max {
            return Err(self.err(f.at, format!("`{}` must be {}, found {n}", f.key, range_text(min, max))));
        }
        Ok(n)
    }

    /// A non-negative integer of at least `min`, as u64.
    fn u64_min(&self, f: Field<'_>, min: i64) -> R<u64> {
        self.int(f, min, i64::MAX).map(|n| n as u64)
    }

    /// An integer in `min..=max` (max at most u32::MAX), as u32.
    fn u32_in(&self, f: Field<'_>, min: i64, max: i64) -> R<u32> {
        self.int(f, min, max.min(i64::from(u32::MAX))).map(|n| n as u32)
    }

    /// A boolean.
    fn bool(&self, f: Field<'_>) -> R<bool> {
        f.item.as_bool().ok_or_else(|| self.type_err(f, "a boolean (true or false)"))
    }

    /// A string.
    fn string<'a>(&self, f: Field<'a>) -> R<&'a str> {
        f.item.as_str().ok_or_else(|| self.type_err(f, "a string"))
    }

    /// A string naming one of `options`, with the nearest option on a typo.
    fn choice<T: Copy>(&self, f: Field<'_>, options: &[(&str, T)]) -> R<T> {
        let s = self.string(f)?;
        self.word(f.at, &format!("`{}`", f.key), s, options)
    }

    /// `word` (found at byte `at`; `subject` says what it is) as one of `options`.
    fn word<T: Copy>(&self, at: usize, subject: &str, word: &str, options: &[(&str, T)]) -> R<T> {
        if let Some((_, v)) = options.iter().find(|(n, _)| *n == word) {
            return Ok(*v);
        }
        let hint = nearest(word, options.iter().map(|(n, _)| *n))
            .map(|n| format!("; did you mean \"{n}\"?"))
            .unwrap_or_default();
        Err(self.err(at, format!("{subject} must be one of {}, found \"{word}\"{hint}", one_of(options))))
    }

    /// `[a, b]` with `min <= a <= b`, or one integer `n` meaning `[n, n]`.
    fn pair(&self, f: Field<'_>, min: i64) -> R<(u64, u64)> {
        if f.item.as_integer().is_some() {
            let n = self.u64_min(f, min)?;
            return Ok((n, n));
        }
        let Some(array) = f.item.as_array() else {
            return Err(self.type_err(f, "[min, max] or one integer"));
        };
        if array.len() != 2 {
            return Err(self.err(
                f.at,
                format!(
                    "`{}` must be [min, max], two integers, found {} element{}",
                    f.key,
                    array.len(),
                    if array.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        let mut bounds = [0u64; 2];
        for (slot, v) in bounds.iter_mut().zip(array.iter()) {
            let at = v.span().map_or(f.at, |s| s.start);
            let Some(n) = v.as_integer() else {
                return Err(self.err(
                    at,
                    format!("`{}` must be [min, max], two integers, found {}", f.key, kind(&Item::Value(v.clone()))),
                ));
            };
            if n < min {
                return Err(self.err(at, format!("`{}` bounds must be at least {min}, found {n}", f.key)));
            }
            *slot = n as u64;
        }
        let [a, b] = bounds;
        if a > b {
            return Err(self.err(f.at, format!("`{}` = [{a}, {b}]: the minimum {a} is above the maximum {b}", f.key)));
        }
        Ok((a, b))
    }

    /// The sub-table in `f`.
    fn table<'a>(&self, f: Field<'a>, name: &'static str) -> R<Tab<'a>> {
        match f.item.as_table_like() {
            Some(t) => Ok(Tab { t, at: f.at, name }),
            None => Err(self.err(f.at, format!("`{}` must be a table ({name}), found {}", f.key, kind(f.item)))),
        }
    }

    /// The tables of an array of tables (`[[producer]]`, or an array of inline tables).
    fn tables<'a>(&self, f: Field<'a>, name: &'static str) -> R<Vec<Tab<'a>>> {
        match f.item {
            Item::ArrayOfTables(array) => {
                Ok(array.iter().map(|t| Tab { t, at: t.span().map_or(f.at, |s| s.start), name }).collect())
            }
            Item::Value(Value::Array(array)) => array
                .iter()
                .map(|v| {
                    let at = v.span().map_or(f.at, |s| s.start);
                    match v.as_inline_table() {
                        Some(t) => Ok(Tab { t, at, name }),
                        None => Err(self.err(
                            at,
                            format!(
                                "each `{}` must be a table ({name}), found {}",
                                f.key,
                                kind(&Item::Value(v.clone()))
                            ),
                        )),
                    }
                })
                .collect(),
            _ => Err(self
                .err(f.at, format!("`{}` must be an array of tables, written {name}, found {}", f.key, kind(f.item)))),
        }
    }

    /// The whole scenario.
    fn scenario(&self, root: Tab<'_>) -> R<Scenario> {
        self.check_keys(&root, TOP_KEYS)?;
        let defaults = Scenario::default();
        let name = self.string(self.required(&root, "name")?)?.to_string();
        let description = match root.get("description") {
            Some(f) => Some(self.string(f)?.to_string()),
            None => None,
        };
        let seed = match root.get("seed") {
            Some(f) => self.u64_min(f, 0)?,
            None => defaults.seed,
        };
        let duration_ms = match root.get("duration_ms") {
            Some(f) => self.u64_min(f, 1)?,
            None => defaults.duration_ms,
        };
        let cluster = self.cluster(&root)?;
        let network = self.network(&root)?;
        let mut topics = self.topics(&root, cluster.brokers)?;
        let mut taken = Vec::new();
        let producers = self.producers(&root, &topics, &cluster.config, &mut taken)?;
        let consumers = self.consumers(&root, &topics, &cluster.config, &mut taken)?;
        let processors = self.processors(&root, &topics, &cluster.config, &producers, &consumers, &mut taken)?;
        for p in &processors {
            if !topics.iter().any(|t| t.name == p.output) {
                // The output's producer asks for metadata with auto-creation allowed: the broker
                // creates the topic with its defaults (`auto.create.topics.enable`,
                // `num.partitions` = 1, `default.replication.factor` = 1).
                topics.push(TopicSpec::new(&p.output, 1, 1));
            }
        }
        let declared = Declared {
            brokers: cluster.brokers,
            topics: &topics,
            producers: &producers,
            consumers: &consumers,
            processors: &processors,
        };
        let mut faults = Vec::new();
        if let Some(f) = root.get("fault") {
            for t in self.tables(f, "[[fault]]")? {
                faults.push(self.fault(&t, &declared)?);
            }
        }
        let nemesis = match root.get("nemesis") {
            Some(f) => Some(self.nemesis(&self.table(f, "[nemesis]")?, &declared)?),
            None => None,
        };
        let expect = match root.get("expect") {
            Some(f) => self.expect(&self.table(f, "[expect]")?)?,
            None => Vec::new(),
        };
        Ok(Scenario {
            name,
            description,
            seed,
            duration_ms,
            cluster,
            network,
            topics,
            producers,
            consumers,
            processors,
            faults,
            nemesis,
            expect,
        })
    }

    /// `[cluster]` and `[cluster.config]`.
    fn cluster(&self, root: &Tab<'_>) -> R<ClusterSpec> {
        let mut cluster = ClusterSpec::default();
        let Some(f) = root.get("cluster") else {
            return Ok(cluster);
        };
        let t = self.table(f, "[cluster]")?;
        self.check_keys(&t, CLUSTER_KEYS)?;
        if let Some(f) = t.get("brokers") {
            cluster.brokers = self.u32_in(f, 1, 64)?;
        }
        if let Some(f) = t.get("config") {
            cluster.config = self.broker_config(&self.table(f, "[cluster.config]")?)?;
        }
        Ok(cluster)
    }

    /// `[cluster.config]`: Kafka broker configs with Kafka's ranges and cross-checks.
    fn broker_config(&self, t: &Tab<'_>) -> R<BrokerConfig> {
        self.check_keys(t, BROKER_CONFIG_KEYS)?;
        let mut c = BrokerConfig::default();
        if let Some(f) = t.get("min.insync.replicas") {
            c.min_insync_replicas = self.u32_in(f, 1, INT_MAX)?;
        }
        if let Some(f) = t.get("unclean.leader.election.enable") {
            c.unclean_leader_election_enable = self.bool(f)?;
        }
        let lag = t.get("replica.lag.time.max.ms");
        if let Some(f) = lag {
            c.replica_lag_time_max_ms = self.u64_min(f, 1)?;
        }
        if let Some(f) = t.get("log.flush.interval.messages") {
            c.log_flush_interval_messages = self.u64_min(f, 1)?;
        }
        if let Some(f) = t.get("broker.session.timeout.ms") {
            c.broker_session_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("broker.heartbeat.interval.ms") {
            c.broker_heartbeat_interval_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        let fetch_wait = t.get("replica.fetch.wait.max.ms");
        if let Some(f) = fetch_wait {
            c.replica_fetch_wait_max_ms = self.int(f, 0, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("replica.fetch.backoff.ms") {
            c.replica_fetch_backoff_ms = self.int(f, 0, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("offsets.topic.num.partitions") {
            c.offsets_topic_num_partitions = self.u32_in(f, 1, 1000)?;
        }
        // Kafka's SHORT config; at run time the replication factor is capped at the broker count.
        if let Some(f) = t.get("offsets.topic.replication.factor") {
            c.offsets_topic_replication_factor = self.u32_in(f, 1, SHORT_MAX)?;
        }
        if let Some(f) = t.get("offsets.commit.timeout.ms") {
            c.offsets_commit_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("group.initial.rebalance.delay.ms") {
            c.group_initial_rebalance_delay_ms = self.int(f, 0, INT_MAX)? as u64;
        }
        let min_session = t.get("group.min.session.timeout.ms");
        if let Some(f) = min_session {
            c.group_min_session_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        let max_session = t.get("group.max.session.timeout.ms");
        if let Some(f) = max_session {
            c.group_max_session_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("transaction.state.log.num.partitions") {
            c.transaction_state_log_num_partitions = self.u32_in(f, 1, 1000)?;
        }
        // Kafka's SHORT config; at run time the replication factor is capped at the broker count.
        if let Some(f) = t.get("transaction.state.log.replication.factor") {
            c.transaction_state_log_replication_factor = self.u32_in(f, 1, SHORT_MAX)?;
        }
        if let Some(f) = t.get("transaction.state.log.min.isr") {
            c.transaction_state_log_min_isr = self.u32_in(f, 1, INT_MAX)?;
        }
        if let Some(f) = t.get("transaction.abort.timed.out.transaction.cleanup.interval.ms") {
            c.transaction_abort_timed_out_transaction_cleanup_interval_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("transaction.max.timeout.ms") {
            c.transaction_max_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if c.group_min_session_timeout_ms > c.group_max_session_timeout_ms {
            let at = max_session.or(min_session).map_or(t.at, |f| f.at);
            return Err(self.err(
                at,
                format!(
                    "`group.min.session.timeout.ms` ({}) must be at most \
                     `group.max.session.timeout.ms` ({}): no consumer could join a group",
                    c.group_min_session_timeout_ms, c.group_max_session_timeout_ms
                ),
            ));
        }
        if c.replica_fetch_wait_max_ms > REPLICA_SOCKET_TIMEOUT_MS {
            let at = fetch_wait.map_or(t.at, |f| f.at);
            return Err(self.err(
                at,
                format!(
                    "`replica.fetch.wait.max.ms` ({}) must be at most replica.socket.timeout.ms \
                     ({REPLICA_SOCKET_TIMEOUT_MS}, Kafka's default) to prevent unnecessary \
                     socket timeouts",
                    c.replica_fetch_wait_max_ms
                ),
            ));
        }
        if c.replica_fetch_wait_max_ms > c.replica_lag_time_max_ms {
            let at = fetch_wait.or(lag).map_or(t.at, |f| f.at);
            return Err(self.err(
                at,
                format!(
                    "`replica.fetch.wait.max.ms` ({}) must be at most `replica.lag.time.max.ms` \
                     ({}) to prevent frequent changes in ISR",
                    c.replica_fetch_wait_max_ms, c.replica_lag_time_max_ms
                ),
            ));
        }
        Ok(c)
    }

    /// `[network]`.
    fn network(&self, root: &Tab<'_>) -> R<NetworkSpec> {
        let mut network = NetworkSpec::default();
        if let Some(f) = root.get("network") {
            let t = self.table(f, "[network]")?;
            self.check_keys(&t, NETWORK_KEYS)?;
            if let Some(f) = t.get("latency_ms") {
                network.latency_ms = self.pair(f, 0)?;
            }
        }
        Ok(network)
    }

    /// Every `[[topic]]`.
    fn topics(&self, root: &Tab<'_>, brokers: u32) -> R<Vec<TopicSpec>> {
        let mut topics: Vec<TopicSpec> = Vec::new();
        let mut declared_at: Vec<usize> = Vec::new();
        let Some(f) = root.get("topic") else {
            return Ok(topics);
        };
        for t in self.tables(f, "[[topic]]")? {
            self.check_keys(&t, TOPIC_KEYS)?;
            let name_f = self.required(&t, "name")?;
            let name = self.string(name_f)?;
            if !legal_topic_name(name) {
                return Err(self.err(
                    name_f.at,
                    format!(
                        "topic name \"{name}\" is not a legal Kafka topic name: use 1 to 249 \
                         ASCII letters, digits, '.', '_' or '-' (not \".\" or \"..\")"
                    ),
                ));
            }
            if let Some(i) = topics.iter().position(|x| x.name == name) {
                return Err(self.err(
                    name_f.at,
                    format!("topic `{name}` is declared twice (first at line {})", self.line_of(declared_at[i])),
                ));
            }
            let partitions = match t.get("partitions") {
                Some(f) => self.u32_in(f, 1, 1000)?,
                None => 1,
            };
            let replication_factor = match t.get("replication_factor") {
                Some(f) => {
                    let rf = self.int(f, 1, i64::MAX)?;
                    if rf > i64::from(brokers) {
                        return Err(
                            self.err(f.at, format!("replication_factor {rf} is above the broker count {brokers}"))
                        );
                    }
                    rf as u32
                }
                None => brokers.min(3),
            };
            let mut topic = TopicSpec {
                name: name.to_string(),
                partitions,
                replication_factor,
                min_insync_replicas: None,
                unclean_leader_election_enable: None,
                flush_messages: None,
            };
            if let Some(f) = t.get("config") {
                let c = self.table(f, "[topic.config]")?;
                self.check_keys(&c, TOPIC_CONFIG_KEYS)?;
                if let Some(f) = c.get("min.insync.replicas") {
                    topic.min_insync_replicas = Some(self.u32_in(f, 1, INT_MAX)?);
                }
                if let Some(f) = c.get("unclean.leader.election.enable") {
                    topic.unclean_leader_election_enable = Some(self.bool(f)?);
                }
                if let Some(f) = c.get("flush.messages") {
                    topic.flush_messages = Some(self.u64_min(f, 1)?);
                }
            }
            declared_at.push(name_f.at);
            topics.push(topic);
        }
        Ok(topics)
    }

    /// Every `[[producer]]`; their names join `taken`. `broker` bounds their transaction timeouts.
    fn producers(
        &self,
        root: &Tab<'_>,
        topics: &[TopicSpec],
        broker: &BrokerConfig,
        taken: &mut Vec<Taken>,
    ) -> R<Vec<ProducerSpec>> {
        let mut producers: Vec<ProducerSpec> = Vec::new();
        let Some(f) = root.get("producer") else {
            return Ok(producers);
        };
        for t in self.tables(f, "[[producer]]")? {
            self.check_keys(&t, PRODUCER_KEYS)?;
            let name = self.client_name(&t, "producer", taken)?;
            let topic_f = self.required(&t, "topic")?;
            let topic = self.string(topic_f)?;
            self.topic_index(topic_f.at, topic, topics)?;
            let records = self.u32_in(self.required(&t, "records")?, 0, i64::from(u32::MAX))?;
            let mut p = ProducerSpec::new(name, topic, records);
            if let Some(f) = t.get("keys") {
                p.keys = Some(self.u32_in(f, 1, i64::from(u32::MAX))?);
            }
            if let Some(f) = t.get("interval_ms") {
                p.interval_ms = self.u64_min(f, 0)?;
            }
            if let Some(f) = t.get("start_ms") {
                p.start_ms = self.u64_min(f, 0)?;
            }
            if let Some(f) = t.get("record_bytes") {
                p.record_bytes = self.u64_min(f, 1)?;
            }
            if let Some(f) = t.get("on_restart") {
                p.on_restart = self.choice(f, ON_RESTART)?;
            }
            if let Some(f) = t.get("config") {
                p.config = self.producer_config(&self.table(f, "[producer.config]")?, broker)?;
            }
            // The transactional workload needs a transactional producer.
            if p.config.transactional_id.is_none() {
                let keys = [t.get("transaction_records"), t.get("abort_every")];
                if let Some(f) = keys.into_iter().flatten().min_by_key(|f| f.key_at) {
                    return Err(self.err(
                        f.key_at,
                        format!(
                            "`{}` applies to transactional producers, and {name} has no \
                             \"transactional.id\" (set it in [producer.config])",
                            f.key
                        ),
                    ));
                }
            }
            if let Some(f) = t.get("transaction_records") {
                p.transaction_records = self.u32_in(f, 1, i64::from(u32::MAX))?;
            }
            if let Some(f) = t.get("abort_every") {
                p.abort_every = Some(self.u32_in(f, 1, i64::from(u32::MAX))?);
            }
            producers.push(p);
        }
        Ok(producers)
    }

    /// The `name` of a client table (`kind` is "producer" or "consumer"): not empty, free of the
    /// separators of triggers and targets, and unique among `taken`, which it then joins. A name
    /// given twice is reported at the later of the two.
    fn client_name<'a>(&self, t: &Tab<'a>, kind: &'static str, taken: &mut Vec<Taken>) -> R<&'a str> {
        let name_f = self.required(t, "name")?;
        let name = self.string(name_f)?;
        if name.is_empty() {
            return Err(self.err(name_f.at, "a client name must not be empty"));
        }
        if let Some(c) = name.chars().find(|&c| c == '#' || c == '/' || c.is_whitespace()) {
            let why = if kind == "producer" {
                "names appear in record values (NAME#I) and targets"
            } else {
                "names appear in triggers (where '#' marks a record) and targets"
            };
            return Err(self.err(name_f.at, format!("client name \"{name}\" must not contain {c:?}: {why}")));
        }
        if let Some(first) = taken.iter().find(|x| x.name == name) {
            let (at, earlier_kind, earlier_at) =
                if first.at < name_f.at { (name_f.at, first.kind, first.at) } else { (first.at, kind, name_f.at) };
            return Err(self.err(
                at,
                format!(
                    "client name `{name}` is already used by the {earlier_kind} at line {}",
                    self.line_of(earlier_at)
                ),
            ));
        }
        taken.push(Taken { name: name.to_string(), kind, at: name_f.at });
        Ok(name)
    }

    /// Every `[[consumer]]`; their names join `taken`. `broker` bounds their session timeouts.
    fn consumers(
        &self,
        root: &Tab<'_>,
        topics: &[TopicSpec],
        broker: &BrokerConfig,
        taken: &mut Vec<Taken>,
    ) -> R<Vec<ConsumerSpec>> {
        let mut consumers = Vec::new();
        let Some(f) = root.get("consumer") else {
            return Ok(consumers);
        };
        for t in self.tables(f, "[[consumer]]")? {
            consumers.push(self.consumer(&t, topics, broker, taken)?);
        }
        Ok(consumers)
    }

    /// One `[[consumer]]`, with the rules tying `commit` to `enable.auto.commit` and the session
    /// timeout to the cluster's bounds.
    fn consumer(
        &self,
        t: &Tab<'_>,
        topics: &[TopicSpec],
        broker: &BrokerConfig,
        taken: &mut Vec<Taken>,
    ) -> R<ConsumerSpec> {
        self.check_keys(t, CONSUMER_KEYS)?;
        let name = self.client_name(t, "consumer", taken)?;
        let group = self.string(self.group(t)?)?;
        let subscribed = self.subscribed(self.required(t, "topics")?, topics)?;
        let commit = match t.get("commit") {
            Some(f) => Some(self.choice(f, COMMIT_MODES)?),
            None => None,
        };
        let processing_ms = match t.get("processing_ms") {
            Some(f) => self.u64_min(f, 0)?,
            None => 1,
        };
        let instances = match t.get("instances") {
            Some(f) => self.u32_in(f, 1, MAX_INSTANCES)?,
            None => 1,
        };
        let poll_timeout_ms = match t.get("poll_timeout_ms") {
            Some(f) => self.u64_min(f, 1)?,
            None => 100,
        };
        let table = match t.get("config") {
            Some(f) => Some(self.table(f, "[consumer.config]")?),
            None => None,
        };
        let mut config = match &table {
            Some(c) => self.consumer_config(c)?,
            None => ConsumerConfig::default(),
        };
        let written = |key: &str| table.as_ref().and_then(|c| c.get(key));

        // `commit` and `enable.auto.commit` say the same thing twice: each may be left out, and a
        // contradiction is reported at `enable.auto.commit`.
        let auto_commit = written("enable.auto.commit");
        let commit = match (commit, auto_commit) {
            (Some(CommitMode::Auto), Some(f)) if !config.enable_auto_commit => {
                return Err(self.err(
                    f.at,
                    "\"enable.auto.commit\" = false contradicts commit = \"auto\"; set it to true \
                     or use commit = \"before-processing\" or \"after-processing\"",
                ));
            }
            (Some(manual @ (CommitMode::BeforeProcessing | CommitMode::AfterProcessing)), Some(f))
                if config.enable_auto_commit =>
            {
                return Err(self.err(
                    f.at,
                    format!(
                        "\"enable.auto.commit\" = true contradicts commit = \"{}\" (a manual \
                         commit); set it to false or use commit = \"auto\"",
                        manual.as_str()
                    ),
                ));
            }
            (Some(mode), _) => mode,
            (None, _) if config.enable_auto_commit => CommitMode::Auto,
            (None, _) => CommitMode::AfterProcessing,
        };
        config.enable_auto_commit = commit == CommitMode::Auto;

        self.session_in_bounds(config.session_timeout_ms, broker, t, table.as_ref())?;
        Ok(ConsumerSpec {
            name: name.to_string(),
            group: group.to_string(),
            topics: subscribed,
            commit,
            processing_ms,
            instances,
            poll_timeout_ms,
            config,
        })
    }

    /// The `group` of a `[[consumer]]` or `[[processor]]`: required, and not empty or whitespace.
    fn group<'a>(&self, t: &Tab<'a>) -> R<Field<'a>> {
        let group_f = self.required(t, "group")?;
        if self.string(group_f)?.trim().is_empty() {
            return Err(self.err(
                group_f.at,
                "`group` must not be empty (Kafka: The configured group.id should not be an empty \
                 string or whitespace.)",
            ));
        }
        Ok(group_f)
    }

    /// The group coordinator answers a JoinGroup whose session timeout lies outside the broker's
    /// bounds with INVALID_SESSION_TIMEOUT: such a member could never join. The error stands at
    /// the written `session.timeout.ms`, else at the client's config table `config`, else at its
    /// table `t`.
    fn session_in_bounds(&self, session: u64, broker: &BrokerConfig, t: &Tab<'_>, config: Option<&Tab<'_>>) -> R<()> {
        let (min, max) = (broker.group_min_session_timeout_ms, broker.group_max_session_timeout_ms);
        if (min..=max).contains(&session) {
            return Ok(());
        }
        let bounds = format!(
            "the cluster's `group.min.session.timeout.ms` to `group.max.session.timeout.ms` \
             ({min} to {max}): Kafka's JoinGroup would fail with INVALID_SESSION_TIMEOUT"
        );
        // "[[consumer]]" -> "[consumer.config]".
        let table = format!("[{}.config]", t.name.trim_matches(['[', ']']));
        Err(match config.and_then(|c| c.get("session.timeout.ms")) {
            Some(f) => self.err(f.at, format!("`session.timeout.ms` ({session}) is outside {bounds}")),
            None => self.err(
                config.map_or(t.at, |c| c.at),
                format!(
                    "the default `session.timeout.ms` ({session}) is outside {bounds}; set \
                     \"session.timeout.ms\" in {table}"
                ),
            ),
        })
    }

    /// Heartbeat's constructor in the Java client: the interval must be below the session
    /// timeout. The error stands at the written heartbeat, else the written session timeout.
    fn heartbeat_below_session(&self, t: &Tab<'_>, heartbeat: u64, session: u64) -> R<()> {
        if heartbeat < session {
            return Ok(());
        }
        let at = t.get("heartbeat.interval.ms").or(t.get("session.timeout.ms")).map_or(t.at, |f| f.at);
        Err(self.err(
            at,
            format!(
                "`heartbeat.interval.ms` ({heartbeat}) must be below `session.timeout.ms` ({session}) (Kafka: \
                 Heartbeat must be set lower than the session timeout)"
            ),
        ))
    }

    /// A consumer's `topics`: a non-empty array of declared topics, each listed once.
    fn subscribed(&self, f: Field<'_>, topics: &[TopicSpec]) -> R<Vec<String>> {
        let Some(array) = f.item.as_array() else {
            let mut e = self.type_err(f, "an array of topic names");
            if let Some(s) = f.item.as_str() {
                e.message.push_str(&format!(" (write [\"{s}\"])"));
            }
            return Err(e);
        };
        if array.is_empty() {
            return Err(self.err(f.at, "`topics` must not be empty: list the topics the group subscribes to"));
        }
        let mut out: Vec<String> = Vec::new();
        for v in array.iter() {
            let at = v.span().map_or(f.at, |s| s.start);
            let Some(name) = v.as_str() else {
                return Err(self.err(
                    at,
                    format!("`topics` must list topic names (strings), found {}", kind(&Item::Value(v.clone()))),
                ));
            };
            self.topic_index(at, name, topics)?;
            if out.iter().any(|t| t == name) {
                return Err(self.err(at, format!("topic `{name}` is listed twice in `topics`")));
            }
            out.push(name.to_string());
        }
        Ok(out)
    }

    /// `[consumer.config]`, with the Java client's ranges and its heartbeat rule.
    fn consumer_config(&self, t: &Tab<'_>) -> R<ConsumerConfig> {
        if let Some(f) = t.get("group.id") {
            return Err(self.err(f.key_at, "`group.id` is written as `group = \"...\"` in [[consumer]], not here"));
        }
        self.check_keys(t, CONSUMER_CONFIG_KEYS)?;
        let mut c = ConsumerConfig::default();
        if let Some(f) = t.get("enable.auto.commit") {
            c.enable_auto_commit = self.bool(f)?;
        }
        if let Some(f) = t.get("auto.commit.interval.ms") {
            c.auto_commit_interval_ms = self.int(f, 0, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("auto.offset.reset") {
            c.auto_offset_reset = self.choice(f, OFFSET_RESETS)?;
        }
        if let Some(f) = t.get("isolation.level") {
            c.isolation_level = self.choice(f, ISOLATION_LEVELS)?;
        }
        if let Some(f) = t.get("session.timeout.ms") {
            c.session_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("heartbeat.interval.ms") {
            c.heartbeat_interval_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("max.poll.interval.ms") {
            c.max_poll_interval_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("max.poll.records") {
            c.max_poll_records = self.int(f, 1, INT_MAX)? as u32;
        }
        if let Some(f) = t.get("request.timeout.ms") {
            c.request_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("default.api.timeout.ms") {
            c.default_api_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("fetch.max.wait.ms") {
            c.fetch_max_wait_ms = self.int(f, 0, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("retry.backoff.ms") {
            c.retry_backoff_ms = self.u64_min(f, 0)?;
        }
        self.heartbeat_below_session(t, c.heartbeat_interval_ms, c.session_timeout_ms)?;
        Ok(c)
    }

    /// Every `[[processor]]`; their names join `taken`. Besides each table's own rules: a
    /// processor's group is its own (Streams' `application.id`: no `[[consumer]]` and no other
    /// `[[processor]]` shares it), its exactly-once transactional ids clash with no one's, and its
    /// input is no processor's output.
    fn processors(
        &self,
        root: &Tab<'_>,
        topics: &[TopicSpec],
        broker: &BrokerConfig,
        producers: &[ProducerSpec],
        consumers: &[ConsumerSpec],
        taken: &mut Vec<Taken>,
    ) -> R<Vec<ProcessorSpec>> {
        let mut processors: Vec<ProcessorSpec> = Vec::new();
        let Some(f) = root.get("processor") else {
            return Ok(processors);
        };
        // Where each processor's `name`, `group`, `input` and `output` values stand.
        let mut at: Vec<[usize; 4]> = Vec::new();
        // The transactional ids taken so far, by producer and by exactly-once processor.
        let producer_ids: HashMap<&str, usize> = producers
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, q)| Some((q.config.transactional_id.as_deref()?, i)))
            .collect();
        let mut processor_ids: HashMap<String, usize> = HashMap::new();
        for t in self.tables(f, "[[processor]]")? {
            let (p, here) = self.processor(&t, topics, broker, taken)?;
            let [name_at, group_at, _, _] = here;
            let group = &p.group;
            if let Some(c) = consumers.iter().find(|c| &c.group == group) {
                return Err(self.err(
                    group_at,
                    format!(
                        "group `{group}` is already the group of consumer `{}`: a processor's group is its \
                         own (Kafka Streams' application.id), shared with no [[consumer]]",
                        c.name
                    ),
                ));
            }
            if let Some(i) = processors.iter().position(|q| &q.group == group) {
                return Err(self.err(
                    group_at,
                    format!(
                        "group `{group}` is already the group of processor `{}` (line {}): each \
                         [[processor]] is one application with a group of its own (Kafka Streams' \
                         application.id); run more members with `instances`",
                        processors[i].name,
                        self.line_of(at[i][1])
                    ),
                ));
            }
            if p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2 {
                for k in 0..p.instances {
                    let id = p.transactional_id(k);
                    let clash = if let Some(q) = producer_ids.get(id.as_str()) {
                        format!("the \"transactional.id\" of producer `{}`", producers[*q].name)
                    } else if let Some(&i) = processor_ids.get(&id) {
                        format!("also the id of processor `{}` (line {})", processors[i].name, self.line_of(at[i][0]))
                    } else {
                        processor_ids.insert(id, processors.len());
                        continue;
                    };
                    return Err(self.err(
                        name_at,
                        format!(
                            "the transactional id of instance {k} of processor `{}` is `{id}` (GROUP-NAME-K), \
                             which is {clash}: the two would fence each other",
                            p.name
                        ),
                    ));
                }
            }
            at.push(here);
            processors.push(p);
        }
        for (p, here) in processors.iter().zip(&at) {
            if let Some(i) = processors.iter().position(|q| q.output == p.input) {
                return Err(self.err(
                    here[2],
                    format!(
                        "topic `{}` is the output of processor `{}` (line {}): processor chains are not \
                         supported yet",
                        p.input,
                        processors[i].name,
                        self.line_of(at[i][3])
                    ),
                ));
            }
        }
        Ok(processors)
    }

    /// One `[[processor]]`, and where its `name`, `group`, `input` and `output` values stand.
    fn processor(
        &self,
        t: &Tab<'_>,
        topics: &[TopicSpec],
        broker: &BrokerConfig,
        taken: &mut Vec<Taken>,
    ) -> R<(ProcessorSpec, [usize; 4])> {
        self.check_keys(t, PROCESSOR_KEYS)?;
        let name = self.client_name(t, "processor", taken)?;
        let name_at = self.required(t, "name")?.at;
        let group_f = self.group(t)?;
        let group = self.string(group_f)?;
        let input_f = self.required(t, "input")?;
        let input = self.string(input_f)?;
        self.topic_index(input_f.at, input, topics)?;
        let output_f = self.required(t, "output")?;
        let output = self.string(output_f)?;
        if output.is_empty() || output.starts_with("__") {
            return Err(self.err(output_f.at, format!("`output` must name a workload topic, found `{output}`")));
        }
        if input == output {
            return Err(self.err(
                output_f.at,
                format!("`output` must differ from `input` (both `{input}`): a processor does not read its own output"),
            ));
        }
        let mut p = ProcessorSpec::new(name, group, input, output, ProcessingGuarantee::AtLeastOnce);
        if let Some(f) = t.get("instances") {
            p.instances = self.u32_in(f, 1, MAX_INSTANCES)?;
        }
        if let Some(f) = t.get("processing_ms") {
            p.processing_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("poll_timeout_ms") {
            p.poll_timeout_ms = self.u64_min(f, 1)?;
        }
        let table = match t.get("config") {
            Some(f) => Some(self.table(f, "[processor.config]")?),
            None => None,
        };
        if let Some(c) = &table {
            p.config = self.processor_config(c, broker)?;
        }
        self.session_in_bounds(p.config.session_timeout_ms, broker, t, table.as_ref())?;
        Ok((p, [name_at, group_f.at, input_f.at, output_f.at]))
    }

    /// `[processor.config]`: the guarantee first, since the commit interval's default follows
    /// it; then the client configs, with the consumer's heartbeat rule and, under exactly-once,
    /// the transactional producer's timeout bound.
    fn processor_config(&self, t: &Tab<'_>, broker: &BrokerConfig) -> R<ProcessorConfig> {
        if let Some(f) = t.get("application.id").or(t.get("group.id")) {
            return Err(
                self.err(f.key_at, format!("`{}` is written as `group = \"...\"` in [[processor]], not here", f.key))
            );
        }
        self.check_keys(t, PROCESSOR_CONFIG_KEYS)?;
        let guarantee = match t.get("processing.guarantee") {
            Some(f) => {
                let s = self.string(f)?;
                if REMOVED_GUARANTEES.contains(&s) {
                    return Err(self.err(
                        f.at,
                        format!(
                            "`processing.guarantee` \"{s}\" was removed in Kafka Streams 4.0; use \
                             \"exactly_once_v2\" (or \"at_least_once\")"
                        ),
                    ));
                }
                self.word(f.at, "`processing.guarantee`", s, GUARANTEES)?
            }
            None => ProcessingGuarantee::AtLeastOnce,
        };
        let mut c = ProcessorConfig::new(guarantee);
        if let Some(f) = t.get("commit.interval.ms") {
            c.commit_interval_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("linger.ms") {
            c.linger_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("max.poll.records") {
            c.max_poll_records = self.int(f, 1, INT_MAX)? as u32;
        }
        if let Some(f) = t.get("session.timeout.ms") {
            c.session_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("heartbeat.interval.ms") {
            c.heartbeat_interval_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("max.poll.interval.ms") {
            c.max_poll_interval_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("request.timeout.ms") {
            c.request_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        self.heartbeat_below_session(t, c.heartbeat_interval_ms, c.session_timeout_ms)?;

        // Under exactly_once_v2 each instance's producer is transactional; under at_least_once
        // the timeout means nothing.
        let eos = guarantee == ProcessingGuarantee::ExactlyOnceV2;
        let not_applied = "`transaction.timeout.ms` applies to exactly_once_v2 processors; under at_least_once the \
                           processor runs no transactions";
        c.transaction_timeout_ms =
            self.transaction_timeout(t, broker, (eos, not_applied), c.transaction_timeout_ms, "[processor.config]")?;
        Ok(c)
    }

    /// The index of declared topic `name`, or an error naming the nearest one.
    fn topic_index(&self, at: usize, name: &str, topics: &[TopicSpec]) -> R<usize> {
        if let Some(i) = topics.iter().position(|t| t.name == name) {
            return Ok(i);
        }
        let hint = match nearest(name, topics.iter().map(|t| t.name.as_str())) {
            Some(n) => format!("; did you mean `{n}`?"),
            None => " (the file declares no [[topic]])".into(),
        };
        Err(self.err(at, format!("topic `{name}` is not declared{hint}")))
    }

    /// The client called `name`, or an error naming the nearest client of any kind.
    fn client(&self, at: usize, name: &str, d: &Declared<'_>) -> R<ClientRef> {
        if let Some(i) = d.producers.iter().position(|p| p.name == name) {
            return Ok(ClientRef::Producer(i));
        }
        if let Some(i) = d.consumers.iter().position(|c| c.name == name) {
            return Ok(ClientRef::Consumer(i));
        }
        if let Some(i) = d.processors.iter().position(|p| p.name == name) {
            return Ok(ClientRef::Processor(i));
        }
        let all = d
            .producers
            .iter()
            .map(|p| p.name.as_str())
            .chain(d.consumers.iter().map(|c| c.name.as_str()))
            .chain(d.processors.iter().map(|p| p.name.as_str()));
        let hint = match nearest(name, all) {
            Some(n) => format!("; did you mean `{n}`?"),
            None => " (the file declares no [[producer]], [[consumer]] or [[processor]])".into(),
        };
        Err(self.err(at, format!("`{name}` names no client{hint}")))
    }

    /// The index of the client of kind `kind` ("producer", "consumer" or "processor") called
    /// `name`, or an error naming its actual kind or the nearest client of that kind.
    fn client_index(&self, at: usize, kind: &str, name: &str, d: &Declared<'_>) -> R<usize> {
        let kinds: [(&str, Vec<&str>); 3] = [
            ("producer", d.producers.iter().map(|p| p.name.as_str()).collect()),
            ("consumer", d.consumers.iter().map(|c| c.name.as_str()).collect()),
            ("processor", d.processors.iter().map(|p| p.name.as_str()).collect()),
        ];
        let names = kinds.iter().find(|(k, _)| *k == kind).map(|(_, n)| n.as_slice()).unwrap_or_default();
        if let Some(i) = names.iter().position(|n| *n == name) {
            return Ok(i);
        }
        if let Some((other, _)) = kinds.iter().find(|(_, n)| n.contains(&name)) {
            return Err(self.err(at, format!("`{name}` is a {other}, not a {kind}")));
        }
        let hint = match nearest(name, names.iter().copied()) {
            Some(n) => format!("; did you mean `{n}`?"),
            None => format!(" (the file declares no [[{kind}]])"),
        };
        Err(self.err(at, format!("`{name}` names no client{hint}")))
    }

    /// `[producer.config]`, with the Java client's idempotence, transaction and delivery-timeout
    /// rules; `broker` bounds the transaction timeout.
    fn producer_config(&self, t: &Tab<'_>, broker: &BrokerConfig) -> R<ProducerConfig> {
        self.check_keys(t, PRODUCER_CONFIG_KEYS)?;
        let mut c = ProducerConfig::default();
        // Kafka trims string configs, then `transactional.id` must not be empty (NonEmptyString).
        if let Some(f) = t.get("transactional.id") {
            let id = self.string(f)?.trim();
            if id.is_empty() {
                return Err(self.err(
                    f.at,
                    "`transactional.id` must not be empty or only whitespace (Kafka trims it, then: \
                     String must be non-empty)",
                ));
            }
            c.transactional_id = Some(id.to_string());
        }
        let transactional = c.transactional_id.is_some();
        let acks = t.get("acks");
        if let Some(f) = acks {
            c.acks = self.acks(f)?;
        }
        let idempotence = t.get("enable.idempotence");
        let explicit = match idempotence {
            Some(f) => Some(self.bool(f)?),
            None => None,
        };
        let retries = t.get("retries");
        if let Some(f) = retries {
            c.retries = self.int(f, 0, INT_MAX)? as u32;
        }
        let in_flight = t.get("max.in.flight.requests.per.connection");
        if let Some(f) = in_flight {
            c.max_in_flight = self.int(f, 1, INT_MAX)? as u32;
        }
        if let Some(f) = t.get("linger.ms") {
            c.linger_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("batch.size") {
            c.batch_size = self.int(f, 1, INT_MAX)? as u64;
        }
        if let Some(f) = t.get("retry.backoff.ms") {
            c.retry_backoff_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("retry.backoff.max.ms") {
            c.retry_backoff_max_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("request.timeout.ms") {
            c.request_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }
        let delivery = t.get("delivery.timeout.ms");
        if let Some(f) = delivery {
            c.delivery_timeout_ms = self.int(f, 1, INT_MAX)? as u64;
        }

        // Without a transactional.id the timeout means nothing.
        let not_applied = "`transaction.timeout.ms` applies to transactional producers; set \"transactional.id\" too";
        c.transaction_timeout_ms = self.transaction_timeout(
            t,
            broker,
            (transactional, not_applied),
            c.transaction_timeout_ms,
            "[producer.config]",
        )?;

        // ProducerConfig.postProcessAndValidateIdempotenceConfigs (Kafka 4.x): idempotence is on
        // by default; a conflict turns it off silently unless it was asked for explicitly, except
        // max.in.flight > 5, which is an error whenever idempotence is on. A transactional.id
        // needs idempotence: with it, a conflict is an error too (Kafka turns idempotence off,
        // then rejects the transactional.id).
        if let (true, Some(false), Some(f)) = (transactional, explicit, idempotence) {
            return Err(self.err(
                f.at,
                "\"enable.idempotence\" = false contradicts \"transactional.id\": a transactional \
                 producer is idempotent (Kafka: Cannot set a transactional.id without also enabling \
                 idempotence)",
            ));
        }
        c.enable_idempotence = explicit.unwrap_or(true);
        if c.enable_idempotence {
            let asked = explicit.is_some() || transactional;
            let requires = if explicit.is_some() {
                "enable.idempotence=true requires"
            } else {
                "a transactional producer (\"transactional.id\" is set) is idempotent and requires"
            };
            let no_txn = "(Kafka: Cannot set a transactional.id without also enabling idempotence)";
            let mut disable = false;
            if c.retries == 0 {
                if asked {
                    let kafka = if explicit.is_some() {
                        "(Kafka: Must set retries to non-zero when using the idempotent producer)"
                    } else {
                        no_txn
                    };
                    return Err(self.err(retries.map_or(t.at, |f| f.at), format!("{requires} retries > 0 {kafka}")));
                }
                disable = true;
            }
            if c.acks != Acks::All {
                if asked {
                    let kafka = if explicit.is_some() {
                        "(Kafka: Must set acks to all in order to use the idempotent producer)"
                    } else {
                        no_txn
                    };
                    return Err(self.err(
                        acks.map_or(t.at, |f| f.at),
                        format!("{requires} acks=all, found acks={} {kafka}", c.acks),
                    ));
                }
                disable = true;
            }
            if c.max_in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE {
                let why = if asked {
                    requires.to_string()
                } else {
                    "the idempotent producer (on by default; set \"enable.idempotence\" = false \
                     to turn it off) requires"
                        .to_string()
                };
                return Err(self.err(
                    in_flight.map_or(t.at, |f| f.at),
                    format!(
                        "{why} max.in.flight.requests.per.connection <= \
                         {MAX_IN_FLIGHT_FOR_IDEMPOTENCE}, found {} (Kafka: To use the idempotent \
                         producer, max.in.flight.requests.per.connection must be set to at most 5)",
                        c.max_in_flight
                    ),
                ));
            }
            if disable {
                c.enable_idempotence = false;
            }
        }

        // KafkaProducer.configureDeliveryTimeout: an explicit delivery.timeout.ms below
        // linger.ms + request.timeout.ms is an error; the default is raised to that sum.
        let floor = delivery_timeout_floor(c.linger_ms, c.request_timeout_ms);
        if c.delivery_timeout_ms < floor {
            match delivery {
                Some(f) => {
                    return Err(self.err(
                        f.at,
                        format!(
                            "`delivery.timeout.ms` ({}) must be at least linger.ms + \
                             request.timeout.ms ({} + {} = {floor})",
                            c.delivery_timeout_ms, c.linger_ms, c.request_timeout_ms
                        ),
                    ));
                }
                None => c.delivery_timeout_ms = floor,
            }
        }
        Ok(c)
    }

    /// `acks`: "all", "-1", "0", "1" (Kafka's spellings) or the integers -1, 0, 1.
    fn acks(&self, f: Field<'_>) -> R<Acks> {
        let bad = |found: String| {
            self.err(f.at, format!("`acks` must be \"all\", \"-1\", \"0\" or \"1\" (or -1, 0, 1), found {found}"))
        };
        match f.item.as_value() {
            Some(Value::Integer(n)) => match *n.value() {
                0 => Ok(Acks::Zero),
                1 => Ok(Acks::One),
                -1 => Ok(Acks::All),
                other => Err(bad(other.to_string())),
            },
            // Kafka trims string configs before validating them.
            Some(Value::String(s)) => match s.value().trim() {
                "all" | "-1" => Ok(Acks::All),
                "0" => Ok(Acks::Zero),
                "1" => Ok(Acks::One),
                other => Err(bad(format!("\"{other}\""))),
            },
            _ => Err(self.type_err(f, "a string (\"all\", \"-1\", \"0\", \"1\") or an integer")),
        }
    }

    /// One `[[fault]]`.
    fn fault(&self, t: &Tab<'_>, d: &Declared<'_>) -> R<FaultSpec> {
        self.check_keys(t, FAULT_KEYS)?;
        let trigger = match (t.get("at_ms"), t.get("after")) {
            (Some(_), Some(after)) => {
                return Err(self.err(after.key_at, "a fault has one trigger, `at_ms` or `after`, not both"));
            }
            (Some(f), None) => Trigger::AtMs(self.u64_min(f, 0)?),
            (None, Some(f)) => self.trigger(f, d)?,
            (None, None) => {
                return Err(self.err(
                    t.at,
                    "a fault needs a trigger: `at_ms = T` or `after = \"P#I EVENT\"` / \
                     `after = \"CLIENT EVENT N\"`",
                ));
            }
        };
        let action = self.choice(self.required(t, "action")?, ACTIONS)?;
        let target_f = self.required(t, "target")?;
        let target = self.target(target_f, d)?;
        if action == FaultAction::PowerLoss {
            let client = match target {
                Target::Producer(_) => Some("producer"),
                Target::Consumer { .. } => Some("consumer"),
                Target::Processor { .. } => Some("processor"),
                _ => None,
            };
            if let Some(client) = client {
                return Err(self.err(
                    target_f.at,
                    format!(
                        "power-loss applies to brokers (broker:N, leader:TOPIC/P, \
                         coordinator:group:GROUP or coordinator:transaction:ID), not to a {client}"
                    ),
                ));
            }
        }
        let lasting = matches!(action, FaultAction::Isolate | FaultAction::Pause);
        let restart_after_ms = match t.get("restart_after_ms") {
            Some(f) if lasting => {
                return Err(self.err(
                    f.key_at,
                    format!(
                        "`restart_after_ms` applies to crash and power-loss; {} ends after \
                         `duration_ms`",
                        action.as_str()
                    ),
                ));
            }
            Some(f) => Some(self.u64_min(f, 0)?),
            None => None,
        };
        let duration_ms = match t.get("duration_ms") {
            Some(f) if !lasting => {
                return Err(self.err(
                    f.key_at,
                    format!(
                        "`duration_ms` applies to isolate and pause; {} lasts until \
                         `restart_after_ms` (omitted: the target stays down)",
                        action.as_str()
                    ),
                ));
            }
            Some(f) => Some(self.u64_min(f, 1)?),
            None if lasting => {
                return Err(self.err(
                    t.at,
                    format!("missing required key `duration_ms` in [[fault]]: how long the {} lasts", action.as_str()),
                ));
            }
            None => None,
        };
        Ok(FaultSpec { trigger, action, target, restart_after_ms, duration_ms })
    }

    /// `target = "broker:N" | "leader:TOPIC/P" | "producer:NAME" | "consumer:NAME[/K]" |
    /// "processor:NAME[/K]" | "coordinator:group:GROUP" | "coordinator:transaction:ID"`.
    fn target(&self, f: Field<'_>, d: &Declared<'_>) -> R<Target> {
        let (brokers, topics) = (d.brokers, d.topics);
        let s = self.string(f)?;
        let Some((kind, rest)) = s.split_once(':') else {
            return Err(self.err(
                f.at,
                format!(
                    "`target` must be \"broker:N\", \"leader:TOPIC/P\", \"producer:NAME\", \
                     \"consumer:NAME\", \"consumer:NAME/K\", \"processor:NAME\", \"processor:NAME/K\", \
                     \"coordinator:group:GROUP\" or \"coordinator:transaction:ID\", found \"{s}\""
                ),
            ));
        };
        let rest_at = self.inside(f, kind.len() + 1);
        match kind {
            "broker" => match rest.parse::<u32>() {
                Ok(b) if (1..=brokers).contains(&b) => Ok(Target::Broker(b)),
                Ok(b) => {
                    Err(self.err(rest_at, format!("broker {b} does not exist: the cluster has brokers 1 to {brokers}")))
                }
                Err(_) => Err(self
                    .err(rest_at, format!("`broker:N` needs a broker number from 1 to {brokers}, found \"{rest}\""))),
            },
            "leader" => {
                let Some((topic, partition)) = rest.rsplit_once('/') else {
                    return Err(
                        self.err(rest_at, format!("`leader:TOPIC/P` needs a topic and a partition, found \"{rest}\""))
                    );
                };
                let i = self.topic_index(rest_at, topic, topics)?;
                let partitions = topics[i].partitions;
                let p_at = self.inside(f, kind.len() + 1 + topic.len() + 1);
                match partition.parse::<u32>() {
                    Ok(p) if p < partitions => Ok(Target::Leader { topic: topic.to_string(), partition: p }),
                    Ok(p) => Err(self.err(
                        p_at,
                        format!("partition {p} does not exist: topic `{topic}` has partitions 0 to {}", partitions - 1),
                    )),
                    Err(_) => Err(self.err(
                        p_at,
                        format!(
                            "`leader:{topic}/P` needs a partition number from 0 to {}, found \
                             \"{partition}\"",
                            partitions - 1
                        ),
                    )),
                }
            }
            "producer" if rest.is_empty() => {
                Err(self.err(rest_at, "`producer:NAME` needs a producer name after the colon"))
            }
            "producer" => Ok(Target::Producer(self.client_index(rest_at, "producer", rest, d)?)),
            "consumer" => {
                let (consumer, instance) = self.member_target(f, kind, rest, d)?;
                Ok(Target::Consumer { consumer, instance })
            }
            "processor" => {
                let (processor, instance) = self.member_target(f, kind, rest, d)?;
                Ok(Target::Processor { processor, instance })
            }
            "coordinator" => {
                let (which, id) = rest.split_once(':').unwrap_or((rest, ""));
                let group = self.word(rest_at, "the coordinator kind", which, COORDINATOR_KINDS)?;
                let id_at = self.inside(f, kind.len() + 1 + which.len() + 1);
                if !group {
                    if id.is_empty() {
                        return Err(self
                            .err(id_at, "`coordinator:transaction:ID` needs a transactional id after `transaction:`"));
                    }
                    let ids: Vec<String> = d
                        .producers
                        .iter()
                        .filter_map(|p| p.config.transactional_id.clone())
                        .chain(d.processor_txn_ids())
                        .collect();
                    if ids.iter().any(|x| x == id) {
                        return Ok(Target::TxnCoordinator(id.to_string()));
                    }
                    // The id an at_least_once processor would have under exactly_once_v2.
                    let unused = d
                        .processors
                        .iter()
                        .find_map(|p| (0..p.instances).find(|&k| p.transactional_id(k) == id).map(|k| (p, k)));
                    if let Some((p, k)) = unused {
                        return Err(self.err(
                            id_at,
                            format!(
                                "`{id}` would be the transactional id of instance {k} of processor `{}`, but it \
                                 runs at_least_once, which uses no transactions",
                                p.name
                            ),
                        ));
                    }
                    let hint = match nearest(id, ids.iter().map(String::as_str)) {
                        Some(x) => format!("; did you mean `{x}`?"),
                        None => " (no [[producer]] sets \"transactional.id\" and no [[processor]] runs \
                                 exactly_once_v2)"
                            .into(),
                    };
                    return Err(self.err(
                        id_at,
                        format!("`{id}` is the transactional.id of no producer or exactly_once_v2 processor{hint}"),
                    ));
                }
                if id.is_empty() {
                    return Err(self.err(id_at, "`coordinator:group:GROUP` needs a group id after `group:`"));
                }
                let groups = || {
                    d.consumers.iter().map(|c| c.group.as_str()).chain(d.processors.iter().map(|p| p.group.as_str()))
                };
                if groups().any(|g| g == id) {
                    return Ok(Target::GroupCoordinator(id.to_string()));
                }
                let hint = match nearest(id, groups()) {
                    Some(g) => format!("; did you mean `{g}`?"),
                    None => " (the file declares no [[consumer]] or [[processor]])".into(),
                };
                Err(self.err(id_at, format!("group `{id}` is the group of no consumer or processor{hint}")))
            }
            other => {
                let hint = nearest(other, TARGET_KINDS.iter().copied())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                Err(self.err(f.at, format!("unknown target kind `{other}`{hint}")))
            }
        }
    }

    /// `consumer:NAME[/K]` or `processor:NAME[/K]` (`kind` says which, `rest` is what follows the
    /// colon): the client's index, and the instance when one is named.
    fn member_target(&self, f: Field<'_>, kind: &str, rest: &str, d: &Declared<'_>) -> R<(usize, Option<u32>)> {
        let rest_at = self.inside(f, kind.len() + 1);
        let (name, instance) = match rest.split_once('/') {
            Some((name, k)) => (name, Some(k)),
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(self.err(rest_at, format!("`{kind}:NAME` needs a {kind} name after the colon")));
        }
        let i = self.client_index(rest_at, kind, name, d)?;
        let Some(k) = instance else {
            return Ok((i, None));
        };
        let k_at = self.inside(f, kind.len() + 1 + name.len() + 1);
        let instances = if kind == "consumer" { d.consumers[i].instances } else { d.processors[i].instances };
        let runs = if instances == 1 {
            format!("{kind} `{name}` runs 1 instance, 0")
        } else {
            format!("{kind} `{name}` runs {instances} instances, 0 to {}", instances - 1)
        };
        match k.parse::<u32>() {
            Ok(k) if k < instances => Ok((i, Some(k))),
            Ok(k) => Err(self.err(k_at, format!("instance {k} does not exist: {runs}"))),
            Err(_) => Err(self.err(k_at, format!("`{kind}:{name}/K` needs an instance number, found \"{k}\": {runs}"))),
        }
    }

    /// `after = "P#I EVENT"` or `after = "CLIENT EVENT N"`.
    fn trigger(&self, f: Field<'_>, d: &Declared<'_>) -> R<Trigger> {
        let producers = d.producers;
        let s = self.string(f)?;
        let w = words(s);
        let grammar = || {
            self.err(
                f.at,
                format!(
                    "`after` must be \"P#I EVENT\" (e.g. \"p1#17 acked\") or \"CLIENT EVENT N\" \
                     (e.g. \"p1 acked 10\"), found \"{s}\""
                ),
            )
        };
        match w.as_slice() {
            [(at0, record), (at1, event)] => {
                let Some((client, index)) = record.split_once('#') else {
                    return Err(grammar());
                };
                let p = self.client_index(self.inside(f, *at0), "producer", client, d)?;
                let index_at = self.inside(f, at0 + client.len() + 1);
                let records = producers[p].records;
                let Ok(index) = index.parse::<u32>() else {
                    return Err(
                        self.err(index_at, format!("`{record}`: the record index must be a number, found \"{index}\""))
                    );
                };
                if index >= records {
                    let has = if records == 0 {
                        format!("{client} sends no records")
                    } else {
                        format!("{client} sends records {client}#0 to {client}#{}", records - 1)
                    };
                    return Err(self.err(index_at, format!("{has}; there is no {client}#{index}")));
                }
                let event_at = self.inside(f, *at1);
                let event = self.word(event_at, "the record event", event, RECORD_EVENTS)?;
                let topic = &producers[p].topic;
                let read = d.consumers.iter().any(|c| c.topics.contains(topic))
                    || d.processors.iter().any(|p| &p.input == topic);
                if event == RecordEvent::Processed && !read {
                    return Err(self.err(
                        event_at,
                        format!(
                            "`{record} processed` can never happen: {client} writes to topic \
                             `{topic}`, which no [[consumer]] subscribes to and no [[processor]] reads"
                        ),
                    ));
                }
                Ok(Trigger::Record { producer: p, index, event })
            }
            [(at0, client), (at1, event), (at2, n)] if !client.contains('#') => {
                let who = self.client(self.inside(f, *at0), client, d)?;
                let event_at = self.inside(f, *at1);
                let event = self.word(event_at, "the client event", event, CLIENT_EVENTS)?;
                let transactional = |p: usize| producers.get(p).is_some_and(|p| p.config.transactional_id.is_some());
                let exactly_once = |p: usize| {
                    d.processors
                        .get(p)
                        .is_some_and(|p| p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2)
                };
                match (who, event) {
                    (ClientRef::Producer(_), ClientEvent::Acked)
                    | (ClientRef::Consumer(_), ClientEvent::Polled | ClientEvent::Processed | ClientEvent::Committed)
                    | (
                        ClientRef::Processor(_),
                        ClientEvent::Polled | ClientEvent::Processed | ClientEvent::Committed,
                    ) => {}
                    (
                        ClientRef::Processor(p),
                        ClientEvent::TxnCommitted | ClientEvent::TxnAborted | ClientEvent::OffsetsSent,
                    ) if exactly_once(p) => {}
                    (
                        ClientRef::Processor(_),
                        ClientEvent::TxnCommitted | ClientEvent::TxnAborted | ClientEvent::OffsetsSent,
                    ) => {
                        return Err(self.err(
                            event_at,
                            format!(
                                "processor {client} has no `{}` events: it runs at_least_once, so it runs \
                                 no transactions (\"processing.guarantee\" = \"exactly_once_v2\" does)",
                                w[1].1
                            ),
                        ));
                    }
                    (ClientRef::Processor(p), _) => {
                        let counts = if exactly_once(p) {
                            "exactly_once_v2 processors count polled, processed, committed, offsets-sent, \
                             txn-committed and txn-aborted"
                        } else {
                            "at_least_once processors count polled, processed and committed"
                        };
                        return Err(
                            self.err(event_at, format!("processor {client} has no `{}` events; {counts}", w[1].1))
                        );
                    }
                    (ClientRef::Producer(p), ClientEvent::TxnCommitted | ClientEvent::TxnAborted)
                        if transactional(p) => {}
                    (ClientRef::Producer(_), ClientEvent::TxnCommitted | ClientEvent::TxnAborted) => {
                        return Err(self.err(
                            event_at,
                            format!(
                                "producer {client} has no `{}` events: it has no \"transactional.id\", \
                                 so it runs no transactions",
                                w[1].1
                            ),
                        ));
                    }
                    (ClientRef::Producer(p), _) => {
                        let counts = if transactional(p) {
                            "transactional producers count acked, txn-committed and txn-aborted"
                        } else {
                            "producers count acked"
                        };
                        return Err(
                            self.err(event_at, format!("producer {client} has no `{}` events; {counts}", w[1].1))
                        );
                    }
                    (ClientRef::Consumer(_), _) => {
                        return Err(self.err(
                            event_at,
                            format!(
                                "consumer {client} has no `{}` events; consumers count polled, \
                                 processed and committed",
                                w[1].1
                            ),
                        ));
                    }
                }
                let n_at = self.inside(f, *at2);
                match n.parse::<u64>() {
                    Ok(n) if n >= 1 => Ok(Trigger::Client { client: who, event, n }),
                    _ => {
                        Err(self
                            .err(n_at, format!("the count N in \"CLIENT EVENT N\" must be at least 1, found \"{n}\"")))
                    }
                }
            }
            _ => Err(grammar()),
        }
    }

    /// `[nemesis]`.
    fn nemesis(&self, t: &Tab<'_>, d: &Declared<'_>) -> R<NemesisSpec> {
        self.check_keys(t, NEMESIS_KEYS)?;
        let mut n = NemesisSpec::default();
        if let Some(f) = t.get("actions") {
            n.actions = self.list(f, ACTIONS)?;
        }
        if let Some(f) = t.get("targets") {
            let classes = self.list(f, TARGET_CLASSES)?;
            if let Some(array) = f.item.as_array() {
                for (class, v) in classes.iter().zip(array.iter()) {
                    if *class == TargetClass::Processors && d.processors.is_empty() {
                        return Err(self.err(
                            v.span().map_or(f.at, |s| s.start),
                            "the nemesis `targets` lists \"processors\", but the file declares no [[processor]]",
                        ));
                    }
                }
            }
            n.targets = classes;
        }
        if n.actions.contains(&FaultAction::PowerLoss) && !n.targets.contains(&TargetClass::Brokers) {
            let at = t.get("targets").or(t.get("actions")).map_or(t.at, |f| f.at);
            return Err(self.err(at, "power-loss applies to brokers, but the nemesis `targets` has no \"brokers\""));
        }
        if let Some(f) = t.get("interval_ms") {
            n.interval_ms = self.pair(f, 1)?;
        }
        if let Some(f) = t.get("start_ms") {
            n.start_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("stop_ms") {
            n.stop_ms = self.u64_min(f, 0)?;
            if n.stop_ms < n.start_ms {
                return Err(
                    self.err(f.at, format!("`stop_ms` ({}) must be at least `start_ms` ({})", n.stop_ms, n.start_ms))
                );
            }
        }
        if let Some(f) = t.get("restart_after_ms") {
            n.restart_after_ms = self.pair(f, 0)?;
        }
        if let Some(f) = t.get("duration_ms") {
            n.duration_ms = self.pair(f, 1)?;
        }
        if let Some(f) = t.get("safe_power_loss") {
            n.safe_power_loss = self.bool(f)?;
        }
        Ok(n)
    }

    /// A non-empty array of strings, each one of `options`.
    fn list<T: Copy>(&self, f: Field<'_>, options: &[(&str, T)]) -> R<Vec<T>> {
        let Some(array) = f.item.as_array() else {
            return Err(self.type_err(f, &format!("an array of {}", one_of(options))));
        };
        if array.is_empty() {
            return Err(self.err(f.at, format!("`{}` must not be empty: list some of {}", f.key, one_of(options))));
        }
        array
            .iter()
            .map(|v| {
                let at = v.span().map_or(f.at, |s| s.start);
                match v.as_str() {
                    Some(s) => self.word(at, &format!("each of `{}`", f.key), s, options),
                    None => Err(self.err(
                        at,
                        format!(
                            "`{}` must list strings ({}), found {}",
                            f.key,
                            one_of(options),
                            kind(&Item::Value(v.clone()))
                        ),
                    )),
                }
            })
            .collect()
    }

    /// `[expect]`, in file order.
    fn expect(&self, t: &Tab<'_>) -> R<Vec<Expectation>> {
        self.check_keys(t, &Anomaly::NAMES)?;
        let mut out = Vec::new();
        for (k, _) in t.t.iter() {
            // `check_keys` has named the nearest anomaly for any other key.
            let (Some(f), Ok(anomaly)) = (t.get(k), k.parse::<Anomaly>()) else { continue };
            out.push(Expectation { anomaly, bound: self.bound(f)? });
        }
        Ok(out)
    }

    /// One `[expect]` value: a count (exactly) or a comparison string.
    fn bound(&self, f: Field<'_>) -> R<Bound> {
        let usage = "a count (0) or a comparison (\"0\", \">0\", \">=N\", \"<=N\", \"<N\")";
        let bound = match f.item.as_value() {
            Some(Value::Integer(n)) => {
                let n = *n.value();
                if n < 0 {
                    return Err(
                        self.err(f.at, format!("`{}` must be {usage}, found {n}: counts are never negative", f.key))
                    );
                }
                Bound::Eq(n as u64)
            }
            Some(Value::String(s)) => match parse_bound(s.value()) {
                Some(b) => b,
                None => {
                    return Err(self.err(f.at, format!("`{}` must be {usage}, found \"{}\"", f.key, s.value())));
                }
            },
            _ => return Err(self.type_err(f, usage)),
        };
        if bound == Bound::Lt(0) {
            return Err(self.err(f.at, format!("`{}` = \"<0\" can never hold: counts are never negative", f.key)));
        }
        Ok(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_single_edits() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("acks", "acks"), 0);
        assert_eq!(levenshtein("acsk", "acks"), 2);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("é", "e"), 1);
    }

    #[test]
    fn nearest_picks_the_closest_candidate_and_the_first_on_ties() {
        assert_eq!(nearest("brokrs", ["brokers", "config"]), Some("brokers"));
        assert_eq!(nearest("x", ["ab", "cd"]), Some("ab"));
        assert_eq!(nearest("x", std::iter::empty::<&str>()), None);
    }

    #[test]
    fn line_col_counts_lines_and_characters_from_one() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 4), (1, 5));
        assert_eq!(line_col(src, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 1000), (3, 1));
    }

    #[test]
    fn bounds_parse_with_whitespace_and_reject_junk() {
        assert_eq!(parse_bound("0"), Some(Bound::Eq(0)));
        assert_eq!(parse_bound(" > 0 "), Some(Bound::Gt(0)));
        assert_eq!(parse_bound(">=12"), Some(Bound::Ge(12)));
        assert_eq!(parse_bound("<= 3"), Some(Bound::Le(3)));
        assert_eq!(parse_bound("<7"), Some(Bound::Lt(7)));
        for junk in ["", ">", "=>1", "==1", "1.5", "-1", "+1", "> x", "99999999999999999999"] {
            assert_eq!(parse_bound(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn words_keep_byte_offsets() {
        assert_eq!(words(" p1#3  acked"), vec![(1, "p1#3"), (7, "acked")]);
        assert!(words("   ").is_empty());
    }
}
