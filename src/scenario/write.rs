//! Writing a [`Scenario`] back out as a scenario file.
//!
//! A property test builds its scenarios in Rust; when one fails, the failing case is only useful
//! if someone can run it again outside the test. [`to_toml`] turns it into a scenario file, so the
//! failing case can be saved next to the examples and replayed with
//! `kafkasim run FILE --seed N`: the file loads back to an equal `Scenario`, and since a run is a
//! pure function of (scenario, seed), the replay has the same `trace_hash` as the failing run.

use std::fmt::{Display, Write as _};

use super::keys::{self, Binding, BROKER, CONSUMER, PROCESSOR, PRODUCER, TOPIC};
use super::model::{
    Acks, Bound, BrokerConfig, ClientKind, ClientRef, CommitMode, ConsumerConfig, ConsumerSpec, Expectation, FaultSpec,
    KafkaVersion, NemesisSpec, NetworkSpec, ProcessingGuarantee, ProcessorConfig, ProcessorSpec, ProducerConfig,
    ProducerSpec, Scenario, Target, TopicSpec, Trigger,
};
use super::spell::{
    delivery_timeout_floor, legal_topic_name, spelling, CLIENT_EVENTS, CONTROLLER, MAX_IN_FLIGHT_FOR_IDEMPOTENCE,
    ON_RESTART, RECORD_EVENTS, TARGET_CLASSES,
};

