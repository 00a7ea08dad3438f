//! `[[fault]]` and `[nemesis]`: targets and triggers name what exists, and each key applies to
//! its action.

use super::{range, Path, Problem};
use crate::scenario::model::{
    ClientEvent, ClientRef, FaultAction, FaultSpec, RecordEvent, Scenario, Target, TargetClass, Trigger,
};
use crate::scenario::spell::nearest;

use super::clients::undeclared_topic;

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    for (i, f) in s.faults.iter().enumerate() {
        fault(s, f, &|| format!("fault[{i}]"), out);
    }
    if let Some(n) = &s.nemesis {
        // Empty `actions` is allowed here: Rust code may switch on `safe_power_loss` alone.
        for (key, (a, _), min) in [("interval_ms", n.interval_ms, 1), ("duration_ms", n.duration_ms, 1)] {
            if a < min {
                out.push(Problem::new(
                    format!("nemesis.{key}"),
                    format!("`{key}` bounds must be at least {min}, found {a}"),
                ));
            }
        }
        if let Some(k) = n.actions.iter().position(|a| *a == FaultAction::Partition) {
            out.push(Problem::new(
                format!("nemesis.actions[{k}]"),
                "the nemesis draws one target per fault, so it cannot draw a partition (two sides); schedule one \
                 with a [[fault]]",
            ));
        }
        if n.targets.contains(&TargetClass::Processors) && s.processors.is_empty() {
            let k = n.targets.iter().position(|t| *t == TargetClass::Processors).unwrap_or(0);
            out.push(Problem::new(
                format!("nemesis.targets[{k}]"),
                "the nemesis `targets` lists \"processors\", but the file declares no [[processor]]",
            ));
        }
        if n.actions.contains(&FaultAction::PowerLoss) && !n.targets.contains(&TargetClass::Brokers) {
            out.push(
                Problem::new(
                    "nemesis.targets",
                    "power-loss applies to brokers, but the nemesis `targets` has no \"brokers\"",
                )
                .or_at("nemesis.actions"),
            );
        }
        for (key, (a, b)) in
            [("interval_ms", n.interval_ms), ("restart_after_ms", n.restart_after_ms), ("duration_ms", n.duration_ms)]
        {
            if a > b {
                out.push(Problem::new(
                    format!("nemesis.{key}"),
                    format!("`{key}` = [{a}, {b}]: the minimum {a} is above the maximum {b}"),
                ));
            }
        }
        if n.stop_ms < n.start_ms {
            out.push(Problem::new(
                "nemesis.stop_ms",
                format!("`stop_ms` ({}) must be at least `start_ms` ({})", n.stop_ms, n.start_ms),
            ));
        }
    }
}

/// One fault: its trigger, its target (a partition's sides), and the duration keys of its action.
fn fault(s: &Scenario, f: &FaultSpec, here: Path, out: &mut Vec<Problem>) {
    trigger(s, &f.trigger, here, out);
    let action = f.action.as_str();
    match (&f.target, f.action) {
        (Target::Sides { between, and }, FaultAction::Partition) => sides(s, between, and, here, out),
        (Target::Sides { .. }, _) => out.push(Problem::new(
            format!("{}.target", here()),
            format!("two sides (`between` and `and`) belong to a partition; `{action}` takes one `target`"),
        )),
        (_, FaultAction::Partition) => out.push(Problem::new(
            format!("{}.target", here()),
            "a partition has two sides, not a `target`: write `between = [TARGETS]` and `and = [TARGETS]`",
        )),
        (Target::Controller, _) => out.push(Problem::new(
            format!("{}.target", here()),
            format!(
                "`controller` may only stand on a side of a partition (`between` or `and`), not be the target of \
                 `{action}`: the KRaft controller quorum is modelled as reliable"
            ),
        )),
        (t, _) => target(s, t, &|| format!("{}.target", here()), out),
    }
    let client = match f.target {
        Target::Producer(_) => Some("producer"),
        Target::Consumer { .. } => Some("consumer"),
        Target::Processor { .. } => Some("processor"),
        Target::Service { .. } => Some("service"),
        _ => None,
    };
    if let (FaultAction::PowerLoss, Some(client)) = (f.action, client) {
        out.push(Problem::new(
            format!("{}.target", here()),
            format!(
                "power-loss applies to brokers (broker:N, leader:TOPIC/P, coordinator:group:GROUP or \
                 coordinator:transaction:ID), not to a {client}"
            ),
        ));
    }
    let lasting = matches!(f.action, FaultAction::Isolate | FaultAction::Pause | FaultAction::Partition);
    if lasting && f.restart_after_ms.is_some() {
        out.push(
            Problem::new(
                format!("{}.restart_after_ms", here()),
                format!("`restart_after_ms` applies to crash and power-loss; {action} ends after `duration_ms`"),
            )
            .at_key(),
        );
    }
    match f.duration_ms {
        Some(_) if !lasting => out.push(
            Problem::new(
                format!("{}.duration_ms", here()),
                format!(
                    "`duration_ms` applies to isolate, pause and partition; {action} lasts until `restart_after_ms` \
                     (omitted: the target stays down)"
                ),
            )
            .at_key(),
        ),
        Some(d) => range(out, || format!("{}.duration_ms", here()), "duration_ms", d, (1, i64::MAX)),
        None if lasting => out.push(Problem::new(
            format!("{}.duration_ms", here()),
            format!("missing required key `duration_ms` in [[fault]]: how long the {action} lasts"),
        )),
        None => {}
    }
}

