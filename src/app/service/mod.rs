//! User services: the run-side host that starts each service instance's runtime, hands its
//! client nodes their ports, and tells the world whom to poke and when its timers end.

pub(crate) mod hub;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use self::hub::{ConsumerTable, Hub, HubState, Port, PortDriver, ProducerTable, RunData, ServiceFuture};
use crate::client::driver::{ClientRef, Driver, Drivers};
use crate::scenario::Scenario;

/// How to make a service's task.
pub(crate) type ServiceFactory = Arc<dyn Fn() -> ServiceFuture + Send + Sync>;

/// An incarnation, shared by its ports and the host.
type SharedHub = Arc<Mutex<Hub>>;

/// The services of one run, on top of the other applications.
pub(crate) struct Host<'a> {
    apps: &'a super::Apps,
    s: &'a Scenario,
    run: Arc<Mutex<RunData>>,
    /// The live incarnation of each (service, instance).
    hubs: Mutex<BTreeMap<(usize, u32), SharedHub>>,
    /// Some service may have moved since the world last looked (`Drivers::stirred`).
    stir: Arc<AtomicBool>,
}

impl<'a> Host<'a> {
    pub(crate) fn new(apps: &'a super::Apps, s: &'a Scenario) -> Self {
        let mut topics = Vec::new();
        let mut first = 0;
        for t in &s.topics {
            topics.push((t.name.clone(), first, t.partitions));
            first += t.partitions;
        }
        let record_base = s.record_base();
        let run = RunData {
            producer_names: s.producers.iter().map(|p| p.name.clone()).collect(),
            topics,
            record_base,
            ..RunData::default()
        };
        let stir = Arc::new(AtomicBool::new(true));
        Host { apps, s, run: Arc::new(Mutex::new(run)), hubs: Mutex::new(BTreeMap::new()), stir }
    }

    /// The service owning client `c`, and `c`'s port in it.
    fn owner(&self, c: ClientRef) -> Option<(usize, u32, usize)> {
        self.s.services.iter().enumerate().find_map(|(i, _)| {
            let ports = self.clients(i, 0);
            match c {
                ClientRef::Producer(_) => ports.iter().position(|&x| x == c).map(|p| (i, 0, p)),
                ClientRef::Consumer(t, k) => {
                    ports.iter().position(|&x| x == ClientRef::Consumer(t, 0)).map(|p| (i, k, p))
                }
            }
        })
    }

    /// The clients of instance `k` of service `i`, in port order: producers, then consumers.
    fn clients(&self, i: usize, k: u32) -> Vec<ClientRef> {
        let svc = &self.s.services[i];
        let producers = svc
            .producers
            .iter()
            .filter_map(|n| self.s.producers.iter().position(|p| &p.name == n))
            .map(|p| ClientRef::Producer(p as u32));
        let consumers = svc
            .consumers
            .iter()
            .filter_map(|n| self.s.consumers.iter().position(|c| &c.name == n))
            .map(|c| ClientRef::Consumer(c as u32, k));
        producers.chain(consumers).collect()
    }

    /// A port driver of client `c`'s node, starting a new incarnation of its service when the
    /// last one died (or this port is claimed already: a new process).
    fn port(&self, c: ClientRef) -> Option<Box<dyn Driver>> {
        let (i, k, port) = self.owner(c)?;
        self.stir.store(true, Ordering::Relaxed);
        let mut hubs = self.hubs.lock();
        let live = hubs.get(&(i, k)).filter(|h| {
            let h = h.lock();
            let s = h.st.lock();
            !s.dead && !s.ports[port].created_node()
        });
        let hub = match live {
            Some(h) => h.clone(),
            None => {
                let h = Arc::new(Mutex::new(self.start(i, k)));
                hubs.insert((i, k), h.clone());
                h
            }
        };
        hub.lock().st.lock().ports[port].claim();
        Some(Box::new(PortDriver { hub, port }))
    }

    fn start(&self, i: usize, k: u32) -> Hub {
        let svc = &self.s.services[i];
        let clients = self.clients(i, k);
        let producers = clients
            .iter()
            .filter_map(|c| match *c {
                ClientRef::Producer(p) => {
                    let spec = &self.s.producers[p as usize];
                    let partitions = self.s.topics.iter().find(|t| t.name == spec.topic).map_or(1, |t| t.partitions);
                    Some(ProducerTable {
                        index: p,
                        name: spec.name.clone(),
                        topic: spec.topic.clone(),
                        partitions,
                        records: spec.records,
                        lineage: svc.outputs.contains(&spec.name),
                        transactional_id: spec.config.transactional_id.clone(),
                        client: spec.client,
                    })
                }
                ClientRef::Consumer(..) => None,
            })
            .collect();
        let consumers = clients
            .iter()
            .filter_map(|c| match *c {
                ClientRef::Consumer(t, _) => {
                    let spec = &self.s.consumers[t as usize];
                    Some(ConsumerTable {
                        name: spec.name.clone(),
                        group: spec.group.clone(),
                        topics: spec.topics.clone(),
                        librdkafka: spec.client == crate::record::ClientKind::Librdkafka,
                        auto_offset_store: spec.config.enable_auto_offset_store,
                        cooperative: spec.config.assignment_strategy
                            == crate::scenario::AssignmentStrategy::CooperativeSticky,
                    })
                }
                ClientRef::Producer(_) => None,
            })
            .collect();
        let st = HubState::new(
            clients.iter().map(|_| Port::default()).collect(),
            clients,
            producers,
            consumers,
            self.run.clone(),
            self.stir.clone(),
        );
        let factory = self.apps.services.get(&svc.name).unwrap_or_else(|| {
            panic!("the scenario has [[service]] {}, but no code is registered for it (Apps::service)", svc.name)
        });
        Hub::start(format!("{}/{k}", svc.name), st, &|| factory())
    }

