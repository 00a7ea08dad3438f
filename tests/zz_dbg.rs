use kafkasim::record::EventKind;
#[test]
fn dbg() {
    for stem in [
        "eos-processor-crash-after-producing",
        "eos-processor-crash-after-sending-offsets",
        "eos-processor-crash-after-committing",
        "eos-processor-zombie-fenced",
    ] {
        let s =
            kafkasim::scenario::load_file(std::path::Path::new(&format!("examples/scenarios/{stem}.toml"))).unwrap();
        let out = kafkasim::run(&s, 1, kafkasim::RunOptions::default()).unwrap();
        let processed: usize = out
            .history
            .events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Processed { records, .. } => records.len(),
                _ => 0,
            })
            .sum();
        let faults: Vec<u64> =
            out.history.events.iter().filter(|e| matches!(e.kind, EventKind::Fault { .. })).map(|e| e.at).collect();
        println!("{stem}: processed {processed} faults {faults:?}");
        // transactional output batches without a commit: count records in aborted txns of shipments
        for p in &out.history.partitions {
            if let Some(l) = p.leader_replica() {
                let aborted: Vec<(u64, usize)> = Vec::new();
                let _ = aborted;
                let n: usize = l.log.iter().filter(|b| b.meta.is_none()).map(|b| b.records.len()).sum();
                let markers: Vec<(u64, bool, i16)> = l
                    .log
                    .iter()
                    .filter_map(|b| b.marker().map(|c| (b.base_offset, c, b.producer_epoch)))
                    .filter(|m| !m.1)
                    .collect();
                if !markers.is_empty() {
                    println!("  part {:?} records {n} aborts {:?}", p.name(), markers);
                }
            }
        }
    }
}
