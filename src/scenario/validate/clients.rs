//! `[[producer]]`, `[[consumer]]` and `[[processor]]`: names, topics, config ranges and the
//! rules between a client's configs and the cluster's.

use std::collections::BTreeMap;

use super::{config_ranges, key_path, range, transaction_timeout_range, Problem, INVALID_TXN_TIMEOUT};
use crate::scenario::keys::{self, CONSUMER, PROCESSOR, PRODUCER};
use crate::scenario::model::{
    Acks, BrokerConfig, ClientKind, CommitMode, ConsumerConfig, GroupProtocol, ProcessorConfig, ProducerConfig,
    ProducerSpec, Scenario, TopicSpec,
};
use crate::scenario::spell::{delivery_timeout_floor, nearest, MAX_INSTANCES, MAX_IN_FLIGHT_FOR_IDEMPOTENCE};

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    let broker = &s.cluster.config;
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    for (i, p) in s.producers.iter().enumerate() {
        let here = format!("producer[{i}]");
        name(&p.name, "producer", &here, &mut names, out);
        if let Some(m) = undeclared_topic(&p.topic, &s.topics) {
            out.push(Problem::new(format!("{here}.topic"), m));
        }
        if let Some(k) = p.keys {
            range(out, || format!("{here}.keys"), "keys", k.into(), (1, i64::MAX));
        }
        range(out, || format!("{here}.record_bytes"), "record_bytes", p.record_bytes, (1, i64::MAX));
        producer(p, broker, &here, out);
    }
    for (i, c) in s.consumers.iter().enumerate() {
        let here = format!("consumer[{i}]");
        name(&c.name, "consumer", &here, &mut names, out);
        group(&c.group, &here, out);
        instance_ids_apart(s, i, out);
        if c.topics.is_empty() {
            out.push(Problem::new(
                format!("{here}.topics"),
                "`topics` must not be empty: list the topics the group subscribes to",
            ));
        }
        for (j, t) in c.topics.iter().enumerate() {
            if let Some(m) = undeclared_topic(t, &s.topics) {
                out.push(Problem::new(format!("{here}.topics[{j}]"), m));
            } else if c.topics[..j].contains(t) {
                out.push(Problem::new(
                    format!("{here}.topics[{j}]"),
                    format!("topic `{t}` is listed twice in `topics`"),
                ));
            }
        }
        range(out, || format!("{here}.instances"), "instances", c.instances.into(), (1, MAX_INSTANCES));
        range(out, || format!("{here}.poll_timeout_ms"), "poll_timeout_ms", c.poll_timeout_ms, (1, i64::MAX));
        let config = format!("{here}.config");
        config_ranges(CONSUMER, &c.config, &config, &[], out);
        let auto = c.config.enable_auto_commit;
        let eac = keys::ENABLE_AUTO_COMMIT.name;
        let contradiction = match c.commit {
            CommitMode::Auto if !auto => Some(format!(
                "\"{eac}\" = false contradicts commit = \"auto\"; set it to true or use commit = \
                 \"before-processing\" or \"after-processing\""
            )),
            manual @ (CommitMode::BeforeProcessing | CommitMode::AfterProcessing | CommitMode::Async) if auto => {
                Some(format!(
                    "\"{eac}\" = true contradicts commit = \"{}\" (a manual commit); set it to false or use commit = \
                 \"auto\"",
                    manual.as_str()
                ))
            }
            _ => None,
        };
        if let Some(m) = contradiction {
            out.push(Problem::new(key_path(&config, eac), m));
        }
        consumer_protocol(s, i, &config, out);
        super::librdkafka::consumer(c, &here, out);
        let c = &c.config;
        group_session(c.session_timeout_ms, c.heartbeat_interval_ms, broker, &config, "[consumer.config]", out);
    }
    for (i, p) in s.processors.iter().enumerate() {
        let here = format!("processor[{i}]");
        name(&p.name, "processor", &here, &mut names, out);
        group(&p.group, &here, out);
        if let Some(m) = undeclared_topic(&p.input, &s.topics) {
            out.push(Problem::new(format!("{here}.input"), m));
        }
        let output = &p.output;
        if output.is_empty() || output.starts_with("__") {
            out.push(Problem::new(
                format!("{here}.output"),
                format!("`output` must name a workload topic, found `{output}`"),
            ));
        } else if output == &p.input {
            out.push(Problem::new(
                format!("{here}.output"),
                format!(
                    "`output` must differ from `input` (both `{output}`): a processor does not read its own output"
                ),
            ));
        }
        range(out, || format!("{here}.instances"), "instances", p.instances.into(), (1, MAX_INSTANCES));
        range(out, || format!("{here}.poll_timeout_ms"), "poll_timeout_ms", p.poll_timeout_ms, (1, i64::MAX));
        let config = format!("{here}.config");
        let c = &p.config;
        config_ranges(PROCESSOR, c, &config, &[keys::TRANSACTION_TIMEOUT_MS.name], out);
        group_session(c.session_timeout_ms, c.heartbeat_interval_ms, broker, &config, "[processor.config]", out);
        if p.exactly_once() {
            let default = ProcessorConfig::default().transaction_timeout_ms;
            transaction_timeout(c.transaction_timeout_ms, default, broker, &config, "[processor.config]", out);
        }
    }
    processors_apart(s, out);
}

