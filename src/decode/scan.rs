//! Where a JSON value ends, found without parsing it.

/// Finds where a JSON value ends, tracking only strings and nesting; resumable across chunks.
///
/// It does not validate: each record's slice is checked by serde_json afterwards.
#[derive(Default, Clone, Copy)]
pub(crate) struct Scan {
    /// Bytes of the value already scanned.
    done: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl Scan {
    /// The value's length in `text` (which starts at the value), or `None` if it runs past it.
    pub(crate) fn run(&mut self, text: &[u8]) -> Option<usize> {
        let mut i = self.done;
        while i < text.len() {
            if self.in_string {
                // Strings are most of the bytes: jump to the next quote or backslash.
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &text[i..]) {
                    None => {
                        i = text.len();
                        break;
                    }
                    Some(k) => {
                        i += k;
                        if text[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                            if self.depth == 0 {
                                self.done = i + 1;
                                return Some(i + 1);
                            }
                        }
                        i += 1;
                    }
                }
                continue;
            }
            let b = text[i];
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    if self.depth == 0 {
                        // A scalar ended at a closing bracket of the enclosing value.
                        self.done = i;
                        return Some(i);
                    }
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.done = i + 1;
                        return Some(i + 1);
                    }
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' | b':' if self.depth == 0 && self.started => {
                    self.done = i;
                    return Some(i);
                }
                _ => {}
            }
            self.started = true;
            i += 1;
        }
        self.done = i;
        None
    }

    /// Whether the text so far is a number or literal that the end of input completes.
    pub(super) fn scalar_open(&self) -> bool {
        self.started && self.depth == 0 && !self.in_string
    }
}
