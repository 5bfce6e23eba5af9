//! Renders decoded values: strace's text syntax, and typed JSON.
use std::io::Write;

use super::structs::quote_into;
use super::value::Value;

/// JSON renderings of register decodings (flags and named constants), by
/// decoder and value: a direct-mapped cache of 256 slots. A program passes
/// the same few flag values over and over (`AT_EMPTY_PATH` to every
/// newfstatat of a tar), and looking one up costs a tenth of decoding and
/// rendering it. Renderings longer than a slot are not kept.
#[derive(Clone)]
pub struct RegMemo {
    slots: Box<[MemoSlot; MEMO_SLOTS]>,
}

const MEMO_SLOTS: usize = 256;
const MEMO_BYTES: usize = 46;

#[derive(Clone, Copy)]
struct MemoSlot {
    decoder: usize,
    value: u64,
    /// 0: empty (no rendering is empty).
    len: u8,
    bytes: [u8; MEMO_BYTES],
}

impl Default for RegMemo {
    fn default() -> Self {
        let empty = MemoSlot {
            decoder: 0,
            value: 0,
            len: 0,
            bytes: [0; MEMO_BYTES],
        };
        RegMemo {
            slots: Box::new([empty; MEMO_SLOTS]),
        }
    }
}

impl std::fmt::Debug for RegMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.slots.iter().filter(|s| s.len != 0).count();
        write!(f, "RegMemo {{ {kept} of {MEMO_SLOTS} slots kept }}")
    }
}

impl RegMemo {
    /// Appends `decode(value)` as JSON, from the cache when it has it.
    pub fn json(&mut self, decode: super::table::RegFn, value: u64, out: &mut Vec<u8>) {
        let decoder = decode as usize;
        let hash = (decoder as u64 ^ value).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let slot = &mut self.slots[(hash >> 56) as usize];
        if slot.len != 0 && slot.decoder == decoder && slot.value == value {
            put(out, &slot.bytes[..usize::from(slot.len)]);
            return;
        }
        let start = out.len();
        json(&decode(value), out);
        let rendered = &out[start..];
        if rendered.len() <= MEMO_BYTES {
            slot.decoder = decoder;
            slot.value = value;
            slot.len = rendered.len() as u8;
            slot.bytes[..rendered.len()].copy_from_slice(rendered);
        }
    }
}

/// Appends `b`, which is mostly short (a name, a key, digits): up to 32
/// bytes go in as two overlapping copies of one fixed size, not through a
/// call to memcpy, which cost such a piece more than the copy itself and
/// was called about 17 times per line.
#[inline(always)]
pub fn put(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n > 32 {
        out.extend_from_slice(b);
        return;
    }
    out.reserve(32);
    let len = out.len();
    // SAFETY: `reserve` left at least 32 bytes of spare capacity; every
    // write lands in out[len..len + n] and every read in `b`.
    unsafe {
        let (src, dst) = (b.as_ptr(), out.as_mut_ptr().add(len));
        if n >= 16 {
            let head = src.cast::<u128>().read_unaligned();
            let tail = src.add(n - 16).cast::<u128>().read_unaligned();
            dst.cast::<u128>().write_unaligned(head);
            dst.add(n - 16).cast::<u128>().write_unaligned(tail);
        } else if n >= 8 {
            let head = src.cast::<u64>().read_unaligned();
            let tail = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(head);
            dst.add(n - 8).cast::<u64>().write_unaligned(tail);
        } else if n >= 4 {
            let head = src.cast::<u32>().read_unaligned();
            let tail = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(head);
            dst.add(n - 4).cast::<u32>().write_unaligned(tail);
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        out.set_len(len + n);
    }
}

/// `v` in decimal. Always inlined, as are `put_i64` and `Line::u64`/`i64`:
/// with `put` inside, the compiler stopped inlining them on its own and
/// the calls cost the storm's lines about 10 % more instructions.
#[inline(always)]
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    put(out, itoa::Buffer::new().format(v).as_bytes());
}

