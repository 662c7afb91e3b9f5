//! splitmix64 and the few ways the generator draws from it (picks, uuids, key and base64
//! characters).

use std::io::Write;

/// splitmix64: tiny, fast, and stable across versions, unlike a crate's default generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    pub fn uuid(&mut self, out: &mut Vec<u8>) {
        let (a, b) = (self.next(), self.next());
        write!(
            out,
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
        .ok();
    }
    pub fn upper(&mut self, out: &mut Vec<u8>, n: usize) {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        for _ in 0..n {
            out.push(A[self.below(32) as usize]);
        }
    }
    pub fn b64(&mut self, out: &mut Vec<u8>, n: usize) {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for _ in 0..n {
            out.push(A[self.below(64) as usize]);
        }
    }
}
