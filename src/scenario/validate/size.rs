//! Limits on a scenario's size: what one process holds for it, estimated from the numbers in the
//! file before anything runs. A scenario beyond a limit is refused with the key, the estimate and
//! the limit; one within every limit fits in well under 2 GiB (docs/scenario-format.md, "Size
//! limits", gives the measurements behind each estimate).

use super::Problem;
use crate::scenario::model::Scenario;

/// Most topics, processors' outputs included: each is a name every broker and client looks up.
pub(crate) const MAX_TOPICS: usize = 10_000;
/// Most replicas (`partitions` x `replication_factor`, summed over the topics).
pub(crate) const MAX_REPLICAS: u64 = 200_000;
/// Most partitions times brokers: every broker keeps every partition's metadata.
pub(crate) const MAX_BROKER_PARTITIONS: u64 = 1_000_000;
/// Most `[[producer]]` tables.
pub(crate) const MAX_PRODUCERS: u64 = 50_000;
/// Most group members: `instances` summed over `[[consumer]]` and `[[processor]]` tables.
pub(crate) const MAX_MEMBERS: u64 = 50_000;
/// Most clients (producers and members) times partitions: a member keeps a few words for every
/// partition of the cluster.
pub(crate) const MAX_CLIENT_PARTITIONS: u64 = 4_000_000;
/// Most faults a `[nemesis]` may draw (its schedule is drawn whole before the run).
pub(crate) const MAX_NEMESIS_FAULTS: u64 = 1_000_000;

/// Measured bytes per replica (its log, ISR and fetch state), per partition a broker keeps the
/// metadata of, per producer, per member, per client-partition pair and per nemesis fault.
const REPLICA_BYTES: u64 = 450;
const BROKER_PARTITION_BYTES: u64 = 300;
const PRODUCER_BYTES: u64 = 6_000;
const MEMBER_BYTES: u64 = 11_000;
const CLIENT_PARTITION_BYTES: u64 = 140;
const NEMESIS_FAULT_BYTES: u64 = 100;

/// " and the internal topics' N THINGS", when there are some, for messages.
fn and_internal(n: u64, things: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" (with the internal topics' {n} {things})")
    }
}

/// `bytes` in whole MB (at least 1), for messages.
fn mb(bytes: u64) -> u64 {
    (bytes / 1_000_000).max(1)
}

/// The message when a scenario has `n` topics, more than [`MAX_TOPICS`] (the loader says it
/// before reading them, at the first one too many).
pub(crate) fn too_many_topics(n: usize) -> Option<String> {
    (n > MAX_TOPICS)
        .then(|| format!("this is topic {} of {n}: a scenario may have at most {MAX_TOPICS} topics", MAX_TOPICS + 1))
}

/// The message when a scenario has `n` producers, more than [`MAX_PRODUCERS`].
pub(crate) fn too_many_producers(n: usize) -> Option<String> {
    let n = n as u64;
    (n > MAX_PRODUCERS)
        .then(|| format!("{n} `[[producer]]` tables, about {} MB: the most is {MAX_PRODUCERS}", mb(n * PRODUCER_BYTES)))
}

/// The message when the group members of the tables read so far are `members`, more than
/// [`MAX_MEMBERS`].
pub(crate) fn too_many_members(members: u64) -> Option<String> {
    (members > MAX_MEMBERS).then(|| {
        format!(
            "the group members up to this table (`instances` summed over [[consumer]] and [[processor]]) are \
             {members}, about {} MB: the most is {MAX_MEMBERS}",
            mb(members * MEMBER_BYTES)
        )
    })
}

/// The partitions and replicas of the internal topics the cluster makes: `__consumer_offsets` when
/// there is a group, `__transaction_state` when there is a transactional id. They count with the
/// file's topics.
fn internal(s: &Scenario) -> (u64, u64) {
    use crate::scenario::model::ProcessingGuarantee;
    let c = &s.cluster.config;
    let brokers = u64::from(s.cluster.brokers.max(1));
    let groups = !s.consumers.is_empty() || !s.processors.is_empty();
    let txn = s.producers.iter().any(|p| p.config.transactional_id.is_some())
        || s.processors.iter().any(|p| p.config.processing_guarantee != ProcessingGuarantee::AtLeastOnce);
    let mut out = (0, 0);
    for (on, partitions, rf) in [
        (groups, c.offsets_topic_num_partitions, c.offsets_topic_replication_factor),
        (txn, c.transaction_state_log_num_partitions, c.transaction_state_log_replication_factor),
    ] {
        if on {
            let p = u64::from(partitions.max(1));
            out.0 += p;
            out.1 += p * u64::from(rf.max(1)).min(brokers);
        }
    }
    out
}

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    topics(s, out);
    clients(s, out);
    nemesis(s, out);
}

