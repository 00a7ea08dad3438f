//! The producer's connections to brokers, kept as Java's `NetworkClient` keeps them
//! (`ClusterConnectionStates`).
//!
//! Every connection starts up (opening one costs nothing in the model). Once the producer sees
//! one fail — a reset from a dead process, a refusal from its machine, or its own close after a
//! request or connection timeout — that broker is not ready: `NetworkClient.processDisconnection`
//! marks it disconnected, fails what was in flight on it and asks for new metadata
//! (`DefaultMetadataUpdater.handleServerDisconnect` calls `metadata.requestUpdate`). Nothing is
//! sent to it until a new connection is up: the `Sender` drops nodes that are not ready from the
//! drain (`Sender.sendProducerData`, "remove any nodes we aren't ready to send to"), so their
//! partitions' batches wait in the accumulator, until `delivery.timeout.ms` at most, and go to
//! whichever broker leads once metadata says so. `NetworkClient.ready` starts a new connection
//! only when something waits for that broker and its reconnect backoff has passed
//! (`ClusterConnectionStates.canConnect`): `reconnect.backoff.ms` (50) after the first failure,
//! doubling per failed attempt up to `reconnect.backoff.max.ms` (1000), without Java's 20%
//! jitter. A connection attempt is one round trip here, the TCP handshake and ApiVersions as one
//! message (`Msg::ApiVersions`): a dead process's machine, or a restarted broker that does not
//! take connections yet, refuses it; an answer makes the broker ready; no answer within
//! `socket.connection.setup.timeout.ms` (10 s, doubling per failed attempt up to
//! `socket.connection.setup.timeout.max.ms`, 30 s) closes it as failed.
//!
//! This is what keeps an `acks=0` producer off a crashed leader: a batch counts as delivered
//! once written to a connection, so only a ready connection may take it.

use super::*;

/// Java's `socket.connection.setup.timeout.ms` default: how long a connection attempt may take.
const CONNECT_TIMEOUT_MS: u64 = 10_000;
/// Java's `socket.connection.setup.timeout.max.ms` default: the setup timeout doubles per
/// failed attempt up to this.
const CONNECT_TIMEOUT_MAX_MS: u64 = 30_000;

/// Where one connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Up: requests may go out on it.
    Ready,
    /// Failed or closed; a new attempt may start at `retry_at` (the reconnect backoff).
    Down { retry_at: u64 },
    /// An attempt is under way; `probe` is its ApiVersions request.
    Connecting { probe: ReqId },
}

#[derive(Debug, Clone, Copy)]
struct Conn {
    state: State,
    /// Failures since the connection was last up (the reconnect backoff's exponent).
    failures: u32,
    /// Attempts in a row that failed before the connection was up (the setup timeout's).
    setup_failures: u32,
}

/// The producer's connection to each broker.
#[derive(Debug, Clone)]
pub(crate) struct Conns {
    /// By broker id - 1.
    conns: Vec<Conn>,
}

impl Conns {
    /// Every connection up.
    pub(crate) fn new(brokers: u32) -> Self {
        Conns { conns: vec![Conn { state: State::Ready, failures: 0, setup_failures: 0 }; brokers as usize] }
    }

    fn get(&self, broker: u32) -> &Conn {
        &self.conns[broker as usize - 1]
    }

    fn get_mut(&mut self, broker: u32) -> &mut Conn {
        &mut self.conns[broker as usize - 1]
    }

    /// Whether requests may go to `broker` now.
    pub(crate) fn ready(&self, broker: u32) -> bool {
        self.get(broker).state == State::Ready
    }

    fn can_connect(&self, broker: u32, now: u64) -> bool {
        matches!(self.get(broker).state, State::Down { retry_at } if retry_at <= now)
    }

    /// The connection failed or was closed (`ClusterConnectionStates.disconnected`): down for
    /// the reconnect backoff, which doubles with each failure since it was last up.
    fn lost(&mut self, now: u64, broker: u32) {
        let c = self.get_mut(broker);
        let backoff = crate::client::backoff::RECONNECT.backoff(c.failures);
        c.failures += 1;
        if matches!(c.state, State::Connecting { .. }) {
            c.setup_failures += 1;
        } else {
            c.setup_failures = 0;
        }
        c.state = State::Down { retry_at: now + backoff };
    }

    /// The broker a metadata request or a coordinator lookup goes to (Java's `leastLoadedNode`;
    /// round-robin after `after` here): the first whose connection is up, else the first with
    /// an attempt under way, else the first that may try one now, else the one whose backoff
    /// ends first. With every connection up this is the next broker after `after`.
    pub(crate) fn pick(&self, after: u32, now: u64) -> u32 {
        let n = self.conns.len() as u32;
        let order = || (0..n).map(move |i| (after + i) % n + 1);
        order()
            .find(|&b| self.ready(b))
            .or_else(|| order().find(|&b| matches!(self.get(b).state, State::Connecting { .. })))
            .or_else(|| order().find(|&b| self.can_connect(b, now)))
            .unwrap_or_else(|| {
                order()
                    .min_by_key(|&b| match self.get(b).state {
                        State::Down { retry_at } => retry_at,
                        _ => now,
                    })
                    .expect("a cluster has brokers")
            })
    }
}

