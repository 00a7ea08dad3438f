//! The producer's requests in flight, keyed by request id: a short list in id order.
//!
//! A producer has at most `max.in.flight` produce requests out per broker, so the list holds a
//! handful; every drain scans it (per-broker counts, "anything not expired"), and a `Vec`
//! scans several times cheaper than the `BTreeMap` it replaced. Ids only grow, so an insert is
//! a push; order by id is kept anyway, so iteration is the map's.

use crate::record::ReqId;

/// Requests in flight in id order, each with what it carries.
#[derive(Debug, Clone)]
pub(super) struct InFlights<T> {
    list: Vec<(ReqId, T)>,
}

impl<T> Default for InFlights<T> {
    fn default() -> Self {
        InFlights { list: Vec::new() }
    }
}

impl<T> InFlights<T> {
    fn find(&self, req: &ReqId) -> Result<usize, usize> {
        self.list.binary_search_by(|(r, _)| r.cmp(req))
    }

    /// Add `req` (ids come in increasing order; an older one still lands in its place).
    pub fn insert(&mut self, req: ReqId, v: T) {
        match self.list.last() {
            Some((last, _)) if *last >= req => match self.find(&req) {
                Ok(i) => self.list[i].1 = v,
                Err(i) => self.list.insert(i, (req, v)),
            },
            _ => self.list.push((req, v)),
        }
    }

    pub fn get(&self, req: &ReqId) -> Option<&T> {
        self.find(req).ok().map(|i| &self.list[i].1)
    }

    pub fn get_mut(&mut self, req: &ReqId) -> Option<&mut T> {
        self.find(req).ok().map(|i| &mut self.list[i].1)
    }

    pub fn contains_key(&self, req: &ReqId) -> bool {
        self.find(req).is_ok()
    }

    pub fn remove(&mut self, req: &ReqId) -> Option<T> {
        self.find(req).ok().map(|i| self.list.remove(i).1)
    }

    /// Every request and its value, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&ReqId, &T)> {
        self.list.iter().map(|(r, v)| (r, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &ReqId> {
        self.list.iter().map(|(r, _)| r)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.list.iter().map(|(_, v)| v)
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> ReqId {
        ReqId { process: 7, n }
    }

    #[test]
    fn requests_stay_in_id_order_however_they_arrive_and_leave() {
        let mut f = InFlights::default();
        for n in [1, 2, 5, 3, 9, 4] {
            f.insert(id(n), n * 10);
        }
        assert_eq!(f.keys().map(|r| r.n).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 9]);
        assert_eq!(f.remove(&id(3)), Some(30));
        assert_eq!(f.remove(&id(3)), None);
        assert_eq!(f.get(&id(9)), Some(&90));
        *f.get_mut(&id(4)).unwrap() = 41;
        f.insert(id(5), 51);
        assert_eq!(f.iter().map(|(r, v)| (r.n, *v)).collect::<Vec<_>>(), [(1, 10), (2, 20), (4, 41), (5, 51), (9, 90)]);
        assert!(f.contains_key(&id(1)) && !f.contains_key(&id(6)));
        assert_eq!(f.values().copied().collect::<Vec<_>>(), [10, 20, 41, 51, 90]);
        f.clear();
        assert_eq!(f.values().count(), 0);
    }
}
