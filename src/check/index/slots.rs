//! One producer's per-record slots, kept as runs (issue 14, item 1: a checker that works in
//! ranges). Consecutive records that share every field, their send sequence numbers stepping by
//! one, are one entry: a batch's records are sent, acknowledged and written together, so they
//! cost one slot, not one each. A block of records that strays into many runs (many duplicates,
//! scattered batches) is kept record by record instead, and so are all the records of a keyed
//! producer (its batches scatter over its records) and of one with few records.

use super::{Rec, NONE};
use crate::record::RecordList;

/// Records per block: the unit a lookup finds in one step.
const BLOCK: u32 = 256;
/// Most runs a block keeps before it turns dense: a lookup searches them, and records changed one
/// at a time (duplicates, a keyed producer's scattered batches) are cheaper as slots.
const MAX_RUNS: usize = 8;

/// A run: the records from `start` (an offset in its block) to the next run's start share `rec`,
/// whose `send_seq` is the first record's (the others' step by one).
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u32,
    rec: Rec,
}

impl Run {
    /// The slot of the record `off` records into the run.
    #[inline]
    fn at(&self, off: u32) -> Rec {
        let mut r = self.rec;
        if r.send_instance != NONE {
            r.send_seq = r.send_seq.wrapping_add(off);
        }
        r
    }
}

/// `BLOCK` records: as runs (none yet: every record empty), or one slot each (up to the last
/// record that was set: the records after it are empty).
#[derive(Debug, Clone)]
enum Block {
    Runs(Vec<Run>),
    Dense(Vec<Rec>),
}

/// The end (an offset in the block) of run `k` of `runs`.
#[inline]
fn run_end(runs: &[Run], k: usize) -> u32 {
    runs.get(k + 1).map_or(BLOCK, |r| r.start)
}

/// Sets the records at offsets `at..stop`, inside run `k` of `runs`, to `rec` (the slot of the
/// record at `at`): the run is cut around them, and the new run joins a neighbour it continues
/// (same fields, send sequence numbers stepping on), so that records changed one at a time, as
/// the copies of a duplicated batch are, still make one run.
fn place(runs: &mut Vec<Run>, k: usize, at: u32, stop: u32, rec: Rec) {
    let (start, end) = (runs[k].start, run_end(runs, k));
    if stop < end {
        let tail = Run { start: stop, rec: runs[k].at(stop - start) };
        runs.insert(k + 1, tail);
    }
    let mut j = k;
    if at > start {
        runs.insert(k + 1, Run { start: at, rec });
        j = k + 1;
    } else {
        runs[k].rec = rec;
    }
    // The right neighbour, when it begins where these records end and continues them.
    if let Some(next) = runs.get(j + 1) {
        if next.start == stop && (Run { start: at, rec }).at(stop - at) == next.rec {
            runs.remove(j + 1);
        }
    }
    // The left one, when these records continue it.
    if j > 0 && runs[j - 1].at(at - runs[j - 1].start) == rec {
        runs.remove(j);
    }
}

impl Block {
    /// The slot of the record at `off`.
    #[inline]
    fn get(&self, off: u32) -> Rec {
        match self {
            Block::Dense(d) => d.get(off as usize).copied().unwrap_or(Rec::EMPTY),
            Block::Runs(runs) => match runs.partition_point(|r| r.start <= off).checked_sub(1) {
                Some(k) => runs[k].at(off - runs[k].start),
                None => Rec::EMPTY,
            },
        }
    }

    /// Calls `f(first index, count, slot)` for each run of the records at offsets `lo..hi` (a run
    /// of one in a dense block), in order, while it returns true; `base` is the block's first
    /// index. Returns whether every call did.
    fn update(&mut self, base: u32, lo: u32, hi: u32, f: &mut impl FnMut(u32, u32, &mut Rec) -> bool) -> bool {
        let all = match self {
            Block::Dense(d) => {
                if d.len() < hi as usize {
                    // Room for the whole block at most, never twice what it holds.
                    d.reserve_exact(BLOCK as usize - d.len());
                    d.resize(hi as usize, Rec::EMPTY);
                }
                return (lo..hi).all(|off| f(base + off, 1, &mut d[off as usize]));
            }
            Block::Runs(runs) => {
                if runs.is_empty() {
                    runs.push(Run { start: 0, rec: Rec::EMPTY });
                }
                let mut at = lo;
                let mut all = true;
                while at < hi {
                    // The first run starts at 0, so some run holds `at`.
                    let k = runs.partition_point(|r| r.start <= at) - 1;
                    let stop = run_end(runs, k).min(hi);
                    let old = runs[k].at(at - runs[k].start);
                    let mut rec = old;
                    all = f(base + at, stop - at, &mut rec);
                    // A run is cut only where its records change.
                    if rec != old {
                        place(runs, k, at, stop, rec);
                    }
                    if !all {
                        break;
                    }
                    at = stop;
                }
                all
            }
        };
        if matches!(self, Block::Runs(runs) if runs.len() > MAX_RUNS) {
            self.densify();
        }
        all
    }

