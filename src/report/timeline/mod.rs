//! The timeline of one run: `--html` (one self-contained page: the run's data as one JSON blob,
//! drawn by an inline script, with zoom, a scrubber, an offset inspector and each anomaly's
//! story) and `--svg` (a static picture of the same lanes, for docs and issues).
//!
//! Everything shown comes from the history, the final logs, the timeline the world collected
//! ([`RunOptions::timeline`](crate::world::RunOptions)) and the trace lines; see
//! docs/report.md, "The timeline page".

mod html;
mod json;
pub mod model;
mod svg;

use crate::report::Report;
use crate::scenario::Scenario;
use crate::world::RunOutput;

pub use model::{FaultTrigger, Page};

/// Why no timeline can be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// The run did not collect it: set `RunOptions::timeline`.
    #[error("the run collected no timeline: run it with RunOptions {{ timeline: true, .. }}")]
    NotCollected,
}

/// The page's data for one run (which must have collected its timeline).
pub fn page(scenario: &Scenario, report: &Report, out: &RunOutput) -> Result<Page, TimelineError> {
    let timeline = out.timeline.as_ref().ok_or(TimelineError::NotCollected)?;
    let triggers: Vec<FaultTrigger> = scenario
        .faults
        .iter()
        .zip(&out.faults_fired_at)
        .filter_map(|(f, at)| {
            Some(FaultTrigger {
                at: (*at)?,
                action: f.action,
                trigger: crate::scenario::write::trigger_text(scenario, &f.trigger),
            })
        })
        .collect();
    Ok(model::build(&out.history, timeline, report, &triggers))
}

/// The self-contained HTML page of one run.
pub fn html(scenario: &Scenario, report: &Report, out: &RunOutput) -> Result<String, TimelineError> {
    Ok(html::render(&page(scenario, report, out)?))
}

/// The static SVG picture of one run.
pub fn svg(scenario: &Scenario, report: &Report, out: &RunOutput) -> Result<String, TimelineError> {
    Ok(svg::render(&page(scenario, report, out)?))
}
