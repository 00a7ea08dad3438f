//! librdkafka's own spellings of three keys, accepted only on a client with
//! `client = "librdkafka"`: each sets the same field as the Java key it stands for, so a file may
//! use either name (but not both: librdkafka treats them as one property). A Java client refuses
//! them with a message naming the Java key.

use super::{Binding, ConfigKey, Kind, Val, DELIVERY_TIMEOUT_MS, INT_MAX, LINGER_MS};
use crate::scenario::model::{ConsumerConfig, ProducerConfig};

/// `message.timeout.ms`: librdkafka's name of the delivery timeout (CONFIGURATION.md;
/// `delivery.timeout.ms` is its alias there).
pub static MESSAGE_TIMEOUT_MS: ConfigKey = ConfigKey {
    name: "message.timeout.ms",
    kind: Kind::Int { min: 1, max: INT_MAX },
    doc: "librdkafka's name of `delivery.timeout.ms`: how long a produced message may wait for successful delivery, retries included (librdkafka's 0, infinite, is not modelled).",
};

/// `queue.buffering.max.ms`: librdkafka's name of `linger.ms` (CONFIGURATION.md).
pub static QUEUE_BUFFERING_MAX_MS: ConfigKey = ConfigKey {
    name: "queue.buffering.max.ms",
    kind: Kind::Int { min: 0, max: 900_000 },
    doc: "librdkafka's name of `linger.ms`: how long messages wait in the producer queue to fill a batch.",
};

/// `enable.auto.offset.store`: whether librdkafka stores a message's offset for the next commit
/// when it hands the message to the application (CONFIGURATION.md, INTRODUCTION.md).
pub static ENABLE_AUTO_OFFSET_STORE: ConfigKey = ConfigKey {
    name: "enable.auto.offset.store",
    kind: Kind::Bool,
    doc: "Store each message's offset + 1 for the next commit when the message is handed to the application (`true`, librdkafka's default), or when the application has processed it (`false`: the store-after-processing pattern; only with `commit = \"auto\"`).",
};

/// `[producer.config]` keys of a librdkafka producer only, and the Java key each stands for.
pub static PRODUCER: &[Binding<ProducerConfig>] = &[
    Binding {
        key: &MESSAGE_TIMEOUT_MS,
        get: |c| Some(Val::Int(c.delivery_timeout_ms)),
        set: |c, v| c.delivery_timeout_ms = int(&v),
        default_doc: None,
    },
    Binding {
        key: &QUEUE_BUFFERING_MAX_MS,
        get: |c| Some(Val::Int(c.linger_ms)),
        set: |c, v| c.linger_ms = int(&v),
        default_doc: None,
    },
];

/// `[consumer.config]` keys of a librdkafka consumer only.
pub static CONSUMER: &[Binding<ConsumerConfig>] = &[Binding {
    key: &ENABLE_AUTO_OFFSET_STORE,
    get: |c| Some(Val::Bool(c.enable_auto_offset_store)),
    set: |c, v| c.enable_auto_offset_store = v == Val::Bool(true),
    default_doc: None,
}];

/// Each librdkafka-only key and the key a Java client spells it with (`None`: no Java key).
pub static JAVA_NAMES: &[(&ConfigKey, Option<&ConfigKey>)] = &[
    (&MESSAGE_TIMEOUT_MS, Some(&DELIVERY_TIMEOUT_MS)),
    (&QUEUE_BUFFERING_MAX_MS, Some(&LINGER_MS)),
    (&ENABLE_AUTO_OFFSET_STORE, None),
];

fn int(v: &Val) -> u64 {
    if let Val::Int(n) = v {
        *n
    } else {
        0
    }
}

/// The message when a Java client's config table writes librdkafka-only key `name`, or `None`.
pub fn java_refuses(name: &str) -> Option<String> {
    let (k, java) = JAVA_NAMES.iter().find(|(k, _)| k.name == name)?;
    Some(match java {
        Some(j) => format!(
            "`{}` is librdkafka's name of `{}`: write \"{}\" for the Java client, or set client = \"librdkafka\"",
            k.name, j.name, j.name
        ),
        None => format!(
            "`{}` is a librdkafka setting the Java client does not have; set client = \"librdkafka\" on this client",
            k.name
        ),
    })
}

/// The reference of the librdkafka-only keys, as docs/scenario-format.md holds it.
pub fn reference_table() -> String {
    let mut out = String::from("| Key | Table | Type | Default | Meaning |\n|---|---|---|---|---|\n");
    let p = ProducerConfig::librdkafka();
    let c = ConsumerConfig::librdkafka();
    let rows = PRODUCER
        .iter()
        .map(|b| ("[producer.config]", b.key, (b.get)(&p)))
        .chain(CONSUMER.iter().map(|b| ("[consumer.config]", b.key, (b.get)(&c))));
    for (table, key, default) in rows {
        let default = default.map_or("none".into(), |v| format!("`{}`", v.toml(key)));
        out.push_str(&format!(
            "| `\"{}\"` | `{table}` | {} | {default} | {} |\n",
            key.name,
            key.kind.describe(),
            key.doc
        ));
    }
    out
}