/// The topic count, replicas and broker-partitions, each at the topic that crosses its limit.
fn topics(s: &Scenario, out: &mut Vec<Problem>) {
    if let Some(m) = too_many_topics(s.topics.len()) {
        out.push(Problem::new(format!("topic[{MAX_TOPICS}]"), m));
        return;
    }
    let brokers = u64::from(s.cluster.brokers);
    let (inner_partitions, inner_replicas) = internal(s);
    let (mut replicas, mut partitions) = (inner_replicas, inner_partitions);
    let (mut replicas_told, mut brokers_told) = (false, false);
    for (i, t) in s.topics.iter().enumerate() {
        let (p, rf) = (u64::from(t.partitions), u64::from(t.replication_factor));
        replicas = replicas.saturating_add(p.saturating_mul(rf));
        partitions = partitions.saturating_add(p);
        let here = format!("topic[{i}]");
        if replicas > MAX_REPLICAS && !replicas_told {
            replicas_told = true;
            out.push(
                Problem::new(
                    format!("{here}.partitions"),
                    format!(
                        "the topics up to this one{} hold {replicas} replicas (`partitions` x `replication_factor` \
                         summed; this topic {p} x {rf}), about {} MB of broker state: the most is {MAX_REPLICAS}",
                        and_internal(inner_replicas, "replicas"),
                        mb(replicas.saturating_mul(REPLICA_BYTES))
                    ),
                )
                .or_at(here.clone()),
            );
        }
        if partitions.saturating_mul(brokers) > MAX_BROKER_PARTITIONS && !brokers_told {
            brokers_told = true;
            out.push(
                Problem::new(
                    format!("{here}.partitions"),
                    format!(
                        "the topics up to this one{} have {partitions} `partitions`, whose metadata each of the \
                         {brokers} `brokers` keeps: {} broker-partitions, about {} MB: the most is \
                         {MAX_BROKER_PARTITIONS}",
                        and_internal(inner_partitions, "partitions"),
                        partitions.saturating_mul(brokers),
                        mb(partitions.saturating_mul(brokers).saturating_mul(BROKER_PARTITION_BYTES))
                    ),
                )
                .or_at(here),
            );
        }
    }
}

/// The producer count, the member count, and clients times partitions.
fn clients(s: &Scenario, out: &mut Vec<Problem>) {
    let producers = s.producers.len() as u64;
    if let Some(m) = too_many_producers(s.producers.len()) {
        out.push(Problem::new(format!("producer[{MAX_PRODUCERS}]"), m));
        return;
    }
    let tables = s
        .consumers
        .iter()
        .map(|c| ("consumer", c.instances))
        .chain(s.processors.iter().map(|p| ("processor", p.instances)));
    let mut members = 0u64;
    let mut counts = [0usize; 2];
    for (kind, instances) in tables {
        let i = &mut counts[usize::from(kind == "processor")];
        let here = format!("{kind}[{}]", *i);
        *i += 1;
        members += u64::from(instances.max(1));
        if let Some(m) = too_many_members(members) {
            out.push(Problem::new(format!("{here}.instances"), m).or_at(here));
            return;
        }
    }
    let clients = producers + members;
    let mut partitions = internal(s).0;
    for (i, t) in s.topics.iter().enumerate() {
        partitions = partitions.saturating_add(u64::from(t.partitions));
        if clients.saturating_mul(partitions) > MAX_CLIENT_PARTITIONS {
            let here = format!("topic[{i}]");
            out.push(
                Problem::new(
                    format!("{here}.partitions"),
                    format!(
                        "the topics up to this one{} have {partitions} `partitions`, and each of the {clients} \
                         clients ({producers} producers, {members} group members) keeps state for every \
                         partition: {} client-partitions, about {} MB: the most is {MAX_CLIENT_PARTITIONS}",
                        and_internal(internal(s).0, "partitions"),
                        clients.saturating_mul(partitions),
                        mb(clients.saturating_mul(partitions).saturating_mul(CLIENT_PARTITION_BYTES))
                    ),
                )
                .or_at(here),
            );
            return;
        }
    }
}

/// The most faults the nemesis may draw: one every `interval_ms` (its minimum, at worst) from
/// `start_ms` to `stop_ms` or the end of the run.
fn nemesis_faults(s: &Scenario) -> u64 {
    let Some(n) = &s.nemesis else { return 0 };
    if n.actions.is_empty() || n.targets.is_empty() {
        return 0;
    }
    n.stop_ms.min(s.duration_ms).saturating_sub(n.start_ms) / n.interval_ms.0.max(1)
}

fn nemesis(s: &Scenario, out: &mut Vec<Problem>) {
    let faults = nemesis_faults(s);
    let Some(n) = s.nemesis.as_ref().filter(|_| faults > MAX_NEMESIS_FAULTS) else { return };
    let end = n.stop_ms.min(s.duration_ms);
    let until = if n.stop_ms <= s.duration_ms { format!("`stop_ms` {end}") } else { format!("`duration_ms` {end}") };
    out.push(
        Problem::new(
            "nemesis.interval_ms",
            format!(
                "[nemesis] may draw up to {faults} faults (one every {} ms, the least `interval_ms`, from `start_ms` \
                 {} to {until}), about {} MB: the most is {MAX_NEMESIS_FAULTS}; raise `interval_ms` or set `stop_ms`",
                n.interval_ms.0.max(1),
                n.start_ms,
                mb(faults.saturating_mul(NEMESIS_FAULT_BYTES))
            ),
        )
        .or_at("nemesis"),
    );
}