/// Writes `s` as a scenario file that [`parse_str`](super::parse_str) loads back to a `Scenario`
/// equal (`==`) to `s`, for every `Scenario` the loader can produce.
///
/// The file is short: it holds `name`, the cluster's broker count, each topic's name, partitions
/// and replication factor, each client's required keys, each consumer's `commit` and each
/// processor's `"processing.guarantee"`, and beyond those only the values that differ from what
/// the loader would take with the key left out (a `client = "librdkafka"` client, whose `client` is
/// written, against librdkafka's defaults). Those defaults can depend on other fields, and
/// the writer follows the loader there: a processor's `"commit.interval.ms"` (by its guarantee), a
/// consumer's `"enable.auto.commit"` (by `commit`), a producer's `"enable.idempotence"` (written
/// whenever it is false, which also covers more than 5 requests in flight) and
/// `"delivery.timeout.ms"` (raised to `linger.ms + request.timeout.ms`). Topics are all written as
/// `[[topic]]` tables, including those the loader created for an undeclared processor `output`,
/// except when such a created topic's name is not one a `[[topic]]` may carry (say `out put`):
/// then the created topics are left out and the loader creates them again, identically. Faults
/// name clients by name (the model holds indices), a partition's sides are written as `between`
/// and `and` (whatever the action, so a mismatch is the loader's error), and strings are escaped as TOML basic strings,
/// so a `name` or `description` may hold any text. The same `Scenario` always gives the same text.
///
/// A `Scenario` built in Rust may hold values the loader would reject (a duplicate client name, a
/// transaction timeout above the cluster's maximum, `enable_auto_commit` disagreeing with
/// `commit`, ...). The writer never fails: it writes each value as it is, the closest file there
/// is, and loading that file reports what is wrong with the usual `FILE:LINE:COL: MESSAGE`.
/// Two cases are worth knowing: an index into the client lists that names no client is written as
/// `#I` (a name no client may have, so the loader rejects it), and an integer above TOML's
/// largest (`i64::MAX`) is written as its digits, which is not valid TOML, except in `[expect]`,
/// where an exact count that large is written as a string (`"18446744073709551615"`), which loads.
pub fn to_toml(s: &Scenario) -> String {
    let mut doc = Doc::default();
    let defaults = Scenario::default();

    let mut top = Entries::default();
    top.bare("name", quote(&s.name));
    if let Some(d) = &s.description {
        top.bare("description", quote(d));
    }
    top.bare_if("seed", s.seed, defaults.seed);
    top.bare_if("duration_ms", s.duration_ms, defaults.duration_ms);
    doc.top(&top);

    let mut cluster = Entries::default();
    cluster.bare("brokers", s.cluster.brokers.to_string());
    let v = s.cluster.kafka_version;
    if v != KafkaVersion::NEWEST {
        cluster.bare("kafka_version", quote(&v.to_string()));
    }
    if s.cluster.metadata != v.default_metadata() {
        cluster.bare("metadata", quote(s.cluster.metadata.as_str()));
    }
    doc.table("[cluster]", &cluster);
    doc.sub_table("[cluster.config]", &config(BROKER, &s.cluster.config, &BrokerConfig::for_version(v)));

    if s.network != NetworkSpec::default() {
        let mut network = Entries::default();
        network.bare("latency_ms", pair(s.network.latency_ms));
        doc.table("[network]", &network);
    }

    for t in declared_topics(s) {
        let (table, config) = topic(t);
        doc.table("[[topic]]", &table);
        doc.sub_table("[topic.config]", &config);
    }
    for p in &s.producers {
        let (table, config) = producer(p, v);
        doc.table("[[producer]]", &table);
        doc.sub_table("[producer.config]", &config);
    }
    for c in &s.consumers {
        let (table, config) = consumer(c, v);
        doc.table("[[consumer]]", &table);
        doc.sub_table("[consumer.config]", &config);
    }
    for p in &s.processors {
        let (table, config) = processor(p);
        doc.table("[[processor]]", &table);
        doc.sub_table("[processor.config]", &config);
    }
    for x in &s.services {
        let mut e = Entries::default();
        e.bare("name", quote(&x.name));
        e.bare_if("instances", x.instances, 1);
        if !x.producers.is_empty() {
            e.bare("producers", strings(x.producers.iter().map(String::as_str)));
        }
        if !x.consumers.is_empty() {
            e.bare("consumers", strings(x.consumers.iter().map(String::as_str)));
        }
        if !x.outputs.is_empty() {
            e.bare("outputs", strings(x.outputs.iter().map(String::as_str)));
        }
        doc.table("[[service]]", &e);
    }
    for f in &s.faults {
        doc.table("[[fault]]", &fault(s, f));
    }
    if let Some(n) = &s.nemesis {
        // Written even when every key is the default: `[nemesis]` alone turns the nemesis on.
        doc.table("[nemesis]", &nemesis(n));
    }
    if !s.expect.is_empty() {
        doc.table("[expect]", &expect(&s.expect));
    }
    doc.out
}

/// The text being written: top-level keys, then tables separated by blank lines.
#[derive(Default)]
struct Doc {
    out: String,
}

impl Doc {
    /// Keys of the root table (they must come before any table header).
    fn top(&mut self, e: &Entries) {
        e.write(&mut self.out);
    }

    /// A table or an entry of an array of tables, after a blank line.
    fn table(&mut self, header: &str, e: &Entries) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out.push_str(header);
        self.out.push('\n');
        e.write(&mut self.out);
    }

    /// The sub-table of the table just written (`[producer.config]`), only when it has entries.
    fn sub_table(&mut self, header: &str, e: &Entries) {
        if !e.0.is_empty() {
            self.out.push_str(header);
            self.out.push('\n');
            e.write(&mut self.out);
        }
    }
}

/// The entries of one table in writing order: the key and the value, each as written.
#[derive(Default)]
struct Entries(Vec<(String, String)>);

impl Entries {
    /// A key of kafkasim's own (`records`), written bare.
    fn bare(&mut self, key: &str, value: String) {
        self.0.push((key.to_string(), value));
    }

    /// `key = value` unless `value` is what the loader takes without the key.
    fn bare_if<T: PartialEq + Display>(&mut self, key: &str, value: T, default: T) {
        if value != default {
            self.bare(key, value.to_string());
        }
    }