    /// Read each live incarnation's state in (service, instance) order, dropping dead ones
    /// as [`Host::live`] does: `pokes` and `next_timer` run after every event of a service's
    /// client, so they look in place instead of copying the list.
    fn each_live(&self, mut f: impl FnMut(&HubState)) {
        let mut hubs = self.hubs.lock();
        let mut dead = false;
        for h in hubs.values() {
            let h = h.lock();
            let s = h.st.lock();
            if s.dead {
                dead = true;
            } else {
                f(&s);
            }
        }
        if dead {
            hubs.retain(|_, h| !h.lock().st.lock().dead);
        }
    }

    /// Live incarnations, in (service, instance) order; dead ones are dropped.
    fn live(&self) -> Vec<Arc<Mutex<Hub>>> {
        let mut hubs = self.hubs.lock();
        hubs.retain(|_, h| !h.lock().st.lock().dead);
        hubs.values().cloned().collect()
    }
}

impl Drivers for Host<'_> {
    fn is_empty(&self) -> bool {
        self.apps.is_empty() && self.s.services.is_empty()
    }

    fn producer_driver(&self, name: &str, instance: u32) -> Option<Box<dyn Driver>> {
        let p = self.s.producers.iter().position(|p| p.name == name)? as u32;
        self.port(ClientRef::Producer(p)).or_else(|| self.apps.producer_driver(name, instance))
    }

    fn driver(&self, name: &str, instance: u32) -> Option<Box<dyn Driver>> {
        let c = self.s.consumers.iter().position(|c| c.name == name)? as u32;
        self.port(ClientRef::Consumer(c, instance)).or_else(|| self.apps.driver(name, instance))
    }

    fn pokes(&self) -> Vec<ClientRef> {
        let mut pokes = Vec::new();
        self.each_live(|s| pokes.extend(s.pokes()));
        pokes
    }

    fn stirred(&self) -> bool {
        self.stir.load(Ordering::Relaxed)
    }

    fn set_stirred(&self, stirred: bool) {
        self.stir.store(stirred, Ordering::Relaxed);
    }

    fn next_timer(&self) -> Option<u64> {
        let mut next: Option<u64> = None;
        self.each_live(|s| {
            if let Some(&(at, _)) = s.timers.keys().next() {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        });
        next
    }

    fn services_quiet(&self, quiet: &dyn Fn(ClientRef) -> bool) -> bool {
        self.live().iter().all(|h| {
            let h = h.lock();
            let s = h.st.lock();
            s.quiet() && s.clients.iter().all(|&c| quiet(c))
        })
    }

    fn busy_services(&self, quiet: &dyn Fn(ClientRef) -> bool) -> Vec<String> {
        let hubs: Vec<((usize, u32), SharedHub)> = {
            let mut hubs = self.hubs.lock();
            hubs.retain(|_, h| !h.lock().st.lock().dead);
            hubs.iter().map(|(k, h)| (*k, h.clone())).collect()
        };
        let mut out = Vec::new();
        for ((i, k), h) in hubs {
            let h = h.lock();
            let s = h.st.lock();
            let why = if let Some(&(at, _)) = s.timers.keys().next() {
                format!("a sleep of its code ends at {at} ms")
            } else if !s.quiet() {
                "a call of its code is queued".to_string()
            } else if let Some(c) = s.clients.iter().find(|&&c| !quiet(c)) {
                match *c {
                    ClientRef::Producer(p) => {
                        format!("producer {} has records in flight", self.s.producers[p as usize].name)
                    }
                    ClientRef::Consumer(t, k) => {
                        format!("consumer {}/{k} has records to read", self.s.consumers[t as usize].name)
                    }
                }
            } else {
                continue;
            };
            out.push(format!("{}/{k}: {why}", self.s.services[i].name));
        }
        out
    }

    fn end_services(&self) -> Vec<ClientRef> {
        let mut clients = Vec::new();
        for h in self.live() {
            let mut h = h.lock();
            if h.end() {
                clients.extend(h.st.lock().clients.iter().copied());
            }
        }
        clients
    }

    fn tick(&self, now: u64, paused: &dyn Fn(ClientRef) -> bool) {
        for h in self.live() {
            let mut h = h.lock();
            if h.st.lock().clients.iter().any(|&c| paused(c)) {
                continue;
            }
            h.tick(now);
        }
    }
}