/// The message when a client's `name` may not be used, or `None`.
pub(crate) fn bad_client_name(name: &str, kind: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a client name must not be empty".into());
    }
    let c = name.chars().find(|&c| c == '#' || c == '/' || c.is_whitespace())?;
    let why = if kind == "producer" {
        "names appear in record values (NAME#I) and targets"
    } else {
        "names appear in triggers (where '#' marks a record) and targets"
    };
    Some(format!("client name \"{name}\" must not contain {c:?}: {why}"))
}

/// A client name: usable, and not one an earlier client (in `names`, with its path) took.
fn name<'s>(
    name: &'s str,
    kind: &'static str,
    here: &str,
    names: &mut BTreeMap<&'s str, String>,
    out: &mut Vec<Problem>,
) {
    if let Some(m) = bad_client_name(name, kind) {
        out.push(Problem::new(format!("{here}.name"), m));
    }
    if let Some(first) = names.get(name) {
        let earlier = first.split('[').next().unwrap_or_default();
        out.push(
            Problem::new(
                format!("{here}.name"),
                format!("client name `{name}` is already used by the {earlier} at {first}"),
            )
            .refers(first.clone()),
        );
    } else {
        names.insert(name, format!("{here}.name"));
    }
}

/// A group id Kafka refuses: empty or only whitespace.
fn group(group: &str, here: &str, out: &mut Vec<Problem>) {
    if group.trim().is_empty() {
        out.push(Problem::new(
            format!("{here}.group"),
            "`group` must not be empty (Kafka: The configured group.id should not be an empty string or whitespace.)",
        ));
    }
}

/// The rules between a processor and the other clients: its group is its own (Streams'
/// `application.id`: no `[[consumer]]` and no other `[[processor]]` shares it), its exactly-once
/// transactional ids clash with no one's, and its input is no processor's output.
fn processors_apart(s: &Scenario, out: &mut Vec<Problem>) {
    for (i, p) in s.processors.iter().enumerate() {
        let here = format!("processor[{i}]");
        let g = &p.group;
        if let Some(c) = s.consumers.iter().find(|c| &c.group == g) {
            out.push(Problem::new(
                format!("{here}.group"),
                format!(
                    "group `{g}` is already the group of consumer `{}`: a processor's group is its own (Kafka \
                     Streams' application.id), shared with no [[consumer]]",
                    c.name
                ),
            ));
        } else if let Some(q) = s.processors[..i].iter().position(|q| &q.group == g) {
            let first = format!("processor[{q}].group");
            out.push(
                Problem::new(
                    format!("{here}.group"),
                    format!(
                        "group `{g}` is already the group of processor `{}` ({first}): each [[processor]] is one \
                         application with a group of its own (Kafka Streams' application.id); run more members \
                         with `instances`",
                        s.processors[q].name
                    ),
                )
                .refers(first),
            );
        }
        if p.exactly_once() {
            txn_ids_apart(s, i, out);
        }
    }
    for (i, p) in s.processors.iter().enumerate() {
        if let Some(q) = s.processors.iter().position(|q| q.output == p.input) {
            let first = format!("processor[{q}].output");
            out.push(
                Problem::new(
                    format!("processor[{i}].input"),
                    format!(
                        "topic `{}` is the output of processor `{}` ({first}): processor chains are not supported yet",
                        p.input, s.processors[q].name
                    ),
                )
                .refers(first),
            );
        }
    }
}

