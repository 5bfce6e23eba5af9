//! A minimal writer for one flat JSON object per line (the event stream's hot path).
use std::io::Write;

/// Builds `{"k":v,...}\n` into a byte buffer; strings are escaped by serde_json.
pub struct Line<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Line<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Line { out, first: true }
    }

    pub fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        let out = self.key(k);
        serde_json::to_writer(out, v).expect("writing to a Vec cannot fail");
        self
    }

    /// Bytes that should be text (comm, paths): invalid UTF-8 becomes U+FFFD.
    pub fn bytes(&mut self, k: &str, v: &[u8]) -> &mut Self {
        self.str(k, &String::from_utf8_lossy(v))
    }

    pub fn u64(&mut self, k: &str, v: u64) -> &mut Self {
        let out = self.key(k);
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }

    pub fn i64(&mut self, k: &str, v: i64) -> &mut Self {
        let out = self.key(k);
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self
    }

    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        let out = self.key(k);
        out.extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    /// An array of strings.
    pub fn strs<'s>(&mut self, k: &str, items: impl Iterator<Item = &'s [u8]>) -> &mut Self {
        let out = self.key(k);
        out.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, &String::from_utf8_lossy(item))
                .expect("writing to a Vec cannot fail");
        }
        out.push(b']');
        self
    }

    /// An array of `"0x..."` strings.
    pub fn hex_array(&mut self, k: &str, values: &[u64]) -> &mut Self {
        let out = self.key(k);
        out.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write!(out, "\"{v:#x}\"").expect("writing to a Vec cannot fail");
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
        let mut l = Line::new(&mut out);
        l.str("type", "x")
            .u64("n", 5)
            .i64("r", -2)
            .bool("b", true)
            .bytes("c", b"a\"\xff")
            .strs("argv", [&b"ls"[..], b"-l"].into_iter())
            .hex_array("a", &[0, 255]);
        l.end();
        let s = String::from_utf8(out).unwrap();
        assert!(s.ends_with("}\n"));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["c"], "a\"\u{fffd}");
        assert_eq!(v["a"][1], "0xff");
        assert_eq!(v["a"][0], "0x0");
        assert_eq!(v["argv"][1], "-l");
        assert_eq!(v["r"], -2);
    }
}
