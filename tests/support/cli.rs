//! The `trailwatch` CLI binary. It lives in its own package (`crates/trailwatch-cli`, so the
//! library needs no clap), whose binary cargo does not build for this package's tests: it is
//! built here, once per test binary, into the same target directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of the built `trailwatch` binary.
pub fn bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/<test> → target/<profile>
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("a test binary lives in target/<profile>/deps");
        let mut build = Command::new(env!("CARGO"));
        build
            .args([
                "build",
                "--quiet",
                "-p",
                "trailwatch-cli",
                "--bin",
                "trailwatch",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "cargo build -p trailwatch-cli failed");
        let bin = profile_dir.join(format!("trailwatch{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}