    fn write(&self, out: &mut String) {
        for (k, v) in &self.0 {
            let _ = writeln!(out, "{k} = {v}");
        }
    }
}

/// `s` as a TOML basic string: quotes, backslashes and control characters escaped, everything
/// else (any Unicode) as it is.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `key` bare when TOML allows it (letters, digits, `_`, `-`), else quoted.
fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        quote(k)
    }
}

/// `[a, b]`.
fn pair((a, b): (u64, u64)) -> String {
    format!("[{a}, {b}]")
}

/// `["a", "b"]`.
fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = items.into_iter().map(quote).collect();
    format!("[{}]", quoted.join(", "))
}

/// The Kafka configs of `c` that differ from `d` (what the loader takes without the key), each
/// written quoted (its dots are not nesting), in the key table's order.
fn config<C>(bindings: &[Binding<C>], c: &C, d: &C) -> Entries {
    let mut e = Entries::default();
    for b in bindings {
        let value = (b.get)(c);
        if value != (b.get)(d) {
            if let Some(v) = value {
                e.0.push((quote(b.key.name), v.toml(b.key)));
            }
        }
    }
    e
}

/// The topics the loader adds to `declared`: one of 1 partition and replication factor 1 for
/// each processor `output` not declared, in processor order.
fn with_created_outputs(declared: &[TopicSpec], processors: &[ProcessorSpec]) -> Vec<TopicSpec> {
    let mut topics = declared.to_vec();
    for p in processors {
        if !topics.iter().any(|t| t.name == p.output) {
            topics.push(TopicSpec::new(&p.output, 1, 1));
        }
    }
    topics
}

/// The topics to write as `[[topic]]`: all of them, unless the tail the loader creates for
/// undeclared processor outputs holds a name a `[[topic]]` may not carry; then that tail is left
/// for the loader to create again.
fn declared_topics(s: &Scenario) -> &[TopicSpec] {
    let all = s.topics.as_slice();
    let created_from = (0..=all.len()).find(|&k| with_created_outputs(&all[..k], &s.processors) == all);
    match created_from {
        Some(k) if !all[k..].iter().all(|t| legal_topic_name(&t.name)) => &all[..k],
        _ => all,
    }
}

/// `[[topic]]` and its `[topic.config]`.
fn topic(t: &TopicSpec) -> (Entries, Entries) {
    let mut e = Entries::default();
    e.bare("name", quote(&t.name));
    e.bare("partitions", t.partitions.to_string());
    e.bare("replication_factor", t.replication_factor.to_string());
    let c = config(TOPIC, t, &TopicSpec::new(&t.name, t.partitions, t.replication_factor));
    (e, c)
}

/// `[[producer]]` and its `[producer.config]`.
fn producer(p: &ProducerSpec, v: KafkaVersion) -> (Entries, Entries) {
    let d = ProducerSpec::new(&p.name, &p.topic, p.records);
    let mut e = Entries::default();
    e.bare("name", quote(&p.name));
    e.bare("topic", quote(&p.topic));
    e.bare("records", p.records.to_string());
    if let Some(k) = p.keys {
        e.bare("keys", k.to_string());
    }
    e.bare_if("interval_ms", p.interval_ms, d.interval_ms);
    e.bare_if("start_ms", p.start_ms, d.start_ms);
    e.bare_if("record_bytes", p.record_bytes, d.record_bytes);
    if p.on_restart != d.on_restart {
        e.bare("on_restart", quote(spelling(ON_RESTART, p.on_restart)));
    }
    e.bare_if("transaction_records", p.transaction_records, d.transaction_records);
    if let Some(k) = p.abort_every {
        e.bare("abort_every", k.to_string());
    }
    if p.client != ClientKind::Java {
        e.bare("client", quote(p.client.as_str()));
        return (e, librdkafka_producer_config(&p.config));
    }
    (e, producer_config(&p.config, v))
}

