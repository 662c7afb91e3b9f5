#!/usr/bin/env python3
"""A seeded synthetic CloudTrail day on which the bundled correlation pack fires.

Writes gzipped trail files under OUT_DIR with trail-shaped keys
(AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<stamp>_<rand>.json.gz),
one file per (account, region) stream every five minutes, named at its delivery time a few
minutes after its last record, as CloudTrail delivers. Background calls fill every file; on top,
each scenario below plays once per actor, in several accounts, regions and hours, together with
a near miss that must not fire (too few calls, too slow, wrong order, another instance).

Used by scripts/same-alerts.sh, which needs alerts to come out of the correlation pack as well as
the single-record rules. Stdlib only; the same seed writes the same bytes.

    gen_correlated_trail.py OUT_DIR [--seed N] [--hours H]
"""
import argparse
import datetime as dt
import gzip
import json
import os
import random
import uuid

ACCOUNTS = ["111122223333", "444455556666"]
REGIONS = ["ap-southeast-2", "eu-west-1", "us-east-1"]
DAY = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
FILE_MINUTES = 5

# Read calls Lightsail has (Get*, Is*): the enumeration burst counts distinct names.
READ_CALLS = [
    "GetInstances", "GetInstance", "GetBuckets", "GetDisks", "GetKeyPairs", "GetStaticIps",
    "GetRelationalDatabases", "GetLoadBalancers", "GetDomains", "GetInstanceSnapshots",
    "GetDiskSnapshots", "GetBlueprints", "GetBundles", "GetRegions", "GetOperations",
    "GetContainerServices", "GetDistributions", "GetCertificates", "GetAlarms",
    "GetContactMethods", "IsVpcPeered",
]
DENIABLE = ["GetInstances", "GetRelationalDatabases", "GetBuckets", "CreateInstances", "CreateKeyPair",
            "DownloadDefaultKeyPair", "GetInstanceAccessDetails", "CreateBucketAccessKey",
            "OpenInstancePublicPorts", "ExportSnapshot", "GetDisks", "GetKeyPairs"]
# Background: calls no bundled rule reports.
QUIET = [("s3.amazonaws.com", "ListBuckets", True), ("ec2.amazonaws.com", "DescribeInstances", True),
         ("sts.amazonaws.com", "GetCallerIdentity", True), ("lightsail.amazonaws.com", "GetInstances", True),
         ("lightsail.amazonaws.com", "GetBundles", True), ("kms.amazonaws.com", "Decrypt", True),
         ("logs.amazonaws.com", "PutLogEvents", False)]


