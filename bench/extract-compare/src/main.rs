//! Reading the paths a rule set names, per record: trailwatch's match stage (projection,
//! evaluation, and the full parse of each match) against sonic-rs `get_many` on the same paths
//! (extraction only) and a full serde_json parse.
//!
//! `cargo run --release -- TRAIL.json.gz RULES...`; records are held in memory, so use a
//! trail of a few hundred MB. sonic-rs takes JSON pointers: a path through an array
//! (`resources.ARN`) is asked for as the array, and a record where a path meets a `null` is
//! refused (counted).
use std::io::Read;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut text = String::new();
    let trail = args.get(1).expect("usage: TRAIL.json.gz RULES...");
    flate2::read::MultiGzDecoder::new(std::fs::File::open(trail).expect("the trail opens"))
        .read_to_string(&mut text)
        .expect("the trail is gzipped text");
    let mut records: Vec<&str> = Vec::new();
    trailwatch::decode::records(text.as_bytes(), |r| {
        records.push(Box::leak(r.to_owned().into_boxed_str()))
    })
    .expect("the trail decodes");
    let rules = trailwatch::rules::RuleSet::load_paths(&args[2..]).expect("the rules load");
    let paths = rules.field_paths().dotted();
    println!(
        "{} records, {} paths: {:?}",
        records.len(),
        paths.len(),
        paths
    );
    let mut tree = sonic_rs::PointerTree::new();
    for p in paths.iter().map(|p| {
        if p.starts_with("resources.") {
            "resources".to_string()
        } else {
            p.clone()
        }
    }) {
        let pointer: Vec<sonic_rs::PointerNode> = p
            .split('.')
            .map(|k| sonic_rs::PointerNode::Key(k.to_string().into()))
            .collect();
        tree.add_path(pointer.iter());
    }
    let bytes: usize = records.iter().map(|r| r.len()).sum();
    for round in 0..3 {
        let t = Instant::now();
        let matcher = trailwatch::matching::Matcher::new(&rules);
        let mut hits = Vec::new();
        let mut seen = trailwatch::matching::Observed::default();
        let mut matched = 0;
        for r in &records {
            if matches!(
                matcher.check(r, &mut hits, &mut seen),
                trailwatch::matching::Checked::Matched(_)
            ) {
                matched += 1;
            }
        }
        let ours = t.elapsed();
        let t = Instant::now();
        let mut found = 0usize;
        let mut failed = 0usize;
        for r in &records {
            match sonic_rs::get_many(*r, &tree) {
                Ok(got) => found += got.iter().filter(|v| v.is_some()).count(),
                Err(_) => failed += 1,
            }
        }
        let sonic = t.elapsed();
        let t = Instant::now();
        let mut n = 0usize;
        for r in &records {
            let v: serde_json::Value = serde_json::from_str(r).expect("records are JSON");
            n += v.as_object().map_or(0, |m| m.len());
        }
        let full = t.elapsed();
        let mb = bytes as f64 / 1e6;
        println!(
            "round {round}: trailwatch match stage {:.0} MB/s ({matched} matches), sonic-rs get_many {:.0} MB/s ({found} values, {failed} records refused), serde_json Value {:.0} MB/s ({n})",
            mb / ours.as_secs_f64(), mb / sonic.as_secs_f64(), mb / full.as_secs_f64()
        );
    }
}