/// `[producer.config]` of a librdkafka producer, against librdkafka's defaults and its
/// idempotent producer's at most 5 requests in flight (see the loader), in Java's key names,
/// which librdkafka takes as aliases.
fn librdkafka_producer_config(c: &ProducerConfig) -> Entries {
    let mut d = ProducerConfig::librdkafka();
    if c.enable_idempotence {
        d.max_in_flight = MAX_IN_FLIGHT_FOR_IDEMPOTENCE;
    }
    config(PRODUCER, c, &d)
}

/// `[producer.config]`: what differs from what the loader derives without the key.
fn producer_config(c: &ProducerConfig, v: KafkaVersion) -> Entries {
    let mut d = ProducerConfig::for_version(v);
    if !v.strong_producer_defaults() {
        // Before 3.0 idempotence is off unless asked for or implied by a transactional id, and
        // when on, acks and retries default to all and Integer.MAX_VALUE (see the loader).
        let transactional = c.transactional_id.is_some();
        if transactional || c.enable_idempotence {
            d.enable_idempotence = if transactional { c.enable_idempotence } else { false };
            d.acks = Acks::All;
            d.retries = i32::MAX as u32;
        }
        d.delivery_timeout_ms = d.delivery_timeout_ms.max(delivery_timeout_floor(c.linger_ms, c.request_timeout_ms));
        return config(PRODUCER, c, &d);
    }
    // Left out, idempotence is on for a transactional producer, and otherwise on unless acks or
    // retries forbid it; with more than 5 requests in flight only an explicit false loads. So a
    // false is always written, and a true whenever the loader would not derive it.
    let derived = c.transactional_id.is_some() || (c.acks == Acks::All && c.retries > 0);
    d.enable_idempotence = if c.enable_idempotence && derived { c.enable_idempotence } else { !c.enable_idempotence };
    d.delivery_timeout_ms = d.delivery_timeout_ms.max(delivery_timeout_floor(c.linger_ms, c.request_timeout_ms));
    config(PRODUCER, c, &d)
}

/// `[[consumer]]` and its `[consumer.config]`.
fn consumer(c: &ConsumerSpec, v: KafkaVersion) -> (Entries, Entries) {
    let mut e = Entries::default();
    e.bare("name", quote(&c.name));
    e.bare("group", quote(&c.group));
    e.bare("topics", strings(c.topics.iter().map(String::as_str)));
    e.bare("commit", quote(c.commit.as_str()));
    e.bare_if("processing_ms", c.processing_ms, 1);
    e.bare_if("instances", c.instances, 1);
    e.bare_if("poll_timeout_ms", c.poll_timeout_ms, 100);
    if c.client != ClientKind::Java {
        e.bare("client", quote(c.client.as_str()));
    }
    (e, consumer_config(&c.config, c.commit, c.client, v))
}

/// `[consumer.config]` against `client`'s defaults; `enable.auto.commit` follows `commit` and is
/// written only when it disagrees with it. librdkafka's `enable.auto.offset.store` is written
/// when false, whatever the client (a Java client's file then fails to load, saying why).
fn consumer_config(c: &ConsumerConfig, commit: CommitMode, client: ClientKind, v: KafkaVersion) -> Entries {
    let d = ConsumerConfig { enable_auto_commit: commit == CommitMode::Auto, ..ConsumerConfig::for_client(client, v) };
    let mut e = config(CONSUMER, c, &d);
    e.0.extend(config(keys::librdkafka::CONSUMER, c, &d).0);
    e
}

