//! The network: which messages may be delivered now, and which wait.
//!
//! A connection between two nodes is a TCP connection: it delivers in send order (a message is
//! never delivered before one sent earlier on the same link), and a client that closes it
//! starts a new one (its generation), so whatever was in flight on the old one is gone.
//! Isolations, partitions and pauses *hold* a link's traffic instead of dropping it: TCP
//! retransmits once the link heals, in order, as long as both ends are alive.
//!
//! The net knows nothing of messages' contents nor of processes' lives; the world asks it
//! where a message goes and when, and keeps held messages in the link's own queue.

use std::collections::{BTreeMap, VecDeque};

use super::{Layout, NodeId};

/// Per direction of a connection: order and generation.
#[derive(Debug, Clone, Copy, Default)]
struct LinkState {
    /// Latest delivery time of anything sent on the link: deliveries never overtake it.
    last_delivery: u64,
    /// Bumped when either end closes the connection: older messages are stale.
    generation: u32,
}

/// The connection between two nodes, both directions: `0` from the lower dense index up to the
/// higher, `1` back down.
type Conn = [LinkState; 2];

/// A network partition: nodes of `a` reach no node of `b` (and back) until `until`.
#[derive(Debug, Clone)]
struct Cut {
    a: Vec<usize>,
    b: Vec<usize>,
    until: u64,
}

impl Cut {
    fn separates(&self, x: usize, y: usize) -> bool {
        (self.a.contains(&x) && self.b.contains(&y)) || (self.b.contains(&x) && self.a.contains(&y))
    }
}

/// The simulated network between `brokers` brokers, the controller, producers and members.
/// `H` is what the world keeps of a held message.
#[derive(Debug)]
pub struct Net<H> {
    layout: Layout,
    /// Per node, by dense index: its connections to the controller and the brokers (indices up
    /// to `brokers`, the only nodes a client talks to), indexed by theirs and grown on first use,
    /// so memory follows the connections used (at most nodes x (brokers + 1)), never the square
    /// of the nodes.
    conns: Vec<Vec<Conn>>,
    /// Connections between two clients, should there be any, by (lower, higher) index.
    others: BTreeMap<(u32, u32), Conn>,
    /// The highest dense index of a broker.
    brokers: usize,
    /// Messages waiting for a hold on a link to end, in send order, by (from, to) dense index;
    /// a link leaves the map when released, so it is empty while nothing is held.
    held: BTreeMap<(u32, u32), VecDeque<H>>,
    /// Per node: isolated (reaches no other node) until this time, exclusive.
    isolated_until: Vec<u64>,
    /// Per node: paused until this time, exclusive (deliveries to it and its timers wait).
    paused_until: Vec<u64>,
    cuts: Vec<Cut>,
    /// No isolation, pause or partition ever set lasts past this time (the latest end set).
    holds_end: u64,
}

impl<H> Net<H> {
    /// A network between the nodes of `layout`.
    pub fn new(layout: Layout) -> Self {
        let nodes = layout.len();
        Net {
            layout,
            conns: vec![Vec::new(); nodes],
            others: BTreeMap::new(),
            brokers: layout.brokers as usize,
            held: BTreeMap::new(),
            isolated_until: vec![0; nodes],
            paused_until: vec![0; nodes],
            cuts: Vec::new(),
            holds_end: 0,
        }
    }

    /// The dense index of `n`.
    #[inline]
    pub fn index(&self, n: NodeId) -> usize {
        self.layout.index(n)
    }

    /// The node of dense index `i`.
    pub fn node(&self, i: usize) -> NodeId {
        self.layout.node(i)
    }

    /// The pair of `from` → `to` as (lower, higher) dense index, and the direction in it.
    #[inline]
    fn pair(&self, from: NodeId, to: NodeId) -> (usize, usize, usize) {
        let (f, t) = (self.index(from), self.index(to));
        if f < t {
            (f, t, 0)
        } else {
            (t, f, 1)
        }
    }

