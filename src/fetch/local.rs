//! The filesystem seam, for the CLI and for tests.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::object::ObjectRef;
use super::seam::{Fetch, FetchError, ObjectReader};

/// Reads objects from local paths.
#[derive(Debug, Default, Clone)]
pub struct LocalFetch;

#[async_trait]
impl Fetch for LocalFetch {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let ObjectRef::Path { path } = object else {
            return Err(FetchError::Permanent {
                object: object.to_string(),
                message: "the local fetcher reads only paths".into(),
            });
        };
        // A delivery is usually a few KB: opened and read whole in one blocking call, it reaches
        // the decoder without the thread hop tokio's file makes for every read. Large files
        // stream.
        let owned = path.clone();
        let opened = tokio::task::spawn_blocking(move || -> io::Result<Opened> {
            let mut file = std::fs::File::open(&owned)?;
            if file.metadata()?.len() > READ_WHOLE {
                return Ok(Opened::Stream(file));
            }
            let mut bytes = Vec::new();
            io::Read::read_to_end(&mut file, &mut bytes)?;
            Ok(Opened::Whole(bytes))
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r);
        match opened {
            Ok(Opened::Whole(bytes)) => Ok(Box::new(io::Cursor::new(bytes))),
            Ok(Opened::Stream(file)) => Ok(Box::new(tokio::fs::File::from_std(file))),
            Err(e) => Err(error(object, e)),
        }
    }
}

/// A local file, read whole or to be streamed.
enum Opened {
    Whole(Vec<u8>),
    Stream(std::fs::File),
}

/// Files up to this size are read whole rather than streamed.
const READ_WHOLE: u64 = 1024 * 1024;

fn error(object: &ObjectRef, e: io::Error) -> FetchError {
    match e {
        e if e.kind() == io::ErrorKind::NotFound => FetchError::NotFound {
            object: object.to_string(),
        },
        e => FetchError::Permanent {
            object: object.to_string(),
            message: e.to_string(),
        },
    }
}

/// File names the CLI picks up when it walks a directory.
const TRAIL_SUFFIXES: &[&str] = &[
    ".json",
    ".json.gz",
    ".gz",
    ".jsonl",
    ".ndjson",
    ".cloudtrail",
];

/// Turns CLI arguments into object references: a file is taken as given, a directory is walked
/// recursively (sorted, so runs are repeatable) for trail-looking files, digests left out.
pub fn expand_paths(paths: &[PathBuf]) -> io::Result<Vec<ObjectRef>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(ObjectRef::Path { path: path.clone() });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<ObjectRef>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "CloudTrail-Digest" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if TRAIL_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            out.push(ObjectRef::Path { path });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_sorted_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/CloudTrail-Digest")).unwrap();
        std::fs::write(root.join("b/2.json.gz"), b"").unwrap();
        std::fs::write(root.join("b/CloudTrail-Digest/d.json.gz"), b"").unwrap();
        std::fs::write(root.join("a.json"), b"").unwrap();
        std::fs::write(root.join("notes.txt"), b"").unwrap();
        let got = expand_paths(&[root.to_path_buf()]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|o| {
                o.to_string()
                    .trim_start_matches(&*root.to_string_lossy())
                    .to_string()
            })
            .collect();
        assert_eq!(names, vec!["/a.json", "/b/2.json.gz"]);
    }
}