/// `v` in decimal, zero-padded to `WIDTH` digits (`v` must fit).
pub fn put_padded<const WIDTH: usize>(out: &mut Vec<u8>, v: u64) {
    let mut digits = [b'0'; WIDTH];
    let mut n = v;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits);
}

/// `v` in decimal, with a `-` when negative.
#[inline(always)]
pub fn put_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    put_u64(out, v.unsigned_abs());
}

/// The 8 hex digits of `h`, most significant first, as the bytes of a
/// little-endian word: each nibble spread into a byte of its own, then
/// turned into its digit, all eight bytes at a time.
fn hex8(h: u32) -> u64 {
    let mut x = u64::from(h);
    x = (x | x << 16) & 0x0000_ffff_0000_ffff;
    x = (x | x << 8) & 0x00ff_00ff_00ff_00ff;
    x = (x | x << 4) & 0x0f0f_0f0f_0f0f_0f0f;
    // Bytes now hold the nibbles, the lowest first; a byte of 10 or
    // more gets the gap between '9' and 'a' added.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * 39).swap_bytes()
}

/// `0x` and the hex digits of `v` (`0x1f`, `0x0`), with a quote on each
/// side when `quoted`. One digit is pushed as is; longer numbers go into
/// the line as 16 digits, shifted to the front and stored a half at a time
/// from registers, then cut to length: one reservation and no test of
/// the capacity per piece, no memcpy call, and no buffer on
/// the stack written in parts and read back whole (a store-forwarding
/// stall).
fn put_hex(out: &mut Vec<u8>, v: u64, quoted: bool) {
    // A quote, `0x`, 16 digits (all written, then cut) and a quote.
    out.reserve(20);
    let len = out.len();
    // SAFETY: every write lands in the 20 bytes `reserve` left spare, and
    // the length set covers only bytes written.
    unsafe {
        let start = out.as_mut_ptr().add(len);
        let mut p = start;
        if quoted {
            p.write(b'"');
            p = p.add(1);
        }
        p.cast::<[u8; 2]>().write_unaligned(*b"0x");
        p = p.add(2);
        if v < 16 {
            // Descriptors, small counts and flags: one digit, no conversion.
            p.write(b"0123456789abcdef"[v as usize]);
            p = p.add(1);
        } else {
            let digits = (64 - v.leading_zeros() as usize).div_ceil(4);
            let v = v << (64 - 4 * digits);
            // Each half stored from its register: built as one 16-byte
            // array, the halves were stored apart and read back whole (a
            // stall), or turned into vector code with slow byte shuffles.
            p.cast::<[u8; 8]>()
                .write_unaligned(hex8((v >> 32) as u32).to_le_bytes());
            p.add(8)
                .cast::<[u8; 8]>()
                .write_unaligned(hex8(v as u32).to_le_bytes());
            p = p.add(digits);
        }
        if quoted {
            p.write(b'"');
            p = p.add(1);
        }
        out.set_len(len + p.offset_from(start) as usize);
    }
}

/// The 8 decimal digits of `v` (below 10^8, zero-padded) in ASCII: split
/// into halves, quarters and digits inside one 64-bit word.
pub fn decimal8(v: u32) -> [u8; 8] {
    debug_assert!(v < 100_000_000);
    let v = u64::from(v);
    // Two 32-bit lanes: abcd, efgh.
    let x = (v / 10_000) | ((v % 10_000) << 32);
    // Divided by 100 in each lane (exact below 10^4): ab, ef; then cd, gh.
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let y = hundreds | ((x - hundreds * 100) << 16);
    // Divided by 10 in each 16-bit lane (exact below 100): a, c, e, g.
    let tens = ((y * 103) >> 10) & 0x000f_000f_000f_000f;
    let z = tens | ((y - tens * 10) << 8);
    (z + 0x3030_3030_3030_3030).to_le_bytes()
}

