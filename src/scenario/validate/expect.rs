//! `[expect]`: each line names an anomaly of the report and a bound a count can meet.

use super::Problem;
use crate::report::Anomalies;
use crate::scenario::model::{Bound, Scenario};
use crate::scenario::spell::nearest;

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    for x in &s.expect {
        let path = format!("expect.{}", x.anomaly);
        if !Anomalies::NAMES.contains(&x.anomaly.as_str()) {
            let hint = nearest(&x.anomaly, Anomalies::NAMES.iter().copied())
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            out.push(Problem::new(&path, format!("unknown key `{}` in [expect]{hint}", x.anomaly)).at_key());
        }
        if x.bound == Bound::Lt(0) {
            out.push(Problem::new(path, format!("`{}` = \"<0\" can never hold: counts are never negative", x.anomaly)));
        }
    }
}
