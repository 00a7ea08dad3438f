//! `FutureProducer` and `FutureRecord`: each send is in flight on its own until its delivery
//! future resolves.
// rdkafka's delivery results carry the whole message back: their shape is the API's.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;

use super::config::{ClientConfig, FromClientConfig};
use super::error::{KafkaError, KafkaResult};
use super::message::{Message, OwnedHeaders, OwnedMessage, Timestamp, ToBytes};
use super::util::Timeout;
use crate::app::service::hub::{current, CallFuture, HubState, Payload};
use crate::client::driver::{Answer, Step};

/// A record to send.
#[derive(Debug)]
pub struct FutureRecord<'a, K: ?Sized, P: ?Sized> {
    /// Topic.
    pub topic: &'a str,
    /// Partition (`None`: the partitioner's choice).
    pub partition: Option<i32>,
    /// Payload.
    pub payload: Option<&'a P>,
    /// Key.
    pub key: Option<&'a K>,
    /// Timestamp.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Option<OwnedHeaders>,
}

impl<'a, K: ToBytes + ?Sized, P: ToBytes + ?Sized> FutureRecord<'a, K, P> {
    /// A record for `topic`.
    pub fn to(topic: &'a str) -> Self {
        FutureRecord { topic, partition: None, payload: None, key: None, timestamp: None, headers: None }
    }
    /// With this payload.
    pub fn payload(mut self, payload: &'a P) -> Self {
        self.payload = Some(payload);
        self
    }
    /// With this key.
    pub fn key(mut self, key: &'a K) -> Self {
        self.key = Some(key);
        self
    }
    /// To this partition.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }
    /// With this timestamp.
    pub fn timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }
    /// With these headers.
    pub fn headers(mut self, headers: OwnedHeaders) -> Self {
        self.headers = Some(headers);
        self
    }
}

/// Where a delivered message stands (rdkafka 0.38+; before, a `(partition, offset)` tuple).
#[derive(Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The partition the message was delivered to.
    pub partition: i32,
    /// Its offset there.
    pub offset: i64,
    /// Its timestamp (the producer's `CreateTime`).
    pub timestamp: Timestamp,
}

/// A send's outcome: where the message was delivered, or the error and the message.
pub type OwnedDeliveryResult = Result<Delivery, (KafkaError, OwnedMessage)>;

/// What every producer does.
pub trait Producer {
    /// Send what lingers now. In the simulation it does not block: the delivery futures say
    /// when each record is resolved.
    fn flush<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()>;
}

/// A producer of a service: one of the service's `[[producer]]` tables.
#[derive(Debug, Clone)]
pub struct FutureProducer {
    st: Arc<Mutex<HubState>>,
    port: usize,
    table: usize,
}

impl FromClientConfig for FutureProducer {
    fn from_config(config: &ClientConfig) -> KafkaResult<Self> {
        let st = current().ok_or_else(|| {
            KafkaError::ClientCreation("a FutureProducer is created inside a service's code only".into())
        })?;
        let (port, table) = {
            let mut s = st.lock();
            let free = |s: &HubState, i: usize| !s.ports[i].created;
            let n = s.producers.len();
            let pick = match config.get("client.id") {
                Some(id) if s.producers.iter().any(|p| p.name == id) => s.producers.iter().position(|p| p.name == id),
                _ => (0..n).find(|&i| free(&s, i)),
            };
            let Some(table) = pick else {
                return Err(KafkaError::ClientCreation(format!(
                    "the service owns {n} [[producer]] table(s), and each has its producer already"
                )));
            };
            s.ports[table].created = true;
            (table, table)
        };
        Ok(FutureProducer { st, port, table })
    }
}

