//! `[expect]`: each line names an anomaly of the report and a bound a count can meet.

use super::Problem;
use crate::scenario::model::{Bound, Scenario};

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    // The anomaly is typed (`Anomaly`): only its bound can be wrong.
    for x in &s.expect {
        let path = format!("expect.{}", x.anomaly.name());
        if x.bound == Bound::Lt(0) {
            out.push(Problem::new(
                path,
                format!("`{}` = \"<0\" can never hold: counts are never negative", x.anomaly.name()),
            ));
        }
    }
}
