//! The little DER we need: writing one certificate shape and reading X.509 certificates
//! (validity, subject, RSA public key). Deliberately minimal; definite lengths only.

use std::fmt::Write as _;

pub const TAG_BOOLEAN: u8 = 0x01;
pub const TAG_INTEGER: u8 = 0x02;
pub const TAG_BIT_STRING: u8 = 0x03;
pub const TAG_OCTET_STRING: u8 = 0x04;
pub const TAG_NULL: u8 = 0x05;
pub const TAG_OID: u8 = 0x06;
pub const TAG_UTF8_STRING: u8 = 0x0c;
pub const TAG_PRINTABLE_STRING: u8 = 0x13;
pub const TAG_T61_STRING: u8 = 0x14;
pub const TAG_IA5_STRING: u8 = 0x16;
pub const TAG_UTC_TIME: u8 = 0x17;
pub const TAG_GENERALIZED_TIME: u8 = 0x18;
pub const TAG_UNIVERSAL_STRING: u8 = 0x1c;
pub const TAG_BMP_STRING: u8 = 0x1e;
pub const TAG_SEQUENCE: u8 = 0x30;
pub const TAG_SET: u8 = 0x31;

/// `[n]` constructed (EXPLICIT or constructed IMPLICIT) context tag.
pub const fn context_constructed(n: u8) -> u8 {
    0xa0 | n
}

/// `[n]` primitive context tag (IMPLICIT over a primitive type).
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bad DER: {0}")]
pub struct DerError(pub &'static str);

// ---------------------------------------------------------------------------------------------
// Writing

/// One TLV.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        // Short form; the cast cannot truncate since len < 0x80.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = &bytes[skip..];
        // At most size_of::<usize>() bytes, far below 0x7f.
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed TLV made of already-encoded parts.
pub fn constructed(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    constructed(TAG_SEQUENCE, parts)
}

pub fn set(parts: &[&[u8]]) -> Vec<u8> {
    constructed(TAG_SET, parts)
}

/// A non-negative INTEGER from big-endian magnitude bytes (minimal encoding, sign byte if needed).
pub fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|b| **b == 0).count();
    let m = &magnitude[skip..];
    let mut content = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(m);
    tlv(TAG_INTEGER, &content)
}

pub fn small_integer(v: u8) -> Vec<u8> {
    unsigned_integer(&[v])
}

pub fn boolean(v: bool) -> Vec<u8> {
    tlv(TAG_BOOLEAN, &[if v { 0xff } else { 0x00 }])
}

pub fn null() -> Vec<u8> {
    tlv(TAG_NULL, &[])
}

pub fn octet_string(v: &[u8]) -> Vec<u8> {
    tlv(TAG_OCTET_STRING, v)
}

/// BIT STRING with `unused` trailing bits in the last byte.
pub fn bit_string(unused: u8, v: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(v.len() + 1);
    content.push(unused);
    content.extend_from_slice(v);
    tlv(TAG_BIT_STRING, &content)
}

pub fn utf8_string(v: &str) -> Vec<u8> {
    tlv(TAG_UTF8_STRING, v.as_bytes())
}

pub fn printable_string(v: &str) -> Vec<u8> {
    tlv(TAG_PRINTABLE_STRING, v.as_bytes())
}

/// Whether `v` only uses the PrintableString alphabet (X.680 §41.4).
pub fn is_printable(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b))
}

/// An OBJECT IDENTIFIER from its arcs. Panics never: invalid first arcs are encoded as given,
/// callers only pass the constants below.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a * 40 + b, rest),
        [a] => (a * 40, &[][..]),
        [] => (0, &[][..]),
    };
    push_base128(&mut content, first);
    for arc in rest {
        push_base128(&mut content, *arc);
    }
    tlv(TAG_OID, &content)
}

fn push_base128(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 10];
    let mut i = tmp.len();
    loop {
        i -= 1;
        // Low 7 bits; the cast keeps exactly those.
        tmp[i] = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    let last = tmp.len() - 1;
    for (j, b) in tmp.iter().enumerate().skip(i) {
        out.push(if j == last { *b } else { b | 0x80 });
    }
}

