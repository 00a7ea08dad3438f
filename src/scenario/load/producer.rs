//! Every `[[producer]]` and its `[producer.config]`, with Kafka's idempotence derivation (which
//! depends on what the file wrote, so it is the loader's).

use super::{Cx, Tab, R};
use crate::scenario::keys::{self, PRODUCER};
use crate::scenario::model::{Acks, ClientKind, ProducerConfig, ProducerSpec};
use crate::scenario::spell::{delivery_timeout_floor, MAX_IN_FLIGHT_FOR_IDEMPOTENCE, ON_RESTART};
use crate::scenario::validate::not_transactional;

pub(super) const PRODUCER_KEYS: &[&str] = &[
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
    "client",
];

/// A client name already given, for the uniqueness check: producers, consumers and processors
/// share one namespace, since triggers name clients.
pub(super) type Taken = std::collections::BTreeMap<String, TakenName>;

/// Who took a client name, and where.
pub(super) struct TakenName {
    pub(super) kind: &'static str,
    pub(super) at: usize,
}

impl Cx<'_> {
    /// Every `[[producer]]`; their names join `taken`. `txn_max` bounds transaction timeouts.
    pub(super) fn producers(&self, root: &Tab<'_>, txn_max: u64, taken: &mut Taken) -> R<Vec<ProducerSpec>> {
        let mut producers: Vec<ProducerSpec> = Vec::new();
        let Some(f) = root.get("producer") else {
            return Ok(producers);
        };
        let tables = self.tables(f, "[[producer]]")?;
        if let Some(m) = crate::scenario::validate::too_many_producers(tables.len()) {
            // Refused before any is read: a 16 MiB file holds 300,000 of them.
            return Err(self.err(tables[crate::scenario::validate::MAX_PRODUCERS as usize].at, m));
        }
        for (i, t) in tables.iter().enumerate() {
            let here = format!("producer[{i}]");
            self.check_keys(t, PRODUCER_KEYS)?;
            self.note_table(&here, t);
            let name = self.client_name(t, &here, "producer", taken)?;
            let topic_f = self.required(t, "topic")?;
            self.note(&format!("{here}.topic"), topic_f);
            let topic = self.string(topic_f)?;
            let records = self.u32_in(self.required(t, "records")?, 0, i64::from(u32::MAX))?;
            let mut p = ProducerSpec::new(name, topic, records);
            p.client = self.client_kind(t, &here)?;
            p.config = ProducerConfig::for_client(p.client, self.version.get());
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
                let c = self.table(f, "[producer.config]")?;
                p.config = match p.client {
                    ClientKind::Java => self.producer_config(&c, &here, txn_max)?,
                    ClientKind::Librdkafka => self.librdkafka_producer_config(&c, &here, txn_max)?,
                };
            }
            // The transactional workload needs a transactional producer.
            if p.config.transactional_id.is_none() {
                let keys = [t.get("transaction_records"), t.get("abort_every")];
                if let Some(f) = keys.into_iter().flatten().min_by_key(|f| f.key_at) {
                    return Err(self.err(f.key_at, not_transactional(f.key, name)));
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

    /// `[producer.config]` of the producer at `here`, then the Java client's derivations: an
    /// idempotence the file did not ask for is switched off silently when acks or retries
    /// forbid it, and the default `delivery.timeout.ms` is raised to its floor.
    fn producer_config(&self, t: &Tab<'_>, here: &str, txn_max: u64) -> R<ProducerConfig> {
        let mut c = ProducerConfig::for_version(self.version.get());
        let path = format!("{here}.config");
        let extra = keys::librdkafka::PRODUCER;
        self.client_config(t, &path, ClientKind::Java, PRODUCER, extra, &mut c, txn_max)?;
        let transactional = c.transactional_id.is_some();

        // Without a transactional.id the timeout means nothing.
        if let (false, Some(f)) = (transactional, t.get(keys::TRANSACTION_TIMEOUT_MS.name)) {
            return Err(self.err(
                f.key_at,
                format!(
                    "`{}` applies to transactional producers; set \"{}\" too",
                    keys::TRANSACTION_TIMEOUT_MS.name,
                    keys::TRANSACTIONAL_ID.name
                ),
            ));
        }

        // ProducerConfig.postProcessAndValidateIdempotenceConfigs (Kafka 4.x): idempotence is on
        // by default; a conflict turns it off silently unless it was asked for explicitly, except
        // max.in.flight > 5, which is an error whenever idempotence is on. A transactional.id
        // needs idempotence: with it, a conflict is an error too (Kafka turns idempotence off,
        // then rejects the transactional.id). An explicit request is checked by `validate`.
        let explicit = t.get(keys::ENABLE_IDEMPOTENCE.name).is_some();
        if !self.version.get().strong_producer_defaults() && self.version.get().idempotence() {
            // Before 3.0 (ProducerConfig.idempotenceEnabled, KafkaProducer.configureAcks and
            // configureRetries in 2.x): idempotence is off unless asked for or implied by a
            // transactional.id, and then acks and retries default to all and Integer.MAX_VALUE.
            if transactional || (explicit && c.enable_idempotence) {
                c.enable_idempotence = !explicit || c.enable_idempotence;
                if t.get(keys::ACKS.name).is_none() {
                    c.acks = Acks::All;
                }
                if t.get(keys::RETRIES.name).is_none() {
                    c.retries = i32::MAX as u32;
                }
            }
        }
        if c.enable_idempotence && !explicit {
            let at = |k: &keys::ConfigKey| t.get(k.name).map_or(t.at, |f| f.at);
            let no_txn = "(Kafka: Cannot set a transactional.id without also enabling idempotence)";
            let requires = format!(
                "a transactional producer (\"{}\" is set) is idempotent and requires",
                keys::TRANSACTIONAL_ID.name
            );
            if transactional && c.retries == 0 {
                return Err(self.err(at(&keys::RETRIES), format!("{requires} retries > 0 {no_txn}")));
            }
            if transactional && c.acks != Acks::All {
                return Err(self.err(at(&keys::ACKS), format!("{requires} acks=all, found acks={} {no_txn}", c.acks)));
            }
            if c.max_in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE {
                let why = if transactional {
                    requires.clone()
                } else {
                    format!(
                        "the idempotent producer (on by default; set \"{}\" = false to turn it off) requires",
                        keys::ENABLE_IDEMPOTENCE.name
                    )
                };
                return Err(self.err(
                    at(&keys::MAX_IN_FLIGHT),
                    format!(
                        "{why} max.in.flight.requests.per.connection <= {MAX_IN_FLIGHT_FOR_IDEMPOTENCE}, found {} \
                         (Kafka: To use the idempotent producer, max.in.flight.requests.per.connection must be set \
                         to at most 5)",
                        c.max_in_flight
                    ),
                ));
            }
            if c.retries == 0 || c.acks != Acks::All {
                c.enable_idempotence = false;
            }
        }

        // KafkaProducer.configureDeliveryTimeout: the default is raised to linger.ms +
        // request.timeout.ms; a written value below it is `validate`'s error.
        if t.get(keys::DELIVERY_TIMEOUT_MS.name).is_none() {
            c.delivery_timeout_ms =
                c.delivery_timeout_ms.max(delivery_timeout_floor(c.linger_ms, c.request_timeout_ms));
        }
        Ok(c)
    }

    /// The `name` of the client table `t` at `here` (`kind` is "producer", "consumer" or
    /// "processor"): usable, and unique among `taken`, which it then joins. A name given twice is
    /// reported at the later of the two.
    pub(super) fn client_name<'a>(&self, t: &Tab<'a>, here: &str, kind: &'static str, taken: &mut Taken) -> R<&'a str> {
        let name_f = self.required(t, "name")?;
        self.note(&format!("{here}.name"), name_f);
        let name = self.string(name_f)?;
        if let Some(m) = crate::scenario::validate::bad_client_name(name, kind) {
            return Err(self.err(name_f.at, m));
        }
        if let Some(first) = taken.get(name) {
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
        taken.insert(name.to_string(), TakenName { kind, at: name_f.at });
        Ok(name)
    }
}
