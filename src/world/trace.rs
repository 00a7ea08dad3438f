//! Recording the typed trace: every handled event is hashed; the events of the families the
//! run's filter keeps are also printed, one fixed-column line each, with nodes named as the
//! report names them (`p1/0`, `c1/0`, `s1/1`, `broker:2`, `controller`).

use std::fmt::Write;

use super::World;
use crate::sim::trace::{TraceEvent, TraceKind};
use crate::sim::NodeId;

/// The first line of a printed trace: what each column holds.
pub const TRACE_HEADER: &str = "     time  node         peer         event";

impl World<'_> {
    /// Hash `ev` into the trace hash and, when its family is kept, print it; `extra` adds what
    /// the event alone does not say (a timer's name, a fault's target).
    pub(super) fn record(&mut self, ev: TraceEvent, extra: impl FnOnce(&Self) -> String) {
        self.k.events += 1;
        ev.hash_into(&mut self.k.hash);
        let family = ev.kind.family();
        let print = self.k.filter.contains(family);
        let page = self.timeline.as_mut().is_some_and(|t| t.wants_line(family));
        if !print && !page {
            return;
        }
        let line = self.render(&ev, extra(self));
        match self.timeline.as_mut().filter(|_| page) {
            Some(t) if print => {
                t.push_line(ev.at, line.clone());
                self.k.trace.push(line);
            }
            Some(t) => t.push_line(ev.at, line),
            None => self.k.trace.push(line),
        }
    }

    /// One trace line: time, node, peer, then the event with its request id and facts. Written
    /// into one buffer, labels in place (the timeline page keeps a line per message).
    fn render(&self, ev: &TraceEvent, extra: String) -> String {
        let mut line = String::with_capacity(64);
        let _ = write!(line, "{:>9}  ", ev.at);
        self.write_label(&mut line, ev.node, 12);
        line.push(' ');
        match ev.peer {
            Some(p) => self.write_label(&mut line, p, 12),
            None => line.push_str("-           "),
        }
        line.push(' ');
        match &ev.kind {
            TraceKind::Message(m) => {
                let _ = write!(line, "{}", m.api);
                if let Some(req) = m.req {
                    // The request id names the client end: the receiver of a response, the
                    // sender of a request.
                    let client = match ev.node {
                        NodeId::Producer(_) | NodeId::Consumer(_) => ev.node,
                        _ => ev.peer.unwrap_or(ev.node),
                    };
                    line.push(' ');
                    self.write_label(&mut line, client, 0);
                    let _ = write!(line, "#{}", req.n);
                }
                for f in m.facts.iter().flatten() {
                    let _ = write!(line, " {f}");
                }
            }
            TraceKind::Timer => {
                let _ = write!(line, "timer {extra}");
            }
            TraceKind::Fault(a) => {
                let _ = write!(line, "fault {} {extra}", a.as_str());
            }
            TraceKind::FaultSkipped => line.push_str("fault skipped (safe power-loss rule)"),
            TraceKind::Heal => {
                let _ = write!(line, "heal {extra}");
            }
            TraceKind::Restart => line.push_str("restart"),
        }
        line
    }

    /// How the trace names node `n`: `controller`, `broker:2`, a producer as `NAME/INSTANCE`
    /// (the instance counts its restarts), a group member as `NAME/K`; written onto `line` and
    /// padded with spaces to `width` characters.
    fn write_label(&self, line: &mut String, n: NodeId, width: usize) {
        let start = line.len();
        let _ = match n {
            NodeId::Producer(p) => {
                line.push_str(&self.nodes.specs[p as usize].name);
                write!(line, "/{}", self.work.producers[p as usize].instance)
            }
            NodeId::Consumer(m) => {
                let (c, k) = self.nodes.members[m as usize];
                line.push_str(&self.nodes.consumer_specs[c as usize].name);
                write!(line, "/{k}")
            }
            n => write!(line, "{n}"),
        };
        let written = line[start..].chars().count();
        line.extend(std::iter::repeat_n(' ', width.saturating_sub(written)));
    }
}