/// `[[processor]]` and its `[processor.config]`.
fn processor(p: &ProcessorSpec) -> (Entries, Entries) {
    let d = ProcessorSpec::new(&p.name, &p.group, &p.input, &p.output, ProcessingGuarantee::AtLeastOnce);
    let mut e = Entries::default();
    e.bare("name", quote(&p.name));
    e.bare("group", quote(&p.group));
    e.bare("input", quote(&p.input));
    e.bare("output", quote(&p.output));
    e.bare_if("instances", p.instances, d.instances);
    e.bare_if("processing_ms", p.processing_ms, d.processing_ms);
    e.bare_if("poll_timeout_ms", p.poll_timeout_ms, d.poll_timeout_ms);
    (e, processor_config(&p.config))
}

/// `[processor.config]`: the guarantee always (the commit interval's default follows it), the
/// rest against Streams' defaults for that guarantee.
fn processor_config(c: &ProcessorConfig) -> Entries {
    let d = ProcessorConfig::new(c.processing_guarantee);
    let guarantee = Binding::find(PROCESSOR, keys::PROCESSING_GUARANTEE.name).and_then(|b| (b.get)(c));
    let mut e = Entries::default();
    if let Some(v) = guarantee {
        e.0.push((quote(keys::PROCESSING_GUARANTEE.name), v.toml(&keys::PROCESSING_GUARANTEE)));
    }
    e.0.extend(config(PROCESSOR, c, &d).0);
    e
}

/// The name of client `i` of `names`, or `#i` (which no client name may contain) when there is
/// no such client.
fn name_at<'a>(mut names: impl Iterator<Item = &'a str>, i: usize) -> String {
    names.nth(i).map_or_else(|| format!("#{i}"), str::to_string)
}

fn producer_name(s: &Scenario, i: usize) -> String {
    name_at(s.producers.iter().map(|p| p.name.as_str()), i)
}

fn consumer_name(s: &Scenario, i: usize) -> String {
    name_at(s.consumers.iter().map(|c| c.name.as_str()), i)
}

fn processor_name(s: &Scenario, i: usize) -> String {
    name_at(s.processors.iter().map(|p| p.name.as_str()), i)
}

/// `NAME` or `NAME/K`.
fn member(name: String, instance: Option<u32>) -> String {
    match instance {
        Some(k) => format!("{name}/{k}"),
        None => name,
    }
}

/// A fault's `target`, naming clients by name.
fn target(s: &Scenario, t: &Target) -> String {
    match t {
        Target::Broker(b) => format!("broker:{b}"),
        Target::Leader { topic, partition } => format!("leader:{topic}/{partition}"),
        Target::Producer(i) => format!("producer:{}", producer_name(s, *i)),
        Target::Consumer { consumer, instance } => {
            format!("consumer:{}", member(consumer_name(s, *consumer), *instance))
        }
        Target::Processor { processor, instance } => {
            format!("processor:{}", member(processor_name(s, *processor), *instance))
        }
        Target::Service { service, instance } => {
            let name = s.services.get(*service).map_or_else(|| "?".to_string(), |x| x.name.clone());
            format!("service:{}", member(name, *instance))
        }
        Target::GroupCoordinator(g) => format!("coordinator:group:{g}"),
        Target::TxnCoordinator(id) => format!("coordinator:transaction:{id}"),
        Target::Controller => CONTROLLER.to_string(),
        // Written as `between` and `and` by `fault`; a side never holds sides (validate).
        Target::Sides { between, and } => {
            let side = |ts: &[Target]| ts.iter().map(|t| target(s, t)).collect::<Vec<_>>().join(", ");
            format!("[{}] and [{}]", side(between), side(and))
        }
    }
}

/// A fault's trigger as the file writes it: `at_ms = 400` or `after = "p1#17 acked"`.
pub(crate) fn trigger_text(s: &Scenario, t: &Trigger) -> String {
    let mut e = Entries::default();
    fault_trigger(s, t, &mut e);
    e.0.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
}