/// A partition's sides: neither empty, each element a target that exists (or `controller`), and
/// no target on both sides. Two targets that can name the same node only once resolved (a
/// leader and a broker) are the world's: a node on both sides when the partition strikes stays
/// on side a (`between`) only.
fn sides(s: &Scenario, between: &[Target], and: &[Target], here: Path, out: &mut Vec<Problem>) {
    for (key, side) in [("between", between), ("and", and)] {
        if side.is_empty() {
            out.push(Problem::new(
                format!("{}.{key}", here()),
                format!("`{key}` must not be empty: a side of a partition lists at least one target"),
            ));
        }
        for (j, t) in side.iter().enumerate() {
            let path = || format!("{}.{key}[{j}]", here());
            match t {
                Target::Controller => {}
                Target::Sides { .. } => out.push(Problem::new(path(), "a side lists targets, not another partition")),
                t => target(s, t, &path, out),
            }
        }
    }
    for (j, t) in and.iter().enumerate() {
        if let Some(k) = between.iter().position(|b| overlap(b, t)) {
            let (b, t) = (printable(s, &between[k]), printable(s, t));
            let same = if b == t { format!("`{t}` is") } else { format!("`{t}` and `{b}` (in `between`) name a node") };
            out.push(Problem::new(
                format!("{}.and[{j}]", here()),
                format!("{same} on both sides of the partition; a node stands on one side (it reaches its own)"),
            ));
        }
    }
}

/// Whether targets `a` and `b` name a node in common whatever the cluster does: the same target,
/// or a client and one of its instances.
fn overlap(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Consumer { consumer: x, instance: i }, Target::Consumer { consumer: y, instance: k })
        | (Target::Processor { processor: x, instance: i }, Target::Processor { processor: y, instance: k }) => {
            x == y && (i.is_none() || k.is_none() || i == k)
        }
        _ => a == b,
    }
}

/// `t` as a file spells it, or as the model prints it when an index names no client.
fn printable(s: &Scenario, t: &Target) -> String {
    let exists = match t {
        Target::Producer(p) => *p < s.producers.len(),
        Target::Consumer { consumer, .. } => *consumer < s.consumers.len(),
        Target::Processor { processor, .. } => *processor < s.processors.len(),
        _ => true,
    };
    if exists {
        s.target_text(t)
    } else {
        t.to_string()
    }
}

/// The problem when index `i` names no client of `kind` (a Rust-built scenario's mistake: a file
/// names clients, and the loader resolves the names).
fn no_such_client(path: &str, kind: &str, i: usize, count: usize) -> Problem {
    Problem::new(path, format!("{kind} index {i} names no client: the scenario has {count} [[{kind}]]"))
}

/// Instance `k` of a client running `instances` members (`kind` and `name` say which).
fn instance(kind: &str, name: &str, k: u32, instances: u32, path: Path, out: &mut Vec<Problem>) {
    if k < instances {
        return;
    }
    let runs = if instances == 1 {
        format!("{kind} `{name}` runs 1 instance, 0")
    } else {
        format!("{kind} `{name}` runs {instances} instances, 0 to {}", instances.saturating_sub(1))
    };
    let within = kind.len() + 1 + name.len() + 1;
    out.push(Problem::new(path(), format!("instance {k} does not exist: {runs}")).within(within));
}

