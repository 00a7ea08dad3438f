//! Pieces of a finding's story written straight into its string: a number without the
//! formatting machinery, a partition's name without a `String` of its own. A story with a
//! dozen events writes some fifty numbers; through `write!` they were most of its cost.

use crate::record::History;

/// Append `n` in decimal, as `Display` writes it.
pub(crate) fn push_num(s: &mut String, n: impl Into<u64>) {
    let mut n: u64 = n.into();
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits, pushed as chars: no UTF-8 validation of the buffer.
    for &d in &buf[at..] {
        s.push(char::from(d));
    }
}

/// Append a partition's name (`orders/0`, as `FinalPartition::name` spells it), tolerating an
/// index the history does not have (`partition7`). `index::partition_name` returns it as a
/// `String`.
pub(crate) fn push_partition(s: &mut String, history: &History, partition: u32) {
    match history.partitions.get(partition as usize) {
        Some(p) => {
            s.push_str(&p.topic);
            s.push('/');
            push_num(s, p.partition);
        }
        None => {
            s.push_str("partition");
            push_num(s, partition);
        }
    }
}

/// Append the separator before item `i` of `len` joined as `a, b and c`.
pub(crate) fn push_and(s: &mut String, i: usize, len: usize) {
    if i > 0 {
        s.push_str(if i + 1 == len { " and " } else { ", " });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for n in [0u64, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX - 1, u64::MAX] {
            let mut s = String::from("x");
            push_num(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn a_partition_is_named_as_reports_spell_it_and_an_unknown_one_by_its_number() {
        let mut history = History::default();
        history.partitions.push(crate::record::FinalPartition {
            topic: "orders".into(),
            partition: 3,
            leader: None,
            leader_epoch: 0,
            isr: Vec::new(),
            replicas: Vec::new(),
        });
        let name = |p: u32| {
            let mut s = String::new();
            push_partition(&mut s, &history, p);
            s
        };
        assert_eq!(name(0), history.partitions[0].name());
        assert_eq!(name(0), "orders/3");
        assert_eq!(name(7), "partition7");
    }

    #[test]
    fn separators_join_items_as_a_list_in_prose() {
        let join = |items: &[&str]| {
            let mut s = String::new();
            for (i, it) in items.iter().enumerate() {
                push_and(&mut s, i, items.len());
                s.push_str(it);
            }
            s
        };
        assert_eq!(join(&["a"]), "a");
        assert_eq!(join(&["a", "b"]), "a and b");
        assert_eq!(join(&["a", "b", "c"]), "a, b and c");
    }
}