impl FutureProducer {
    /// Send `record`; the future resolves with its (partition, offset) once acknowledged.
    pub async fn send<K, P, T>(&self, record: FutureRecord<'_, K, P>, queue_timeout: T) -> OwnedDeliveryResult
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
        T: Into<Timeout>,
    {
        let _ = queue_timeout.into();
        match self.send_result(record) {
            Ok(f) => f.await.unwrap_or_else(|_| Err((KafkaError::Canceled, empty()))),
            Err((e, r)) => Err((e, owned(&r, -1, -1))),
        }
    }

    /// Hand `record` over: its delivery future, or the error at once.
    #[allow(clippy::result_large_err)]
    pub fn send_result<'a, K, P>(
        &self,
        record: FutureRecord<'a, K, P>,
    ) -> Result<DeliveryFuture, (KafkaError, FutureRecord<'a, K, P>)>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        let (index, partition, msg) = {
            let s = self.st.lock();
            let t = &s.producers[self.table];
            if record.topic != t.topic {
                let e = KafkaError::MessageProduction(crate::error::KafkaError::NotLeaderOrFollower);
                return Err((e, record));
            }
            let partition = match record.partition {
                Some(p) if p < 0 || p as u32 >= t.partitions => {
                    let e = KafkaError::MessageProduction(crate::error::KafkaError::NotLeaderOrFollower);
                    return Err((e, record));
                }
                Some(p) => Some(p as u32),
                None => record.key.map(|k| {
                    let h = crate::client::producer::murmur2(k.to_bytes());
                    ((h & 0x7fff_ffff) as u32) % t.partitions
                }),
            };
            let mut run = s.run.lock();
            let next = run.next_record.entry(t.index).or_insert(0);
            if *next >= t.records {
                let e = KafkaError::MessageProduction(crate::error::KafkaError::DeliveryTimeout);
                return Err((e, record));
            }
            let index = *next;
            *next += 1;
            let payload = Payload {
                key: record.key.map(|k| k.to_bytes().to_vec()),
                value: record.payload.map(|p| p.to_bytes().to_vec()),
                headers: record.headers.clone().map(|h| h.list).unwrap_or_default(),
                timestamp: record.timestamp,
            };
            run.payloads.insert((t.index, index), payload);
            (index, partition, owned(&record, -1, -1))
        };
        let call =
            CallFuture { st: self.st.clone(), port: self.port, step: Some(Step::Produce(index, partition)), id: 0 };
        Ok(DeliveryFuture { st: self.st.clone(), port: self.port, index, call: Some(call), msg: Some(msg) })
    }
}

impl Producer for FutureProducer {
    fn flush<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        self.st.lock().call(self.port, Step::Flush);
        Ok(())
    }
}

fn owned<K: ToBytes + ?Sized, P: ToBytes + ?Sized>(
    r: &FutureRecord<'_, K, P>,
    partition: i32,
    offset: i64,
) -> OwnedMessage {
    OwnedMessage {
        key: r.key.map(|k| k.to_bytes().to_vec()),
        payload: r.payload.map(|p| p.to_bytes().to_vec()),
        topic: r.topic.to_string(),
        partition,
        offset,
        timestamp: r.timestamp.map_or(Timestamp::NotAvailable, Timestamp::CreateTime),
        headers: r.headers.clone(),
    }
}

fn empty() -> OwnedMessage {
    OwnedMessage {
        key: None,
        payload: None,
        topic: String::new(),
        partition: -1,
        offset: -1,
        timestamp: Timestamp::NotAvailable,
        headers: None,
    }
}

/// The outcome of one send, once its record is acknowledged or has failed.
#[derive(Debug)]
pub struct DeliveryFuture {
    st: Arc<Mutex<HubState>>,
    port: usize,
    index: u32,
    call: Option<CallFuture>,
    msg: Option<OwnedMessage>,
}

impl std::fmt::Debug for CallFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallFuture")
    }
}

/// The delivery future's error: the send was canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canceled;

impl Future for DeliveryFuture {
    type Output = Result<OwnedDeliveryResult, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(call) = this.call.as_mut() {
            match Pin::new(call).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Answer::Outcome(Err(e))) => {
                    this.call = None;
                    let m = this.msg.take().unwrap_or_else(empty);
                    return Poll::Ready(Ok(Err((KafkaError::MessageProduction(e), m))));
                }
                Poll::Ready(_) => this.call = None,
            }
        }
        let mut s = this.st.lock();
        let p = &mut s.ports[this.port];
        match p.deliveries.remove(&this.index) {
            Some(r) => {
                drop(s);
                let run = this.st.lock().run.clone();
                let m = this.msg.take().unwrap_or_else(empty);
                Poll::Ready(Ok(match r {
                    Ok((partition, offset)) => Ok(Delivery {
                        partition: run.lock().partition_name(partition).1,
                        offset,
                        timestamp: m.timestamp(),
                    }),
                    Err(e) => Err((KafkaError::MessageProduction(e), m)),
                }))
            }
            None => {
                p.delivery_wakers.insert(this.index, cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
