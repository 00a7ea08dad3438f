//! Faults as data: the scheduled `[[fault]]` list and the `[nemesis]`, expanded into concrete
//! (time or trigger, action, target) steps the world executes.

use crate::scenario::{FaultAction, FaultSpec, NemesisSpec, Target, TargetClass};
use crate::sim::{Rngs, Stream};

/// One nemesis fault drawn from the seed: when, what, and against which class of node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NemesisStep {
    /// Virtual time it fires.
    pub at_ms: u64,
    /// Action.
    pub action: FaultAction,
    /// Class of target; the concrete node is drawn when it fires.
    pub class: TargetClass,
    /// Restart delay for crashes and power losses.
    pub restart_after_ms: u64,
    /// Length of isolations and pauses.
    pub duration_ms: u64,
}

/// Draw the nemesis schedule up to `end_ms` from the nemesis stream.
pub fn nemesis_schedule(spec: &NemesisSpec, end_ms: u64, rngs: &mut Rngs) -> Vec<NemesisStep> {
    let mut steps = Vec::new();
    if spec.actions.is_empty() || spec.targets.is_empty() {
        return steps;
    }
    let stop = spec.stop_ms.min(end_ms);
    let mut t = spec.start_ms;
    loop {
        t += rngs.range(Stream::Nemesis, spec.interval_ms.0, spec.interval_ms.1).max(1);
        if t > stop {
            break;
        }
        let action = spec.actions[rngs.index(Stream::Nemesis, spec.actions.len())];
        let class = spec.targets[rngs.index(Stream::Nemesis, spec.targets.len())];
        let restart_after_ms = rngs.range(Stream::Nemesis, spec.restart_after_ms.0, spec.restart_after_ms.1);
        let duration_ms = rngs.range(Stream::Nemesis, spec.duration_ms.0, spec.duration_ms.1).max(1);
        steps.push(NemesisStep { at_ms: t, action, class, restart_after_ms, duration_ms });
    }
    steps
}

/// A fault in the form the world executes, whether scheduled or drawn by the nemesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultStep {
    /// Action.
    pub action: FaultAction,
    /// Target (already concrete, or resolved to a broker when it fires).
    pub target: Target,
    /// Restart delay (crash, power-loss); `None` = stays down.
    pub restart_after_ms: Option<u64>,
    /// Length (isolate, pause).
    pub duration_ms: u64,
}

impl From<&FaultSpec> for FaultStep {
    fn from(f: &FaultSpec) -> Self {
        FaultStep {
            action: f.action,
            target: f.target.clone(),
            restart_after_ms: f.restart_after_ms,
            duration_ms: f.duration_ms.unwrap_or(0),
        }
    }
}