class Trail:
    """Records by (account, region), and the seeded randomness they are made with."""

    def __init__(self, seed, hours):
        self.rng = random.Random(seed)
        self.hours = hours
        self.records = {(a, r): [] for a in ACCOUNTS for r in REGIONS}
        self.plays = []
        # (account, region, when, record): a record delivered again in the file holding `when`.
        self.redelivered = []

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def at(self, hour, minute, second=0):
        return DAY + dt.timedelta(hours=hour, minutes=minute, seconds=second)

    def add(self, acct, region, when, ident, source, name, read_only, params=None, error=None,
            response=None, event_id=None):
        rec = {
            "eventVersion": "1.09",
            "userIdentity": ident,
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": "198.51.100.%d" % self.rng.randint(1, 254),
            "userAgent": "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0 lang/python#3.12.6",
            "requestParameters": params,
            "responseElements": response,
            "requestID": self.uid(),
            "eventID": event_id or self.uid(),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": acct,
            "eventCategory": "Management",
        }
        if error:
            rec["errorCode"] = error
            rec["errorMessage"] = "User: %s is not authorized to perform: %s" % (ident["arn"], name)
        self.records[(acct, region)].append(rec)
        return rec

    def lightsail(self, acct, region, when, ident, name, params=None, error=None, read_only=None):
        if read_only is None:
            read_only = name.startswith(("Get", "Is"))
        ok = None if error else {"operations": [{"status": "Succeeded", "operationType": name}]}
        return self.add(acct, region, when, ident, "lightsail.amazonaws.com", name, read_only,
                        params, error, None if read_only else ok)

    def background(self, per_file):
        people = [user(a, "dev-%d" % i) for a in ACCOUNTS for i in range(3)]
        for acct in ACCOUNTS:
            for region in REGIONS:
                for minute in range(0, self.hours * 60, FILE_MINUTES):
                    for _ in range(per_file):
                        who = self.rng.choice([p for p in people if p["accountId"] == acct])
                        source, name, ro = self.rng.choice(QUIET)
                        when = self.at(0, minute, self.rng.randint(0, FILE_MINUTES * 60 - 1))
                        self.add(acct, region, when, who, source, name, ro)

    def play(self, scenario, acct, region, ident, fires):
        self.plays.append((scenario, acct, region, ident["arn"], fires))

    def write(self, out):
        """One file per stream and five minutes that holds records; returns the files written."""
        files = 0
        for (acct, region), recs in sorted(self.records.items()):
            buckets = {}
            for r in recs:
                t = dt.datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
                buckets.setdefault((t - DAY) // dt.timedelta(minutes=FILE_MINUTES), []).append(r)
            for batch in buckets.values():
                batch.sort(key=lambda r: r["eventTime"])
            for a, g, when, r in self.redelivered:
                if (a, g) == (acct, region):
                    buckets.setdefault((when - DAY) // dt.timedelta(minutes=FILE_MINUTES), []).append(r)
            for slot, batch in sorted(buckets.items()):
                delivered = DAY + dt.timedelta(minutes=FILE_MINUTES * (slot + 1) + self.rng.randint(1, 5))
                stamp = delivered.strftime("%Y%m%dT%H%MZ")
                folder = os.path.join(out, "AWSLogs", acct, "CloudTrail", region, delivered.strftime("%Y/%m/%d"))
                os.makedirs(folder, exist_ok=True)
                name = "%s_CloudTrail_%s_%s_%s.json.gz" % (acct, region, stamp, "%016x" % self.rng.getrandbits(64))
                body = json.dumps({"Records": batch}, separators=(",", ":")).encode()
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(gzip.compress(body, mtime=0))
                files += 1
        return files


def user(acct, name):
    return {"type": "IAMUser", "principalId": "AIDA%s%s" % (acct[:4], name.upper().replace("-", "")),
            "arn": "arn:aws:iam::%s:user/%s" % (acct, name), "accountId": acct,
            "accessKeyId": "AKIA%s" % name.upper().replace("-", "").ljust(16, "X")[:16], "userName": name}


def root(acct):
    return {"type": "Root", "principalId": acct, "arn": "arn:aws:iam::%s:root" % acct, "accountId": acct,
            "accessKeyId": "ASIA%sROOTXXXX" % acct[:8]}


def denied_burst(t, acct, region, ident, hour, minute, calls, spacing):
    """`calls` denied Lightsail calls `spacing` seconds apart (10 within 10 minutes fire)."""
    for i in range(calls):
        name = DENIABLE[i % len(DENIABLE)]
        t.lightsail(acct, region, t.at(hour, minute, i * spacing), ident, name, error="AccessDenied")
    t.play("access-denied burst (%d calls, %ds apart)" % (calls, spacing), acct, region, ident,
           calls >= 10 and (9 * spacing) < 600)


def enumeration(t, acct, region, ident, hour, minute, distinct):
    """`distinct` different read calls within four minutes (12 fire)."""
    names = READ_CALLS[:distinct]
    for i, name in enumerate(names):
        t.lightsail(acct, region, t.at(hour, minute, i * 15), ident, name, params={})
    t.play("enumeration burst (%d names)" % distinct, acct, region, ident, distinct >= 12)


def many_regions(t, acct, ident, hour, minute, regions):
    """CreateInstances in `regions` within half an hour (three fire)."""
    for i, region in enumerate(regions):
        params = {"instanceNames": ["web-%d" % i], "availabilityZone": region + "a",
                  "blueprintId": "ubuntu_22_04", "bundleId": "nano_3_0"}
        t.lightsail(acct, region, t.at(hour, minute + 7 * i), ident, "CreateInstances", params=params)
    t.play("instances in %d regions" % len(regions), acct, ",".join(regions), ident, len(regions) >= 3)


def port_then_login(t, acct, region, ident, hour, minute, instance, login_first=False, other=None):
    """SSH opened to the world on `instance`, then its login fetched (fires unless reversed or
    fetched for another instance)."""
    opened = (hour, minute + (20 if login_first else 0))
    fetched = (hour, minute + (0 if login_first else 20))
    params = {"instanceName": instance,
              "portInfo": {"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]}}
    t.lightsail(acct, region, t.at(*opened), ident, "OpenInstancePublicPorts", params=params)
    t.lightsail(acct, region, t.at(*fetched), ident, "GetInstanceAccessDetails",
                params={"instanceName": other or instance, "protocol": "ssh"})
    t.play("admin port then login%s" % (" (reversed)" if login_first else " (other instance)" if other else ""),
           acct, region, ident, not login_first and other is None)


def creds_then_snapshot(t, acct, region, ident, hour, minute, snapshot, gap):
    """Default key pair downloaded, then a snapshot exported `gap` minutes later (within 60 fire)."""
    t.lightsail(acct, region, t.at(hour, minute), ident, "DownloadDefaultKeyPair", params={})
    later = t.at(hour, minute) + dt.timedelta(minutes=gap)
    t.lightsail(acct, region, later, ident, "ExportSnapshot", params={"sourceSnapshotName": snapshot})
    t.play("credentials then snapshot out (%d min)" % gap, acct, region, ident, gap <= 60)


def fresh_snapshot(t, acct, region, ident, hour, minute, instance, shipped_as):
    """An instance snapshotted, then `shipped_as` copied out (fires when it is the same snapshot)."""
    snap = instance + "-snap"
    t.lightsail(acct, region, t.at(hour, minute), ident, "CreateInstanceSnapshot",
                params={"instanceName": instance, "instanceSnapshotName": snap})
    t.lightsail(acct, region, t.at(hour, minute + 25), ident, "CopySnapshot",
                params={"sourceSnapshotName": shipped_as or snap, "targetSnapshotName": snap + "-copy",
                        "sourceRegion": region})
    t.play("fresh snapshot shipped out%s" % ("" if not shipped_as else " (another snapshot)"), acct, region,
           ident, shipped_as is None)


def root_then_write(t, acct, region, hour, minute, write_after):
    """Root signs in (us-east-1's stream) and makes a Lightsail write in `region` `write_after`
    minutes later (negative: before the sign-in, which does not fire)."""
    ident = root(acct)
    t.add(acct, "us-east-1", t.at(hour, minute), ident, "signin.amazonaws.com", "ConsoleLogin", False,
          response={"ConsoleLogin": "Success"})
    when = t.at(hour, minute) + dt.timedelta(minutes=write_after)
    t.lightsail(acct, region, when, ident, "CreateKeyPair", params={"keyPairName": "root-key"})
    t.play("root sign-in then write (%+d min)" % write_after, acct, region, ident, 0 < write_after <= 60)


def edges(t, acct, region):
    """Records that test the reader more than the rules: one delivered twice, in the next file
    too (a retried delivery; the nine denied calls it belongs to stay nine), and one nested
    deeper than the parser builds (judged cut back, its alert carrying the marker)."""
    intern = user(acct, "intern-retry")
    denied_burst(t, acct, region, intern, 2, 40, 9, 20)
    first = next(r for r in t.records[(acct, region)] if r["userIdentity"]["arn"] == intern["arn"])
    t.redelivered.append((acct, region, t.at(2, 46), dict(first)))
    deep = {}
    for _ in range(140):
        deep = {"next": deep}
    t.lightsail(acct, region, t.at(3, 10), user(acct, "deep-params"), "DownloadDefaultKeyPair", params=deep)


def scenarios(t):
    a, b = ACCOUNTS
    # Early in the day, in every stream: the pack's singles and near misses.
    denied_burst(t, a, "us-east-1", user(a, "svc-backup"), 0, 40, 10, 20)
    denied_burst(t, b, "eu-west-1", user(b, "ci-deploy"), 1, 10, 12, 30)
    denied_burst(t, a, "eu-west-1", user(a, "intern"), 0, 50, 9, 20)
    denied_burst(t, b, "ap-southeast-2", user(b, "slow-bot"), 0, 30, 10, 210)
    enumeration(t, a, "ap-southeast-2", user(a, "scanner"), 1, 0, 14)
    enumeration(t, b, "us-east-1", user(b, "curious"), 0, 35, 11)
    many_regions(t, a, user(a, "spreader"), 1, 20, REGIONS)
    many_regions(t, b, user(b, "two-regions"), 0, 45, REGIONS[:2])
    port_then_login(t, a, "eu-west-1", user(a, "ops"), 0, 20, "web-1")
    port_then_login(t, b, "us-east-1", user(b, "ops"), 1, 5, "db-2", login_first=True)
    port_then_login(t, b, "ap-southeast-2", user(b, "ops"), 0, 55, "web-3", other="web-4")
    creds_then_snapshot(t, b, "eu-west-1", user(b, "contractor"), 0, 25, "web-1-snap", 30)
    creds_then_snapshot(t, a, "us-east-1", user(a, "contractor"), 0, 15, "db-snap", 90)
    fresh_snapshot(t, a, "ap-southeast-2", user(a, "backup"), 0, 10, "app-1", None)
    fresh_snapshot(t, b, "us-east-1", user(b, "backup"), 1, 30, "app-2", "old-snap")
    root_then_write(t, a, "eu-west-1", 0, 5, 20)
    root_then_write(t, b, "ap-southeast-2", 1, 0, -30)
    # The whole chain by one stolen key (denied and enumeration bursts, credentials then snapshot
    # out, so recon then snapshot theft), in both accounts: at the day's end in the first.
    for acct, region, hour in ((a, "us-east-1", t.hours - 2), (b, "ap-southeast-2", 2)):
        thief = user(acct, "stolen-key")
        denied_burst(t, acct, region, thief, hour, 0, 11, 15)
        enumeration(t, acct, region, thief, hour, 5, 13)
        creds_then_snapshot(t, acct, region, thief, hour, 15, "prod-snap", 20)
    edges(t, b, "eu-west-1")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hours", type=int, default=4, help="length of the day written (at least 3)")
    ap.add_argument("--per-file", type=int, default=6, help="background records per file")
    args = ap.parse_args()
    t = Trail(args.seed, max(args.hours, 3))
    t.background(args.per_file)
    scenarios(t)
    files = t.write(args.out)
    records = sum(len(v) for v in t.records.values()) + len(t.redelivered)
    print("generated %d files, %d records, %d scenarios (%d meant to fire) in %s"
          % (files, records, len(t.plays), sum(1 for p in t.plays if p[4]), args.out))


if __name__ == "__main__":
    main()
