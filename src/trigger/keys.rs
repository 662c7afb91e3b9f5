//! Trail object keys: decoding, what to skip, and what the key says about its content.
//!
//! CloudTrail writes `AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
//! <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<random>.json.gz`; organisation trails add the
//! `o-...` level. Backfills filter on the timestamp in the name, so no object is opened to decide.

use crate::fetch::ObjectRef;

/// Undoes S3's key encoding in notifications: `+` is a space, then percent-decoding.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("key {raw:?} does not decode to UTF-8"))
}

/// Why a key is not a trail file worth scanning, if it is not.
pub fn skip_reason(key: &str, prefix: Option<&str>) -> Option<String> {
    if let Some(prefix) = prefix {
        if !key.starts_with(prefix) {
            return Some(format!("outside TRAIL_KEY_PREFIX {prefix:?}"));
        }
    }
    let parts = || key.split('/');
    if parts().any(|p| p == "CloudTrail-Digest") {
        return Some("CloudTrail digest file".into());
    }
    if parts().any(|p| p == "CloudTrail-Insight") {
        return Some("CloudTrail Insights file".into());
    }
    if parts().any(|p| p.starts_with("ConfigWritabilityCheckFile")) {
        return Some("CloudTrail write-access check file".into());
    }
    if !(key.ends_with(".json.gz") || key.ends_with(".json")) {
        return Some("not a .json or .json.gz trail file".into());
    }
    None
}

/// What a standard trail key says: the account, region and delivery time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailKey<'k> {
    /// The organization id, for organization trails.
    pub organization: Option<&'k str>,
    /// The account the file is for.
    pub account: &'k str,
    /// The region the file is for.
    pub region: &'k str,
    /// `yyyymmddThhmmZ`, which orders as text the way it orders in time.
    pub timestamp: &'k str,
}

impl<'k> TrailKey<'k> {
    /// Reads a standard trail key; `None` for anything else.
    pub fn parse(key: &'k str) -> Option<TrailKey<'k>> {
        let parts: Vec<&str> = key.split('/').collect();
        let at = parts.iter().position(|p| *p == "CloudTrail")?;
        let account = *parts.get(at.checked_sub(1)?)?;
        let organization = at
            .checked_sub(2)
            .and_then(|i| parts.get(i))
            .filter(|p| p.starts_with("o-"))
            .copied();
        let region = *parts.get(at + 1)?;
        let file = *parts.last()?;
        let timestamp = file.split('_').find(|f| is_timestamp(f))?;
        Some(TrailKey {
            organization,
            account,
            region,
            timestamp,
        })
    }
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 14
        && b[8] == b'T'
        && b[13] == b'Z'
        && b[..8].iter().chain(&b[9..13]).all(u8::is_ascii_digit)
}

/// Normalises a `--since`/`--until` bound (`2026-11-25`, `2026-11-25T10:05`, `20261125T1005Z`)
/// to the key timestamp form.
pub fn key_time_bound(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 || digits.len() > 12 || digits.len() % 2 != 0 {
        return None;
    }
    let (date, time) = digits.split_at(8);
    Some(format!("{date}T{time:0<4}Z"))
}

/// Orders trail files by the delivery time in their key, across regions and accounts (stable:
/// files of one minute keep the listing's order; files without a trail key come first, as
/// listed). A listing is region-major, one region's whole day before the next; read in
/// delivery order, every region's correlation clock advances together, as in live delivery,
/// and the correlation state held in memory stays that of the last timespan plus lateness.
pub fn delivery_order(objects: &mut [ObjectRef]) {
    objects.sort_by_cached_key(|o| {
        let text = match o {
            ObjectRef::S3 { key, .. } => key.clone(),
            ObjectRef::Path { path } => path.to_string_lossy().into_owned(),
            ObjectRef::Event { .. } => return None,
        };
        TrailKey::parse(&text).map(|k| k.timestamp.to_owned())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_a_space_and_percent_escapes_decode() {
        assert_eq!(
            decode_key("a+b%2Bc%20d.json.gz").unwrap(),
            "a b+c d.json.gz"
        );
        assert_eq!(
            decode_key("AWSLogs/o-abc%3D/x.json").unwrap(),
            "AWSLogs/o-abc=/x.json"
        );
        assert!(decode_key("bad%FF.json").is_err());
    }

    #[test]
    fn non_trail_files_are_skipped_with_reasons() {
        let r = |k| skip_reason(k, None);
        assert_eq!(
            r("AWSLogs/1/CloudTrail-Digest/us-east-1/d.json.gz").unwrap(),
            "CloudTrail digest file"
        );
        assert_eq!(
            r("AWSLogs/1/CloudTrail-Insight/us-east-1/i.json.gz").unwrap(),
            "CloudTrail Insights file"
        );
        assert_eq!(
            r("AWSLogs/1/CloudTrail/ConfigWritabilityCheckFile").unwrap(),
            "CloudTrail write-access check file"
        );
        assert_eq!(
            r("AWSLogs/1/notes.txt").unwrap(),
            "not a .json or .json.gz trail file"
        );
        assert_eq!(r("AWSLogs/1/CloudTrail/us-east-1/x.json.gz"), None);
        assert!(skip_reason("other/x.json.gz", Some("AWSLogs/"))
            .unwrap()
            .contains("TRAIL_KEY_PREFIX"));
    }

    #[test]
    fn trail_keys_parse_with_and_without_organisation() {
        let k = TrailKey::parse(
            "AWSLogs/o-ab12cd34ef/111122223333/CloudTrail/eu-west-1/2026/11/25/111122223333_CloudTrail_eu-west-1_20261125T1005Z_Ab12.json.gz",
        )
        .unwrap();
        assert_eq!(k.organization, Some("o-ab12cd34ef"));
        assert_eq!(
            (k.account, k.region, k.timestamp),
            ("111122223333", "eu-west-1", "20261125T1005Z")
        );
        let k = TrailKey::parse("AWSLogs/1/CloudTrail/us-east-1/2026/11/25/1_CloudTrail_us-east-1_20261125T0000Z_x y.json.gz").unwrap();
        assert_eq!(k.organization, None);
        assert_eq!(TrailKey::parse("random/key.json"), None);
    }

    #[test]
    fn time_bounds_normalise_to_key_form() {
        assert_eq!(key_time_bound("2026-11-25").unwrap(), "20261125T0000Z");
        assert_eq!(
            key_time_bound("2026-11-25T10:05").unwrap(),
            "20261125T1005Z"
        );
        assert_eq!(key_time_bound("20261125T1005Z").unwrap(), "20261125T1005Z");
        assert_eq!(key_time_bound("yesterday"), None);
    }
}
