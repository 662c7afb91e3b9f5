"""Splits a generated trail into many small gzipped deliveries (5-100 records each), named and
laid out as CloudTrail writes them, for the small-files row of the benchmark."""

import gzip
import json
import os
import random
import sys


def split(trail, directory, files=4000, seed=42):
    """Writes `files` deliveries under `directory` from the records of `trail`; returns their paths."""
    rng = random.Random(seed)
    with gzip.open(trail, "rt") as f:
        records = json.load(f)["Records"]
    paths, at = [], 0
    for i in range(files):
        n = rng.randint(5, 100)
        chunk = records[at:at + n]
        at = (at + n) % max(1, len(records) - 100)
        day = os.path.join(directory, f"{i // 400:02}")
        os.makedirs(day, exist_ok=True)
        path = os.path.join(day, f"123456789012_CloudTrail_us-east-1_20240601T{i:04}Z_{i:06x}.json.gz")
        with gzip.open(path, "wt", compresslevel=6) as out:
            json.dump({"Records": chunk}, out, separators=(",", ":"))
        paths.append(path)
    return paths


if __name__ == "__main__":
    print(len(split(sys.argv[1], sys.argv[2])))
