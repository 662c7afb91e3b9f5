#!/usr/bin/env python3
"""Fails when a module imports a module that imports it back, directly or through others.

`make lint` runs it over every crate of the workspace. A module is a file (`a/mod.rs` is `a`,
`a/b.rs` is `a::b`); its imports are the paths it names through `crate::`, `super::` and
`self::`, in `use` items and in code, resolved to the module that defines the name (a
`pub use` re-export is followed to where the item lives, so a parent that re-exports its
children is not a cycle by itself). Declaring `mod child;` is not an import. Code under
`#[cfg(test)]` (unit-test modules and files) is left out: tests may reach anywhere.

Usage: scripts/module-cycles.py [CRATE_SRC_DIR ...]   (default: src crates/*/src)
Exit 0 with a one-line summary when there is no cycle; 1 with each cycle listed otherwise.
"""
import glob
import os
import re
import sys

ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+|unsafe\s+|const\s+)*"
    r"(?:struct|enum|fn|trait|type|const|static|union|mod|macro_rules!)\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.M,
)
USE = re.compile(r"(?:^|[;{}\s])(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M)
PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
TEST_MOD = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # String literals could hold `crate::`; blank them (escapes kept simple).
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def drop_cfg_test_blocks(text):
    """Removes `#[cfg(test)] mod x { ... }` bodies (brace matched)."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def expand_use(tree):
    """`a::{b, c::d as e, f::*}` → ['a::b', 'a::c::d', 'a::f::*']."""
    tree = re.sub(r"\s+", "", tree)
    m = re.match(r"^(.*?)::\{(.*)\}$", tree)
    if not m:
        return [re.sub(r"as\w+$", "", tree)]
    head, body = m.groups()
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    out = []
    for p in filter(None, parts):
        out += [head if p == "self" else x for x in expand_use(f"{head}::{p}")]
    return out


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = {}
        test_files = set()
        for path in sorted(glob.glob(os.path.join(src, "**", "*.rs"), recursive=True)):
            if os.path.basename(path) == "main.rs" and "bin" in path.split(os.sep):
                continue
            mod = module_of(src, path)
            text = strip_comments(open(path, encoding="utf-8").read())
            for name in TEST_MOD.findall(text):
                test_files.add(mod + (name,))
            self.files[mod] = drop_cfg_test_blocks(text)
        for mod in list(self.files):
            if any(mod[: len(t)] == t for t in test_files):
                del self.files[mod]
        self.items = {m: set(ITEM.findall(t)) for m, t in self.files.items()}
        self.reexports = {m: {} for m in self.files}
        for mod, text in self.files.items():
            for vis, tree in USE.findall(text):
                if not vis:
                    continue
                for p in expand_use(tree):
                    name = re.split(r"as", p.split("::")[-1])[-1]
                    target = self.absolute(mod, p)
                    if target and name != "*":
                        self.reexports[mod][name] = target

    def absolute(self, mod, path):
        """A `crate::`/`super::`/`self::`/child path, as a tuple from the crate root."""
        segs = [s for s in path.split("::") if s]
        if not segs:
            return None
        if segs[0] == "crate":
            base, segs = (), segs[1:]
        elif segs[0] in ("super", "self"):
            base = mod
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    base = base[:-1]
                segs = segs[1:]
        elif mod + (segs[0],) in self.files:
            base = mod
        else:
            return None
        return base + tuple(segs)

    def resolve(self, path, seen=()):
        """The module that defines what `path` names (re-exports followed), and whether the
        path names an item in it rather than the module itself."""
        for cut in range(len(path), -1, -1):
            mod = path[:cut]
            if mod not in self.files:
                continue
            rest = path[cut:]
            if rest and rest[0] in self.reexports[mod] and (mod, rest[0]) not in seen:
                return self.resolve(
                    self.reexports[mod][rest[0]] + rest[1:], seen + ((mod, rest[0]),)
                )
            return mod, bool(rest)
        return None, False

    def edges(self):
        graph = {m: set() for m in self.files}
        for mod, text in self.files.items():
            paths = []
            for _vis, tree in USE.findall(text):
                paths += expand_use(tree)
            # Paths in code; a `use` tree is read above (its `a::{b, c}` prefix names no module).
            paths += [k + v for k, v in PATH.findall(USE.sub(" ", text))]
            for p in paths:
                target = self.absolute(mod, p.replace("::*", ""))
                if target is None:
                    continue
                target, item = self.resolve(target)
                if target is None or target == mod:
                    continue
                if mod[: len(target)] == target and not item:
                    continue  # naming an enclosing module itself
                graph[mod].add(target)
        return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def name(mod):
    return "::".join(mod) or "(root)"


def main(args):
    srcs = args or ["src"] + sorted(glob.glob("crates/*/src"))
    found, modules = 0, 0
    for src in srcs:
        crate = Crate(src)
        graph = crate.edges()
        modules += len(graph)
        for comp in cycles(graph):
            found += 1
            members = set(comp)
            print(f"{src}: modules that import each other: {', '.join(name(m) for m in comp)}")
            for m in comp:
                for t in sorted(graph[m] & members):
                    print(f"    {name(m)} -> {name(t)}")
    if found:
        print(f"{found} import cycle(s)")
        return 1
    print(f"no import cycles among {modules} modules in {len(srcs)} crate(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
