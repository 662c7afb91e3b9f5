//! The test seam: objects held in memory, and failures on demand.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::object::ObjectRef;
use super::seam::{Fetch, FetchError, ObjectReader};

/// What opening one object gives.
#[derive(Debug, Clone)]
pub enum Stored {
    /// These bytes.
    Bytes(Vec<u8>),
    /// A retryable error (throttling, a 5xx) with this message.
    Retryable(String),
    /// A permanent error (access denied) with this message.
    Permanent(String),
}

/// Objects by their `Display` form (`s3://bucket/key` or a path); anything else is not found.
#[derive(Debug, Default)]
pub struct MemoryFetch {
    objects: Mutex<HashMap<String, Stored>>,
}

impl MemoryFetch {
    /// An empty store.
    pub fn new() -> Self {
        MemoryFetch::default()
    }

    /// Stores `bytes` under `object`.
    pub fn put(&self, object: &ObjectRef, bytes: Vec<u8>) {
        self.set(object, Stored::Bytes(bytes));
    }

    /// Makes opening `object` give `stored`.
    pub fn set(&self, object: &ObjectRef, stored: Stored) {
        if let Ok(mut objects) = self.objects.lock() {
            objects.insert(object.to_string(), stored);
        }
    }
}

#[async_trait]
impl Fetch for MemoryFetch {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        let name = object.to_string();
        let stored = self.objects.lock().ok().and_then(|o| o.get(&name).cloned());
        match stored {
            Some(Stored::Bytes(bytes)) => Ok(Box::new(std::io::Cursor::new(bytes))),
            Some(Stored::Retryable(message)) => Err(FetchError::Retryable {
                object: name,
                message,
            }),
            Some(Stored::Permanent(message)) => Err(FetchError::Permanent {
                object: name,
                message,
            }),
            None => Err(FetchError::NotFound { object: name }),
        }
    }
}
