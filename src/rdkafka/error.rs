//! rdkafka's error types.

/// A Kafka error code (the model's codes; rdkafka's enum spells a few of them differently).
pub type RDKafkaErrorCode = crate::error::KafkaError;

/// What a configuration check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RDKafkaConfRes {
    /// Unknown configuration name.
    Unknown,
    /// Invalid configuration value.
    Invalid,
    /// Configuration okay.
    Ok,
}

/// rdkafka's error: which operation failed, with Kafka's code or a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KafkaError {
    /// A configuration key or value is wrong: (result, description, key, value).
    ClientConfig(RDKafkaConfRes, String, String, String),
    /// The client could not be created.
    ClientCreation(String),
    /// An offset commit failed.
    ConsumerCommit(RDKafkaErrorCode),
    /// Consuming a message failed.
    MessageConsumption(RDKafkaErrorCode),
    /// Producing a message failed.
    MessageProduction(RDKafkaErrorCode),
    /// A subscription failed.
    Subscription(String),
    /// A flush failed.
    Flush(RDKafkaErrorCode),
    /// The operation was canceled (its client's service is over).
    Canceled,
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KafkaError::ClientConfig(_, desc, ..) => write!(f, "Client config error: {desc}"),
            KafkaError::ClientCreation(e) => write!(f, "Client creation error: {e}"),
            KafkaError::ConsumerCommit(e) => write!(f, "Consumer commit error: {e:?}"),
            KafkaError::MessageConsumption(e) => write!(f, "Message consumption error: {e:?}"),
            KafkaError::MessageProduction(e) => write!(f, "Message production error: {e:?}"),
            KafkaError::Subscription(e) => write!(f, "Subscription error: {e}"),
            KafkaError::Flush(e) => write!(f, "Flush error: {e:?}"),
            KafkaError::Canceled => f.write_str("Operation canceled"),
        }
    }
}

impl std::error::Error for KafkaError {}

/// rdkafka's result.
pub type KafkaResult<T> = Result<T, KafkaError>;
