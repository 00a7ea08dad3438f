//! The balanced sticky assignment that the cooperative-sticky assignor (on the group leader) and
//! the uniform assignor (on a KIP-848 coordinator) share.

use super::Topology;

/// One member, as an assignor sees it.
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a, I> {
    /// Its id.
    pub id: I,
    /// The topics it subscribes to (indices into [`Topology::topics`]).
    pub topics: &'a [u32],
    /// The partitions it holds now (owned, or its previous target), which it keeps if it can.
    pub held: &'a [u32],
}

impl Topology {
    /// The topic partition `p` belongs to.
    pub fn topic_of(&self, p: u32) -> Option<u32> {
        self.topics.iter().position(|&(_, first, count)| p >= first && p < first + count).map(|t| t as u32)
    }

    /// Every partition of a subscribed topic to one member that subscribes to its topic, each
    /// member getting `partitions / members` or one more. Members claim in the order given: each
    /// keeps what it held and no earlier member claimed, up to its share (the minimum, or one more
    /// while the remainder lasts); each partition left goes to the eligible member with the
    /// fewest, then the first. Deterministic: the same members in the same order give the same
    /// result.
    pub fn balanced_sticky<I: Copy>(&self, members: &[Holder<'_, I>]) -> Vec<(I, Vec<u32>)> {
        let eligible = |m: &Holder<'_, I>, p: u32| self.topic_of(p).is_some_and(|t| m.topics.contains(&t));
        let mut partitions: Vec<u32> = Vec::new();
        for &(_, first, count) in self.topics.iter() {
            partitions.extend((first..first + count).filter(|&p| members.iter().any(|m| eligible(m, p))));
        }
        let n = members.len().max(1);
        let (min, mut extra) = (partitions.len() / n, partitions.len() % n);
        let mut claimed: Vec<u32> = Vec::new();
        let mut result: Vec<(I, Vec<u32>)> = Vec::with_capacity(members.len());
        for m in members {
            let mut kept: Vec<u32> = Vec::new();
            for &p in m.held {
                if partitions.contains(&p) && eligible(m, p) && !claimed.contains(&p) {
                    claimed.push(p);
                    kept.push(p);
                }
            }
            kept.sort_unstable();
            let cap = if kept.len() > min && extra > 0 {
                extra -= 1;
                min + 1
            } else {
                min
            };
            kept.truncate(cap);
            result.push((m.id, kept));
        }
        let assigned: Vec<u32> = result.iter().flat_map(|r| r.1.iter().copied()).collect();
        for p in partitions.iter().copied().filter(|p| !assigned.contains(p)) {
            let best = (0..result.len()).filter(|&i| eligible(&members[i], p)).min_by_key(|&i| (result[i].1.len(), i));
            if let Some(i) = best {
                result[i].1.push(p);
            }
        }
        for r in &mut result {
            r.1.sort_unstable();
        }
        result
    }
}