    /// The state of `from` → `to` (a link never used is at its start).
    #[inline]
    fn link(&self, from: NodeId, to: NodeId) -> LinkState {
        let (lo, hi, d) = self.pair(from, to);
        match self.conns[hi].get(lo) {
            Some(c) => c[d],
            None if lo > self.brokers => {
                self.others.get(&(lo as u32, hi as u32)).map_or(LinkState::default(), |c| c[d])
            }
            None => LinkState::default(),
        }
    }

    /// The connection between the two ends of `from` → `to`, made on first use, and the
    /// direction of `from` → `to` in it.
    #[inline]
    fn conn_mut(&mut self, from: NodeId, to: NodeId) -> (&mut Conn, usize) {
        let (lo, hi, d) = self.pair(from, to);
        // Only connections to the controller and brokers are in `conns` (see `new_conn`).
        if lo < self.conns[hi].len() {
            return (&mut self.conns[hi][lo], d);
        }
        (self.new_conn(lo, hi), d)
    }

    /// The connection between `lo` and `hi` on its first use (or a client-to-client one).
    #[cold]
    #[inline(never)]
    fn new_conn(&mut self, lo: usize, hi: usize) -> &mut Conn {
        if lo > self.brokers {
            return self.others.entry((lo as u32, hi as u32)).or_default();
        }
        let list = &mut self.conns[hi];
        list.resize(lo + 1, Conn::default());
        &mut list[lo]
    }

    /// The key of `from` → `to` in `held`.
    fn held_key(&self, from: NodeId, to: NodeId) -> (u32, u32) {
        (self.index(from) as u32, self.index(to) as u32)
    }

    /// A message leaves `from` for `to`, to arrive after `earliest` (now plus its latency) but
    /// never before anything sent earlier on the link (invariant 4, per-connection FIFO).
    /// Returns its delivery time and the connection generation it belongs to.
    #[inline]
    pub fn send(&mut self, from: NodeId, to: NodeId, earliest: u64) -> (u64, u32) {
        let (conn, d) = self.conn_mut(from, to);
        let link = &mut conn[d];
        let at = earliest.max(link.last_delivery);
        crate::invariant!(
            4,
            at >= link.last_delivery,
            "a connection delivers in send order: {at} < {}",
            link.last_delivery
        );
        link.last_delivery = at;
        (at, link.generation)
    }

    /// The current generation of the connection `from` → `to`.
    #[inline]
    pub fn generation(&self, from: NodeId, to: NodeId) -> u32 {
        self.link(from, to).generation
    }

    /// `a` closed its connection to `b`: whatever is in flight on it, either way, is stale.
    pub fn close(&mut self, a: NodeId, b: NodeId) {
        let (conn, _) = self.conn_mut(a, b);
        conn[0].generation += 1;
        conn[1].generation += 1;
    }

    /// `hold_until`, or `now` when no hold anywhere lasts past `now` (most deliveries of most
    /// runs): the answer a delivery asks for, without looking at the link.
    #[inline]
    pub fn hold_until_at(&self, from: NodeId, to: NodeId, now: u64) -> u64 {
        if self.holds_end <= now {
            return now;
        }
        self.hold_until(from, to)
    }

    /// Until when a message on `from` → `to` must wait: an isolation of either end, a
    /// partition between them, or a pause of the receiver. At or before `now`: no hold.
    pub fn hold_until(&self, from: NodeId, to: NodeId) -> u64 {
        let (f, t) = (self.index(from), self.index(to));
        let cut = self.cuts.iter().filter(|c| c.separates(f, t)).map(|c| c.until).max().unwrap_or(0);
        self.isolated_until[f].max(self.isolated_until[t]).max(self.paused_until[t]).max(cut)
    }

    /// Whether messages wait on `from` → `to` (a later one must queue behind them).
    #[inline]
    pub fn holding(&self, from: NodeId, to: NodeId) -> bool {
        !self.held.is_empty() && self.held.contains_key(&self.held_key(from, to))
    }

    /// Keep `item` on the link until its hold ends. Returns true when the link held nothing
    /// before, so the caller must schedule the release.
    pub fn hold(&mut self, from: NodeId, to: NodeId, item: H) -> bool {
        let queue = self.held.entry(self.held_key(from, to)).or_default();
        queue.push_back(item);
        queue.len() == 1
    }