/// The dotted form of an OID's content octets.
pub fn oid_to_string(content: &[u8]) -> Result<String, DerError> {
    let mut arcs = Vec::new();
    let mut v: u64 = 0;
    let mut in_arc = false;
    for b in content {
        if !in_arc && *b == 0x80 {
            return Err(DerError("non-minimal OID arc"));
        }
        if v > (u64::MAX >> 7) {
            return Err(DerError("OID arc too large"));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        in_arc = b & 0x80 != 0;
        if !in_arc {
            arcs.push(v);
            v = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return Err(DerError("truncated OID"));
    }
    let mut s = String::new();
    let first = arcs[0];
    let (a, b) = if first < 40 {
        (0, first)
    } else if first < 80 {
        (1, first - 40)
    } else {
        (2, first - 80)
    };
    let _ = write!(s, "{a}.{b}");
    for arc in &arcs[1..] {
        let _ = write!(s, ".{arc}");
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One element read from DER.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    /// The whole encoding, tag and length included (what a signature covers).
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The content of a constructed element, as a reader over its children.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.content)
    }
}

/// Sequential reader over concatenated TLVs.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn read(&mut self) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let tag = *self.data.get(start).ok_or(DerError("unexpected end"))?;
        if tag & 0x1f == 0x1f {
            return Err(DerError("high tag numbers are not supported"));
        }
        let first = *self.data.get(start + 1).ok_or(DerError("unexpected end"))?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else if first == 0x80 {
            return Err(DerError("indefinite length"));
        } else {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(DerError("length too large"));
            }
            let bytes = self
                .data
                .get(start + 2..start + 2 + n)
                .ok_or(DerError("unexpected end"))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 || bytes[0] == 0 {
                return Err(DerError("non-minimal length"));
            }
            (len, 2 + n)
        };
        let end = start
            .checked_add(header)
            .and_then(|h| h.checked_add(len))
            .ok_or(DerError("length overflow"))?;
        let content = self
            .data
            .get(start + header..end)
            .ok_or(DerError("length beyond the data"))?;
        self.pos = end;
        Ok(Tlv {
            tag,
            content,
            raw: &self.data[start..end],
        })
    }

    /// Read the next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
        let t = self.read()?;
        if t.tag != tag {
            return Err(DerError(what));
        }
        Ok(t)
    }

    /// Read the next element only if it has tag `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError(what))
        }
    }
}

/// Decode one DER element that must span all of `data`.
pub fn parse_single<'a>(data: &'a [u8], tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
    let mut r = Reader::new(data);
    let t = r.expect(tag, what)?;
    r.finish("trailing data after the element")?;
    Ok(t)
}

/// Magnitude of a non-negative INTEGER, leading zero bytes removed.
pub fn unsigned_integer_content(content: &[u8]) -> Result<&[u8], DerError> {
    match content.first() {
        None => Err(DerError("empty INTEGER")),
        Some(b) if b & 0x80 != 0 => Err(DerError("negative INTEGER")),
        Some(_) => {
            let skip = content.iter().take_while(|b| **b == 0).count();
            Ok(&content[skip..])
        }
    }
}

/// Text of a directory string, for display only (never compared for security).
pub fn display_string(tag: u8, content: &[u8]) -> String {
    match tag {
        TAG_UTF8_STRING | TAG_PRINTABLE_STRING | TAG_IA5_STRING => {
            String::from_utf8_lossy(content).into_owned()
        }
        // T61 in practice carries Latin-1.
        TAG_T61_STRING => content.iter().map(|b| char::from(*b)).collect(),
        TAG_BMP_STRING => {
            let units: Vec<u16> = content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        TAG_UNIVERSAL_STRING => content
            .chunks(4)
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                char::from_u32(u32::from_be_bytes(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
        _ => content.iter().fold(String::from("#"), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(tlv(4, &[]), [4, 0]);
        assert_eq!(tlv(4, &[0; 0x7f])[..2], [4, 0x7f]);
        assert_eq!(tlv(4, &[0; 0x80])[..3], [4, 0x81, 0x80]);
        assert_eq!(tlv(4, &[0; 0x1234])[..4], [4, 0x82, 0x12, 0x34]);
        for n in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1_0000] {
            let enc = tlv(4, &vec![7; n]);
            let t = parse_single(&enc, 4, "x").unwrap();
            assert_eq!(t.content.len(), n);
            assert_eq!(t.raw, &enc[..]);
        }
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(Reader::new(&[4, 0x80, 0, 0]).read().is_err(), "indefinite");
        assert!(
            Reader::new(&[4, 0x81, 0x05, 0, 0, 0, 0, 0]).read().is_err(),
            "non-minimal"
        );
        assert!(Reader::new(&[4, 5, 0]).read().is_err(), "beyond the data");
        assert!(
            Reader::new(&[4, 0x85, 1, 1, 1, 1, 1]).read().is_err(),
            "too large"
        );
    }

    #[test]
    fn integers() {
        assert_eq!(small_integer(2), [2, 1, 2]);
        assert_eq!(small_integer(0), [2, 1, 0]);
        assert_eq!(unsigned_integer(&[0, 0, 0x80]), [2, 2, 0, 0x80]);
        assert_eq!(unsigned_integer_content(&[0, 0x80]).unwrap(), [0x80]);
        assert!(unsigned_integer_content(&[0x80]).is_err());
    }

    #[test]
    fn oids_round_trip() {
        // sha256WithRSAEncryption, as openssl encodes it.
        assert_eq!(
            oid(&[1, 2, 840, 113549, 1, 1, 11]),
            [6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]
        );
        // 1.3.76.16.4.2.1 (cert_SP_Pub), as in the reference certificate.
        assert_eq!(
            oid(&[1, 3, 76, 16, 4, 2, 1]),
            [6, 6, 0x2b, 0x4c, 0x10, 4, 2, 1]
        );
        for arcs in [
            &[2u64, 5, 4, 97][..],
            &[1, 3, 6, 1, 5, 5, 7, 2, 2],
            &[2, 999, 3],
        ] {
            let enc = oid(arcs);
            let t = parse_single(&enc, TAG_OID, "oid").unwrap();
            let dotted = arcs
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(".");
            assert_eq!(oid_to_string(t.content).unwrap(), dotted);
        }
    }

    #[test]
    fn printable() {
        assert!(is_printable("IT"));
        assert!(!is_printable("I_T"));
        assert!(!is_printable("è"));
    }
}
