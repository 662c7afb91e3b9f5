//! The record as rules read it with the enrich stage's output beside it.

use std::cell::OnceCell;

use serde_json::Value;

use super::enricher::{Enricher, Wanted, FIELD};
use crate::rules::{Doc, Leaf, Node};

/// A record as the rules see it with the stage's output: `enrichment.*` paths read the
/// enrichment, made the first time a rule asks; every other path reads the record.
pub struct Enriched<'d, D: Doc + ?Sized> {
    record: &'d D,
    enricher: &'d Enricher,
    wanted: Wanted,
    made: OnceCell<Value>,
}

impl<'d, D: Doc + ?Sized> Enriched<'d, D> {
    /// `record` with the `wanted` parts of `enricher`'s output, not made yet.
    pub fn new(record: &'d D, enricher: &'d Enricher, wanted: Wanted) -> Self {
        Enriched {
            record,
            enricher,
            wanted,
            made: OnceCell::new(),
        }
    }

    fn enrichment(&self) -> &Value {
        self.made.get_or_init(|| {
            let record: &dyn Doc = &Erased(self.record);
            self.enricher.enrich_parts(record, self.wanted)
        })
    }
}

/// A `?Sized` document behind a sized handle, so it can be passed as `&dyn Doc`.
struct Erased<'d, D: Doc + ?Sized>(&'d D);

impl<D: Doc + ?Sized> Doc for Erased<'_, D> {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        self.0.any_leaf(path, f)
    }
    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.0.any_string(f)
    }
    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        self.0.at(path)
    }
}

impl<D: Doc + ?Sized> Doc for Enriched<'_, D> {
    fn any_leaf<'a>(&'a self, path: &[String], f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        match path.split_first() {
            Some((head, rest)) if head == FIELD => self.enrichment().any_leaf(rest, f),
            _ => self.record.any_leaf(path, f),
        }
    }

    /// A keyword search reads the record as alerts carry it: its strings and its enrichment's.
    fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.record.any_string(f) || self.enrichment().any_string(f)
    }

    fn at(&self, path: &[&str]) -> Option<Node<'_>> {
        match path.split_first() {
            Some((&FIELD, rest)) => self.enrichment().at(rest),
            _ => self.record.at(path),
        }
    }
}