    /// Everything held on `from` → `to`, in send order, leaving the link empty.
    pub fn release(&mut self, from: NodeId, to: NodeId) -> VecDeque<H> {
        let key = self.held_key(from, to);
        self.held.remove(&key).unwrap_or_default()
    }

    /// `n` reaches no other node until `until` (a longer isolation already in force stays).
    pub fn isolate(&mut self, n: NodeId, until: u64) {
        let i = self.index(n);
        self.isolated_until[i] = self.isolated_until[i].max(until);
        self.holds_end = self.holds_end.max(until);
    }

    /// `n`'s isolation ends at `now` (if it lasted longer).
    pub fn unisolate(&mut self, n: NodeId, now: u64) {
        let i = self.index(n);
        self.isolated_until[i] = self.isolated_until[i].min(now);
    }

    /// `n` stops until `until`: nothing is delivered to it and its timers wait.
    pub fn pause(&mut self, n: NodeId, until: u64) {
        let i = self.index(n);
        self.paused_until[i] = self.paused_until[i].max(until);
        self.holds_end = self.holds_end.max(until);
    }

    /// `n`'s process died at `now`: its pause ends with it (an isolation is the machine's and
    /// outlives the process).
    pub fn end_pause(&mut self, n: NodeId, now: u64) {
        let i = self.index(n);
        self.paused_until[i] = self.paused_until[i].min(now);
    }

    /// Nodes of `a` and of `b` reach each other only after `until`; each side still reaches
    /// its own side and every node named on neither side.
    pub fn partition(&mut self, a: &[NodeId], b: &[NodeId], until: u64) {
        let a = a.iter().map(|&n| self.index(n)).collect();
        let b = b.iter().map(|&n| self.index(n)).collect();
        self.cuts.push(Cut { a, b, until });
        self.holds_end = self.holds_end.max(until);
    }

    /// End every isolation, pause and partition at `now`.
    pub fn heal(&mut self, now: u64) {
        for t in self.isolated_until.iter_mut().chain(self.paused_until.iter_mut()) {
            *t = (*t).min(now);
        }
        self.cuts.clear();
    }

    /// Every link with messages waiting, as (from, to), in index order.
    pub fn held_links(&self) -> Vec<(NodeId, NodeId)> {
        self.held.keys().map(|&(f, t)| (self.node(f as usize), self.node(t as usize))).collect()
    }

    /// Forget partitions that ended at or before `now`.
    pub fn expire(&mut self, now: u64) {
        self.cuts.retain(|c| c.until > now);
    }

    /// Until when `n` is isolated.
    pub fn isolated_until(&self, n: NodeId) -> u64 {
        self.isolated_until[self.index(n)]
    }

    /// Until when `n` is paused.
    #[inline]
    pub fn paused_until(&self, n: NodeId) -> u64 {
        self.paused_until[self.index(n)]
    }

