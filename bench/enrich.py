"""The enrich stage's cost: the bundled pack with all four data sources configured against the
same scan without them, peak RSS with a 10 MB ASN and a 60 MB city database, and the cold start
with them loaded (see bench/README.md).

The data files are written here, from the formats' public descriptions:
- an accounts file of 200 `id,name` lines;
- an `ip-ranges.json` as large as AWS's (about 9,000 IPv4 and 3,000 IPv6 prefixes);
- MaxMind DB files whose search tree covers every IPv4 /16 (65,536 networks), each with its own
  record: about 150 bytes in the ASN database (10 MB) and 900 bytes in the city one (60 MB, names
  in several languages as GeoLite2-City has). A lookup touches 16 tree nodes and one record, as
  in the real files; their trees are deeper, their records shorter.
"""

import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import mmdb  # noqa: E402


def write_mmdb(path, database_type, record_of):
    """A database mapping each IPv4 /16 `a.b.0.0/16` to `record_of(a, b)`."""
    networks = [(f"{n >> 8}.{n & 0xFF}.0.0/16", record_of(n >> 8, n & 0xFF)) for n in range(1 << 16)]
    mmdb.write(path, database_type, networks)


def write_data(work):
    """The four data files (cached in `work/enrich`); their paths as ENRICH_* variables."""
    root = os.path.join(work, "enrich")
    files = {
        "ENRICH_ACCOUNTS": os.path.join(root, "accounts.csv"),
        "ENRICH_IP_RANGES": os.path.join(root, "ip-ranges.json"),
        "ENRICH_ASN_DB": os.path.join(root, "asn.mmdb"),
        "ENRICH_COUNTRY_DB": os.path.join(root, "city.mmdb"),
    }
    if all(os.path.exists(p) for p in files.values()):
        return files
    os.makedirs(root, exist_ok=True)
    rng = random.Random(42)
    with open(files["ENRICH_ACCOUNTS"], "w") as f:
        f.write("# id,name\n")
        for i in range(200):
            f.write(f"{123456789012 + i * 1111:012d},account-{i}\n")
    services = ["AMAZON", "EC2", "S3", "CLOUDFRONT", "ROUTE53", "DYNAMODB", "API_GATEWAY"]
    regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "GLOBAL"]
    v4 = [{"ip_prefix": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256) & 0xF0}.0/{rng.choice([16, 18, 20, 22, 24])}",
           "region": rng.choice(regions), "service": rng.choice(services), "network_border_group": "x"}
          for _ in range(9000)]
    v6 = [{"ipv6_prefix": f"2600:{rng.randrange(0x1f00, 0x1fff):x}:{rng.randrange(65536):x}::/{rng.choice([40, 48, 56])}",
           "region": rng.choice(regions), "service": rng.choice(services), "network_border_group": "x"}
          for _ in range(3000)]
    # Masked so each prefix is a network address.
    for p in v4:
        a, b, c, _ = map(int, p["ip_prefix"].split("/")[0].split("."))
        n = int(p["ip_prefix"].split("/")[1])
        addr = ((a << 24) | (b << 16) | (c << 8)) & (0xFFFFFFFF << (32 - n))
        p["ip_prefix"] = ".".join(str((addr >> s) & 255) for s in (24, 16, 8, 0)) + f"/{n}"
    for p in v6:
        p["ipv6_prefix"] = p["ipv6_prefix"].split("::")[0].rsplit(":", 1)[0] + "::/32"
    with open(files["ENRICH_IP_RANGES"], "w") as f:
        json.dump({"syncToken": "1", "createDate": "2026-12-08-00-00-00", "prefixes": v4, "ipv6_prefixes": v6}, f)
    countries = ["US", "NL", "DE", "BR", "JP", "IN", "FR", "GB", "KR", "SG"]
    write_mmdb(files["ENRICH_ASN_DB"], "GeoLite2-ASN", lambda a, b: {
        "autonomous_system_number": 64512 + (a * 7 + b) % 1000,
        "autonomous_system_organization": f"Bench Network {a}-{b} Hosting and Transit Services Ltd." + "x" * 27})
    names = ["de", "en", "es", "fr", "ja", "zh-CN"]
    write_mmdb(files["ENRICH_COUNTRY_DB"], "GeoLite2-City", lambda a, b: {
        "city": {"geoname_id": a * 256 + b, "names": {k: f"City {a}.{b} ({k}) Municipality" for k in names}},
        "continent": {"code": "EU", "geoname_id": 6255148, "names": {k: f"Continent ({k})" for k in names}},
        "country": {"geoname_id": 2750405 + b, "iso_code": countries[(a + b) % len(countries)],
                    "names": {k: f"Country {countries[(a + b) % len(countries)]} ({k})" for k in names}},
        "location": {"accuracy_radius": 100, "time_zone": "Europe/Amsterdam"},
        "registered_country": {"geoname_id": 2750405, "iso_code": "NL",
                               "names": {k: f"Registered ({k})" for k in names}},
        "subdivisions": [{"geoname_id": 2749879 + b, "iso_code": "NH", "names": {k: f"Province {b} ({k})" for k in names}}],
        "postal": {"code": f"{1000 + b}"}})
    return files
