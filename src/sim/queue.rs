//! The event queue: a hierarchical timing wheel that pops events in exactly the order of a heap
//! keyed by (virtual time, insertion order), at a constant cost per event.
//!
//! A run keeps thousands of events queued (request timeouts seconds ahead, most of which fire
//! only to be ignored), so a binary heap of whole events spent a quarter of a run sifting them.
//! Here an event is written once into a slab and linked into a FIFO list; the lists hang off
//! eleven wheels of 64 slots, wheel `k` spanning `64^(k+1)` ms around a cursor (the time of the
//! last pop, or the start of the slot last spread). An event lands on the lowest wheel whose
//! span holds both it and the cursor; when the cursor enters a slot of a higher wheel, that
//! slot's list is spread, in order, over the wheels below. A slot of wheel 0 holds one
//! millisecond, so its list is in insertion order: the heap's tie-break, kept without a
//! sequence number. An event queued behind the cursor (possible only after a peek moved it)
//! goes to a small heap that pops first, as it would in the one heap. Lists are doubly linked:
//! a cancelled event (a third of a run's timers are) leaves its list and the slab at once.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Bits of virtual time one wheel covers.
const BITS: u32 = 6;
/// Slots per wheel.
const SLOTS: usize = 1 << BITS;
/// Wheels: enough for every `u64` time (11 × 6 bits ≥ 64).
const LEVELS: usize = 11;
/// The end of a list.
const NIL: u32 = u32::MAX;

/// A queued event, for [`Queue::cancel`]; valid until the event pops or is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle(u32);

/// A queued event in the slab: its time, the next event of its list (or of the free list), the
/// one before it in its list (so a cancel unlinks it at once), and the event (`None` while the
/// node is free).
struct Node<E> {
    at: u64,
    next: u32,
    prev: u32,
    event: Option<E>,
}

/// One slot's FIFO list of slab indices.
#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List { head: NIL, tail: NIL };