impl Producer {
    /// Send request `msg` to `broker`, whose connection must be up.
    pub(crate) fn send_request(&mut self, broker: u32, msg: Msg, out: &mut ProducerOut) {
        crate::invariant!(
            36,
            self.conns.ready(broker),
            "producer#{} instance {} sends {} to broker:{broker}, whose connection it saw fail and has not \
             opened again",
            self.idx,
            self.instance,
            msg.summary().api
        );
        out.send(NodeId::Broker(broker), msg);
    }

    /// `NetworkClient.ready`: whether a request may go to `broker` now. If not, a new connection
    /// is tried when the reconnect backoff allows, and the producer wakes when it ends.
    pub(crate) fn connected(&mut self, now: u64, broker: u32, out: &mut ProducerOut) -> bool {
        match self.conns.get(broker).state {
            State::Ready => true,
            State::Connecting { .. } => false,
            State::Down { retry_at } if retry_at > now => {
                self.wake_at(now, retry_at, out);
                false
            }
            State::Down { .. } => {
                self.next_req = self.next_req.next();
                let probe = self.next_req;
                let c = self.conns.get_mut(broker);
                c.state = State::Connecting { probe };
                let timeout =
                    CONNECT_TIMEOUT_MS.saturating_mul(1 << c.setup_failures.min(20)).min(CONNECT_TIMEOUT_MAX_MS);
                out.send(NodeId::Broker(broker), Msg::ApiVersions { req: probe });
                out.timer(timeout, ProducerTimer::ConnectTimeout { broker, probe });
                false
            }
        }
    }

    /// The connection to `broker` failed or was closed: down for the reconnect backoff, and
    /// metadata is asked for again (the disconnect may mean the leader moved).
    pub(super) fn conn_lost(&mut self, now: u64, broker: u32, out: &mut ProducerOut) {
        let connecting = matches!(self.conns.get(broker).state, State::Connecting { .. });
        self.conns.lost(now, broker);
        if self.metadata_in_flight && self.metadata_rr == broker {
            // Its answer cannot come on a connection that is gone (`DefaultMetadataUpdater`'s
            // `handleServerDisconnect` counts a failed update: `Metadata.failedUpdate`).
            self.metadata_in_flight = false;
            self.metadata_backoff.failed(now);
        }
        if connecting {
            // A coordinator that cannot be reached is looked up again (the Sender's
            // `maybeFindCoordinatorAndRetry` when `awaitNodeReady` fails).
            self.txn_unreachable(broker);
        }
        self.request_metadata(now, out);
    }

    /// The broker answered ApiVersions `probe`: if it is the attempt under way, the connection
    /// is up (`ClusterConnectionStates.ready` resets both backoffs) and what waited goes out.
    pub(super) fn on_api_versions(&mut self, now: u64, broker: u32, probe: ReqId, out: &mut ProducerOut) {
        let c = self.conns.get_mut(broker);
        if c.state == (State::Connecting { probe }) {
            *c = Conn { state: State::Ready, failures: 0, setup_failures: 0 };
            self.drain(now, out);
        }
    }

    /// Connection attempt `probe` to `broker` had no answer within the setup timeout: it is
    /// closed (whatever is still on its way on it is dropped) and counts as failed.
    pub(super) fn connect_timed_out(&mut self, now: u64, broker: u32, probe: ReqId, out: &mut ProducerOut) {
        if self.conns.get(broker).state == (State::Connecting { probe }) {
            out.observe(ProducerObs::CloseConnection { broker });
            self.conn_lost(now, broker, out);
            self.drain(now, out);
        }
    }

    /// `broker`'s machine refused a message (`req` names a refused produce request or
    /// connection attempt). A refusal on a connection the producer took for up, or of the
    /// attempt under way, fails the connection; a late refusal of something sent before the
    /// connection was seen failing changes nothing more. A refused produce request was
    /// certainly not written.
    pub(super) fn on_refused(&mut self, now: u64, broker: u32, req: Option<ReqId>, out: &mut ProducerOut) {
        let fails_connection = match self.conns.get(broker).state {
            State::Ready => true,
            State::Connecting { probe } => req == Some(probe),
            State::Down { .. } => false,
        };
        if fails_connection {
            // A refused metadata request is asked of another broker from here.
            self.conn_lost(now, broker, out);
        }
        if let Some(req) = req.filter(|r| self.in_flight.contains_key(r)) {
            self.on_response(now, req, Err(KafkaError::ConnectionRefused), 0, out);
        } else {
            self.drain(now, out);
        }
    }
}
