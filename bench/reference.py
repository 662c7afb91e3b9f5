"""What Python Lambdas in this field do: gunzip, json.load the whole file, loop over the rules.

Each rule becomes its selections' equality conditions (fields without modifiers); a record
matches a rule when every equality field of some selection equals one of its values. Modifiers
(`contains`, `startswith`, ...), filters and conditions are ignored, which only flatters Python.

    python3 bench/reference.py FILE.json.gz RULE_DIR...
"""

import gzip
import json
import os
import sys

import yaml


def equality_selections(rule):
    det = rule.get("detection") or {}
    out = []
    for name, sel in det.items():
        if name == "condition" or not isinstance(sel, dict) or name.startswith("filter"):
            continue
        fields = []
        for key, value in sel.items():
            if "|" in key:
                continue
            values = value if isinstance(value, list) else [value]
            fields.append((key.split("."), [str(v) for v in values]))
        if fields:
            out.append(fields)
    return out


def load_rules(paths):
    rules = []
    for path in paths:
        names = sorted(os.listdir(path)) if os.path.isdir(path) else [path]
        for name in names:
            full = os.path.join(path, name) if os.path.isdir(path) else name
            if os.path.isdir(full):
                rules += load_rules([full])
                continue
            if not name.endswith((".yml", ".yaml")) or name.endswith("placeholders.yml"):
                continue
            with open(full) as f:
                for doc in yaml.safe_load_all(f):
                    if isinstance(doc, dict) and "detection" in doc:
                        rules.append((doc.get("title"), equality_selections(doc)))
    return rules


def get(record, path):
    for part in path:
        if not isinstance(record, dict):
            return None
        record = record.get(part)
    return record


def main():
    rules = load_rules(sys.argv[2:])
    with gzip.open(sys.argv[1], "rb") as f:
        records = json.load(f)["Records"]
    alerts = 0
    for record in records:
        for _title, selections in rules:
            for fields in selections:
                if all(str(get(record, path)) in values for path, values in fields):
                    alerts += 1
                    break
    print(f"reference: {len(rules)} rules, {len(records)} events, {alerts} alerts", file=sys.stderr)


if __name__ == "__main__":
    main()