fn fault_trigger(s: &Scenario, t: &Trigger, e: &mut Entries) {
    match t {
        Trigger::AtMs(t) => e.bare("at_ms", t.to_string()),
        Trigger::Record { producer, index, event } => {
            let event = spelling(RECORD_EVENTS, *event);
            e.bare("after", quote(&format!("{}#{index} {event}", producer_name(s, *producer))));
        }
        Trigger::Client { client, event, n } => {
            let name = match *client {
                ClientRef::Producer(i) => producer_name(s, i),
                ClientRef::Consumer(i) => consumer_name(s, i),
                ClientRef::Processor(i) => processor_name(s, i),
            };
            let event = spelling(CLIENT_EVENTS, *event);
            e.bare("after", quote(&format!("{name} {event} {n}")));
        }
    }
}

/// `[[fault]]`: the trigger (`at_ms` or `after`), action, target and the optional durations.
fn fault(s: &Scenario, f: &FaultSpec) -> Entries {
    let mut e = Entries::default();
    fault_trigger(s, &f.trigger, &mut e);
    e.bare("action", quote(f.action.as_str()));
    match &f.target {
        Target::Sides { between, and } => {
            for (key, side) in [("between", between), ("and", and)] {
                let names: Vec<String> = side.iter().map(|t| target(s, t)).collect();
                e.bare(key, strings(names.iter().map(String::as_str)));
            }
        }
        t => e.bare("target", quote(&target(s, t))),
    }
    if let Some(ms) = f.restart_after_ms {
        e.bare("restart_after_ms", ms.to_string());
    }
    if let Some(ms) = f.duration_ms {
        e.bare("duration_ms", ms.to_string());
    }
    if f.pin {
        e.bare("pin", "true".to_string());
    }
    e
}

/// `[nemesis]`: the keys that differ from the defaults.
fn nemesis(n: &NemesisSpec) -> Entries {
    let d = NemesisSpec::default();
    let mut e = Entries::default();
    if n.actions != d.actions {
        e.bare("actions", strings(n.actions.iter().map(|a| a.as_str())));
    }
    if n.targets != d.targets {
        e.bare("targets", strings(n.targets.iter().map(|t| spelling(TARGET_CLASSES, *t))));
    }
    if n.interval_ms != d.interval_ms {
        e.bare("interval_ms", pair(n.interval_ms));
    }
    e.bare_if("start_ms", n.start_ms, d.start_ms);
    e.bare_if("stop_ms", n.stop_ms, d.stop_ms);
    if n.restart_after_ms != d.restart_after_ms {
        e.bare("restart_after_ms", pair(n.restart_after_ms));
    }
    if n.duration_ms != d.duration_ms {
        e.bare("duration_ms", pair(n.duration_ms));
    }
    e.bare_if("safe_power_loss", n.safe_power_loss, d.safe_power_loss);
    e
}

/// `[expect]`, in order: an exact count as an integer (as a string when TOML's integers cannot
/// hold it), a comparison as a string.
fn expect(expect: &[Expectation]) -> Entries {
    let mut e = Entries::default();
    for x in expect {
        let value = match x.bound {
            Bound::Eq(n) if i64::try_from(n).is_ok() => n.to_string(),
            b => quote(&b.to_string()),
        };
        e.0.push((key(x.anomaly.name()), value));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_what_toml_requires_and_keeps_the_rest() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("l1\nl2\r\t"), r#""l1\nl2\r\t""#);
        assert_eq!(quote("\u{0}\u{1f}\u{7f}\u{8}\u{c}"), r#""\u0000\u001F\u007F\b\f""#);
        assert_eq!(quote("é ☃ 🦀 \u{85}"), "\"é ☃ 🦀 \u{85}\"");
    }

    #[test]
    fn keys_are_bare_only_when_toml_allows_it() {
        assert_eq!(key("stuck_lso"), "stuck_lso");
        assert_eq!(key("a-b_9"), "a-b_9");
        assert_eq!(key(""), "\"\"");
        assert_eq!(key("a.b"), "\"a.b\"");
        assert_eq!(key("a b"), "\"a b\"");
    }
}
