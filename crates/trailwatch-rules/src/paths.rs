//! The field paths a rule set reads, collected at compile time, so the match stage can take just
//! those values out of a record instead of building its whole tree.
//!
//! A rule set only ever reads a few dozen paths. Each is a branch of a trie; where a path ends,
//! the whole value there is taken (an object matched as text, an `|element` list, a number).
//! A keyword selection (a bare list, searched in every string) reads everything: one such rule
//! makes [`FieldPaths::whole`] true and every admitted record is parsed in full.
use super::compile::{CField, CValue, CompiledDetection};

/// The trie of paths a rule set reads.
#[derive(Debug, Clone, Default)]
pub struct FieldPaths {
    root: PathNode,
    whole: bool,
}

/// One key of a path: where it leads, and whether the value here is taken whole.
#[derive(Debug, Clone, Default)]
pub struct PathNode {
    children: Vec<(Box<str>, PathNode)>,
    take: bool,
}

impl PathNode {
    /// The node under `key`, if some path goes through it.
    pub fn child(&self, key: &[u8]) -> Option<&PathNode> {
        self.children
            .iter()
            .find(|(k, _)| k.as_bytes() == key)
            .map(|(_, n)| n)
    }

    /// Whether the value at this node is read whole (a path ends here).
    pub fn take(&self) -> bool {
        self.take
    }

    fn add(&mut self, path: &[impl AsRef<str>]) {
        if self.take {
            return;
        }
        let Some((head, rest)) = path.split_first() else {
            self.take = true;
            self.children.clear();
            return;
        };
        let head = head.as_ref();
        let at = match self.children.iter().position(|(k, _)| &**k == head) {
            Some(at) => at,
            None => {
                self.children.push((head.into(), PathNode::default()));
                self.children.len() - 1
            }
        };
        self.children[at].1.add(rest);
    }
}

impl FieldPaths {
    /// The paths `detections` read, plus those the index and the match stage read of every
    /// record (`eventSource`, `eventName`, `userIdentity.type`, `eventTime`, `eventID`).
    pub fn collect<'a>(detections: impl IntoIterator<Item = &'a CompiledDetection>) -> Self {
        let mut paths = FieldPaths::default();
        for head in [
            &["eventSource"][..],
            &["eventName"],
            &["userIdentity", "type"],
            &["eventTime"],
            &["eventID"],
        ] {
            paths.root.add(head);
        }
        for det in detections {
            paths.detection(det);
        }
        paths
    }

    fn detection(&mut self, det: &CompiledDetection) {
        for field in det
            .selections
            .iter()
            .flat_map(|s| s.groups.iter().flatten())
        {
            self.field(field);
        }
    }

    fn field(&mut self, field: &CField) {
        if field.path.is_empty() {
            self.whole = true;
            return;
        }
        // An `|element` detection reads inside the list's elements: the list is taken whole.
        self.root.add(&field.path);
        for value in &field.values {
            if let CValue::FieldRef { path, .. } = value {
                self.root.add(path);
            }
        }
    }

    /// A trie of exactly `paths`, with no rules behind it: the projection's differential
    /// oracle and its fuzz target ask for paths of their own. An empty path reads everything.
    pub fn from_paths<P: AsRef<str>>(paths: &[Vec<P>]) -> Self {
        let mut out = FieldPaths::default();
        for path in paths {
            if path.is_empty() {
                out.whole = true;
            } else {
                out.root.add(path);
            }
        }
        out
    }

    /// These paths and `extra`: a stage that makes a field the rules read out of other
    /// fields (trailwatch's `enrichment`) has the projection take those too.
    pub fn with_paths(&self, extra: &[&[&str]]) -> FieldPaths {
        let mut out = self.clone();
        for path in extra {
            out.root.add(path);
        }
        out
    }

    /// Whether some rule reads every string of a record (a keyword selection).
    pub fn whole(&self) -> bool {
        self.whole
    }

    /// The top of the trie: the record's own keys that some path starts with.
    pub fn root(&self) -> &PathNode {
        &self.root
    }

    /// Every path, dotted, in the order first added (for `rules explain` and tests).
    pub fn dotted(&self) -> Vec<String> {
        fn walk(node: &PathNode, prefix: &str, out: &mut Vec<String>) {
            for (key, child) in &node.children {
                let path = if prefix.is_empty() {
                    key.to_string()
                } else {
                    format!("{prefix}.{key}")
                };
                if child.take {
                    out.push(path);
                } else {
                    walk(child, &path, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, "", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shorter_path_takes_the_whole_value_under_it() {
        let mut paths = FieldPaths::default();
        paths.root.add(&["requestParameters", "bucketName"]);
        paths.root.add(&["requestParameters"]);
        paths.root.add(&["requestParameters", "key"]);
        paths.root.add(&["userIdentity", "arn"]);
        paths.root.add(&["userIdentity", "type"]);
        assert_eq!(
            paths.dotted(),
            ["requestParameters", "userIdentity.arn", "userIdentity.type"]
        );
        let identity = paths.root().child(b"userIdentity").map(PathNode::take);
        assert_eq!(identity, Some(false));
        assert!(paths.root().child(b"other").is_none());
    }
}