/// `{v:#x}`: `0x1f`, `0x0`.
pub fn push_hex(out: &mut Vec<u8>, v: u64) {
    put_hex(out, v, false);
}

/// `0{v:o}` (`0644`, `00`) written at the end of `buf`; returns it.
pub fn octal(v: u64, buf: &mut [u8; 23]) -> &[u8] {
    let digits = (64 - (v | 1).leading_zeros() as usize).div_ceil(3);
    let start = buf.len() - digits - 1;
    buf[start] = b'0';
    let mut n = v;
    for b in buf[start + 1..].iter_mut().rev() {
        *b = b'0' + (n & 7) as u8;
        n >>= 3;
    }
    &buf[start..]
}

fn push_octal(out: &mut Vec<u8>, v: u64) {
    put(out, octal(v, &mut [0; 23]));
}

/// `s` between quotes, as it is (the caller knows it needs no escapes).
fn quoted_copy(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    put(out, s);
    out.push(b'"');
}

fn hex(out: &mut Vec<u8>, v: u64) {
    if v == 0 {
        out.push(b'0');
    } else {
        push_hex(out, v);
    }
}

/// Bytes in strace's `-x` style: every byte as `\xNN`.
fn hex_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for b in bytes {
        let _ = write!(out, "\\x{b:02x}");
    }
    out.push(b'"');
}

/// A [`Value::BitSet`]: `[0 1]` in text, `[0,1]` in JSON.
fn bit_list(out: &mut Vec<u8>, bits: &[u32], sep: u8) {
    bit_list_noted(out, bits, sep, |_, _| {});
}

/// [`bit_list`] with `note(k, out)` written after the k-th number (strace
/// -y's `[3<pipe:[9]> 4</dev/null>]`).
pub fn bit_list_noted(
    out: &mut Vec<u8>,
    bits: &[u32],
    sep: u8,
    mut note: impl FnMut(usize, &mut Vec<u8>),
) {
    out.push(b'[');
    for (i, b) in bits.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        put_u64(out, u64::from(*b));
        note(i, out);
    }
    out.push(b']');
}