/// The transactional ids of exactly-once processor `i` (`GROUP-NAME-K` per instance under
/// exactly_once_v2, `GROUP-0_P` per task under exactly_once) are no producer's
/// `transactional.id` and no earlier processor's: the two would fence each other.
fn txn_ids_apart(s: &Scenario, i: usize, out: &mut Vec<Problem>) {
    let p = &s.processors[i];
    let ids_of = |q: &crate::scenario::ProcessorSpec| {
        q.transactional_ids(s.topics.iter().find(|t| t.name == q.input).map_or(0, |t| t.partitions))
    };
    for (k, id) in ids_of(p).into_iter().enumerate() {
        let producer = s.producers.iter().find(|q| q.config.transactional_id.as_deref() == Some(id.as_str()));
        let earlier = s.processors[..i].iter().position(|q| ids_of(q).contains(&id));
        let (clash, refers) = match (producer, earlier) {
            (Some(q), _) => (format!("the \"{}\" of producer `{}`", keys::TRANSACTIONAL_ID.name, q.name), None),
            (None, Some(q)) => {
                let first = format!("processor[{q}].name");
                (format!("also the id of processor `{}` ({first})", s.processors[q].name), Some(first))
            }
            (None, None) => continue,
        };
        let mut problem = Problem::new(
            format!("processor[{i}].name"),
            format!(
                "the transactional id of {} of processor `{}` is `{id}` ({}), which is {clash}: the two would \
                 fence each other",
                if p.eos_v1() { format!("task 0_{k}") } else { format!("instance {k}") },
                p.name,
                if p.eos_v1() { "GROUP-0_PARTITION" } else { "GROUP-NAME-K" }
            ),
        );
        problem.at.refers = refers;
        out.push(problem);
        return;
    }
}

/// Consumer `i`'s `group.instance.id` prefix is not an earlier consumer's of the same group:
/// their instances would take the same static ids (`<value>-<K>`) and fence each other.
fn instance_ids_apart(s: &Scenario, i: usize, out: &mut Vec<Problem>) {
    let c = &s.consumers[i];
    let Some(v) = c.config.group_instance_id.as_deref() else { return };
    let earlier =
        s.consumers[..i].iter().find(|d| d.group == c.group && d.config.group_instance_id.as_deref() == Some(v));
    if let Some(d) = earlier {
        out.push(Problem::new(
            key_path(&format!("consumer[{i}].config"), keys::GROUP_INSTANCE_ID.name),
            format!(
                "`{}` = \"{v}\" is also consumer `{}`'s in group `{}`: instance K of both would be the static member \"{v}-K\" and fence the other",
                keys::GROUP_INSTANCE_ID.name, d.name, c.group
            ),
        ));
    }
}

/// The message when `name` is no declared topic, with the nearest one, or `None`.
pub(crate) fn undeclared_topic(name: &str, topics: &[TopicSpec]) -> Option<String> {
    if topics.iter().any(|t| t.name == name) {
        return None;
    }
    let hint = match nearest(name, topics.iter().map(|t| t.name.as_str())) {
        Some(n) => format!("; did you mean `{n}`?"),
        None => " (the file declares no [[topic]])".into(),
    };
    Some(format!("topic `{name}` is not declared{hint}"))
}

