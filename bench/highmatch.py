"""The high-match-rate rows: rules that match as often as the ones operators bring.

SigmaHQ's own CloudTrail rules match about 9 % of the bench trail's records, almost all of them
through one rule (an assumed role whose issuer is a role: 7.6 % of records, as in accounts whose
workloads run under roles). The set here is the SigmaHQ-shaped and unindexed rules plus:
- that assumed-role rule, as SigmaHQ publishes it (about 8 % of records);
- `ssm:GetParameter` (about 0.5 %);
and, to price a match, the same two rules made to match nothing while the index admits and the
projection reads exactly what it did ("never"): the cost of a match is then the difference.
"""

import os
import re

HEADER = """title: {title}
id: 00000000-0000-4000-8000-0000000a800{n}
status: test
level: low
logsource: {{product: aws, service: cloudtrail}}
detection:
"""

# SigmaHQ's aws_sts_assumerole_misuse detection.
ASSUMED_ROLE = """  selection:
    userIdentity.type: AssumedRole
    userIdentity.sessionContext.sessionIssuer.type: {issuer}
  condition: selection
"""

SSM = """  selection:
    eventSource: ssm.amazonaws.com
    eventName: GetParameter
  never:
    eventType: {event_type}
  condition: selection and not never
"""


def write(root):
    """(rules that match, the same rules matching nothing), as two directories under `root`."""
    dirs = []
    for name, issuer, event_type in (("highmatch", "Role", "NoSuchType"), ("highmatch-never", "NoSuchIssuer", "AwsApiCall")):
        path = os.path.join(root, name)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "assumed_role.yml"), "w") as f:
            f.write(HEADER.format(title="AWS STS AssumeRole Misuse (bench)", n=1) + ASSUMED_ROLE.format(issuer=issuer))
        with open(os.path.join(path, "ssm.yml"), "w") as f:
            f.write(HEADER.format(title="SSM parameter read (bench)", n=2) + SSM.format(event_type=event_type))
        dirs.append(path)
    return dirs[0], dirs[1]


def alerts(tail):
    """The alerts and digests a scan's summary line reports."""
    m = re.search(r"(\d+) alerts, (\d+) digests", tail)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def rows(row, best, scan_cmd, trailwatch, large, mb, base, root, zcat_s):
    """The high-match-rate rows over the `mb` MB trail `large`; `base` is the rule set they
    extend (SigmaHQ-shaped and unindexed), `zcat_s` zcat's time on the same file."""
    matching, never = write(root)
    high, quiet = [*base, matching], [*base, never]
    every = [trailwatch, "scan", "--every-match", "--format", "json"]
    for r in high:
        every += ["--rules", r]
    r = best(2, {"default": scan_cmd(large, high), "every": every + [large], "never": scan_cmd(large, quiet)})
    printed, _ = alerts(r["every"][2])
    quiet_alerts, _ = alerts(r["never"][2])
    n = sum(1 for p in high for _, _, fs in os.walk(p) for f in fs if f.endswith(".yml"))
    for name, label, goal in (("default", "default", 1.0), ("every", "--every-match --format json", 0.7)):
        ratio = zcat_s / r[name][0]
        row(
            f"high match rate, {mb} MB ({n} rules; one at ~8 %, one at ~0.5 %, object-text rules), {label} vs zcat",
            f"scan {r[name][0]:.2f}s / {r[name][1] / 1024:.1f} MB RSS ({r[name][2].removeprefix('trailwatch: ')}), "
            f"zcat {zcat_s:.2f}s",
            f"{ratio:.2f}x",
            f">= {goal}x, <= 64 MB",
            ratio >= goal and r[name][1] <= 64 * 1024,
        )
    extra = max(1, printed - quiet_alerts)
    per_alert = (r["every"][0] - r["never"][0]) / extra * 1e6
    per_match = (r["default"][0] - r["never"][0]) / extra * 1e6
    row(
        "high match rate: cost of one printed alert (--every-match --format json over the same rules matching nothing)",
        f"{per_alert:.1f} us per alert ({extra} alerts; {r['every'][0]:.2f}s vs {r['never'][0]:.2f}s)",
        "-",
        "<= 15 us",
        per_alert <= 15,
    )
    row(
        "high match rate: cost of one match counted into a storm digest (default scan over the same rules matching nothing)",
        f"{per_match:.1f} us per match ({r['default'][0]:.2f}s vs {r['never'][0]:.2f}s)",
        "-",
        "<= 2 us",
        per_match <= 2,
    )
    return high
