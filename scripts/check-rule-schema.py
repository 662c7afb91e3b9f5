#!/usr/bin/env python3
"""Validates rule files against schema/trailwatch-rule.schema.json, document by document.

The validator is `jsonschema` (PyPI), the one the YAML language server's schema dialect is
written for; YAML is read as trailwatch reads it: dates stay text (`date: 2026-11-25` is the
string Sigma means), every document of a multi-document file is checked.

Usage: .venv/bin/python scripts/check-rule-schema.py PATH...   (files or directories)
Prints `file:line: document N: message` per problem; exit 1 when any, 0 otherwise.
"""
import json
import os
import sys

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "schema", "trailwatch-rule.schema.json")


class Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: Sigma dates are strings."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                for n in sorted(names):
                    if n.endswith((".yml", ".yaml")) and n != "placeholders.yml":
                        yield os.path.join(root, n)
        else:
            yield p


def main(paths):
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    problems = checked = 0
    for path in files(paths):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        starts = [0] + [i + 1 for i, line in enumerate(text.splitlines()) if line == "---"]
        for n, doc in enumerate(yaml.load_all(text, Loader=Loader)):
            if doc is None:
                continue
            checked += 1
            line = starts[n] + 1 if n < len(starts) else 1
            for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                where = "/".join(str(p) for p in err.path) or "(document)"
                print(f"{path}:{line}: document {n + 1}: {where}: {err.message}")
                problems += 1
    print(f"{checked} documents checked, {problems} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [os.path.join(ROOT, "rules")]))
