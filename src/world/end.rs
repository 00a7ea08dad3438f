//! The end of a run: when it has settled, and what it hands the checker.

use super::{timeline, RunOutput, World};
use crate::client::driver::ClientRef;
use crate::client::{ConsumerObs, ProducerObs};
use crate::error::KafkaError;
use crate::record::{ConsumerInfo, FinalPartition, FinalReplica, History, ProcessorInfo};
use crate::scenario::ProcessingGuarantee;
use crate::sim::{NodeId, Out};

impl World<'_> {
    fn workload_done(&self) -> bool {
        (0..self.nodes.specs.len()).all(|p| self.producer_done(p))
    }

    fn producer_done(&self, p: usize) -> bool {
        match &self.nodes.producers[p] {
            Some(prod) => prod.is_done(),
            None => !self.work.producers[p].restart_pending,
        }
    }

    /// The workload of every producer no service owns is done.
    fn builtin_workload_done(&self) -> bool {
        let owned = |p: usize| self.s.services.iter().any(|x| x.producers.contains(&self.nodes.specs[p].name));
        (0..self.nodes.specs.len()).all(|p| owned(p) || self.producer_done(p))
    }

    /// Whether the client `c` of a service waits on the cluster (a down client waits for nothing).
    fn service_client_quiet(&self, c: ClientRef) -> bool {
        match c {
            ClientRef::Producer(p) => match &self.nodes.producers[p as usize] {
                Some(prod) => prod.service_quiet(),
                None => !self.work.producers[p as usize].restart_pending,
            },
            ClientRef::Consumer(t, k) => self
                .nodes
                .member_of(t as usize, k)
                .and_then(|m| self.nodes.consumers[m as usize].as_ref())
                .is_none_or(|member| member.service_quiet(|p| self.leader_hw(p))),
        }
    }

    /// Whether every live service waits on the cluster with nothing left to read.
    fn services_quiet(&self) -> bool {
        self.user_apps.is_none_or(|apps| apps.services_quiet(&|c| self.service_client_quiet(c)))
    }

    /// Once the rest of the run is done and every service is quiet ([`World::services_quiet`]),
    /// the services end as if their code had returned: their producers close and their idle
    /// consumers close (a consumer waiting in `poll()` is closed with the others).
    fn end_quiet_services(&mut self) {
        let Some(apps) = self.user_apps else { return };
        if self.s.services.is_empty() {
            return;
        }
        for c in apps.end_services() {
            if let Some(node) = self.client_node(c).filter(|&n| self.nodes.life(n).down.is_none()) {
                self.poke(node);
            }
        }
        self.service_round();
    }

    /// The run is over when the workload is done, every fault has healed, and every live
    /// replica has caught up and rejoined the ISR (registered: a restarted broker may wait for
    /// its old session to expire). A partition without a leader is over only when no ISR member
    /// is up to come back and be elected.
    pub(super) fn settled(&mut self) -> bool {
        // A service's producers are done when the service ends, which waits for the rest.
        if !self.builtin_workload_done() {
            return false;
        }
        self.faults.nemesis_on = false;
        if self.faults.restarts_pending > 0 || !self.faults.holds.is_empty() || self.faults.timed_pending > 0 {
            return false;
        }
        // A service still at work keeps the run going whatever the replicas do: asked first, as
        // it is cheaper than looking at every replica.
        if !self.services_quiet() {
            return false;
        }
        // Consumers drain what the settled logs hold: a new leader's high watermark may still
        // be catching up with what its predecessor acknowledged.
        if !self.replicas_settled() {
            return false;
        }
        self.end_quiet_services();
        if !self.workload_done() || !self.consumers_drained() {
            return false;
        }
        // The applications shut down: close() commits (with auto-commit; a processor commits its
        // task) and leaves. A processor whose last commit failed re-reads its input, drains
        // again and is closed again.
        for m in 0..self.nodes.members.len() as u32 {
            let mut out = Out::default();
            let drained = self.nodes.consumers[m as usize].as_ref().is_some_and(|c| c.drained(|p| self.leader_hw(p)));
            if let (Some(c), true) = (self.nodes.consumers[m as usize].as_mut(), drained) {
                c.close(self.k.now, &mut out);
            }
            self.flush(NodeId::Consumer(m), &mut out);
        }
        if !self.nodes.consumers.iter().flatten().all(|c| c.closed()) {
            return false;
        }
        // A decided transaction's markers must be written: until then its partitions' LSO waits.
        // A write waiting for the transaction coordinator's verification (KIP-890) may still be
        // appended. An open transaction (its producer crashed mid-transaction, say) holds the
        // LSO of what it wrote until a new instance fences it or its timeout aborts it.
        let txns_pending = (1..=self.nodes.layout.brokers).any(|b| {
            let broker = &self.nodes.brokers[b as usize - 1];
            self.nodes.life(NodeId::Broker(b)).down.is_none()
                && (broker.txn_markers_pending() || broker.txn_verifications_pending() || broker.txn_open())
        });
        !txns_pending && self.replicas_settled()
    }

    /// Every partition has a live leader whose high watermark is its log end, and every live
    /// replica is caught up, registered and in the ISR (or, offline, no replica that could be
    /// elected cleanly is up).
    fn replicas_settled(&self) -> bool {
        let n = &self.nodes;
        let up = |b: u32| n.life(NodeId::Broker(b)).down.is_none();
        (0..n.topo.partitions.len() as u32).all(|p| {
            let st = n.controller.partition(p);
            let Some(l) = st.leader else {
                return n.controller.electable(p).iter().all(|&r| !up(r));
            };
            let leader = &n.brokers[l as usize - 1];
            if !up(l) || !leader.leads(p) {
                return false;
            }
            let (leo, hw) = leader.replica_offsets(p).expect("a leader hosts a replica");
            // A follower learns a high watermark from the fetch answer after the one that
            // brought the records, which waits up to `replica.fetch.wait.max.ms` for more. An
            // idle member's auto-commits keep writing to `__consumer_offsets`, so there a
            // follower that holds the whole log is caught up: waiting for its high watermark
            // too would wait for ever (issue 15).
            let caught_up = |offsets: Option<(u64, u64)>| match offsets {
                Some((l, h)) => l == leo && (h == hw || n.topo.is_offsets_partition(p)),
                None => false,
            };
            hw == leo
                && n.topo.partitions[p as usize].replicas.iter().all(|&r| {
                    if !up(r) {
                        return true;
                    }
                    let broker = &n.brokers[r as usize - 1];
                    let registered = broker.broker_epoch == n.controller.broker_epoch(r);
                    caught_up(broker.replica_offsets(p)) && st.isr.contains(&r) && registered
                })
        })
    }

    /// Partition `p`'s high watermark at its current leader (`None` while it has no leader):
    /// where a drained member's position must stand.
    fn leader_hw(&self, p: u32) -> Option<u64> {
        let l = self.nodes.controller.partition(p).leader?;
        self.nodes.brokers[l as usize - 1].replica_offsets(p).map(|(_, hw)| hw)
    }

    /// The drain phase: every group with a live member has its partitions assigned, and every
    /// live member has read and handled everything up to the high watermark.
    fn consumers_drained(&self) -> bool {
        let n = &self.nodes;
        let end = |p: u32| self.leader_hw(p);
        (0..n.topo.groups.len()).all(|g| {
            let group = &n.topo.groups[g];
            let mut live = 0;
            let mut assigned: Vec<u32> = Vec::new();
            let mut partitions: Vec<u32> = Vec::new();
            for (m, &(c, _)) in n.members.iter().enumerate() {
                let spec = &n.consumer_specs[c as usize];
                if &spec.group != group {
                    continue;
                }
                for t in &spec.topics {
                    if let Some((first, count)) = n.topo.topic(t) {
                        partitions.extend(first..first + count);
                    }
                }
                let Some(member) = n.consumers[m].as_ref() else { continue };
                if !member.drained(end) {
                    return false;
                }
                // A member whose application returned has left: its partitions are the others'.
                if !member.failed() && !member.app_returned() {
                    live += 1;
                    assigned.extend_from_slice(member.assignment());
                }
            }
            live == 0 || partitions.iter().all(|p| assigned.contains(p))
        })
    }

    /// End the run: what the applications processed and the producers never resolved goes
    /// into the history, with every replica's final log.
    /// Why the run has not settled: one phrase per thing still outstanding.
    fn waiting(&self) -> Vec<String> {
        let n = &self.nodes;
        let mut why = Vec::new();
        let part = |p: u32| {
            let info = &n.topo.partitions[p as usize];
            format!("{}/{}", info.topic, info.partition)
        };
        for (p, spec) in n.specs.iter().enumerate() {
            match &n.producers[p] {
                Some(prod) if !prod.is_done() => why.push(format!("producer {} has not finished its work", spec.name)),
                None if self.work.producers[p].restart_pending => {
                    why.push(format!("producer {} waits to restart", spec.name))
                }
                _ => {}
            }
        }
        if self.faults.restarts_pending > 0 {
            why.push(format!("{} crashed process(es) wait to restart", self.faults.restarts_pending));
        }
        if !self.faults.holds.is_empty() || self.faults.timed_pending > 0 {
            why.push("a fault (an isolation, partition or pause) has not ended".to_string());
        }
        let up = |b: u32| n.life(NodeId::Broker(b)).down.is_none();
        for p in 0..n.topo.partitions.len() as u32 {
            let st = n.controller.partition(p);
            match st.leader {
                None if n.controller.electable(p).iter().any(|&r| up(r)) => {
                    why.push(format!("{} has no leader yet", part(p)))
                }
                Some(l) => {
                    let Some((leo, hw)) = n.brokers[l as usize - 1].replica_offsets(p) else { continue };
                    let behind: Vec<String> = n.topo.partitions[p as usize]
                        .replicas
                        .iter()
                        .filter(|&&r| r != l && up(r))
                        .filter(|&&r| {
                            n.brokers[r as usize - 1].replica_offsets(p) != Some((leo, hw)) || !st.isr.contains(&r)
                        })
                        .map(|r| format!("broker {r}"))
                        .collect();
                    if hw != leo || !behind.is_empty() {
                        why.push(format!(
                            "{}: the high watermark is {hw} of {leo} at leader {l}{}",
                            part(p),
                            if behind.is_empty() {
                                String::new()
                            } else {
                                format!("; not caught up or not in the ISR: {}", behind.join(", "))
                            }
                        ));
                    }
                }
                None => {}
            }
        }
        for b in 1..=n.layout.brokers {
            let broker = &n.brokers[b as usize - 1];
            if up(b) && broker.txn_open() {
                why.push(format!("a transaction coordinated by broker {b} is still open"));
            }
        }
        if let Some(apps) = self.user_apps.filter(|_| !self.s.services.is_empty()) {
            for busy in apps.busy_services(&|c| self.service_client_quiet(c)) {
                why.push(format!(
                    "service {busy}: its code has neither returned nor come to wait on the cluster with nothing \
                     left to read"
                ));
            }
        }
        for (m, &(c, k)) in n.members.iter().enumerate() {
            let Some(member) = n.consumers[m].as_ref() else { continue };
            if let Some(w) = member.waiting_for(|p| self.leader_hw(p)) {
                why.push(format!("consumer {}/{k} {w}", n.consumer_specs[c as usize].name));
            }
        }
        why
    }

    pub(super) fn finish(mut self) -> RunOutput {
        let end = if self.settled {
            crate::record::RunEnd::default()
        } else {
            let mut waiting = self.waiting();
            if self.out_of_events {
                let budget = format!("the run handled {} events without ending (max_events)", self.k.events);
                waiting.insert(0, budget);
            }
            let reason = if self.out_of_events {
                crate::record::EndReason::MaxEvents
            } else {
                crate::record::EndReason::DurationMs
            };
            crate::record::RunEnd { settled: false, waiting, reason }
        };
        for m in 0..self.nodes.members.len() {
            let mut out = Out::default();
            if let Some(c) = self.nodes.consumers[m].as_mut() {
                c.flush_processed(&mut out);
            }
            for o in out.obs {
                if let ConsumerObs::History(k) = o {
                    self.push_history(k);
                }
            }
        }
        for p in 0..self.nodes.specs.len() {
            if let Some(mut prod) = self.nodes.producers[p].take() {
                let mut out = Out::default();
                prod.crash(KafkaError::UnresolvedAtEnd, &mut out);
                for o in out.obs {
                    if let ProducerObs::History(k) = o {
                        self.push_history(k);
                    }
                }
            }
        }
        let n = &self.nodes;
        let partitions = n
            .topo
            .partitions
            .iter()
            .enumerate()
            .map(|(p, info)| {
                let st = n.controller.partition(p as u32);
                FinalPartition {
                    topic: info.topic.clone(),
                    partition: info.partition,
                    leader: st.leader,
                    leader_epoch: st.leader_epoch,
                    isr: st.isr.clone(),
                    replicas: info
                        .replicas
                        .iter()
                        .map(|&b| {
                            let broker = &n.brokers[b as usize - 1];
                            let (leo, hw) = broker.replica_offsets(p as u32).expect("replica");
                            FinalReplica {
                                broker: b,
                                alive: n.life(NodeId::Broker(b)).down.is_none(),
                                leo,
                                hw,
                                log: broker.replica_log(p as u32).expect("replica").to_vec(),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let s = self.s;
        let services = service_processors(s);
        RunOutput {
            history: History {
                producers: n
                    .specs
                    .iter()
                    .map(|s| s.name.clone())
                    .chain(s.processors.iter().map(|p| p.name.clone()))
                    .collect(),
                consumers: n
                    .consumer_specs
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ConsumerInfo {
                        name: c.name.clone(),
                        group: c.group.clone(),
                        topics: c.topics.clone(),
                        commit: c.commit,
                        isolation: c.config.isolation_level,
                        processor: i.checked_sub(s.consumers.len()).map(|p| p as u32).or_else(|| {
                            let k = services.iter().position(|x| x.consumer == i as u32)?;
                            Some((s.processors.len() + k) as u32)
                        }),
                        client: c.client,
                        auto_offset_store: c.config.enable_auto_offset_store,
                    })
                    .collect(),
                processors: s
                    .processors
                    .iter()
                    .enumerate()
                    .map(|(i, p)| ProcessorInfo {
                        name: p.name.clone(),
                        group: p.group.clone(),
                        input: p.input.clone(),
                        output: p.output.clone(),
                        producer: (n.specs.len() + i) as u32,
                        consumer: (s.consumers.len() + i) as u32,
                        guarantee: p.config.processing_guarantee,
                    })
                    .chain(services.iter().cloned())
                    .collect(),
                record_base: n.record_base.to_vec(),
                events: self.history,
                partitions,
                end,
            },
            trace_hash: self.k.hash.value(),
            virtual_ms: self.k.now,
            events: self.k.events,
            trace: self.k.trace,
            faults_fired_at: self.faults.fired_at,
            timeline: self.timeline.map(timeline::Recorder::finish),
            out_of_events: self.out_of_events,
        }
    }
}

/// Services with an output table, judged as processors: the output table's records are their
/// outputs, its consumer table's member their consuming side. A transactional output promises
/// exactly-once (the code commits its input offsets in the transaction), any other at-least-once.
fn service_processors(s: &crate::scenario::Scenario) -> Vec<ProcessorInfo> {
    s.services
        .iter()
        .filter_map(|svc| {
            let out = svc.outputs.first()?;
            let p = s.producers.iter().position(|p| &p.name == out)?;
            let c = svc.consumers.first().and_then(|c| s.consumers.iter().position(|x| &x.name == c))?;
            let (pspec, cspec) = (&s.producers[p], &s.consumers[c]);
            let guarantee = if pspec.config.transactional_id.is_some() {
                ProcessingGuarantee::ExactlyOnceV2
            } else {
                ProcessingGuarantee::AtLeastOnce
            };
            Some(ProcessorInfo {
                name: svc.name.clone(),
                group: cspec.group.clone(),
                input: cspec.topics.first()?.clone(),
                output: pspec.topic.clone(),
                producer: p as u32,
                consumer: c as u32,
                guarantee,
            })
        })
        .collect()
}
