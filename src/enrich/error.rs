//! What stops the enrich stage from starting: a data file, named, and what is wrong with it.

/// A data file that cannot be used, named.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// The file could not be read.
    #[error("enrichment data {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is not what the setting expects.
    #[error("enrichment data {file}: {why}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong, with the line where there is one.
        why: String,
    },
}