/// An event queued behind the cursor: ordered by (time, insertion order), earliest first.
struct Late<E> {
    at: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Late<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Late<E> {}
impl<E> PartialOrd for Late<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Late<E> {
    // BinaryHeap is a max-heap: reverse so the earliest (then first-queued) pops first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Event queue ordered by (virtual time, insertion order): a deterministic tie-break.
pub struct Queue<E> {
    nodes: Vec<Node<E>>,
    /// Head of the free list of `nodes`.
    free: u32,
    /// `LEVELS` wheels of `SLOTS` lists, wheel by wheel.
    lists: Box<[List]>,
    /// Per wheel, which of its slots hold events.
    occupied: [u64; LEVELS],
    /// No event in the wheels is earlier than this.
    cursor: u64,
    /// Events queued behind the cursor: earlier than every event in the wheels.
    late: BinaryHeap<Late<E>>,
    /// Insertion counter (orders `late`).
    seq: u64,
}

impl<E> Default for Queue<E> {
    fn default() -> Self {
        Queue {
            nodes: Vec::new(),
            free: NIL,
            lists: vec![EMPTY; LEVELS * SLOTS].into_boxed_slice(),
            occupied: [0; LEVELS],
            cursor: 0,
            late: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> Queue<E> {
    /// An empty queue with room for `n` events before its slab grows (each growth copies every
    /// queued event).
    pub fn with_capacity(n: usize) -> Self {
        Queue { nodes: Vec::with_capacity(n), ..Queue::default() }
    }

    /// Queue `event` at virtual time `at`; the handle cancels it (an event queued behind the
    /// cursor has none).
    #[inline]
    pub fn push(&mut self, at: u64, event: E) -> Option<Handle> {
        self.seq += 1;
        if at < self.cursor {
            self.late.push(Late { at, seq: self.seq, event });
            return None;
        }
        let i = if self.free == NIL {
            self.nodes.push(Node { at, next: NIL, prev: NIL, event: Some(event) });
            u32::try_from(self.nodes.len() - 1).expect("fewer than 2^32 queued events")
        } else {
            // Reuse a free node in place: no copy of a whole node through the stack.
            let i = self.free;
            let node = &mut self.nodes[i as usize];
            self.free = node.next;
            node.at = at;
            node.event = Some(event);
            i
        };
        self.link(i, at);
        Some(Handle(i))
    }

    /// Take a queued event out: it never pops. Its node leaves its list at once (the others keep
    /// their order) and is free for the next push, so a run that cancels a third of its timers
    /// neither spreads nor pops dead ones.
    pub fn cancel(&mut self, h: Handle) -> Option<E> {
        let i = h.0;
        let node = &mut self.nodes[i as usize];
        let event = node.event.take()?;
        let (at, prev, next) = (node.at, node.prev, node.next);
        // A queued node sits in the slot `link` gives it from the cursor now: the cursor never
        // enters a slot of a higher wheel without spreading it (see `front`).
        let (level, slot) = self.slot_of(at);
        if prev == NIL {
            debug_assert_eq!(self.lists[slot].head, i, "a cancelled event is not where its time puts it");
            self.lists[slot].head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            debug_assert_eq!(self.lists[slot].tail, i, "a cancelled event is not where its time puts it");
            self.lists[slot].tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        if self.lists[slot].head == NIL {
            self.occupied[level] &= !(1 << (slot % SLOTS));
        }
        self.nodes[i as usize].next = self.free;
        self.free = i;
        Some(event)
    }

    /// The event `h` names while it is queued (`None` once it popped or was cancelled; after
    /// that its node may hold a later event).
    pub fn get(&self, h: Handle) -> Option<&E> {
        self.nodes[h.0 as usize].event.as_ref()
    }

    /// The earliest event, if any.
    #[cfg(test)]
    pub fn pop(&mut self) -> Option<(u64, E)> {
        self.pop_until(u64::MAX)
    }

    /// The earliest event if it is due at `limit` or before; `None` when there is none (the
    /// queue is empty or its earliest event lies past `limit`).
    #[inline]
    pub fn pop_until(&mut self, limit: u64) -> Option<(u64, E)> {
        if self.late.peek().is_some_and(|l| l.at <= limit) {
            return self.late.pop().map(|l| (l.at, l.event));
        }
        if !self.late.is_empty() {
            return None;
        }
        let slot = self.front()?;
        let i = self.lists[slot].head;
        if self.nodes[i as usize].at > limit {
            return None;
        }
        Some(self.unlink_head(slot))
    }

    /// Unlink the head of wheel-0 slot `slot` and free its node: its time and event.
    #[inline(always)]
    fn unlink_head(&mut self, slot: usize) -> (u64, E) {
        let i = self.lists[slot].head;
        let node = &mut self.nodes[i as usize];
        let (at, next) = (node.at, node.next);
        // A cancel unlinks its node at once, so every node in a list holds its event.
        let event = node.event.take().expect("a queued node holds an event");
        node.next = self.free;
        self.free = i;
        self.lists[slot].head = next;
        if next == NIL {
            self.lists[slot].tail = NIL;
            self.occupied[0] &= !(1 << slot);
        } else {
            self.nodes[next as usize].prev = NIL;
        }
        self.cursor = at;
        (at, event)
    }

    /// Time of the earliest event. It may move the cursor up to that event's slot; an event
    /// queued behind it later still pops first.
    pub fn peek_time(&mut self) -> Option<u64> {
        if let Some(l) = self.late.peek() {
            return Some(l.at);
        }
        let slot = self.front()?;
        Some(self.nodes[self.lists[slot].head as usize].at)
    }

    /// The wheel and the list (an index into `lists`) of an event at `at`, not before the
    /// cursor: the lowest wheel whose span holds both.
    #[inline]
    fn slot_of(&self, at: u64) -> (usize, usize) {
        let level = ((at ^ self.cursor) | (SLOTS as u64 - 1)).ilog2() / BITS;
        let slot = ((at >> (level * BITS)) as usize & (SLOTS - 1)) + level as usize * SLOTS;
        (level as usize, slot)
    }

    /// Append node `i` (at time `at`, not before the cursor) to the list of its slot.
    #[inline]
    fn link(&mut self, i: u32, at: u64) {
        let (level, slot) = self.slot_of(at);
        let tail = self.lists[slot].tail;
        let node = &mut self.nodes[i as usize];
        node.next = NIL;
        node.prev = tail;
        if tail == NIL {
            self.lists[slot].head = i;
            self.occupied[level] |= 1 << (slot % SLOTS);
        } else {
            self.nodes[tail as usize].next = i;
        }
        self.lists[slot].tail = i;
    }

    /// The slot of wheel 0 (an index into `lists`) whose head is the earliest event, spreading
    /// higher wheels' slots as the cursor enters them; `None` when the wheels are empty.
    fn front(&mut self) -> Option<usize> {
        'spread: loop {
            for level in 0..LEVELS {
                let shift = level as u32 * BITS;
                let here = (self.cursor >> shift) & (SLOTS as u64 - 1);
                let ahead = self.occupied[level] & (u64::MAX << here);
                if ahead == 0 {
                    continue;
                }
                let slot = u64::from(ahead.trailing_zeros());
                if level == 0 {
                    return Some(slot as usize);
                }
                // Enter the slot: the cursor moves to its start (nothing is earlier: the wheels
                // below are empty), and its events, in order, move to the wheels below.
                let above = u64::MAX.checked_shl(shift + BITS).unwrap_or(0);
                self.cursor = (self.cursor & above) | (slot << shift);
                let index = level * SLOTS + slot as usize;
                let mut i = std::mem::replace(&mut self.lists[index], EMPTY).head;
                self.occupied[level] &= !(1 << slot);
                while i != NIL {
                    let (at, next) = (self.nodes[i as usize].at, self.nodes[i as usize].next);
                    self.link(i, at);
                    i = next;
                }
                continue 'spread;
            }
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::uniform_inclusive as draw;
    use rand::SeedableRng;

    #[test]
    fn queue_pops_by_time_then_insertion_order() {
        let mut q = Queue::default();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    /// The heap the wheel replaces: the order it must keep.
    #[derive(Default)]
    struct Model {
        heap: BinaryHeap<Late<u64>>,
        seq: u64,
    }

    impl Model {
        fn push(&mut self, at: u64, e: u64) {
            self.seq += 1;
            self.heap.push(Late { at, seq: self.seq, event: e });
        }
        fn pop(&mut self) -> Option<(u64, u64)> {
            self.heap.pop().map(|l| (l.at, l.event))
        }
        fn peek_time(&self) -> Option<u64> {
            self.heap.peek().map(|l| l.at)
        }
    }

    #[test]
    fn the_wheel_pops_what_a_heap_by_time_and_insertion_order_pops() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
        for round in 0..200u64 {
            let (mut q, mut m) = (Queue::default(), Model::default());
            // Queued events that have a handle, to cancel some.
            let mut handles: Vec<(Handle, u64)> = Vec::new();
            let mut now = 0u64;
            let spread = [4u64, 100, 5_000, 300_000, 1 << 40][(round % 5) as usize];
            for n in 0..2_000u64 {
                match draw(&mut rng, 0, 11) {
                    0..=3 => {
                        let at = now + draw(&mut rng, 0, spread);
                        handles.extend(q.push(at, n).map(|h| (h, n)));
                        m.push(at, n);
                    }
                    10 | 11 if !handles.is_empty() => {
                        // A cancel anywhere in a list: the rest keep their order.
                        let (h, e) = handles.swap_remove(draw(&mut rng, 0, handles.len() as u64 - 1) as usize);
                        assert_eq!(q.cancel(h), Some(e), "round {round}, step {n}");
                        m.heap = std::mem::take(&mut m.heap).into_iter().filter(|l| l.event != e).collect();
                    }
                    4 => {
                        // A pop bounded by the run's end, as `World::step` does.
                        let limit = now + draw(&mut rng, 0, spread);
                        let want = if m.peek_time().is_some_and(|t| t <= limit) { m.pop() } else { None };
                        let got = q.pop_until(limit);
                        assert_eq!(got, want, "round {round}, step {n}");
                        if let Some((at, e)) = got {
                            now = at;
                            handles.retain(|&(_, x)| x != e);
                        }
                    }
                    5 => {
                        // A push behind a peeked-at front, as a verb after `run_until` does.
                        assert_eq!(q.peek_time(), m.peek_time());
                        let at = now + draw(&mut rng, 0, 3);
                        handles.extend(q.push(at, n).map(|h| (h, n)));
                        m.push(at, n);
                    }
                    _ => {
                        let got = q.pop();
                        assert_eq!(got, m.pop(), "round {round}, step {n}");
                        if let Some((at, e)) = got {
                            now = at;
                            handles.retain(|&(_, x)| x != e);
                        }
                    }
                }
            }
            assert_eq!(q.peek_time(), m.peek_time());
            while let Some(e) = m.pop() {
                assert_eq!(q.pop(), Some(e));
            }
            assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn the_wheel_holds_times_up_to_the_end_of_u64() {
        let mut q = Queue::default();
        for (i, at) in [u64::MAX, 0, u64::MAX - 1, 1 << 63, u64::MAX, 3].into_iter().enumerate() {
            q.push(at, i);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(0, 1), (3, 5), (1 << 63, 3), (u64::MAX - 1, 2), (u64::MAX, 0), (u64::MAX, 4)]);
    }

    #[test]
    fn a_cancelled_event_never_pops_and_the_others_keep_their_order() {
        let mut q = Queue::default();
        q.push(5, "a");
        let b = q.push(5, "b").expect("a handle");
        q.push(5, "c");
        let far = q.push(90_000, "far").expect("a handle");
        q.push(7, "d");
        assert_eq!(q.cancel(b), Some("b"));
        assert_eq!(q.cancel(far), Some("far"));
        assert_eq!(q.peek_time(), Some(5));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(5, "a"), (5, "c"), (7, "d")]);
        // A cancelled event at the front is not the next time either, and a cancelled handle
        // cancels nothing more; an event queued after the peek, earlier, pops first.
        let mut q = Queue::default();
        let x = q.push(8, "x").expect("a handle");
        q.push(9, "y");
        assert_eq!(q.cancel(x), Some("x"));
        assert_eq!(q.cancel(x), None);
        assert_eq!(q.peek_time(), Some(9));
        q.push(3, "early");
        assert_eq!(q.pop(), Some((3, "early")));
        assert_eq!(q.pop(), Some((9, "y")));
        assert_eq!(q.pop(), None);
    }
}