    /// Turns a block of runs into one slot per record, up to its last run's start when that run
    /// is empty (the records past the last one set, whose slots a dense block leaves out).
    #[cold]
    fn densify(&mut self) {
        let Block::Runs(runs) = self else { return };
        let last = runs.last().filter(|r| r.rec == Rec::EMPTY).map_or(BLOCK, |r| r.start);
        let mut d = Vec::with_capacity(last as usize);
        for (k, r) in runs.iter().enumerate() {
            d.extend((0..run_end(runs, k).min(last).saturating_sub(r.start)).map(|off| r.at(off)));
        }
        *self = Block::Dense(d);
    }
}

/// One producer's slots: `len` records, in blocks of `BLOCK`, or flat (one slot per record, in
/// `flat`) for a producer whose batches are not runs of consecutive records (a keyed producer's
/// batches are scattered over its records) or that has few records.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    blocks: Vec<Block>,
    len: usize,
    /// Whether the slots are `flat`, not blocks.
    is_flat: bool,
    flat: Vec<Rec>,
}

/// Producers with at most this many records keep one slot per record.
const FEW: u32 = 4 * BLOCK;

impl Slots {
    /// Slots for a producer of `records` records (as the scenario declares them; `None` when it
    /// does not) that is `keyed` or not: flat for a few records or a keyed producer, in runs
    /// otherwise.
    pub fn new(records: Option<u32>, keyed: bool) -> Slots {
        Slots { is_flat: keyed || records.is_some_and(|n| n <= FEW), ..Slots::default() }
    }

    /// How many records it holds slots for: one past the highest index the history named.
    pub fn len(&self) -> usize {
        if self.is_flat {
            self.flat.len()
        } else {
            self.len
        }
    }

    /// The slots, when they are flat.
    #[inline]
    pub fn flat_mut(&mut self) -> Option<&mut [Rec]> {
        self.is_flat.then_some(&mut self.flat[..])
    }

    /// The slot of record `index`, if it has one.
    #[inline]
    pub fn get(&self, index: u32) -> Option<Rec> {
        if self.is_flat {
            return self.flat.get(index as usize).copied();
        }
        if index as usize >= self.len {
            return None;
        }
        Some(self.blocks[(index / BLOCK) as usize].get(index % BLOCK))
    }

    /// Whether the slots are flat.
    pub fn is_flat(&self) -> bool {
        self.is_flat
    }

    /// Grows to hold record `index` (an empty slot for each record it adds).
    #[inline]
    pub fn grow(&mut self, index: u32) {
        let need = index as usize + 1;
        if self.is_flat {
            if need > self.flat.len() {
                self.flat.resize(need, Rec::EMPTY);
            }
            return;
        }
        if need > self.len {
            self.len = need;
            let blocks = need.div_ceil(BLOCK as usize);
            if blocks > self.blocks.len() {
                self.blocks.resize_with(blocks, || Block::Runs(Vec::new()));
            }
        }
    }

    /// Grows to hold the records `first..first + n` and calls `f(first index, count, slot)` for
    /// each of their runs, in order, while it returns true; returns whether every call did. `f`
    /// changes a run as a whole: the same change for each of its records, and a `send_seq` set
    /// for the first record stands for the others stepping by one. `first + n` must not pass
    /// `u32::MAX + 1`.
    pub fn update(&mut self, first: u32, n: u32, mut f: impl FnMut(u32, u32, &mut Rec) -> bool) -> bool {
        let Some(last) = n.checked_sub(1).map(|k| first + k) else { return true };
        self.grow(last);
        if self.is_flat {
            let slots = &mut self.flat[first as usize..=last as usize];
            return slots.iter_mut().zip(first..).all(|(r, index)| f(index, 1, r));
        }
        let mut at = first;
        loop {
            let b = at / BLOCK;
            let done = last / BLOCK == b;
            let hi = if done { last % BLOCK + 1 } else { BLOCK };
            if !self.blocks[b as usize].update(b * BLOCK, at % BLOCK, hi, &mut f) {
                return false;
            }
            if done {
                return true;
            }
            at = (b + 1) * BLOCK;
        }
    }