/// A struct as strace shows one, `{fd=3, events=POLLIN}`, with
/// `note(name, out)` written after each field's value (strace -y's
/// `{fd=3</dev/null>, ...}`).
pub fn struct_noted(
    out: &mut Vec<u8>,
    fields: &[(&'static str, Value)],
    more: bool,
    mut note: impl FnMut(&str, &mut Vec<u8>),
) {
    out.push(b'{');
    for (i, (name, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        // strace prints an IPv6 address as a bare inet_pton() call.
        if !matches!(
            v,
            Value::Call {
                func: "inet_pton",
                ..
            }
        ) {
            put(out, name.as_bytes());
            out.push(b'=');
        }
        text(v, out);
        note(name, out);
    }
    if more {
        if !fields.is_empty() {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(b"...");
    }
    out.push(b'}');
}

fn join(out: &mut Vec<u8>, items: &[Value], sep: &[u8]) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        text(v, out);
    }
}

/// Writes `v` as strace prints it.
pub fn text(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Int(i) => put_i64(out, *i),
        Value::UInt(u) => put_u64(out, *u),
        Value::Hex(h) => hex(out, *h),
        Value::Octal(0) => out.extend_from_slice(b"000"),
        Value::Octal(o) => push_octal(out, *o),
        Value::FileMode(m) => super::consts::put_mode(out, *m),
        Value::Ptr(0) => out.extend_from_slice(b"NULL"),
        Value::Ptr(p) | Value::Unreadable(p) => push_hex(out, *p),
        Value::Sym(s) => put(out, s.as_bytes()),
        Value::Flags { names, rest } => {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b'|');
                }
                put(out, n.as_bytes());
            }
            if *rest != 0 || names.is_empty() {
                if !names.is_empty() {
                    out.push(b'|');
                }
                hex(out, *rest);
            }
        }
        Value::Str { bytes, truncated } => {
            quote_into(out, bytes);
            if *truncated {
                out.extend_from_slice(b"...");
            }
        }
        Value::Struct { fields, more } => struct_noted(out, fields, *more, |_, _| {}),
        Value::Array { items, more } => {
            out.push(b'[');
            join(out, items, b", ");
            if *more {
                if !items.is_empty() {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(b"...");
            }
            out.push(b']');
        }
        Value::BitSet(bits) => bit_list(out, bits, b' '),
        Value::Labeled(items) => {
            for (i, (label, v)) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(label.as_bytes());
                out.push(b' ');
                text(v, out);
            }
        }
        Value::SigSet { names, inverted } => {
            if *inverted {
                out.push(b'~');
            }
            out.push(b'[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(n.as_bytes());
            }
            out.push(b']');
        }
        Value::Call { func: "hex", args } => match args.first() {
            Some(Value::Str { bytes, truncated }) => {
                hex_escaped(out, bytes);
                if *truncated {
                    out.extend_from_slice(b"...");
                }
            }
            _ => join(out, args, b", "),
        },
        // What a call wrote back into a struct: `{...} => {parent_tid=[5]}`.
        Value::Call { func: "=>", args } => join(out, args, b" => "),
        Value::Call { func, args } => {
            out.extend_from_slice(func.as_bytes());
            out.push(b'(');
            join(out, args, b", ");
            out.push(b')');
        }
        Value::Commented { value, comment } => {
            text(value, out);
            out.extend_from_slice(b" /* ");
            out.extend_from_slice(comment.as_bytes());
            out.extend_from_slice(b" */");
        }
        Value::Text(t) => out.extend_from_slice(t.as_bytes()),
    }
}

/// Bytes that can be copied into a JSON string as they are: printable
/// ASCII but `"` and `\`. Eight bytes at a time.
pub fn plain_ascii(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    /// A byte of `x` is zero (exact as to whether any is).
    fn any_zero(x: u64) -> bool {
        x.wrapping_sub(ONES) & !x & HIGH != 0
    }
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_ne_bytes(c.try_into().expect("8 bytes"));
        // A byte below 0x20, at or above 0x7f, `"` or `\`.
        let low = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let high = ((x & !HIGH).wrapping_add(ONES) | x) & HIGH;
        if low | high != 0 || any_zero(x ^ (ONES * 0x22)) || any_zero(x ^ (ONES * 0x5c)) {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// `s` as a JSON string: plain ASCII by copy, anything needing escapes
/// through serde_json (invalid UTF-8 becomes U+FFFD).
pub fn json_string(out: &mut Vec<u8>, s: &[u8]) {
    if plain_ascii(s) {
        quoted_copy(out, s);
    } else {
        serde_json::to_writer(&mut *out, &String::from_utf8_lossy(s))
            .expect("writing to a Vec cannot fail");
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    json_string(out, s.as_bytes());
}

/// A name from the decoders' tables (`O_RDONLY`, `st_mode`): an
/// identifier, so it is copied without looking for bytes to escape.
fn json_name(out: &mut Vec<u8>, name: &'static str) {
    debug_assert!(plain_ascii(name.as_bytes()), "{name:?}");
    quoted_copy(out, name.as_bytes());
}

/// `"0x1f"`.
pub fn json_hex(out: &mut Vec<u8>, v: u64) {
    put_hex(out, v, true);
}

/// Bytes as a JSON string when they are UTF-8, else `{"hex":"..."}`.
fn json_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    if plain_ascii(bytes) {
        return quoted_copy(out, bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail"),
        Err(_) => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"{\"hex\":\"");
            out.reserve(bytes.len() * 2 + 2);
            for &b in bytes {
                out.push(DIGITS[usize::from(b >> 4)]);
                out.push(DIGITS[usize::from(b & 0xf)]);
            }
            out.extend_from_slice(b"\"}");
        }
    }
}

fn json_list(out: &mut Vec<u8>, items: &[Value]) {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json(v, out);
    }
    out.push(b']');
}

