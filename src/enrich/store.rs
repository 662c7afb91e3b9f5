//! The enrich stage's data files where the function keeps them: a path in the package or a
//! layer, or an `s3://bucket/key` object that a scheduled job replaces (a new GeoLite2
//! release, a new account).
//!
//! S3 objects are downloaded at cold start, each to a file of its own, and loaded like local
//! ones. While the function stays warm, their ETags are checked every `RULES_REFRESH_SECONDS`;
//! when one changed, the changed objects are downloaded to new files and the whole set loaded
//! again. A set that fails to load never replaces a working one. A replaced file is unlinked,
//! not rewritten: a database still mapped by a scan in flight stays readable until it ends.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::enricher::{EnrichSources, Enricher};
use super::error::EnrichError;
use crate::rules_source::S3Uri;

/// Each of the sources, in [`EnrichSources`]' order, as `(setting, location)`.
fn slots(sources: &EnrichSources) -> [(&'static str, &Option<PathBuf>); 4] {
    [
        ("accounts", &sources.accounts),
        ("ip-ranges", &sources.ip_ranges),
        ("asn-db", &sources.asn_db),
        ("country-db", &sources.country_db),
    ]
}

fn slot_mut(sources: &mut EnrichSources, i: usize) -> &mut Option<PathBuf> {
    match i {
        0 => &mut sources.accounts,
        1 => &mut sources.ip_ranges,
        2 => &mut sources.asn_db,
        _ => &mut sources.country_db,
    }
}

/// `s3://bucket/key`, if the location is one.
fn s3_object(location: &Path) -> Option<S3Uri> {
    let uri = S3Uri::parse(location.to_str()?)?;
    (!uri.prefix.is_empty()).then_some(uri)
}

/// Whether any source is an S3 object.
pub fn any_in_s3(sources: &EnrichSources) -> bool {
    slots(sources)
        .iter()
        .any(|(_, l)| l.as_deref().and_then(s3_object).is_some())
}

fn s3_error(uri: &S3Uri, e: impl std::fmt::Display) -> EnrichError {
    EnrichError::Invalid {
        file: uri.to_string(),
        why: format!("cannot be read from S3: {e}"),
    }
}

/// A file no earlier download used, so a mapped database is never overwritten.
fn fresh_file(setting: &str, uri: &S3Uri) -> PathBuf {
    static DOWNLOADS: AtomicU64 = AtomicU64::new(0);
    let n = DOWNLOADS.fetch_add(1, Ordering::Relaxed);
    let name = uri.prefix.rsplit('/').next().unwrap_or("data");
    std::env::temp_dir()
        .join("trailwatch-enrich")
        .join(format!("{}-{n}-{setting}-{name}", std::process::id()))
}

/// Downloads `uri` to a new local file; its path and ETag.
async fn download(
    client: &aws_sdk_s3::Client,
    setting: &str,
    uri: &S3Uri,
) -> Result<(PathBuf, Option<String>), EnrichError> {
    let got = client
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.prefix)
        .send()
        .await
        .map_err(|e| s3_error(uri, aws_sdk_s3::error::DisplayErrorContext(e)))?;
    let etag = got.e_tag().map(str::to_string);
    let bytes = got
        .body
        .collect()
        .await
        .map_err(|e| s3_error(uri, e))?
        .into_bytes();
    let path = fresh_file(setting, uri);
    let write = |path: &Path| -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &bytes)
    };
    write(&path).map_err(|source| EnrichError::Read {
        file: path.display().to_string(),
        source,
    })?;
    Ok((path, etag))
}

/// What a load from S3 left behind: the local files and the ETags they were read at, so a
/// refresh downloads only what changed and unlinks what it replaced.
#[derive(Debug, Clone, Default)]
pub struct Downloaded {
    local: EnrichSources,
    etags: [Option<String>; 4],
}

/// Downloads the S3 sources (those whose ETag differs from `known`'s) and loads the set.
async fn load(
    client: Option<&aws_sdk_s3::Client>,
    sources: &EnrichSources,
    known: &Downloaded,
    fresh: &[Option<String>; 4],
) -> Result<(Enricher, Downloaded), EnrichError> {
    let mut out = Downloaded {
        local: sources.clone(),
        etags: known.etags.clone(),
    };
    for (i, (setting, location)) in slots(sources).into_iter().enumerate() {
        let Some(uri) = location.as_deref().and_then(s3_object) else {
            continue;
        };
        let kept = known.etags[i].is_some() && known.etags[i] == fresh[i];
        let path = match (kept, slots(&known.local)[i].1) {
            (true, Some(path)) => path.clone(),
            _ => {
                let client = client.ok_or_else(|| s3_error(&uri, "no S3 client"))?;
                let (path, etag) = download(client, setting, &uri).await?;
                out.etags[i] = etag;
                path
            }
        };
        *slot_mut(&mut out.local, i) = Some(path);
    }
    match Enricher::load(&out.local) {
        Ok(enricher) => Ok((enricher, out)),
        Err(e) => {
            // What this attempt downloaded is not kept: a refused replacement must not fill /tmp.
            unlink_replaced(sources, &out.local, known);
            Err(e)
        }
    }
}