/// One producer: config ranges, the transactional workload keys, idempotence, transaction
/// timeout and delivery timeout.
fn producer(p: &ProducerSpec, broker: &BrokerConfig, here: &str, out: &mut Vec<Problem>) {
    let config = format!("{here}.config");
    let c = &p.config;
    config_ranges(PRODUCER, c, &config, &[keys::TRANSACTION_TIMEOUT_MS.name], out);
    let transactional = c.transactional_id.is_some();
    if transactional {
        range(
            out,
            || format!("{here}.transaction_records"),
            "transaction_records",
            p.transaction_records.into(),
            (1, i64::MAX),
        );
        if let Some(k) = p.abort_every {
            range(out, || format!("{here}.abort_every"), "abort_every", k.into(), (1, i64::MAX));
        }
    } else {
        let d = ProducerSpec::new(&p.name, &p.topic, p.records);
        let written = [
            ("transaction_records", p.transaction_records != d.transaction_records),
            ("abort_every", p.abort_every.is_some()),
        ];
        for (key, _) in written.into_iter().filter(|(_, w)| *w) {
            out.push(Problem::new(format!("{here}.{key}"), not_transactional(key, &p.name)).at_key());
        }
    }
    if p.client == ClientKind::Librdkafka {
        // librdkafka's own rules, its refusal of transactions first.
        super::librdkafka::producer(p, here, out);
        if !transactional {
            idempotence(c, &config, out);
        }
        return;
    }
    idempotence(c, &config, out);
    if transactional {
        let default = ProducerConfig::default().transaction_timeout_ms;
        transaction_timeout(c.transaction_timeout_ms, default, broker, &config, "[producer.config]", out);
    }
    let floor = delivery_timeout_floor(c.linger_ms, c.request_timeout_ms);
    if c.delivery_timeout_ms < floor {
        out.push(Problem::new(
            key_path(&config, keys::DELIVERY_TIMEOUT_MS.name),
            format!(
                "`{}` ({}) must be at least linger.ms + request.timeout.ms ({} + {} = {floor})",
                keys::DELIVERY_TIMEOUT_MS.name,
                c.delivery_timeout_ms,
                c.linger_ms,
                c.request_timeout_ms
            ),
        ));
    }
}

/// `key` of producer `name` needs a transactional producer.
pub(crate) fn not_transactional(key: &str, name: &str) -> String {
    format!(
        "`{key}` applies to transactional producers, and {name} has no \"{}\" (set it in [producer.config])",
        keys::TRANSACTIONAL_ID.name
    )
}

/// Kafka's idempotence rules on the resulting config: a transactional producer is idempotent, and
/// an idempotent one has `acks=all`, `retries > 0` and at most 5 requests in flight. (The
/// loader first applies Kafka's silent switch-off for an idempotence a file did not ask for.)
fn idempotence(c: &ProducerConfig, config: &str, out: &mut Vec<Problem>) {
    let at = |k: &keys::ConfigKey| key_path(config, k.name);
    if c.transactional_id.is_some() && !c.enable_idempotence {
        out.push(Problem::new(
            at(&keys::ENABLE_IDEMPOTENCE),
            format!(
                "\"{}\" = false contradicts \"{}\": a transactional producer is idempotent (Kafka: Cannot set a \
                 transactional.id without also enabling idempotence)",
                keys::ENABLE_IDEMPOTENCE.name,
                keys::TRANSACTIONAL_ID.name
            ),
        ));
        return;
    }
    if !c.enable_idempotence {
        return;
    }
    let requires = "enable.idempotence=true requires";
    if c.retries == 0 {
        out.push(Problem::new(
            at(&keys::RETRIES),
            format!("{requires} retries > 0 (Kafka: Must set retries to non-zero when using the idempotent producer)"),
        ));
    }
    if c.acks != Acks::All {
        out.push(Problem::new(
            at(&keys::ACKS),
            format!(
                "{requires} acks=all, found acks={} (Kafka: Must set acks to all in order to use the idempotent producer)",
                c.acks
            ),
        ));
    }
    if c.max_in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE {
        out.push(Problem::new(
            at(&keys::MAX_IN_FLIGHT),
            format!(
                "{requires} max.in.flight.requests.per.connection <= {MAX_IN_FLIGHT_FOR_IDEMPOTENCE}, found {} \
                 (Kafka: To use the idempotent producer, max.in.flight.requests.per.connection must be set to at \
                 most 5)",
                c.max_in_flight
            ),
        ));
    }
}

/// A transactional client's `transaction.timeout.ms` within 1 to the cluster's maximum; the
/// default (`default`) must fit too.
fn transaction_timeout(n: u64, default: u64, broker: &BrokerConfig, config: &str, table: &str, out: &mut Vec<Problem>) {
    let max = broker.transaction_max_timeout_ms;
    let key = keys::TRANSACTION_TIMEOUT_MS.name;
    let message = if n == default && n > max {
        format!(
            "the default `{key}` ({default}) is above the cluster's `{}` ({max}): {INVALID_TXN_TIMEOUT}; set \
             \"{key}\" in {table}",
            keys::TRANSACTION_MAX_TIMEOUT_MS.name
        )
    } else {
        match transaction_timeout_range(n.into(), max) {
            Some(m) => m,
            None => return,
        }
    };
    out.push(Problem::new(key_path(config, key), message));
}

