//! How a scenario file spells things, shared by the loader, the writer and `validate`: the words
//! of enumerated values, Kafka's name rules, the nearest-spelling hint and a few of Kafka's limits.

use super::model::{
    ClientEvent, ClientKind, CommitMode, FaultAction, MetadataMode, OnRestart, RecordEvent, TargetClass,
};

/// The nemesis's `actions`: what it may draw (a partition is not one of them: it needs two sides).
pub(crate) const ACTIONS: &[(&str, FaultAction)] = &[
    ("crash", FaultAction::Crash),
    ("power-loss", FaultAction::PowerLoss),
    ("isolate", FaultAction::Isolate),
    ("pause", FaultAction::Pause),
];
/// A `[[fault]]`'s `action`: the nemesis's actions and `partition`.
pub(crate) const FAULT_ACTIONS: &[(&str, FaultAction)] = &[
    ("crash", FaultAction::Crash),
    ("power-loss", FaultAction::PowerLoss),
    ("isolate", FaultAction::Isolate),
    ("pause", FaultAction::Pause),
    ("partition", FaultAction::Partition),
];
pub(crate) const TARGET_CLASSES: &[(&str, TargetClass)] = &[
    ("brokers", TargetClass::Brokers),
    ("producers", TargetClass::Producers),
    ("consumers", TargetClass::Consumers),
    ("processors", TargetClass::Processors),
];
pub(crate) const TARGET_KINDS: &[&str] =
    &["broker", "leader", "producer", "coordinator", "consumer", "processor", "service", "controller"];
/// The one target without a colon: the KRaft controller quorum, allowed on a partition's side.
pub(crate) const CONTROLLER: &str = "controller";
pub(crate) const RECORD_EVENTS: &[(&str, RecordEvent)] = &[
    ("sent", RecordEvent::Sent),
    ("appended", RecordEvent::Appended),
    ("acked", RecordEvent::Acked),
    ("committed", RecordEvent::Committed),
    ("processed", RecordEvent::Processed),
];
pub(crate) const CLIENT_EVENTS: &[(&str, ClientEvent)] = &[
    ("acked", ClientEvent::Acked),
    ("polled", ClientEvent::Polled),
    ("processed", ClientEvent::Processed),
    ("committed", ClientEvent::Committed),
    ("txn-committed", ClientEvent::TxnCommitted),
    ("txn-aborted", ClientEvent::TxnAborted),
    ("offsets-sent", ClientEvent::OffsetsSent),
];
/// `[cluster] metadata`'s spellings.
pub(crate) const METADATA: &[(&str, MetadataMode)] =
    &[("zookeeper", MetadataMode::ZooKeeper), ("kraft", MetadataMode::KRaft)];
pub(crate) const ON_RESTART: &[(&str, OnRestart)] =
    &[("resend-unacked", OnRestart::ResendUnacked), ("skip-unacked", OnRestart::SkipUnacked)];
pub(crate) const COMMIT_MODES: &[(&str, CommitMode)] = &[
    ("auto", CommitMode::Auto),
    ("before-processing", CommitMode::BeforeProcessing),
    ("after-processing", CommitMode::AfterProcessing),
    ("after-processing-async", CommitMode::Async),
];
/// `client`'s spellings: whose client library a producer or consumer is.
pub(crate) const CLIENTS: &[(&str, ClientKind)] = &[("java", ClientKind::Java), ("librdkafka", ClientKind::Librdkafka)];
pub(crate) const COORDINATOR_KINDS: &[(&str, bool)] = &[("group", true), ("transaction", false)];

/// Most members one `[[consumer]]` or `[[processor]]` may run.
pub(crate) const MAX_INSTANCES: i64 = 64;
/// Kafka's `replica.socket.timeout.ms` default, which `replica.fetch.wait.max.ms` may not exceed.
pub(crate) const REPLICA_SOCKET_TIMEOUT_MS: u64 = 30_000;
/// The idempotent producer's limit on `max.in.flight.requests.per.connection`.
pub(crate) const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: u32 = 5;

/// The file's spelling of `value` in `table`.
pub(crate) fn spelling<T: PartialEq + Copy>(table: &[(&'static str, T)], value: T) -> &'static str {
    table.iter().find(|(_, v)| *v == value).map(|(name, _)| *name).expect("every variant is spelled")
}

/// Edit distance (insertions, deletions, substitutions) between two strings, by characters.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
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
pub(crate) fn nearest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_lowercase();
    candidates.into_iter().map(|c| (levenshtein(&word, &c.to_lowercase()), c)).min_by_key(|&(d, _)| d).map(|(_, c)| c)
}

/// `"a", "b" or "c"`.
pub(crate) fn one_of<T>(options: &[(&str, T)]) -> String {
    let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// Kafka's legal topic names: 1..=249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(crate) fn legal_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The least `delivery.timeout.ms` the producer accepts: `linger.ms + request.timeout.ms`, capped
/// at Java's `int` bound. A written value below it is rejected; the default is raised to it.
pub(crate) fn delivery_timeout_floor(linger_ms: u64, request_timeout_ms: u64) -> u64 {
    let int_max = super::keys::INT_MAX as u64;
    linger_ms.min(int_max).saturating_add(request_timeout_ms).min(int_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_single_edits() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("brokers", "brokers"), 0);
        assert_eq!(levenshtein("brokres", "brokers"), 2);
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
}
