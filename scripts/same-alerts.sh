#!/usr/bin/env bash
# Checks that two trailwatch binaries raise the same alerts: a refactor should change none.
#
#   scripts/same-alerts.sh OLD_BIN NEW_BIN [RULES_DIR]
#
# Both binaries run `scan --format json --every-match` over two inputs, each with two packs:
#   inputs: ../shared/corpus (real public trails, next to the main checkout when run from a git
#           worktree; skipped, saying so, when absent) and a synthetic day written by
#           scripts/gen_correlated_trail.py, on which the correlation pack fires (the corpus has
#           almost no Lightsail records);
#   packs:  RULES_DIR (default rules/) without its correlations/, and RULES_DIR whole.
# For each pair it compares the sorted set of stdout lines, stderr's summary lines (timing left
# out), stderr's other lines and the exit status, and prints "same" or what differs. Alerts per
# rule and correlation are counted for the synthetic day with the whole pack.
# Exit status: 0 all the same, 1 something differs, 2 usage or set-up error.
# CORPUS overrides the corpus path; SCAN_ARGS adds arguments to every scan (for example
# "--concurrency 1"); KEEP=1 keeps the work directory (kept anyway on a difference).
set -u -o pipefail
export LC_ALL=C

usage() { echo "usage: $0 OLD_BIN NEW_BIN [RULES_DIR]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
repo=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2 rules=${3:-$repo/rules}
for b in "$old" "$new"; do
    [ -x "$b" ] || { echo "$b: not an executable" >&2; exit 2; }
done
[ -d "$rules" ] || { echo "$rules: not a rules directory" >&2; exit 2; }
[ -f "$rules/placeholders.yml" ] || echo "note: $rules has no placeholders.yml" >&2
# ../shared/corpus next to the repository, or next to the main checkout when this is a worktree.
corpus=${CORPUS:-$repo/../shared/corpus}
if [ -z "${CORPUS:-}" ] && [ ! -d "$corpus" ]; then
    main=$(cd "$repo" && cd "$(git rev-parse --git-common-dir 2>/dev/null)/.." 2>/dev/null && pwd)
    [ -n "$main" ] && [ -d "$main/../shared/corpus" ] && corpus=$main/../shared/corpus
fi

read -ra extra <<<"${SCAN_ARGS:-}"

work=$(mktemp -d "${TMPDIR:-/tmp}/same-alerts.XXXXXX")
keep=${KEEP:-0}
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT

# The pack without correlations: a copy, since placeholders.yml must stay at the pack's root.
cp -r "$rules" "$work/nocorr"
rm -rf "$work/nocorr/correlations"

python3 "$repo/scripts/gen_correlated_trail.py" "$work/trail" || exit 2

# Runs $1 with pack $2 over $3, into $4.{out,err,rc}, then normalises: sorted stdout lines,
# summary lines without their timing, the other stderr lines sorted.
run() {
    "$1" scan --format json --every-match ${extra[@]+"${extra[@]}"} --rules "$2" "$3" >"$4.out" 2>"$4.err"
    echo $? >"$4.rc"
    sort "$4.out" >"$4.lines"
    sed -E -n 's/ in [0-9.]+m?s$//; /^trailwatch: /p' "$4.err" | sort >"$4.summary"
    grep -v '^trailwatch: ' "$4.err" | sort >"$4.stderr" || true
}

# Prints what differs between $1 and $2 (sorted files), at most three lines each way, each
# shortened by describe(); returns 1 when they differ.
differ() {
    local what=$1 a=$2 b=$3 only_old only_new
    only_old=$(comm -23 "$a" "$b" | wc -l)
    only_new=$(comm -13 "$a" "$b" | wc -l)
    if [ "$only_old" -eq 0 ] && [ "$only_new" -eq 0 ]; then
        echo "  $what: same $(wc -l <"$a") lines"
        return 0
    fi
    echo "  $what: DIFFERENT ($(wc -l <"$a") old, $(wc -l <"$b") new): $only_old only in old, $only_new only in new"
    comm -23 "$a" "$b" | head -3 | describe "    old only: "
    comm -13 "$a" "$b" | head -3 | describe "    new only: "
    return 1
}

# One line per alert: rule or correlation title, and what it is about.
describe() {
    python3 -c '
import json, sys
prefix = sys.argv[1]
for line in sys.stdin:
    line = line.rstrip("\n")
    try:
        d = json.loads(line)
    except ValueError:
        print(prefix + line[:300]); continue
    if "correlation" in d:
        c = d["correlation"]
        print(prefix + "correlation %s %s %s..%s records=%s" % (c["rule"]["title"], json.dumps(c.get("group")),
              c.get("first_event_time"), c.get("last_event_time"), c.get("records")))
    elif "rule" in d:
        e = d.get("event") or {}
        print(prefix + "rule %s: %s %s %s %s" % (d["rule"].get("title"), e.get("eventName"), e.get("eventTime"),
              e.get("awsRegion"), e.get("eventID")))
    else:
        print(prefix + line[:300])
' "$1"
}

# Alerts per rule and correlation id in $1 (old) and $2 (new) outputs.
counts() {
    python3 -c '
import collections, json, sys
tally = []
for path in sys.argv[1:]:
    c = collections.Counter()
    for line in open(path):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        r = d["correlation"]["rule"] if "correlation" in d else d.get("rule", {})
        kind = "correlation" if "correlation" in d else "rule"
        c[(kind, r.get("id", "?"), r.get("title", "?"))] += 1
    tally.append(c)
print("    %5s %5s  %-11s %-36s %s" % ("old", "new", "kind", "id", "title"))
for k in sorted(set(tally[0]) | set(tally[1])):
    print("    %5d %5d  %-11s %-36s %s" % (tally[0][k], tally[1][k], k[0], k[1], k[2]))
' "$1" "$2"
}

status=0
compare() {
    local input=$1 path=$2 pack=$3 rules_dir=$4 o n
    o="$work/$input-${pack// /-}-old" n="$work/$input-${pack// /-}-new"
    run "$old" "$rules_dir" "$path" "$o"
    run "$new" "$rules_dir" "$path" "$n"
    echo "$input, $pack:"
    local bad=0
    differ "alerts (stdout)" "$o.lines" "$n.lines" || bad=1
    differ "summary (stderr)" "$o.summary" "$n.summary" || bad=1
    differ "other stderr" "$o.stderr" "$n.stderr" || bad=1
    if [ "$(cat "$o.rc")" != "$(cat "$n.rc")" ]; then
        echo "  exit status: DIFFERENT (old $(cat "$o.rc"), new $(cat "$n.rc"))"
        bad=1
    fi
    if [ "$bad" = 1 ] || { [ "$input" = generated ] && [ "$pack" = "whole pack" ]; }; then
        echo "  alerts by rule and correlation:"
        counts "$o.out" "$n.out"
    fi
    [ "$bad" = 0 ] || status=1
}

if [ -d "$corpus" ]; then
    compare corpus "$corpus" "no correlations" "$work/nocorr"
    compare corpus "$corpus" "whole pack" "$rules"
else
    echo "corpus: $corpus not found, skipped (nothing compared for it)"
fi
compare generated "$work/trail" "no correlations" "$work/nocorr"
compare generated "$work/trail" "whole pack" "$rules"

if [ "$status" = 0 ]; then
    echo "same alerts: OLD and NEW agree on every input and pack"
else
    keep=1
    echo "DIFFERENCES found; outputs kept in $work (INPUT-PACK-{old,new}.{out,err})"
fi
exit "$status"