/// Writes `v` as a typed JSON value: numbers, names, lists, objects.
pub fn json(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Int(i) => put_i64(out, *i),
        Value::UInt(u) => put_u64(out, *u),
        Value::Hex(h) => json_hex(out, *h),
        Value::FileMode(m) => {
            out.push(b'"');
            super::consts::put_mode(out, *m);
            out.push(b'"');
        }
        Value::Ptr(0) => out.extend_from_slice(b"null"),
        Value::Ptr(p) => json_hex(out, *p),
        Value::Octal(o) => {
            out.push(b'"');
            push_octal(out, *o);
            out.push(b'"');
        }
        Value::Sym(s) => json_name(out, s),
        Value::Flags { names, rest } => {
            out.push(b'[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_name(out, n);
            }
            if *rest != 0 {
                if !names.is_empty() {
                    out.push(b',');
                }
                json_hex(out, *rest);
            }
            out.push(b']');
        }
        Value::Str { bytes, truncated } => {
            if *truncated {
                out.extend_from_slice(b"{\"data\":");
                json_bytes(out, bytes);
                out.extend_from_slice(b",\"truncated\":true}");
            } else {
                json_bytes(out, bytes);
            }
        }
        Value::Unreadable(p) => {
            out.extend_from_slice(b"{\"unreadable\":");
            json_hex(out, *p);
            out.push(b'}');
        }
        Value::Struct { fields, .. } | Value::Labeled(fields) => {
            out.push(b'{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_name(out, name);
                out.push(b':');
                json(v, out);
            }
            out.push(b'}');
        }
        Value::Array { items, .. } => json_list(out, items),
        Value::BitSet(bits) => bit_list(out, bits, b','),
        Value::SigSet { names, inverted } => {
            if *inverted {
                out.extend_from_slice(b"{\"all_but\":");
            }
            out.push(b'[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if plain_ascii(n.as_bytes()) {
                    out.extend_from_slice(b"\"SIG");
                    out.extend_from_slice(n.as_bytes());
                    out.push(b'"');
                } else {
                    json_str(out, &format!("SIG{n}"));
                }
            }
            out.push(b']');
            if *inverted {
                out.push(b'}');
            }
        }
        Value::Call {
            func: "makedev",
            args,
        } => {
            out.extend_from_slice(b"{\"major\":");
            json_number_of(out, args.first());
            out.extend_from_slice(b",\"minor\":");
            json_number_of(out, args.get(1));
            out.push(b'}');
        }
        // What the call rewrote: `128 => 16`, `{...} => {parent_tid=[5]}`.
        Value::Call { func: "=>", args } => {
            out.extend_from_slice(b"{\"in\":");
            json_of(out, args.first());
            out.extend_from_slice(b",\"out\":");
            json_of(out, args.get(1));
            out.push(b'}');
        }
        Value::Call { args, .. } => {
            // htons(443) -> 443, inet_addr("1.2.3.4") -> "1.2.3.4",
            // inet_pton(AF_INET6, "::1", &sin6_addr) -> "::1".
            let main = args
                .iter()
                .find(|a| matches!(a, Value::Str { .. }))
                .or(args.first());
            match main {
                Some(a) => json(a, out),
                None => out.extend_from_slice(b"null"),
            }
        }
        Value::Commented { value, comment } => {
            out.extend_from_slice(b"{\"value\":");
            json(value, out);
            out.extend_from_slice(b",\"comment\":");
            json_str(out, comment);
            out.push(b'}');
        }
        Value::Text(t) => json_str(out, t),
    }
}

