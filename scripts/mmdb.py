"""MaxMind DB files written from the format's public specification, for `make demo` and
`make bench` (the tests have the same writer in Rust, tests/support/mmdb.rs): an IPv4 search
tree over the networks given, and their records in the data section.

    write(path, "GeoLite2-Country", [("203.0.113.0/24", {"country": {"iso_code": "NL"}})])
"""

import ipaddress
import struct


class U16(int):
    """An int encoded as uint16 (the metadata's versions and sizes)."""


class U64(int):
    """An int encoded as uint64 (`build_epoch`)."""


def _ctrl(kind, size):
    if size < 29:
        first, extra = size, b""
    elif size < 285:
        first, extra = 29, bytes([size - 29])
    else:
        first, extra = 30, struct.pack(">H", size - 285)
    if kind <= 7:
        return bytes([(kind << 5) | first]) + extra
    return bytes([first, kind - 7]) + extra


def _uint(kind, v):
    b = v.to_bytes(8, "big").lstrip(b"\0")
    return _ctrl(kind, len(b)) + b


def encode(v):
    """The data-section encoding of str, int (uint32, or U16/U64), list and dict."""
    if isinstance(v, U16):
        return _uint(5, v)
    if isinstance(v, U64):
        return _uint(9, v)
    if isinstance(v, str):
        b = v.encode()
        return _ctrl(2, len(b)) + b
    if isinstance(v, int):
        return _uint(6, v)
    if isinstance(v, list):
        return _ctrl(11, len(v)) + b"".join(encode(x) for x in v)
    if isinstance(v, dict):
        return _ctrl(7, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    raise TypeError(type(v))


def write(path, database_type, networks):
    """Writes a database mapping each IPv4 network (`a.b.c.d/len`, none inside another) to its
    record (a dict)."""
    nodes = [[None, None]]  # each side: None (no data), ("node", i) or ("data", offset)
    data = bytearray()
    for cidr, record in networks:
        net = ipaddress.IPv4Network(cidr)
        addr, length = int(net.network_address), net.prefixlen
        offset = len(data)
        data += encode(record)
        node = 0
        for i in range(length):
            bit = (addr >> (31 - i)) & 1
            if i + 1 == length:
                nodes[node][bit] = ("data", offset)
            else:
                side = nodes[node][bit]
                if side is None or side[0] != "node":
                    nodes.append([None, None])
                    nodes[node][bit] = ("node", len(nodes) - 1)
                node = nodes[node][bit][1]
    count = len(nodes)
    # 24-bit records reach 16 MB of data; a larger file needs 32-bit ones.
    size = 24 if count + 16 + len(data) < 1 << 24 else 32
    tree = bytearray()
    for node in nodes:
        for side in node:
            value = count if side is None else side[1] if side[0] == "node" else count + 16 + side[1]
            tree += value.to_bytes(size // 8, "big")
    meta = {"node_count": count, "record_size": U16(size), "ip_version": U16(4),
            "database_type": database_type, "languages": ["en"],
            "binary_format_major_version": U16(2), "binary_format_minor_version": U16(0),
            "build_epoch": U64(1765152000), "description": {"en": "written by trailwatch"}}
    with open(path, "wb") as f:
        f.write(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + encode(meta))
