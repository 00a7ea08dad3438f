//! Clients: the producer and the consumer (processors come with transactions).

pub(crate) mod backoff;
pub mod consumer;
pub(crate) mod driver;
pub mod producer;
#[cfg(test)]
mod regressions;
pub(crate) mod transactional;
mod user_producer;

pub use consumer::{Consumer, ConsumerObs, ConsumerTimer};
pub use producer::{Producer, ProducerObs, ProducerTimer};