    /// `update` for one record, with a direct path for flat slots and a dense block.
    #[inline]
    pub fn update_one(&mut self, index: u32, f: impl FnOnce(&mut Rec) -> bool) -> bool {
        self.grow(index);
        if self.is_flat {
            return f(&mut self.flat[index as usize]);
        }
        let (b, off) = ((index / BLOCK) as usize, (index % BLOCK) as usize);
        if let Block::Dense(d) = &mut self.blocks[b] {
            if let Some(r) = d.get_mut(off) {
                return f(r);
            }
        }
        let mut f = Some(f);
        self.update(index, 1, |_, _, r| f.take().is_some_and(|f| f(r)))
    }

    /// Calls `f(first index, count, slot)` for each run of its records, in order (a run of one
    /// for each record of a dense block or of flat slots).
    #[inline]
    pub fn for_each_run(&self, mut f: impl FnMut(u32, u32, &Rec)) {
        if self.is_flat {
            for (r, index) in self.flat.iter().zip(0u32..) {
                f(index, 1, r);
            }
            return;
        }
        for (b, block) in self.blocks.iter().enumerate() {
            let base = b * BLOCK as usize;
            // The block's records that the slots hold.
            let end = (self.len - base).min(BLOCK as usize) as u32;
            let base = base as u32;
            match block {
                Block::Runs(runs) if runs.is_empty() => f(base, end, &Rec::EMPTY),
                Block::Runs(runs) => {
                    for (k, r) in runs.iter().enumerate().take_while(|(_, r)| r.start < end) {
                        f(base + r.start, run_end(runs, k).min(end) - r.start, &r.rec);
                    }
                }
                Block::Dense(d) => {
                    let set = d.len().min(end as usize);
                    for (off, r) in d[..set].iter().enumerate() {
                        f(base + off as u32, 1, r);
                    }
                    if set < end as usize {
                        f(base + set as u32, end - set as u32, &Rec::EMPTY);
                    }
                }
            }
        }
    }
}