fn json_of(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        Some(v) => json(v, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn json_number_of(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        Some(Value::Hex(n) | Value::UInt(n)) => put_u64(out, *n),
        Some(Value::Int(n)) => put_i64(out, *n),
        _ => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache renders exactly what decoding and rendering does, for
    /// values seen again, for two decoders of one value, and for renderings
    /// too long to keep.
    #[test]
    fn reg_memo_renders_as_decoding_does() {
        use crate::decode::consts;
        use crate::decode::table::RegFn;
        let decoders: [RegFn; 4] = [
            consts::at_flags,
            consts::open_flags,
            consts::mmap_flags,
            consts::signal,
        ];
        let values = [
            0,
            1,
            2,
            0x100,
            0x1000,
            0x22,
            0x80241,
            u64::MAX,
            9,
            0x7fff_ffff,
        ];
        let mut memo = RegMemo::default();
        for round in 0..3 {
            for &d in &decoders {
                for &v in &values {
                    let mut want = b"x".to_vec();
                    json(&d(v), &mut want);
                    let mut got = b"x".to_vec();
                    memo.json(d, v, &mut got);
                    assert_eq!(got, want, "round {round}, value {v:#x}");
                }
            }
        }
        let kept = memo.slots.iter().filter(|s| s.len != 0).count();
        assert!(kept > 10 && kept < decoders.len() * values.len(), "{kept}");
    }

    #[test]
    fn put_appends_any_length_exactly() {
        let src: Vec<u8> = (1..=40).collect();
        for n in 0..=src.len() {
            // From an empty vector, and after a prefix at every alignment.
            for prefix in 0..3 {
                let mut out = vec![0xee; prefix];
                put(&mut out, &src[..n]);
                put(&mut out, &src[..n]);
                let mut want = vec![0xee; prefix];
                want.extend_from_slice(&src[..n]);
                want.extend_from_slice(&src[..n]);
                assert_eq!(out, want, "n={n} prefix={prefix}");
            }
        }
    }

    #[test]
    fn plain_ascii_matches_the_bytewise_rule() {
        let slow = |s: &[u8]| {
            s.iter()
                .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
        };
        for b in 0..=255u8 {
            for pos in 0..19 {
                let mut s = [b'a'; 19];
                s[pos] = b;
                for len in pos + 1..=19 {
                    assert_eq!(plain_ascii(&s[..len]), slow(&s[..len]), "{b} {pos} {len}");
                }
            }
        }
    }

    #[test]
    fn numbers_as_std_formats_them() {
        for v in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            12345,
            u64::MAX,
            1 << 63,
            0x7f,
            0xa,
            0xf,
            0x0123_4567_89ab_cdef,
            0xfedc_ba98_7654_3210,
            0x7ffd_c0de_9a9a,
        ]
        .into_iter()
        .chain((0..64).map(|i| 1u64 << i))
        .chain((0..64).map(|i| (1u64 << i) - 1))
        .chain((1..20).map(|i| 10u64.pow(i) - 1))
        .chain((1..20).map(|i| 10u64.pow(i)))
        {
            let mut out = vec![];
            put_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
            out.clear();
            put_i64(&mut out, v as i64);
            assert_eq!(out, (v as i64).to_string().as_bytes());
            out.clear();
            push_hex(&mut out, v);
            assert_eq!(out, format!("{v:#x}").as_bytes());
            out.clear();
            if v < 1_000_000_000 {
                put_padded::<9>(&mut out, v);
                assert_eq!(out, format!("{v:09}").as_bytes());
                out.clear();
            }
            if v < 100_000_000 {
                assert_eq!(decimal8(v as u32), format!("{v:08}").as_bytes());
            }
            json_hex(&mut out, v);
            assert_eq!(out, format!("\"{v:#x}\"").as_bytes());
            out.clear();
            push_octal(&mut out, v);
            assert_eq!(out, format!("0{v:o}").as_bytes());
        }
    }

    fn t(v: &Value) -> String {
        let mut out = vec![];
        text(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn j(v: &Value) -> serde_json::Value {
        let mut out = vec![];
        json(v, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(t(&Value::Int(-1)), "-1");
        assert_eq!(t(&Value::Hex(0)), "0");
        assert_eq!(t(&Value::Hex(0x28000)), "0x28000");
        assert_eq!(t(&Value::Octal(0o644)), "0644");
        assert_eq!(t(&Value::Octal(0)), "000");
        assert_eq!(t(&Value::Ptr(0)), "NULL");
        assert_eq!(t(&Value::Ptr(0x7ffd)), "0x7ffd");
        assert_eq!(j(&Value::Ptr(0)), serde_json::Value::Null);
        assert_eq!(j(&Value::Ptr(0x10)), "0x10");
        assert_eq!(j(&Value::Hex(0)), "0x0");
        assert_eq!(j(&Value::Octal(0o755)), "0755");
    }

    #[test]
    fn flags() {
        let f = Value::Flags {
            names: smallvec::smallvec!["O_RDONLY", "O_CLOEXEC"],
            rest: 0,
        };
        assert_eq!(t(&f), "O_RDONLY|O_CLOEXEC");
        assert_eq!(j(&f), serde_json::json!(["O_RDONLY", "O_CLOEXEC"]));
        let f = Value::Flags {
            names: smallvec::smallvec!["MAP_PRIVATE"],
            rest: 0x1000000,
        };
        assert_eq!(t(&f), "MAP_PRIVATE|0x1000000");
        assert_eq!(j(&f), serde_json::json!(["MAP_PRIVATE", "0x1000000"]));
        let none = Value::Flags {
            names: smallvec::smallvec![],
            rest: 0,
        };
        assert_eq!(t(&none), "0");
        assert_eq!(j(&none), serde_json::json!([]));
    }

    #[test]
    fn strings_and_structs() {
        let s = Value::Str {
            bytes: b"ab\n"[..].into(),
            truncated: true,
        };
        assert_eq!(t(&s), "\"ab\\n\"...");
        assert_eq!(
            j(&s),
            serde_json::json!({"data": "ab\n", "truncated": true})
        );
        assert_eq!(
            j(&Value::str(b"\xff\x00")),
            serde_json::json!({"hex": "ff00"})
        );
        let st = Value::Struct {
            fields: vec![
                ("sa_family", Value::Sym("AF_INET")),
                (
                    "sin_port",
                    Value::Call {
                        func: "htons",
                        args: vec![Value::UInt(443)],
                    },
                ),
            ],
            more: false,
        };
        assert_eq!(t(&st), "{sa_family=AF_INET, sin_port=htons(443)}");
        assert_eq!(
            j(&st),
            serde_json::json!({"sa_family": "AF_INET", "sin_port": 443})
        );
        let more = Value::Struct {
            fields: vec![("st_size", Value::UInt(3))],
            more: true,
        };
        assert_eq!(t(&more), "{st_size=3, ...}");
        let arr = Value::Array {
            items: vec![Value::str(b"ls")],
            more: true,
        };
        assert_eq!(t(&arr), "[\"ls\", ...]");
        let set = Value::SigSet {
            names: vec!["KILL", "STOP"],
            inverted: true,
        };
        assert_eq!(t(&set), "~[KILL STOP]");
        assert_eq!(
            j(&set),
            serde_json::json!({"all_but": ["SIGKILL", "SIGSTOP"]})
        );
        let c = Value::Commented {
            value: Box::new(Value::Ptr(0x10)),
            comment: "3 vars".into(),
        };
        assert_eq!(t(&c), "0x10 /* 3 vars */");
        let h = Value::Call {
            func: "hex",
            args: vec![Value::str(b"\x01\xab")],
        };
        assert_eq!(t(&h), "\"\\x01\\xab\"");
    }
}
