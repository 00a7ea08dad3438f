//! Messages in transit, kept out of the event queue: a queued delivery holds a 4-byte id, so
//! the queue's events stay small (every event is moved several times between the queue's slab
//! and its handler; whole messages made each move six 16-byte copies, whose reads stalled on
//! store forwarding). A message is written here once when sent and taken once when delivered.

/// An id of a message in transit, valid until it is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailId(u32);

/// A slab of messages in transit, with its free slots.
#[derive(Debug)]
pub struct Mail<M> {
    slots: Vec<Option<M>>,
    free: Vec<u32>,
}

impl<M> Default for Mail<M> {
    fn default() -> Self {
        Mail { slots: Vec::new(), free: Vec::new() }
    }
}

impl<M> Mail<M> {
    /// Keep `msg` until it is taken.
    #[inline]
    pub fn put(&mut self, msg: M) -> MailId {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(msg);
                MailId(i)
            }
            None => {
                self.slots.push(Some(msg));
                MailId(u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 messages in transit"))
            }
        }
    }

    /// The message `id` names; its slot is free again.
    #[inline]
    pub fn take(&mut self, id: MailId) -> M {
        let msg = self.slots[id.0 as usize].take().expect("a message in transit is taken once");
        self.free.push(id.0);
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_comes_back_once_and_its_slot_is_reused() {
        let mut m = Mail::default();
        let a = m.put("a");
        let b = m.put("b");
        assert_eq!(m.take(a), "a");
        let c = m.put("c");
        assert_eq!(c, a, "the freed slot is reused");
        assert_eq!((m.take(b), m.take(c)), ("b", "c"));
        assert_eq!(m.slots.len(), 2);
    }
}
