//! The page's data as JSON, written straight into the page's buffer: the same bytes
//! `serde_json::to_string(page)` gives, made safe inside a script element (`</` as `<\/`, `<!--`
//! as `<\u0021--`), without a string per value. Most of a long run's page is arrays of small
//! numbers, which this writes with one table lookup per two digits.
//!
//! A unit test holds it to serde_json's output; a field added to the page's data must be added
//! here too (in declaration order, as serde's derive writes them).

use super::model::{AnomalyView, FaultView, MemberLane, Page, PartitionView, ReplicaView, SenderLane, Story};

/// "00" to "99".
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Whether `b` has a byte a JSON string escapes (below 0x20, `"`, `\\`) or a `<`: eight
/// bytes at a time (a stray hit only takes the slow path, which writes the same).
fn needs_escape(b: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let has = |x: u64, c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGH != 0
    };
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_ne_bytes(c.try_into().expect("eight bytes"));
        if x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0 || has(x, b'"') || has(x, b'\\') || has(x, b'<') {
            return true;
        }
    }
    chunks.remainder().iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\' || c == b'<')
}

/// A JSON writer into one byte buffer.
struct W<'a>(&'a mut Vec<u8>);

impl W<'_> {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    #[inline]
    fn u64(&mut self, v: u64) {
        let out = &mut *self.0;
        if v < 10 {
            out.push(b'0' + v as u8);
        } else if v < 100 {
            let d = v as usize * 2;
            out.extend_from_slice(&[PAIRS[d], PAIRS[d + 1]]);
        } else if v < 10_000 {
            let (hi, lo) = ((v / 100) as usize, (v % 100) as usize * 2);
            if hi < 10 {
                out.extend_from_slice(&[b'0' + hi as u8, PAIRS[lo], PAIRS[lo + 1]]);
            } else {
                let hi = hi * 2;
                out.extend_from_slice(&[PAIRS[hi], PAIRS[hi + 1], PAIRS[lo], PAIRS[lo + 1]]);
            }
        } else {
            Self::long(out, v);
        }
    }

    /// Numbers of five digits or more (out of line, so that `u64` inlines into its loops).
    #[inline(never)]
    fn long(out: &mut Vec<u8>, mut v: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        while v >= 100 {
            let d = (v % 100) as usize * 2;
            v /= 100;
            i -= 2;
            buf[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
        }
        if v >= 10 {
            let d = v as usize * 2;
            i -= 2;
            buf[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
        } else {
            i -= 1;
            buf[i] = b'0' + v as u8;
        }
        out.extend_from_slice(&buf[i..]);
    }

    fn i64(&mut self, v: i64) {
        if v < 0 {
            self.0.push(b'-');
        }
        self.u64(v.unsigned_abs());
    }

    fn bool(&mut self, v: bool) {
        self.raw(if v { "true" } else { "false" });
    }

    fn opt(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.u64(v),
            None => self.raw("null"),
        }
    }

    /// A JSON string as serde_json escapes it, with `</` and `<!--` made script-safe.
    fn str(&mut self, s: &str) {
        let out = &mut *self.0;
        out.push(b'"');
        let b = s.as_bytes();
        if !needs_escape(b) {
            out.extend_from_slice(b);
            out.push(b'"');
            return;
        }
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                c if c < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(c >> 4) as usize]);
                    out.push(HEX[(c & 0xf) as usize]);
                }
                b'<' if b.get(i + 1) == Some(&b'/') => {
                    out.extend_from_slice(b"<\\/");
                    i += 1;
                }
                b'<' if b[i + 1..].starts_with(b"!--") => {
                    out.extend_from_slice(b"<\\u0021--");
                    i += 3;
                }
                c => out.push(c),
            }
            i += 1;
        }
        out.push(b'"');
    }

    /// `"key":` after the object's opening brace (`first`) or a comma.
    fn key(&mut self, k: &str, first: bool) {
        self.0.push(if first { b'{' } else { b',' });
        self.0.push(b'"');
        self.raw(k);
        self.raw("\":");
    }

    fn list<T>(&mut self, xs: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.0.push(b'[');
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            each(self, x);
        }
        self.0.push(b']');
    }

    fn u64s(&mut self, xs: &[u64]) {
        self.0.reserve(xs.len() * 4 + 2);
        self.0.push(b'[');
        if let Some((&first, rest)) = xs.split_first() {
            self.u64(first);
            for &x in rest {
                self.0.push(b',');
                self.u64(x);
            }
        }
        self.0.push(b']');
    }

    fn u32s(&mut self, xs: &[u32]) {
        self.list(xs, |w, &x| w.u64(x.into()));
    }

    fn strs(&mut self, xs: &[String]) {
        self.list(xs, |w, x| w.str(x));
    }

    fn end(&mut self) {
        self.0.push(b'}');
    }
}

