//! The rules of `client = "librdkafka"`: what librdkafka itself refuses (`rd_kafka_conf_finalize`)
//! where it differs from Java, and what the model does not cover for a librdkafka client.

use super::{key_path, Problem};
use crate::scenario::keys::{self, librdkafka};
use crate::scenario::model::{ClientKind, CommitMode, ConsumerSpec, GroupProtocol, ProducerSpec};

/// A librdkafka producer at `here`: `message.timeout.ms` above `linger.ms` (librdkafka: "must be
/// greater than `linger.ms`"; Java's floor of linger.ms + request.timeout.ms does not apply),
/// and no `transactional.id` (librdkafka's transactions are not modelled).
pub(super) fn producer(p: &ProducerSpec, here: &str, out: &mut Vec<Problem>) {
    let config = format!("{here}.config");
    let c = &p.config;
    if c.transactional_id.is_some() {
        out.push(Problem::new(
            key_path(&config, keys::TRANSACTIONAL_ID.name),
            "transactions of a librdkafka producer are not modelled: use client = \"java\" for a transactional \
             producer",
        ));
    }
    if c.delivery_timeout_ms <= c.linger_ms {
        out.push(Problem::new(
            key_path(&config, keys::DELIVERY_TIMEOUT_MS.name),
            format!(
                "`{}` ({}) must be greater than `linger.ms` ({}) (librdkafka: `message.timeout.ms` must be greater \
                 than `linger.ms`)",
                librdkafka::MESSAGE_TIMEOUT_MS.name,
                c.delivery_timeout_ms,
                c.linger_ms
            ),
        ));
    }
}

/// Consumer `c` at `here`: `enable.auto.offset.store` = false only on a librdkafka consumer that
/// auto-commits (with a manual commit the built-in loop commits what `poll()` handed out, as
/// `rd_kafka_commit(rk, NULL, 0)` commits the stored offsets of auto offset store), and a
/// librdkafka consumer stays on the classic group protocol (its KIP-848 client is not modelled).
pub(super) fn consumer(c: &ConsumerSpec, here: &str, out: &mut Vec<Problem>) {
    let config = format!("{here}.config");
    let store = librdkafka::ENABLE_AUTO_OFFSET_STORE.name;
    if !c.config.enable_auto_offset_store {
        let why = match (c.client, c.commit) {
            (ClientKind::Java, _) => librdkafka::java_refuses(store),
            (ClientKind::Librdkafka, CommitMode::Auto) => None,
            (ClientKind::Librdkafka, manual) => Some(format!(
                "`{store}` = false is modelled with commit = \"auto\" (the application stores each offset after \
                 processing, the timer commits it); with commit = \"{}\" leave it true",
                manual.as_str()
            )),
        };
        if let Some(m) = why {
            out.push(Problem::new(key_path(&config, store), m));
        }
    }
    if c.client == ClientKind::Librdkafka && c.config.group_protocol == GroupProtocol::Consumer {
        out.push(Problem::new(
            key_path(&config, keys::GROUP_PROTOCOL.name),
            format!(
                "`{}` = \"consumer\" (KIP-848) is not modelled for a librdkafka consumer: use \"classic\"",
                keys::GROUP_PROTOCOL.name
            ),
        ));
    }
}
