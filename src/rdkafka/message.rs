//! Messages and headers. A consumed message carries the checker's record identity in the
//! header [`RECORD_HEADER`] (`p1#17`).

/// The header that names the record the checker judges (`NAME#I`).
pub const RECORD_HEADER: &str = "kafkasim.record";

/// A message's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// None.
    NotAvailable,
    /// Set by the producer.
    CreateTime(i64),
    /// Set by the broker.
    LogAppendTime(i64),
}

impl Timestamp {
    /// The time in ms, if any.
    pub fn to_millis(self) -> Option<i64> {
        match self {
            Timestamp::NotAvailable => None,
            Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) => Some(t),
        }
    }
}

/// One header: a key and maybe a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a, V> {
    /// Its key.
    pub key: &'a str,
    /// Its value.
    pub value: Option<V>,
}

/// Read access to a message's headers.
pub trait Headers {
    /// How many there are.
    fn count(&self) -> usize;
    /// Header `idx`, if any.
    fn try_get(&self, idx: usize) -> Option<Header<'_, &[u8]>>;
    /// Header `idx`.
    ///
    /// # Panics
    ///
    /// When `idx` is not below [`Headers::count`], as rdkafka does.
    fn get(&self, idx: usize) -> Header<'_, &[u8]> {
        self.try_get(idx).expect("header index out of bounds")
    }
}

/// Headers a message owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedHeaders {
    pub(crate) list: Vec<(String, Option<Vec<u8>>)>,
}

impl OwnedHeaders {
    /// No headers.
    pub fn new() -> Self {
        OwnedHeaders::default()
    }

    /// The same headers and `header`.
    pub fn insert<V: ToBytes + ?Sized>(mut self, header: Header<'_, &V>) -> Self {
        self.list.push((header.key.to_string(), header.value.map(|v| v.to_bytes().to_vec())));
        self
    }
}

impl Headers for OwnedHeaders {
    fn count(&self) -> usize {
        self.list.len()
    }

    fn try_get(&self, idx: usize) -> Option<Header<'_, &[u8]>> {
        self.list.get(idx).map(|(k, v)| Header { key: k.as_str(), value: v.as_deref() })
    }
}

/// What can be a key or a payload.
pub trait ToBytes {
    /// Its bytes.
    fn to_bytes(&self) -> &[u8];
}

impl ToBytes for [u8] {
    fn to_bytes(&self) -> &[u8] {
        self
    }
}
impl ToBytes for str {
    fn to_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl ToBytes for String {
    fn to_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl ToBytes for Vec<u8> {
    fn to_bytes(&self) -> &[u8] {
        self
    }
}
impl ToBytes for () {
    fn to_bytes(&self) -> &[u8] {
        &[]
    }
}

/// A Kafka message.
pub trait Message {
    /// Its headers' type.
    type Headers: Headers;
    /// The key.
    fn key(&self) -> Option<&[u8]>;
    /// The payload.
    fn payload(&self) -> Option<&[u8]>;
    /// The topic.
    fn topic(&self) -> &str;
    /// The partition.
    fn partition(&self) -> i32;
    /// The offset.
    fn offset(&self) -> i64;
    /// The timestamp.
    fn timestamp(&self) -> Timestamp;
    /// The headers.
    fn headers(&self) -> Option<&Self::Headers>;
}

/// A message the caller owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) payload: Option<Vec<u8>>,
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) timestamp: Timestamp,
    pub(crate) headers: Option<OwnedHeaders>,
}

impl Message for OwnedMessage {
    type Headers = OwnedHeaders;
    fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }
    fn payload(&self) -> Option<&[u8]> {
        self.payload.as_deref()
    }
    fn topic(&self) -> &str {
        &self.topic
    }
    fn partition(&self) -> i32 {
        self.partition
    }
    fn offset(&self) -> i64 {
        self.offset
    }
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    fn headers(&self) -> Option<&OwnedHeaders> {
        self.headers.as_ref()
    }
}

/// A message a consumer handed out (rdkafka's borrows the consumer; this one holds a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BorrowedMessage<'a> {
    pub(crate) msg: OwnedMessage,
    pub(crate) _consumer: std::marker::PhantomData<&'a ()>,
}

impl BorrowedMessage<'_> {
    /// An owned copy.
    pub fn detach(&self) -> OwnedMessage {
        self.msg.clone()
    }
}

impl Message for BorrowedMessage<'_> {
    type Headers = OwnedHeaders;
    fn key(&self) -> Option<&[u8]> {
        self.msg.key()
    }
    fn payload(&self) -> Option<&[u8]> {
        self.msg.payload()
    }
    fn topic(&self) -> &str {
        self.msg.topic()
    }
    fn partition(&self) -> i32 {
        self.msg.partition()
    }
    fn offset(&self) -> i64 {
        self.msg.offset()
    }
    fn timestamp(&self) -> Timestamp {
        self.msg.timestamp()
    }
    fn headers(&self) -> Option<&OwnedHeaders> {
        self.msg.headers()
    }
}
