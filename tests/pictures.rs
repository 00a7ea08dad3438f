//! The pictures in docs/pictures/ (docs/pictures.sh draws them with `kafkasim run --svg`) must
//! be what their examples render now: a change to the model or to the picture shows here, and
//! `docs/pictures.sh` redraws them (or `UPDATE_PICTURES=1 cargo test --test pictures`).

use std::path::Path;

use kafkasim::{run_seed, RunOptions};

/// Render examples/scenarios/NAME.toml at its own seed as `--svg` does.
fn render(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sc = kafkasim::scenario::load_file(&root.join("examples/scenarios").join(format!("{name}.toml"))).unwrap();
    let (report, out) = run_seed(&sc, sc.seed, RunOptions { timeline: true, ..RunOptions::default() }).unwrap();
    kafkasim::report::timeline::svg(&sc, &report, &out).unwrap()
}

/// The pictures whose names start in `range` (the tests split them to run side by side).
fn check(range: std::ops::RangeInclusive<char>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pictures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".svg").map(str::to_string))
        .filter(|n| n.chars().next().is_some_and(|c| range.contains(&c)))
        .collect();
    names.sort();
    let mut stale = Vec::new();
    for name in &names {
        let file = dir.join(format!("{name}.svg"));
        let now = render(name);
        if std::fs::read_to_string(&file).ok().as_deref() != Some(now.as_str()) {
            if std::env::var("UPDATE_PICTURES").as_deref() == Ok("1") {
                std::fs::write(&file, now).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/pictures/ no longer matches what these examples render: {stale:?}; redraw them with docs/pictures.sh"
    );
}

#[test]
fn checked_in_pictures_from_a_to_d_match_what_their_examples_render() {
    check('a'..='d');
}

#[test]
fn checked_in_pictures_from_e_to_o_match_what_their_examples_render() {
    check('e'..='o');
}

#[test]
fn checked_in_pictures_from_p_to_z_match_what_their_examples_render() {
    check('p'..='z');
}

/// Every picture the docs embed exists, and every picture is embedded somewhere.
#[test]
fn every_picture_is_embedded_in_the_docs_and_every_embedded_picture_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs: String = ["producer-semantics", "consumer-semantics", "streams-semantics", "transactions"]
        .iter()
        .map(|d| std::fs::read_to_string(root.join(format!("docs/{d}.md"))).unwrap())
        .collect();
    for e in std::fs::read_dir(root.join("docs/pictures")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(docs.contains(&format!("(pictures/{name})")), "docs/pictures/{name} is embedded in no chapter");
    }
    for (i, _) in docs.match_indices("](pictures/") {
        let rest = &docs[i + 2..];
        let file = &rest[..rest.find(')').unwrap()];
        assert!(root.join("docs").join(file).exists(), "docs embed {file}, which does not exist");
    }
}
