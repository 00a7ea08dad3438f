//! `client = "java" | "librdkafka"` on a `[[producer]]` or `[[consumer]]`, and the config table of
//! a client of either kind: a Java client refuses librdkafka's own key names with the Java name,
//! a librdkafka client takes them besides the Java ones (one name per property).

use super::config::key_path;
use super::{Cx, Tab, R};
use crate::scenario::keys::{self, librdkafka, Binding};
use crate::scenario::model::{Acks, ClientKind, ProducerConfig};
use crate::scenario::spell::{CLIENTS, MAX_IN_FLIGHT_FOR_IDEMPOTENCE};

impl Cx<'_> {
    /// `client` of client table `t` at `here` (default `java`).
    pub(super) fn client_kind(&self, t: &Tab<'_>, here: &str) -> R<ClientKind> {
        let Some(f) = t.get("client") else { return Ok(ClientKind::Java) };
        self.note(&format!("{here}.client"), f);
        self.choice(f, CLIENTS)
    }

    /// Config table `t` (at `path`) of a `client` client into `c`: the Java `bindings`, and for
    /// librdkafka its own names `extra` too.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn client_config<C>(
        &self,
        t: &Tab<'_>,
        path: &str,
        client: ClientKind,
        bindings: &[Binding<C>],
        extra: &[Binding<C>],
        c: &mut C,
        txn_max: u64,
    ) -> R<()> {
        if client == ClientKind::Java {
            for (k, _) in librdkafka::JAVA_NAMES {
                if let (Some(f), Some(m)) = (t.get(k.name), librdkafka::java_refuses(k.name)) {
                    return Err(self.err(f.key_at, m));
                }
            }
            return self.config_in(t, path, &[bindings], c, txn_max);
        }
        for (k, java) in librdkafka::JAVA_NAMES {
            let (Some(f), Some(j)) = (t.get(k.name), java) else { continue };
            if let Some(g) = t.get(j.name) {
                let later = if f.key_at > g.key_at { f } else { g };
                return Err(self.err(
                    later.key_at,
                    format!("`{}` and `{}` name one librdkafka property (aliases): write one of them", k.name, j.name),
                ));
            }
        }
        self.config_in(t, path, &[bindings, extra], c, txn_max)?;
        // A problem `validate` finds with the Java key points at the librdkafka name written.
        for (k, java) in librdkafka::JAVA_NAMES {
            if let (Some(f), Some(j)) = (t.get(k.name), java) {
                self.note(&key_path(path, j), f);
            }
        }
        Ok(())
    }

    /// `[producer.config]` of a librdkafka producer: librdkafka's defaults, then
    /// `rd_kafka_conf_finalize`'s adjustments for an idempotent producer that the file did not
    /// override: at most 5 requests in flight, `retries` 2147483647 and `acks` all (already the
    /// defaults). A written value that conflicts is `validate`'s error, as it is librdkafka's.
    pub(super) fn librdkafka_producer_config(&self, t: &Tab<'_>, here: &str, txn_max: u64) -> R<ProducerConfig> {
        let mut c = ProducerConfig::librdkafka();
        let path = format!("{here}.config");
        let client = ClientKind::Librdkafka;
        self.client_config(t, &path, client, keys::PRODUCER, librdkafka::PRODUCER, &mut c, txn_max)?;
        if c.enable_idempotence {
            if t.get(keys::MAX_IN_FLIGHT.name).is_none() {
                c.max_in_flight = c.max_in_flight.min(MAX_IN_FLIGHT_FOR_IDEMPOTENCE);
            }
            if t.get(keys::RETRIES.name).is_none() {
                c.retries = i32::MAX as u32;
            }
            if t.get(keys::ACKS.name).is_none() {
                c.acks = Acks::All;
            }
        }
        Ok(c)
    }
}
