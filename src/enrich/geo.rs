//! ASN and country from MaxMind DB files (GeoLite2-ASN, GeoLite2-Country or -City, and DB-IP's
//! free databases, which share those layouts).
//!
//! The files are mapped, not read: a 60 MB city database costs only the pages its lookups
//! touch, and a Lambda's memory stays near the bare scan's. A file replaced while mapped would
//! be read torn, so a refresh writes a new file and maps that.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::{Mmap, PathElement, Reader};

use super::error::EnrichError;

/// Which layout a database must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `autonomous_system_number` and `autonomous_system_organization`.
    Asn,
    /// `country.iso_code` (a country or a city database).
    Country,
}

/// One opened database.
pub struct Geo {
    reader: Reader<Mmap>,
    layout: Layout,
}

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geo")
            .field("database_type", &self.reader.metadata().database_type)
            .field("layout", &self.layout)
            .finish()
    }
}

/// An address's autonomous system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asn {
    /// The AS number.
    pub number: u32,
    /// The organisation that holds it.
    pub org: Option<String>,
}

impl Geo {
    /// Opens `path` and checks that it is a MaxMind DB of `layout`; errors name the file.
    pub fn open(path: &Path, layout: Layout) -> Result<Geo, EnrichError> {
        let invalid = |why: String| EnrichError::Invalid {
            file: path.display().to_string(),
            why,
        };
        // SAFETY: the map is read-only and trailwatch never writes the file; a refresh maps a
        // new file instead of rewriting this one (see the module's doc).
        let reader = unsafe { Reader::open_mmap(path) }
            .map_err(|e| invalid(format!("not a MaxMind DB file: {e}")))?;
        let kind = reader.metadata().database_type.to_ascii_lowercase();
        let fits = match layout {
            Layout::Asn => kind.contains("asn"),
            Layout::Country => kind.contains("country") || kind.contains("city"),
        };
        if !fits {
            return Err(invalid(format!(
                "a {:?} database, where {} is needed",
                reader.metadata().database_type,
                match layout {
                    Layout::Asn => "an ASN database (GeoLite2-ASN layout)",
                    Layout::Country => "a country or city database (GeoLite2-Country or -City)",
                }
            )));
        }
        Ok(Geo { reader, layout })
    }

    /// The autonomous system of `ip`, where the database knows it.
    pub fn asn(&self, ip: IpAddr) -> Option<Asn> {
        let found = self.reader.lookup(ip).ok()?;
        let asn: maxminddb::geoip2::Asn = found.decode().ok()??;
        Some(Asn {
            number: asn.autonomous_system_number?,
            org: asn.autonomous_system_organization.map(str::to_string),
        })
    }

    /// The ISO 3166 alpha-2 country of `ip`, where the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        let path = [PathElement::Key("country"), PathElement::Key("iso_code")];
        found.decode_path::<String>(&path).ok()?
    }
}
