//! Bug: a consumer's failed fetch pushed back the one retry time that its metadata refresh and
//! coordinator lookup wait for. When fetches failed in turn at two brokers (one dead and
//! refusing, the other no longer leading, or a restarted broker that refuses connections until
//! it registers), each failure came before the retry time it had to wait for, so the refresh that
//! would have found the new leaders never went out: the member fetched from the same two brokers
//! every 100 ms for up to 28 s, its session expired meanwhile, and the partitions it kept
//! processing as a zombie were processed again by the other member. Runs: the bundled
//! `transactions-nemesis-sweep.toml`, seed 5 (member c1/0, 26 s without a metadata request; 240
//! records processed twice) and, once restarted brokers refused connections, seed 55 (c1/1, 16 s;
//! 104 records processed twice). Java's fetcher backs off only the node whose fetch failed and
//! asks for a metadata update, which goes out on its own schedule (`Fetcher`, `Metadata`), and a
//! disconnect of a coordinator request marks the coordinator unknown (`AbstractCoordinator`).
//! Fix: a failed fetch backs off its broker only and wakes the member without delaying lookups
//! (`Consumer::wake_at`); a commit cut off by a disconnect forgets the coordinator, as the other
//! group requests did.

use std::path::Path;

use kafkasim::record::Anomaly;

/// The longest a member waits, after a fetch of it failed, for its next metadata request to
/// reach a broker (or an answer to reach it).
fn longest_wait_for_metadata(trace: &[String], member: &str) -> u64 {
    let mut fails = Vec::new();
    let mut metadata = Vec::new();
    for line in trace {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = f.first().and_then(|t| t.parse::<u64>().ok()) else { continue };
        if f.len() < 4 {
            continue;
        }
        let failed = f[3] == "Refused" || (f[3] == "ConsumerFetchResp" && line.contains("error="));
        if f[1] == member && failed {
            fails.push(at);
        }
        if (f[1] == member && f[3] == "MetadataResp") || (f[2] == member && f[3] == "Metadata") {
            metadata.push(at);
        }
    }
    fails.iter().filter_map(|&t| metadata.iter().find(|&&m| m > t).map(|&m| m - t)).max().unwrap_or(0)
}

#[test]
fn a_consumer_whose_fetches_fail_in_turn_at_two_brokers_still_refreshes_its_metadata() {
    let s = kafkasim::scenario::load_file(Path::new("examples/scenarios/transactions-nemesis-sweep.toml"))
        .expect("bundled example");
    for seed in [5, 55] {
        let (report, out) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::traced()).unwrap();
        for member in ["c1/0", "c1/1"] {
            // A metadata request in flight to an isolated broker is given up after 10 s (the
            // lookup timeout); no fetch failure should leave the member waiting longer.
            let wait = longest_wait_for_metadata(&out.trace, member);
            assert!(wait < 10_000, "seed {seed}: {member} waited {wait} ms for metadata after a failed fetch");
        }
        assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0, "seed {seed}: {:#?}", report.findings);
    }
}
