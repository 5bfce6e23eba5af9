//! A minimal writer for one flat JSON object per line (the event stream's hot path).
//!
//! Keys are written as pre-built literals (`key!("pid")` is `,"pid":`), numbers
//! with itoa, plain ASCII strings by copy; anything needing escapes goes
//! through serde_json.

use crate::decode::render::{json_hex, json_string, put_i64, put_u64};

/// `,"name":` as one literal, for [`Line`] methods.
macro_rules! key {
    ($k:literal) => {
        concat!(",\"", $k, "\":")
    };
}
pub(crate) use key;

/// `{"type":"kind"` as one literal, for [`Line::open`].
macro_rules! open {
    ($kind:literal) => {
        concat!("{\"type\":\"", $kind, "\"")
    };
}
pub(crate) use open;

/// Builds `{"type":"...",...}\n` into a byte buffer.
pub struct Line<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Line<'a> {
    /// Opens the object with its `type`.
    pub fn new(out: &'a mut Vec<u8>, kind: &str) -> Self {
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.push(b'"');
        Line { out }
    }

    /// Opens the object with a literal from [`open!`].
    pub fn open(out: &'a mut Vec<u8>, opening: &'static str) -> Self {
        out.extend_from_slice(opening.as_bytes());
        Line { out }
    }

    /// Continues an object opened elsewhere: fields only, no `end`.
    pub fn fragment(out: &'a mut Vec<u8>) -> Self {
        Line { out }
    }

    /// The buffer, to append fields rendered earlier.
    pub fn buf(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Writes a key literal from [`key!`] and returns the buffer for its value.
    #[inline]
    pub fn raw(&mut self, key: &str) -> &mut Vec<u8> {
        self.out.extend_from_slice(key.as_bytes());
        self.out
    }

    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        json_string(self.raw(key), v.as_bytes());
        self
    }

    /// Bytes that should be text (comm, paths): invalid UTF-8 becomes U+FFFD.
    pub fn bytes(&mut self, key: &str, v: &[u8]) -> &mut Self {
        json_string(self.raw(key), v);
        self
    }

    #[inline(always)]
    pub fn u64(&mut self, key: &str, v: u64) -> &mut Self {
        let out = self.raw(key);
        put_u64(out, v);
        self
    }

    #[inline(always)]
    pub fn i64(&mut self, key: &str, v: i64) -> &mut Self {
        let out = self.raw(key);
        put_i64(out, v);
        self
    }

    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        let out = self.raw(key);
        out.extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    /// An array of strings.
    pub fn strs<'s>(&mut self, key: &str, items: impl Iterator<Item = &'s [u8]>) -> &mut Self {
        let out = self.raw(key);
        out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(out, item);
        }
        out.push(b']');
        self
    }

    /// An array of `"0x..."` strings.
    pub fn hex_array(&mut self, key: &str, values: &[u64]) -> &mut Self {
        let out = self.raw(key);
        out.push(b'[');
        for (i, &v) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_hex(out, v);
        }
        out.push(b']');
        self
    }

    pub fn end(self) {
        self.out.extend_from_slice(b"}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_valid_json() {
        let mut out = vec![];
        let mut l = Line::new(&mut out, "x");
        assert_eq!(open!("x"), r#"{"type":"x""#);
        l.u64(key!("n"), 5)
            .i64(key!("r"), -2)
            .bool(key!("b"), true)
            .bytes(key!("c"), b"a\"\xff")
            .str(key!("s"), "tab\there")
            .strs(key!("argv"), [&b"ls"[..], b"-l"].into_iter())
            .hex_array(key!("a"), &[0, 255, u64::MAX]);
        l.end();
        let s = String::from_utf8(out).unwrap();
        assert!(s.ends_with("}\n"));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["type"], "x");
        assert_eq!(v["c"], "a\"\u{fffd}");
        assert_eq!(v["s"], "tab\there");
        assert_eq!(v["a"][0], "0x0");
        assert_eq!(v["a"][1], "0xff");
        assert_eq!(v["a"][2], "0xffffffffffffffff");
        assert_eq!(v["argv"][1], "-l");
        assert_eq!(v["r"], -2);
    }
}
