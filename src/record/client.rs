//! Whose client library a producer or consumer is: the Java client (Kafka's own) or librdkafka
//! (the C client under confluent-kafka-python, -go, -dotnet and others). The checker reads it
//! from the history, because a librdkafka consumer's auto-commit promises less than Java's.

/// `client = "java" | "librdkafka"` on a `[[producer]]` or `[[consumer]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ClientKind {
    /// Kafka's Java client (`KafkaProducer`, `KafkaConsumer`): the default.
    #[default]
    Java,
    /// librdkafka: its config defaults, and its consumer's background auto-commit of stored
    /// offsets (docs/consumer-semantics.md, "librdkafka's auto-commit").
    Librdkafka,
}

impl ClientKind {
    /// The spelling used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Java => "java",
            ClientKind::Librdkafka => "librdkafka",
        }
    }
}
