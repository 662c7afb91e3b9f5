//! Small MaxMind DB files for tests, written from the format's public specification
//! (IPv4 tree, 24-bit records), so no test downloads a database.

/// A value in the database's data section.
pub enum V<'a> {
    Str(&'a str),
    U32(u32),
    Map(Vec<(&'a str, V<'a>)>),
}

fn ctrl(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (first, extra): (u8, Vec<u8>) = match size {
        0..=28 => (size as u8, vec![]),
        29..=284 => (29, vec![(size - 29) as u8]),
        _ => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
    };
    if kind <= 7 {
        out.push((kind << 5) | first);
    } else {
        out.push(first);
        out.push(kind - 7);
    }
    out.extend(extra);
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    ctrl(out, kind, bytes.len());
    out.extend(bytes);
}

fn encode(out: &mut Vec<u8>, v: &V) {
    match v {
        V::Str(s) => {
            ctrl(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        V::U32(n) => uint(out, 6, u64::from(*n)),
        V::Map(entries) => {
            ctrl(out, 7, entries.len());
            for (k, v) in entries {
                encode(out, &V::Str(k));
                encode(out, v);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// A database of `database_type` mapping each IPv4 network (`a.b.c.d/len`, not overlapping)
/// to its value.
pub fn write(database_type: &str, networks: &[(&str, V)]) -> Vec<u8> {
    let mut nodes = vec![[Rec::Empty; 2]];
    let mut data = Vec::new();
    for (cidr, value) in networks {
        let (addr, len) = cidr.split_once('/').expect("a/len");
        let addr = u32::from(addr.parse::<std::net::Ipv4Addr>().expect("IPv4"));
        let len: usize = len.parse().expect("prefix length");
        let offset = data.len();
        encode(&mut data, value);
        let mut node = 0;
        for i in 0..len {
            let bit = ((addr >> (31 - i)) & 1) as usize;
            if i + 1 == len {
                nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Rec::Node(n) => n,
                    _ => {
                        nodes.push([Rec::Empty; 2]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for node in &nodes {
        for rec in node {
            let v = match *rec {
                Rec::Empty => count,
                Rec::Node(n) => n,
                Rec::Data(off) => count + 16 + off,
            } as u32;
            out.extend(&v.to_be_bytes()[1..]);
        }
    }
    out.extend([0u8; 16]);
    out.extend(data);
    out.extend(b"\xAB\xCD\xEFMaxMind.com");
    let mut meta = Vec::new();
    ctrl(&mut meta, 7, 9);
    let mut field = |k: &str, f: &dyn Fn(&mut Vec<u8>)| {
        encode(&mut meta, &V::Str(k));
        f(&mut meta);
    };
    field("node_count", &|m| uint(m, 6, count as u64));
    field("record_size", &|m| uint(m, 5, 24));
    field("ip_version", &|m| uint(m, 5, 4));
    field("database_type", &|m| encode(m, &V::Str(database_type)));
    field("languages", &|m| ctrl(m, 11, 0));
    field("binary_format_major_version", &|m| uint(m, 5, 2));
    field("binary_format_minor_version", &|m| uint(m, 5, 0));
    field("build_epoch", &|m| uint(m, 9, 1_700_000_000));
    field("description", &|m| ctrl(m, 7, 0));
    out.extend(meta);
    out
}

/// An ASN database (GeoLite2-ASN layout): network, number, organisation.
pub fn asn_db(networks: &[(&str, u32, &str)]) -> Vec<u8> {
    let entries: Vec<(&str, V)> = networks
        .iter()
        .map(|(net, n, org)| {
            let value = V::Map(vec![
                ("autonomous_system_number", V::U32(*n)),
                ("autonomous_system_organization", V::Str(org)),
            ]);
            (*net, value)
        })
        .collect();
    write("GeoLite2-ASN", &entries)
}

/// A country database (GeoLite2-Country layout): network, ISO code.
pub fn country_db(networks: &[(&str, &str)]) -> Vec<u8> {
    let entries: Vec<(&str, V)> = networks
        .iter()
        .map(|(net, iso)| {
            let value = V::Map(vec![("country", V::Map(vec![("iso_code", V::Str(iso))]))]);
            (*net, value)
        })
        .collect();
    write("GeoLite2-Country", &entries)
}