/// Why `key` may not be set with `group.protocol = "consumer"`: Kafka 4.0's `ConsumerConfig`
/// rejects the classic protocol's own configs (KAFKA-17338 and its follow-ups), since the broker
/// decides the session, the heartbeat interval and the (server-side) assignor.
pub(crate) fn classic_only(key: &str) -> String {
    format!(
        "`{key}` cannot be set when `{}` = \"consumer\" (Kafka's ConsumerConfig rejects it: the broker's `{}`,          `{}` and server-side assignor decide instead)",
        keys::GROUP_PROTOCOL.name,
        keys::GROUP_CONSUMER_SESSION_TIMEOUT_MS.name,
        keys::GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS.name
    )
}

/// Consumer `i` with `group.protocol = "consumer"` (KIP-848): no classic-only config (a value
/// other than the default, as the model can tell), no `group.instance.id` (static KIP-848
/// members are not modelled), and every consumer of its group on the same protocol (the model
/// has no mixed groups).
fn consumer_protocol(s: &Scenario, i: usize, config: &str, out: &mut Vec<Problem>) {
    let c = &s.consumers[i];
    let d = ConsumerConfig::for_version(s.cluster.kafka_version);
    if c.config.group_protocol == GroupProtocol::Consumer {
        let classic = [
            (keys::SESSION_TIMEOUT_MS.name, c.config.session_timeout_ms != d.session_timeout_ms),
            (keys::HEARTBEAT_INTERVAL_MS.name, c.config.heartbeat_interval_ms != d.heartbeat_interval_ms),
            (keys::PARTITION_ASSIGNMENT_STRATEGY.name, c.config.assignment_strategy != d.assignment_strategy),
        ];
        for (key, set) in classic {
            if set {
                out.push(Problem::new(key_path(config, key), classic_only(key)));
            }
        }
        if c.config.group_instance_id.is_some() {
            out.push(Problem::new(
                key_path(config, keys::GROUP_INSTANCE_ID.name),
                format!(
                    "`{}` with `{}` = \"consumer\" (static KIP-848 members) is not modelled yet",
                    keys::GROUP_INSTANCE_ID.name,
                    keys::GROUP_PROTOCOL.name
                ),
            ));
        }
    }
    let other =
        s.consumers[..i].iter().find(|o| o.group == c.group && o.config.group_protocol != c.config.group_protocol);
    if let Some(o) = other {
        out.push(Problem::new(
            key_path(config, keys::GROUP_PROTOCOL.name),
            format!(
                "consumer `{}` and consumer `{}` of group `{}` use different `{}`: the model does not mix classic and \
                 consumer-protocol members in one group",
                o.name,
                c.name,
                c.group,
                keys::GROUP_PROTOCOL.name
            ),
        ));
    }
}

/// A group member's session timeout within the cluster's bounds (the group coordinator answers a
/// JoinGroup outside them with INVALID_SESSION_TIMEOUT), and its heartbeat below it (the Java
/// client's Heartbeat constructor).
fn group_session(
    session: u64,
    heartbeat: u64,
    broker: &BrokerConfig,
    config: &str,
    table: &str,
    out: &mut Vec<Problem>,
) {
    let (st, hb) = (keys::SESSION_TIMEOUT_MS.name, keys::HEARTBEAT_INTERVAL_MS.name);
    if heartbeat >= session {
        out.push(
            Problem::new(
                key_path(config, hb),
                format!(
                    "`{hb}` ({heartbeat}) must be below `{st}` ({session}) (Kafka: Heartbeat must be set lower than \
                     the session timeout)"
                ),
            )
            .or_at(key_path(config, st)),
        );
    }
    let (min, max) = (broker.group_min_session_timeout_ms, broker.group_max_session_timeout_ms);
    if (min..=max).contains(&session) {
        return;
    }
    let bounds = format!(
        "the cluster's `{}` to `{}` ({min} to {max}): Kafka's JoinGroup would fail with INVALID_SESSION_TIMEOUT",
        keys::GROUP_MIN_SESSION_TIMEOUT_MS.name,
        keys::GROUP_MAX_SESSION_TIMEOUT_MS.name
    );
    let message = if session == ConsumerConfig::default().session_timeout_ms {
        format!("the default `{st}` ({session}) is outside {bounds}; set \"{st}\" in {table}")
    } else {
        format!("`{st}` ({session}) is outside {bounds}")
    };
    out.push(Problem::new(key_path(config, st), message));
}