/// Append `page`'s data to `out`.
pub fn write(out: &mut Vec<u8>, page: &Page) {
    let w = &mut W(out);
    w.key("title", true);
    w.str(&page.title);
    w.key("description", false);
    w.str(&page.description);
    w.key("seed", false);
    w.u64(page.seed);
    w.key("hash", false);
    w.str(&page.hash);
    w.key("end", false);
    w.u64(page.end);
    w.key("events", false);
    w.u64(page.events);
    w.key("passed", false);
    w.bool(page.passed);
    w.key("counts", false);
    w.list(&page.counts, |w, (k, n)| {
        w.raw("[");
        w.str(k);
        w.raw(",");
        w.u64(*n);
        w.raw("]");
    });
    w.key("producers", false);
    w.strs(&page.producers);
    w.key("partitions", false);
    w.list(&page.partitions, partition);
    w.key("senders", false);
    w.list(&page.senders, sender);
    w.key("members", false);
    w.list(&page.members, member);
    w.key("faults", false);
    w.list(&page.faults, fault);
    w.key("anomalies", false);
    w.list(&page.anomalies, anomaly);
    w.key("stories", false);
    w.list(&page.stories, story);
    w.key("line_at", false);
    w.u64s(&page.line_at);
    w.key("lines", false);
    w.strs(&page.lines);
    w.key("dropped", false);
    w.u64(page.dropped);
    w.end();
}

fn partition(w: &mut W<'_>, p: &PartitionView) {
    w.key("name", true);
    w.str(&p.name);
    w.key("idx", false);
    w.u64(p.idx.into());
    w.key("states", false);
    w.u64s(&p.states);
    w.key("replicas", false);
    w.list(&p.replicas, replica);
    w.key("top", false);
    w.u64(p.top);
    w.end();
}

fn replica(w: &mut W<'_>, r: &ReplicaView) {
    w.key("b", true);
    w.u64(r.b.into());
    for (k, xs) in [
        ("bands", &r.bands),
        ("leo", &r.leo),
        ("hw", &r.hw),
        ("lso", &r.lso),
        ("role", &r.role),
        ("cuts", &r.cuts),
        ("alone", &r.alone),
    ] {
        w.key(k, false);
        w.u64s(xs);
    }
    w.end();
}

fn sender(w: &mut W<'_>, l: &SenderLane) {
    w.key("name", true);
    w.str(&l.name);
    w.key("producer", false);
    w.u64(l.producer.into());
    w.key("output", false);
    w.bool(l.output);
    // The names as `Page` serialises them (stringify!: `"acks"` spelled out reads as the config key).
    for (k, xs) in [
        (stringify!(sends), &l.sends),
        (stringify!(acks), &l.acks),
        (stringify!(fails), &l.fails),
        (stringify!(txns), &l.txns),
    ] {
        w.key(k, false);
        w.u64s(xs);
    }
    w.end();
}

fn member(w: &mut W<'_>, l: &MemberLane) {
    w.key("name", true);
    w.str(&l.name);
    w.key("group", false);
    w.str(&l.group);
    w.key("processor", false);
    w.bool(l.processor);
    w.key("started", false);
    w.u64s(&l.started);
    w.key("assigned", false);
    w.list(&l.assigned, |w, (t, generation, parts)| {
        w.raw("[");
        w.u64(*t);
        w.raw(",");
        w.i64((*generation).into());
        w.raw(",");
        w.u32s(parts);
        w.raw("]");
    });
    for (k, xs) in [("polls", &l.polls), ("processed", &l.processed), ("commits", &l.commits), ("failed", &l.failed)] {
        w.key(k, false);
        w.u64s(xs);
    }
    w.end();
}