/// Unlinks the files downloaded for `sources`' S3 objects into `old` that `new` does not use;
/// a local source is the operator's file and never touched.
fn unlink_replaced(sources: &EnrichSources, old: &EnrichSources, new: &Downloaded) {
    let olds = slots(old);
    for (i, (_, location)) in slots(sources).into_iter().enumerate() {
        let downloaded = location.as_deref().and_then(s3_object).is_some();
        let path = olds[i].1;
        let replaced = downloaded && path != slots(&new.local)[i].1;
        if let Some(p) = path.as_deref().filter(|_| replaced) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Loads `sources`, downloading the S3 ones: for `scan`, and the function's cold start.
pub async fn load_once(
    client: Option<&aws_sdk_s3::Client>,
    sources: &EnrichSources,
) -> Result<(Enricher, Downloaded), EnrichError> {
    load(client, sources, &Downloaded::default(), &Default::default()).await
}

/// The enrichment in force, re-read when an S3 source changes.
pub struct EnrichStore {
    remote: Option<(aws_sdk_s3::Client, EnrichSources, Duration)>,
    state: Mutex<State>,
}

struct State {
    enricher: Arc<Enricher>,
    downloaded: Downloaded,
    /// ETags of a set that did not load, so it is not downloaded again every window.
    refused: Option<[Option<String>; 4]>,
    checked: Instant,
}

impl EnrichStore {
    /// Sources that never change (local files, or none).
    pub fn fixed(enricher: Arc<Enricher>) -> Self {
        EnrichStore {
            remote: None,
            state: Mutex::new(State {
                enricher,
                downloaded: Downloaded::default(),
                refused: None,
                checked: Instant::now(),
            }),
        }
    }

    /// `enricher`, loaded from `sources` into `downloaded` ([`load_once`]), whose S3 objects
    /// are checked at most every `refresh`.
    pub fn s3(
        (enricher, downloaded): (Arc<Enricher>, Downloaded),
        client: aws_sdk_s3::Client,
        sources: EnrichSources,
        refresh: Duration,
    ) -> Self {
        EnrichStore {
            remote: Some((client, sources, refresh)),
            state: Mutex::new(State {
                enricher,
                downloaded,
                refused: None,
                checked: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current enrichment, refreshed first when the window has passed.
    pub async fn current(&self) -> Arc<Enricher> {
        let (enricher, known, refused, checked) = {
            let s = self.lock();
            let refused = s.refused.clone();
            (
                Arc::clone(&s.enricher),
                s.downloaded.clone(),
                refused,
                s.checked,
            )
        };
        let Some((client, sources, refresh)) = &self.remote else {
            return enricher;
        };
        if checked.elapsed() < *refresh {
            return enricher;
        }
        self.lock().checked = Instant::now();
        let mut fresh: [Option<String>; 4] = Default::default();
        for (i, (_, location)) in slots(sources).into_iter().enumerate() {
            let Some(uri) = location.as_deref().and_then(s3_object) else {
                continue;
            };
            match client
                .head_object()
                .bucket(&uri.bucket)
                .key(&uri.prefix)
                .send()
                .await
            {
                Ok(head) => fresh[i] = head.e_tag().map(str::to_string),
                Err(e) => {
                    let e = aws_sdk_s3::error::DisplayErrorContext(e);
                    tracing::warn!(source = %uri, error = %e, "enrichment refresh failed; keeping the current data");
                    return enricher;
                }
            }
        }
        if fresh == known.etags || refused.as_ref() == Some(&fresh) {
            return enricher;
        }
        match load(Some(client), sources, &known, &fresh).await {
            Ok((loaded, downloaded)) => {
                tracing::info!("enrichment data reloaded");
                let loaded = Arc::new(loaded);
                let old = {
                    let mut s = self.lock();
                    s.enricher = Arc::clone(&loaded);
                    s.refused = None;
                    std::mem::replace(&mut s.downloaded, downloaded.clone())
                };
                // Files no longer in use are unlinked; a scan in flight keeps its mapping.
                unlink_replaced(sources, &old.local, &downloaded);
                loaded
            }
            Err(e) => {
                tracing::error!(error = %e, "new enrichment data rejected; keeping the current data");
                self.lock().refused = Some(fresh);
                enricher
            }
        }
    }
}
