//! Which partition a keyed record of a service goes to: the default partitioner of the
//! producer table's client library.
//!
//! - Java (`BuiltInPartitioner.partitionForKey`): murmur2 of the key, positive, modulo the
//!   partition count.
//! - librdkafka (`partitioner=consistent_random`, its default; `rd_kafka_msg_partitioner_consistent`):
//!   CRC-32 of the key modulo the partition count. An empty key counts as none there
//!   (`consistent_random` picks at random); here a record without key goes to the producer's
//!   sticky partition, as for Java.

use crate::record::ClientKind;

/// The partition of a record with `key` among `partitions`, by `client`'s default partitioner;
/// `None` when the partitioner does not decide by key.
pub(crate) fn key_partition(client: ClientKind, key: &[u8], partitions: u32) -> Option<u32> {
    let n = partitions.max(1);
    match client {
        ClientKind::Java => Some(((crate::client::producer::murmur2(key) & 0x7fff_ffff) as u32) % n),
        ClientKind::Librdkafka if key.is_empty() => None,
        ClientKind::Librdkafka => Some(crc32(key) % n),
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32` and librdkafka's `rd_crc32`).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn the_two_libraries_place_some_key_on_different_partitions() {
        let differ = (0..100u32).any(|i| {
            let k = format!("key-{i}");
            key_partition(ClientKind::Java, k.as_bytes(), 6) != key_partition(ClientKind::Librdkafka, k.as_bytes(), 6)
        });
        assert!(differ);
    }
}
