//! The shape of the house (docs/architecture.md), held by tests: the layers import only
//! downwards, the module graph has no cycles, and no source file outgrows a reading.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The top-level module a file of src/ belongs to (`src/broker/node.rs` → `broker`).
fn module_of(p: &Path) -> Option<String> {
    let rel = p.strip_prefix("src").ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "bin")).then(|| name.to_string())
}

/// For each top-level module, the other top-level modules its code names as `crate::X`.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in sources(Path::new("src")) {
        let Some(m) = module_of(&p) else { continue };
        let text = std::fs::read_to_string(&p).expect("read");
        let uses = graph.entry(m.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String =
                text[i + "crate::".len()..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            let is_module =
                Path::new("src").join(&name).is_dir() || Path::new("src").join(format!("{name}.rs")).is_file();
            if is_module && name != m {
                uses.insert(name);
            }
        }
    }
    graph
}

#[test]
fn the_module_import_graph_has_no_cycles() {
    let graph = import_graph();
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|x| x == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}\ngraph: {graph:#?}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_data_layer_and_the_kernel_import_nothing_above_them() {
    let graph = import_graph();
    let allowed: [(&str, &[&str]); 4] =
        [("error", &[]), ("record", &["error"]), ("scenario", &["record", "error"]), ("sim", &["record", "error"])];
    for (module, may) in allowed {
        let uses = graph.get(module).cloned().unwrap_or_default();
        let above: Vec<&String> = uses.iter().filter(|u| !may.contains(&u.as_str())).collect();
        assert!(above.is_empty(), "{module} imports {above:?}, above its layer");
    }
    // The checker judges from the history alone: never from the model.
    let check = &graph["check"];
    for model in ["world", "broker", "client", "sim", "fault"] {
        assert!(!check.contains(model), "check imports {model}");
    }
}

#[test]
fn no_source_file_is_over_800_lines() {
    let long: Vec<String> = sources(Path::new("src"))
        .into_iter()
        .filter_map(|p| {
            let lines = std::fs::read_to_string(&p).expect("read").lines().count();
            (lines > 800).then(|| format!("{} ({lines} lines)", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by what they do: {long:?}");
}
