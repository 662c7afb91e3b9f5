//! Seeded synthetic CloudTrail delivery for `make bench`: `{"Records":[...]}`, gzipped.
//!
//! The mix follows real trails (see `bench/README.md`): mostly AWSService S3 and KMS records
//! written by log delivery, then IAM users and assumed roles across EC2/SSM/IAM/Secrets
//! Manager/STS, some root and Lightsail calls, and a few records with large `requestParameters`
//! (policies, user data). The same seed and size give the same bytes.
//!
//! `cargo run --release --manifest-path bench/gen-trail/Cargo.toml -- OUT.json.gz MEGABYTES [SEED]`
//!
//! `GEN_CORRELATED=N:P` adds N `BenchCorrelated` Lightsail records by P principals, for the
//! correlation row; `GEN_LEVEL` sets the gzip level (default 6).

use std::fs::File;
use std::io::{BufWriter, Write};

use flate2::write::GzEncoder;
use flate2::Compression;

mod correlated;
mod principal;
mod record;
mod rng;
mod tables;

use record::Gen;
use rng::Rng;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(mb)) = (args.get(1), args.get(2).and_then(|m| m.parse::<u64>().ok()))
    else {
        eprintln!("usage: gen_trail OUT.json.gz MEGABYTES [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    let level = std::env::var("GEN_LEVEL")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(6);
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(1 << 20, File::create(path)?),
        Compression::new(level),
    );
    let mut g = Gen {
        rng: Rng(seed),
        clock: 0,
    };
    let target = mb * 1_000_000;
    let mut written = 0u64;
    let mut records = 0u64;
    let plan = correlated::Plan::from_env();
    let mut emitted = 0u64;
    let mut buf = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"{\"Records\":[");
    while written + (buf.len() as u64) < target {
        if records > 0 {
            buf.push(b',');
        }
        // Correlated records are spread by bytes written, so the file holds exactly N.
        let due = plan.as_ref().is_some_and(|p| {
            emitted < p.records && (written + buf.len() as u64) * p.records >= emitted * target
        });
        match (due, &plan) {
            (true, Some(p)) => {
                g.correlated(&mut buf, p, emitted);
                emitted += 1;
            }
            _ => match g.rng.below(100) {
                0..=65 => g.service_s3(&mut buf),
                66..=80 => g.service_kms(&mut buf),
                _ => g.principal(&mut buf),
            },
        }
        records += 1;
        if buf.len() > 1 << 20 {
            gz.write_all(&buf)?;
            written += buf.len() as u64;
            buf.clear();
        }
    }
    if let Some(p) = &plan {
        while emitted < p.records {
            buf.push(b',');
            g.correlated(&mut buf, p, emitted);
            emitted += 1;
            records += 1;
        }
    }
    buf.extend_from_slice(b"]}\n");
    gz.write_all(&buf)?;
    written += buf.len() as u64;
    gz.finish()?.flush()?;
    eprintln!("gen_trail: {path}: {records} records ({emitted} correlated), {written} bytes decompressed");
    Ok(())
}