    /// Whether `n` is cut off or stopped at `now`: isolated, paused, or on a side of a partition.
    pub fn impaired(&self, n: NodeId, now: u64) -> bool {
        let i = self.index(n);
        self.isolated_until[i] > now
            || self.paused_until[i] > now
            || self.cuts.iter().any(|c| c.until > now && (c.a.contains(&i) || c.b.contains(&i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B1: NodeId = NodeId::Broker(1);
    const B2: NodeId = NodeId::Broker(2);
    const B3: NodeId = NodeId::Broker(3);
    const P0: NodeId = NodeId::Producer(0);

    fn net() -> Net<&'static str> {
        Net::new(Layout { brokers: 3, producers: 1, members: 1 })
    }

    #[test]
    fn a_link_never_delivers_before_what_was_sent_earlier_on_it() {
        let mut n = net();
        assert_eq!(n.send(P0, B1, 10), (10, 0));
        // Sent later with a shorter latency: it still arrives after the first one.
        assert_eq!(n.send(P0, B1, 7).0, 10);
        assert_eq!(n.send(P0, B1, 12).0, 12);
        // Another link has its own order.
        assert_eq!(n.send(P0, B2, 3).0, 3);
        assert_eq!(n.send(B1, P0, 1).0, 1);
    }

    #[test]
    fn closing_a_connection_starts_a_new_generation_both_ways() {
        let mut n = net();
        let (_, g) = n.send(P0, B1, 1);
        n.close(P0, B1);
        assert_ne!(n.generation(P0, B1), g);
        assert_eq!(n.generation(B1, P0), 1);
        assert_eq!(n.generation(P0, B2), 0);
    }

    #[test]
    fn an_isolation_holds_both_directions_and_a_pause_only_deliveries_to_the_paused() {
        let mut n = net();
        n.isolate(B1, 100);
        assert_eq!(n.hold_until(P0, B1), 100);
        assert_eq!(n.hold_until(B1, P0), 100);
        assert_eq!(n.hold_until(P0, B2), 0);
        n.isolate(B1, 50); // a shorter isolation does not shorten the one in force
        assert_eq!(n.isolated_until(B1), 100);
        n.pause(B2, 70);
        assert_eq!(n.hold_until(P0, B2), 70);
        assert_eq!(n.hold_until(B2, P0), 0);
        n.end_pause(B2, 20);
        assert_eq!(n.paused_until(B2), 20);
        assert!(n.impaired(B1, 99) && !n.impaired(B1, 100));
    }

    #[test]
    fn held_messages_come_out_in_send_order_and_only_the_first_asks_for_a_release() {
        let mut n = net();
        assert!(n.hold(P0, B1, "a"));
        assert!(!n.hold(P0, B1, "b"));
        assert!(n.holding(P0, B1) && !n.holding(B1, P0));
        assert_eq!(n.release(P0, B1), ["a", "b"]);
        assert!(!n.holding(P0, B1));
    }

    #[test]
    fn every_node_index_maps_back_to_its_node() {
        let n = net();
        for i in 0..6 {
            assert_eq!(n.index(n.node(i)), i);
        }
        assert_eq!(n.node(5), NodeId::Consumer(0));
    }

    #[test]
    fn heal_ends_every_hold_and_lists_the_links_that_wait() {
        let mut n = net();
        n.isolate(B1, 100);
        n.pause(B2, 100);
        n.partition(&[B3], &[P0], 100);
        n.hold(P0, B1, "x");
        n.heal(10);
        assert_eq!(n.hold_until(P0, B1), 10);
        assert_eq!(n.hold_until(P0, B2), 10);
        assert_eq!(n.hold_until(B3, P0), 0);
        assert_eq!(n.held_links(), [(P0, B1)]);
    }

    #[test]
    fn hold_until_at_answers_as_hold_until_does_before_and_after_every_hold_ends() {
        let mut n = net();
        let links = [(P0, B1), (B1, P0), (P0, B2), (B1, B3), (B3, P0), (NodeId::Controller, B2)];
        let same = |n: &Net<&str>, now: u64| {
            for (f, t) in links {
                let (exact, fast) = (n.hold_until(f, t), n.hold_until_at(f, t, now));
                // A delivery only asks whether the hold lasts past `now`, and until when.
                assert_eq!(exact.max(now), fast.max(now), "{f} -> {t} at {now}");
                assert_eq!(exact > now, fast > now, "{f} -> {t} at {now}");
            }
        };
        same(&n, 0);
        n.isolate(B1, 100);
        n.pause(B2, 300);
        n.partition(&[B3], &[P0], 200);
        for now in [0, 99, 100, 150, 200, 299, 300, 301, 1_000] {
            same(&n, now);
        }
        n.unisolate(B1, 50);
        n.heal(60);
        for now in [0, 59, 60, 61, 400] {
            same(&n, now);
        }
    }

    #[test]
    fn a_partition_cuts_only_links_between_its_two_sides() {
        let mut n = net();
        n.partition(&[B1, B2], &[B3, NodeId::Controller], 500);
        assert_eq!(n.hold_until(B1, B3), 500);
        assert_eq!(n.hold_until(NodeId::Controller, B2), 500);
        assert_eq!(n.hold_until(B1, B2), 0, "a side reaches its own side");
        assert_eq!(n.hold_until(P0, B3), 0, "a node on neither side reaches both");
        assert!(n.impaired(B3, 10));
        n.expire(500);
        assert_eq!(n.hold_until(B1, B3), 0);
        assert!(!n.impaired(B3, 10));
    }
}