fn fault(w: &mut W<'_>, f: &FaultView) {
    w.key("at", true);
    w.u64(f.at);
    w.key("until", false);
    w.opt(f.until);
    w.key("action", false);
    w.str(&f.action);
    w.key("target", false);
    w.str(&f.target);
    w.key("trigger", false);
    w.str(&f.trigger);
    w.key("brokers", false);
    w.u32s(&f.brokers);
    w.key("clients", false);
    w.strs(&f.clients);
    w.end();
}

fn anomaly(w: &mut W<'_>, a: &AnomalyView) {
    w.key("kind", true);
    w.str(&a.kind);
    w.key("subject", false);
    w.str(&a.subject);
    w.key("text", false);
    w.str(&a.text);
    w.key("story", false);
    w.opt(a.story.map(|s| s as u64));
    w.end();
}

fn story(w: &mut W<'_>, s: &Story) {
    w.key("record", true);
    w.str(&s.record);
    w.key("lines", false);
    w.strs(&s.lines);
    w.key("marks", false);
    w.u64s(&s.marks);
    w.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the page wrote before this writer: serde_json, then `</` and `<!--` made safe.
    fn serde_page(page: &Page) -> String {
        let json = serde_json::to_string(page).unwrap();
        json.replace("</", "<\\/").replace("<!--", "<\\u0021--")
    }

    fn written(page: &Page) -> String {
        let mut out = Vec::new();
        write(&mut out, page);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_page_data_is_byte_for_byte_what_serde_json_writes_for_every_example() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut n = 0;
        for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "toml")).take(12) {
            let scenario = crate::scenario::load_file(path).unwrap();
            let on = crate::RunOptions { timeline: true, ..crate::RunOptions::default() };
            let (report, out) = crate::run_seed(&scenario, scenario.seed, on).unwrap();
            let page = super::super::page(&scenario, &report, &out).unwrap();
            assert_eq!(written(&page), serde_page(&page), "{}", path.display());
            n += 1;
        }
        assert!(n > 0);
    }

    #[test]
    fn a_byte_to_escape_is_found_at_every_place_of_a_long_string() {
        for c in ['"', '\\', '<', '\n', '\u{0}', '\u{1f}', ' ', '\u{7f}', 'é'] {
            for at in 0..24 {
                let mut line: String = "abcdefghijklmnopqrstuvw".into();
                line.insert(at, c);
                line.push('/');
                let mut out = Vec::new();
                W(&mut out).str(&line);
                let want = serde_json::to_string(&line).unwrap().replace("</", "<\\/");
                assert_eq!(String::from_utf8(out).unwrap(), want, "{c:?} at {at}");
            }
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them_and_cannot_end_the_script() {
        let odd = "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é ✓ </script> <!-- x --> <<//< <!- <".to_string();
        let page = Page {
            title: odd.clone(),
            description: String::new(),
            seed: u64::MAX,
            hash: "0".into(),
            end: 0,
            events: 1234567890123,
            passed: false,
            counts: vec![(odd.clone(), 10), ("x".into(), 99)],
            producers: vec![odd.clone(), String::new()],
            partitions: Vec::new(),
            senders: Vec::new(),
            members: vec![MemberLane {
                name: odd.clone(),
                group: "g".into(),
                processor: true,
                started: vec![0, 9, 10, 99, 100, 101, 999, 1000, u64::MAX],
                assigned: vec![(1, -1, vec![0, 1]), (2, i32::MIN, Vec::new()), (3, i32::MAX, vec![7])],
                polls: Vec::new(),
                processed: vec![5],
                commits: Vec::new(),
                failed: Vec::new(),
            }],
            faults: vec![FaultView {
                at: 1,
                until: None,
                action: "crash".into(),
                target: odd.clone(),
                trigger: "nemesis".into(),
                brokers: vec![1, 2],
                clients: vec![odd.clone()],
            }],
            anomalies: vec![AnomalyView { kind: "k".into(), subject: odd.clone(), text: odd.clone(), story: Some(3) }],
            stories: Vec::new(),
            line_at: (0..300).map(|i| i * 37).collect(),
            lines: vec![odd],
            dropped: 7,
        };
        assert_eq!(written(&page), serde_page(&page));
    }
}