/// Calls `f(position in records, first index, count, slot)` for each run of slots holding the
/// records of `records` (grown to hold them all), in order: runs of the slots over each stretch
/// of consecutive records (the whole list, in the usual batch), or record by record in flat
/// slots.
#[inline]
pub(super) fn each_run(v: &mut Slots, records: &RecordList, mut f: impl FnMut(usize, u32, u32, &mut Rec)) {
    // A run, or (at the very top of the record numbers) a list that runs on.
    let run = records.first_of_run().or_else(|| records.list().and_then(crate::record::consecutive));
    let list = records.list().unwrap_or_default();
    match run {
        Some(first) => {
            v.update(first, records.len() as u32, |idx, n, r| {
                f((idx - first) as usize, idx, n, r);
                true
            });
        }
        None if v.is_flat() => {
            // Flat slots grow once, to the list's highest record (a fold vectorizes where
            // `max()`'s `Option` does not).
            let Some((&first, rest)) = list.split_first() else { return };
            v.grow(rest.iter().copied().fold(first, u32::max));
            let flat = v.flat_mut().expect("flat slots");
            for (pos, &idx) in list.iter().enumerate() {
                f(pos, idx, 1, &mut flat[idx as usize]);
            }
        }
        None => {
            // Stretch by stretch of consecutive records.
            let mut pos = 0;
            while let Some(&first) = list.get(pos) {
                let n = crate::record::stretch(&list[pos..]);
                v.update(first, n as u32, |idx, k, r| {
                    f(pos + (idx - first) as usize, idx, k, r);
                    true
                });
                pos += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(seq: u32, flags: u16) -> Rec {
        Rec { flags, send_instance: 0, send_seq: seq, ..Rec::EMPTY }
    }

    /// A record's flags and send sequence number.
    type Seen = Vec<(u16, u32)>;

    /// Every record's slot, as `get` gives it and as `for_each_run` walks it.
    fn both(s: &Slots) -> (Seen, Seen) {
        let got = (0..s.len() as u32).map(|i| s.get(i).map(|r| (r.flags, r.send_seq)).unwrap()).collect();
        let mut walked: Seen = Vec::new();
        s.for_each_run(|first, n, r| {
            // Runs come in order, each where the last one ended.
            assert_eq!(first as usize, walked.len());
            let run = Run { start: first, rec: *r };
            walked.extend((0..n).map(|off| run.at(off)).map(|r| (r.flags, r.send_seq)));
        });
        (got, walked)
    }

    /// Each block of runs starts a run at 0, its runs' starts rise strictly (no empty run), and
    /// no run continues the one before it (they would be one run).
    fn assert_runs_are_maximal(s: &Slots) {
        for block in &s.blocks {
            let Block::Runs(runs) = block else { continue };
            assert!(runs.first().is_none_or(|r| r.start == 0), "{runs:?}");
            for w in runs.windows(2) {
                assert!(w[0].start < w[1].start, "an empty run: {runs:?}");
                assert_ne!(w[0].at(w[1].start - w[0].start), w[1].rec, "runs that continue each other: {runs:?}");
            }
        }
    }

    #[test]
    fn runs_dense_blocks_and_flat_slots_give_the_same_slots_as_one_slot_per_record_under_random_updates() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        // A draw from lo..=hi (the modulo's bias does not matter here).
        let draw = |rng: &mut rand::rngs::ChaCha8Rng, lo: u64, hi: u64| lo + rng.next_u64() % (hi - lo + 1);
        for round in 0..100 {
            // In blocks, and flat as for a producer of few records or a keyed one.
            let mut s = match round % 3 {
                0 => Slots::default(),
                1 => Slots::new(Some(FEW), false),
                _ => Slots::new(None, true),
            };
            let mut model: Vec<(u16, u32)> = Vec::new();
            for _ in 0..draw(&mut rng, 1, 200) {
                // Mostly batches of consecutive records, sometimes one record far off.
                let first = draw(&mut rng, 0, 2_000) as u32;
                let n = if draw(&mut rng, 0, 4) == 0 { 1 } else { draw(&mut rng, 1, 300) as u32 };
                // Half the updates continue the records' sequence numbers (the index itself) with
                // one of two flags, so that runs meet neighbours they continue and must join.
                let continuing = round % 2 == 0;
                let bit = 1u16 << if continuing { draw(&mut rng, 0, 1) } else { draw(&mut rng, 0, 8) };
                let seq = if continuing { first } else { rng.next_u32() };
                if n == 1 && draw(&mut rng, 0, 1) == 0 {
                    // The one-record path (direct in flat slots and dense blocks).
                    s.update_one(first, |r| {
                        *r = slot(seq, r.flags | bit);
                        true
                    });
                } else {
                    s.update(first, n, |i, _, r| {
                        *r = slot(seq.wrapping_add(i - first), r.flags | bit);
                        true
                    });
                }
                let end = (first + n) as usize;
                if model.len() < end {
                    model.resize(end, (0, 0));
                }
                for i in first..first + n {
                    let m = &mut model[i as usize];
                    *m = (m.0 | bit, seq.wrapping_add(i - first));
                }
                assert_runs_are_maximal(&s);
            }
            let (got, walked) = both(&s);
            // Never-touched records read as empty slots (flags 0, sequence 0).
            assert_eq!(got, model);
            assert_eq!(walked, model);
        }
    }

    #[test]
    fn an_update_stops_at_the_first_run_it_refuses_and_leaves_that_run_untouched() {
        let mut s = Slots::default();
        s.update(0, 100, |_, _, r| {
            *r = slot(0, 1);
            true
        });
        s.update(100, 100, |_, _, r| {
            *r = slot(100, 2);
            true
        });
        let mut seen = Vec::new();
        let all = s.update(50, 300, |i, n, r| {
            seen.push((i, n));
            if r.flags == 2 {
                return false;
            }
            r.flags |= 4;
            true
        });
        assert!(!all);
        assert_eq!(seen, [(50, 50), (100, 100)]);
        assert_eq!(s.get(49).unwrap().flags, 1);
        assert_eq!(s.get(50).unwrap().flags, 5);
        assert_eq!(s.get(150).unwrap().flags, 2);
        assert_eq!(s.get(151).unwrap().send_seq, 151);
        // It grew for the whole range before walking it.
        assert_eq!(s.len(), 350);
    }

    #[test]
    fn a_block_split_into_many_runs_keeps_one_slot_per_record() {
        let mut s = Slots::default();
        for i in 0..BLOCK {
            s.update(i, 1, |_, _, r| {
                *r = slot(i * 2, (i % 2) as u16);
                true
            });
        }
        assert!(matches!(s.blocks[0], Block::Dense(_)));
        assert_eq!(s.get(7).unwrap().send_seq, 14);
        let mut runs = 0;
        s.for_each_run(|_, n, _| {
            assert_eq!(n, 1);
            runs += 1;
        });
        assert_eq!(runs, BLOCK);
    }

    #[test]
    fn a_dense_blocks_records_past_its_last_set_one_are_walked_as_one_empty_run() {
        let mut s = Slots::default();
        for i in 0..20 {
            s.update_one(i, |r| {
                *r = slot(i * 2, 1);
                true
            });
        }
        s.update_one(300, |r| {
            r.flags = 1;
            true
        });
        assert!(matches!(&s.blocks[0], Block::Dense(d) if d.len() == 20));
        let mut runs = Vec::new();
        s.for_each_run(|first, n, r| runs.push((first, n, r.flags)));
        assert_eq!(runs[19..22], [(19, 1, 1), (20, 236, 0), (256, 44, 0)]);
        assert_eq!(s.get(100), Some(Rec::EMPTY));
    }

    #[test]
    fn records_changed_one_at_a_time_as_a_duplicated_batch_is_walked_still_make_one_run() {
        let mut s = Slots::default();
        s.update(0, 100, |i, _, r| {
            *r = slot(i, 1);
            true
        });
        for i in 10..60 {
            s.update(i, 1, |_, _, r| {
                r.count += 1;
                true
            });
        }
        let mut runs = Vec::new();
        s.for_each_run(|first, n, r| runs.push((first, n, r.count)));
        assert_eq!(runs, [(0, 10, 0), (10, 50, 1), (60, 40, 0)]);
        // An update that changes nothing cuts nothing.
        s.update(20, 5, |_, _, r| {
            r.flags |= 1;
            true
        });
        let mut n = 0;
        s.for_each_run(|_, _, _| n += 1);
        assert_eq!(n, 3);
    }

    #[test]
    fn a_list_of_two_stretches_updates_each_as_a_range_with_its_positions() {
        let mut s = Slots::default();
        let mut seen = Vec::new();
        each_run(&mut s, &RecordList::from(vec![300, 301, 302, 10, 11]), |pos, idx, n, r| {
            seen.push((pos, idx, n));
            r.flags |= 1;
        });
        assert_eq!(seen, [(0, 300, 3), (3, 10, 2)]);
        assert_eq!((0..s.len() as u32).filter(|&i| s.get(i).unwrap().flags == 1).count(), 5);
        // A list, or a stretch of one, that crosses a block's end is two runs, each told its
        // position in the list.
        for (list, runs) in [
            (&[250u32, 251, 252, 253, 254, 255, 256, 257, 258, 259][..], &[(0usize, 250u32, 6u32), (6, 256, 4)][..]),
            (&[5, 254, 255, 256, 257], &[(0, 5, 1), (1, 254, 2), (3, 256, 2)]),
        ] {
            let mut seen = Vec::new();
            each_run(&mut Slots::default(), &RecordList::from(list), |pos, idx, n, _| seen.push((pos, idx, n)));
            assert_eq!(seen, runs);
        }
    }

    #[test]
    fn a_batch_of_consecutive_records_is_a_handful_of_runs() {
        let mut s = Slots::default();
        for b in 0..10u32 {
            s.update(b * 200, 200, |i, _, r| {
                *r = slot(i, 1);
                true
            });
        }
        let mut runs = 0;
        s.for_each_run(|_, _, _| runs += 1);
        // 2,000 records: 10 batches, cut once more at each block boundary that falls inside one.
        assert!(runs <= 18, "{runs} runs");
        assert!(s.blocks.iter().all(|b| matches!(b, Block::Runs(_))));
    }
}