/// A target names a broker, topic partition, client, group or transactional id that exists
/// (the controller and a partition's sides are the caller's).
fn target(s: &Scenario, t: &Target, path: Path, out: &mut Vec<Problem>) {
    let brokers = s.cluster.brokers;
    match t {
        Target::Controller | Target::Sides { .. } => {}
        Target::Broker(b) if !(1..=brokers).contains(b) => out.push(
            Problem::new(path(), format!("broker {b} does not exist: the cluster has brokers 1 to {brokers}"))
                .within("broker:".len()),
        ),
        Target::Broker(_) => {}
        Target::Leader { topic, partition } => {
            let within = "leader:".len();
            match s.topics.iter().find(|x| &x.name == topic) {
                None => {
                    let m = undeclared_topic(topic, &s.topics).unwrap_or_default();
                    out.push(Problem::new(path(), m).within(within));
                }
                Some(x) if *partition >= x.partitions => out.push(
                    Problem::new(
                        path(),
                        format!(
                            "partition {partition} does not exist: topic `{topic}` has partitions 0 to {}",
                            x.partitions.saturating_sub(1)
                        ),
                    )
                    .within(within + topic.len() + 1),
                ),
                Some(_) => {}
            }
        }
        Target::Producer(i) if *i >= s.producers.len() => {
            out.push(no_such_client(&path(), "producer", *i, s.producers.len()))
        }
        Target::Producer(_) => {}
        Target::Consumer { consumer, instance: k } => match s.consumers.get(*consumer) {
            None => out.push(no_such_client(&path(), "consumer", *consumer, s.consumers.len())),
            Some(c) => {
                if let Some(k) = k {
                    instance("consumer", &c.name, *k, c.instances, path, out);
                }
            }
        },
        Target::Processor { processor, instance: k } => match s.processors.get(*processor) {
            None => out.push(no_such_client(&path(), "processor", *processor, s.processors.len())),
            Some(p) => {
                if let Some(k) = k {
                    instance("processor", &p.name, *k, p.instances, path, out);
                }
            }
        },
        Target::Service { service, instance: k } => match s.services.get(*service) {
            None => out.push(no_such_client(&path(), "service", *service, s.services.len())),
            Some(x) => {
                if let Some(k) = k {
                    instance("service", &x.name, *k, x.instances, path, out);
                }
            }
        },
        Target::GroupCoordinator(g) => {
            let groups =
                || s.consumers.iter().map(|c| c.group.as_str()).chain(s.processors.iter().map(|p| p.group.as_str()));
            if !groups().any(|x| x == g) {
                let hint = match nearest(g, groups()) {
                    Some(x) => format!("; did you mean `{x}`?"),
                    None => " (the file declares no [[consumer]] or [[processor]])".into(),
                };
                out.push(
                    Problem::new(path(), format!("group `{g}` is the group of no consumer or processor{hint}"))
                        .within("coordinator:group:".len()),
                );
            }
        }
        Target::TxnCoordinator(id) => {
            let within = "coordinator:transaction:".len();
            let ids: Vec<String> = s
                .producers
                .iter()
                .filter_map(|p| p.config.transactional_id.clone())
                .chain(s.processors.iter().flat_map(|p| {
                    p.transactional_ids(s.topics.iter().find(|t| t.name == p.input).map_or(0, |t| t.partitions))
                }))
                .collect();
            if ids.iter().any(|x| x == id) {
                return;
            }
            // The id an at_least_once or exactly_once processor would have under exactly_once_v2.
            let unused = s
                .processors
                .iter()
                .find_map(|p| (0..p.instances).find(|&k| &p.transactional_id(k) == id).map(|k| (p, k)));
            let message = if let Some((p, k)) = unused {
                let runs = if p.eos_v1() {
                    format!("exactly_once, whose producers are per task (`{}`, ...)", p.task_transactional_id(0))
                } else {
                    "at_least_once, which uses no transactions".to_string()
                };
                format!(
                    "`{id}` would be the transactional id of instance {k} of processor `{}`, but it runs {runs}",
                    p.name
                )
            } else {
                let hint = match nearest(id, ids.iter().map(String::as_str)) {
                    Some(x) => format!("; did you mean `{x}`?"),
                    None => format!(
                        " (no [[producer]] sets \"{}\" and no [[processor]] runs exactly_once_v2)",
                        crate::scenario::keys::TRANSACTIONAL_ID.name
                    ),
                };
                format!("`{id}` is the transactional.id of no producer or exactly_once_v2 processor{hint}")
            };
            out.push(Problem::new(path(), message).within(within));
        }
    }
}

