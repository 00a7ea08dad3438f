//! Every `[[service]]`: a user service and the client tables its code owns (docs/services.md).
//! The loader reads the types; which tables exist, who owns them and how the instance counts
//! agree is `validate`'s, pointed back at the names written here.

use super::{Cx, Field, Tab, R};
use crate::scenario::model::ServiceSpec;
use crate::scenario::spell::MAX_INSTANCES;

pub(super) const SERVICE_KEYS: &[&str] = &["name", "instances", "producers", "consumers", "outputs"];

impl Cx<'_> {
    /// Every `[[service]]`.
    pub(super) fn services(&self, root: &Tab<'_>) -> R<Vec<ServiceSpec>> {
        let mut services = Vec::new();
        if let Some(f) = root.get("service") {
            for (i, t) in self.tables(f, "[[service]]")?.iter().enumerate() {
                services.push(self.service(t, &format!("service[{i}]"))?);
            }
        }
        Ok(services)
    }

    /// One `[[service]]` at `here`.
    fn service(&self, t: &Tab<'_>, here: &str) -> R<ServiceSpec> {
        self.check_keys(t, SERVICE_KEYS)?;
        self.note_table(here, t);
        let name_f = self.required(t, "name")?;
        self.note(&format!("{here}.name"), name_f);
        let mut svc = ServiceSpec::new(self.string(name_f)?);
        if let Some(f) = t.get("instances") {
            self.note(&format!("{here}.instances"), f);
            svc.instances = self.u32_in(f, 1, MAX_INSTANCES)?;
        }
        if let Some(f) = t.get("producers") {
            svc.producers = self.table_names(f, &format!("{here}.producers"), "[[producer]]")?;
        }
        if let Some(f) = t.get("consumers") {
            svc.consumers = self.table_names(f, &format!("{here}.consumers"), "[[consumer]]")?;
        }
        if let Some(f) = t.get("outputs") {
            svc.outputs = self.table_names(f, &format!("{here}.outputs"), "[[producer]]")?;
            // The service owns its output tables: `outputs` alone lists them.
            for o in &svc.outputs {
                if !svc.producers.contains(o) {
                    svc.producers.push(o.clone());
                }
            }
        }
        Ok(svc)
    }

    /// `producers` or `consumers` of a service at `path`: an array of table names.
    fn table_names(&self, f: Field<'_>, path: &str, kind: &str) -> R<Vec<String>> {
        self.note(path, f);
        let Some(array) = f.item.as_array() else {
            let mut e = self.type_err(f, &format!("an array of {kind} names"));
            if let Some(s) = f.item.as_str() {
                e.message.push_str(&format!(" (write [\"{s}\"])"));
            }
            return Err(e);
        };
        let mut out = Vec::new();
        for (j, v) in array.iter().enumerate() {
            let at = v.span().map_or(f.at, |s| s.start);
            self.note_at(&format!("{path}[{j}]"), at);
            let Some(name) = v.as_str() else {
                let found = super::value::kind(&toml_edit::Item::Value(v.clone()));
                return Err(self.err(at, format!("`{}` must list {kind} names (strings), found {found}", f.key)));
            };
            out.push(name.to_string());
        }
        Ok(out)
    }
}
