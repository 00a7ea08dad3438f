//! `TopicPartitionList` and `Offset`: partitions with offsets, as `commit`, `seek`,
//! `position` and `send_offsets_to_transaction` take and give them.

use std::collections::HashMap;

use super::error::{KafkaError, KafkaResult, RDKafkaErrorCode};

/// An offset, as rdkafka names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// The beginning of the partition.
    Beginning,
    /// The end of the partition.
    End,
    /// The committed offset.
    Stored,
    /// No offset.
    Invalid,
    /// This offset.
    Offset(i64),
    /// This many before the end.
    OffsetTail(i64),
}

impl Offset {
    /// The offset as a number, if it is one.
    pub fn to_raw(self) -> Option<i64> {
        match self {
            Offset::Offset(o) => Some(o),
            _ => None,
        }
    }
}

/// One partition of a list, with its offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitionListElem {
    topic: String,
    partition: i32,
    offset: Offset,
}

impl TopicPartitionListElem {
    /// Its topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Its partition.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// Its offset.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// Per-partition error: none in the simulation's lists.
    pub fn error(&self) -> KafkaResult<()> {
        Ok(())
    }
}

/// A list of topic partitions with offsets (in the order they were added, as librdkafka keeps them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicPartitionList {
    list: Vec<TopicPartitionListElem>,
}

impl TopicPartitionList {
    /// An empty list.
    pub fn new() -> Self {
        TopicPartitionList::default()
    }

    /// An empty list with room for `capacity` partitions.
    pub fn with_capacity(capacity: usize) -> Self {
        TopicPartitionList { list: Vec::with_capacity(capacity) }
    }

    /// A list of these partitions and offsets.
    pub fn from_topic_map(map: &HashMap<(String, i32), Offset>) -> KafkaResult<Self> {
        let mut keys: Vec<&(String, i32)> = map.keys().collect();
        keys.sort();
        let mut tpl = TopicPartitionList::with_capacity(keys.len());
        for k in keys {
            tpl.add_partition_offset(&k.0, k.1, map[k])?;
        }
        Ok(tpl)
    }

    /// Add `topic`/`partition` (offset [`Offset::Invalid`]), or find it if listed.
    pub fn add_partition(&mut self, topic: &str, partition: i32) -> TopicPartitionListElem {
        if let Some(e) = self.find_partition(topic, partition) {
            return e;
        }
        let e = TopicPartitionListElem { topic: topic.to_string(), partition, offset: Offset::Invalid };
        self.list.push(e.clone());
        e
    }

    /// Add the partitions `range` of `topic`.
    pub fn add_partition_range(&mut self, topic: &str, start: i32, stop: i32) {
        for p in start..=stop {
            self.add_partition(topic, p);
        }
    }

    /// Add `topic`/`partition` at `offset` (or set its offset if listed).
    pub fn add_partition_offset(&mut self, topic: &str, partition: i32, offset: Offset) -> KafkaResult<()> {
        self.add_partition(topic, partition);
        self.set_partition_offset(topic, partition, offset)
    }

    /// Set the offset of a listed partition.
    pub fn set_partition_offset(&mut self, topic: &str, partition: i32, offset: Offset) -> KafkaResult<()> {
        match self.list.iter_mut().find(|e| e.topic == topic && e.partition == partition) {
            Some(e) => {
                e.offset = offset;
                Ok(())
            }
            None => Err(KafkaError::SetPartitionOffset(RDKafkaErrorCode::UnknownTopicOrPartition)),
        }
    }

    /// Set every partition's offset.
    pub fn set_all_offsets(&mut self, offset: Offset) -> KafkaResult<()> {
        self.list.iter_mut().for_each(|e| e.offset = offset);
        Ok(())
    }

    /// The listed `topic`/`partition`, if any.
    pub fn find_partition(&self, topic: &str, partition: i32) -> Option<TopicPartitionListElem> {
        self.list.iter().find(|e| e.topic == topic && e.partition == partition).cloned()
    }

    /// How many partitions it lists.
    pub fn count(&self) -> usize {
        self.list.len()
    }

    /// The partitions it lists.
    pub fn elements(&self) -> Vec<TopicPartitionListElem> {
        self.list.clone()
    }

    /// The partitions of `topic` it lists.
    pub fn elements_for_topic(&self, topic: &str) -> Vec<TopicPartitionListElem> {
        self.list.iter().filter(|e| e.topic == topic).cloned().collect()
    }

    /// Partitions and offsets as a map.
    pub fn to_topic_map(&self) -> HashMap<(String, i32), Offset> {
        self.list.iter().map(|e| ((e.topic.clone(), e.partition), e.offset)).collect()
    }
}