/// A trigger names a record the workload sends and an event its client has.
fn trigger(s: &Scenario, t: &Trigger, here: Path, out: &mut Vec<Problem>) {
    let path = || format!("{}.after", here());
    match *t {
        Trigger::AtMs(_) => {}
        Trigger::Record { producer, index, event } => {
            let Some(p) = s.producers.get(producer) else {
                out.push(no_such_client(&path(), "producer", producer, s.producers.len()));
                return;
            };
            let client = &p.name;
            let index_at = client.len() + 1;
            if index >= p.records {
                let has = if p.records == 0 {
                    format!("{client} sends no records")
                } else {
                    format!("{client} sends records {client}#0 to {client}#{}", p.records - 1)
                };
                out.push(Problem::new(path(), format!("{has}; there is no {client}#{index}")).within(index_at));
            }
            let topic = &p.topic;
            let read =
                s.consumers.iter().any(|c| c.topics.contains(topic)) || s.processors.iter().any(|q| &q.input == topic);
            if event == RecordEvent::Processed && !read {
                let event_at = index_at + index.to_string().len() + 1;
                out.push(
                    Problem::new(
                        path(),
                        format!(
                            "`{client}#{index} processed` can never happen: {client} writes to topic `{topic}`, which \
                             no [[consumer]] subscribes to and no [[processor]] reads"
                        ),
                    )
                    .within(event_at),
                );
            }
        }
        Trigger::Client { client, event, n } => {
            let (kind, count) = match client {
                ClientRef::Producer(i) => ("producer", (i, s.producers.len())),
                ClientRef::Consumer(i) => ("consumer", (i, s.consumers.len())),
                ClientRef::Processor(i) => ("processor", (i, s.processors.len())),
            };
            if count.0 >= count.1 {
                out.push(no_such_client(&path(), kind, count.0, count.1));
                return;
            }
            let name = s.client_name(client);
            let event_at = name.len() + 1;
            if let Some(m) = client_event(s, client, event) {
                out.push(Problem::new(path(), m).within(event_at));
            }
            if n < 1 {
                let n_at = event_at + event.as_str().len() + 1;
                out.push(
                    Problem::new(
                        path(),
                        format!("the count N in \"CLIENT EVENT N\" must be at least 1, found \"{n}\""),
                    )
                    .within(n_at),
                );
            }
        }
    }
}

/// The message when `client` never has `event`, or `None`.
fn client_event(s: &Scenario, client: ClientRef, event: ClientEvent) -> Option<String> {
    use ClientEvent::*;
    let name = s.client_name(client);
    let word = event.as_str();
    match (client, event) {
        (ClientRef::Producer(_), Acked) => None,
        (ClientRef::Consumer(_) | ClientRef::Processor(_), Polled | Processed | Committed) => None,
        (ClientRef::Processor(p), _) => {
            let exactly_once = s.processors[p].exactly_once();
            match event {
                TxnCommitted | TxnAborted | OffsetsSent if exactly_once => None,
                TxnCommitted | TxnAborted | OffsetsSent => Some(format!(
                    "processor {name} has no `{word}` events: it runs at_least_once, so it runs no transactions \
                     (\"{}\" = \"exactly_once_v2\" does)",
                    crate::scenario::keys::PROCESSING_GUARANTEE.name
                )),
                _ if exactly_once => Some(format!(
                    "processor {name} has no `{word}` events; exactly_once_v2 processors count polled, processed, \
                     committed, offsets-sent, txn-committed and txn-aborted"
                )),
                _ => Some(format!(
                    "processor {name} has no `{word}` events; at_least_once processors count polled, processed and \
                     committed"
                )),
            }
        }
        (ClientRef::Producer(p), _) => {
            let transactional = s.producers[p].config.transactional_id.is_some();
            match event {
                TxnCommitted | TxnAborted if transactional => None,
                TxnCommitted | TxnAborted => Some(format!(
                    "producer {name} has no `{word}` events: it has no \"{}\", so it runs no transactions",
                    crate::scenario::keys::TRANSACTIONAL_ID.name
                )),
                _ if transactional => Some(format!(
                    "producer {name} has no `{word}` events; transactional producers count acked, txn-committed and \
                     txn-aborted"
                )),
                _ => Some(format!("producer {name} has no `{word}` events; producers count acked")),
            }
        }
        (ClientRef::Consumer(_), _) => {
            Some(format!("consumer {name} has no `{word}` events; consumers count polled, processed and committed"))
        }
    }
}
