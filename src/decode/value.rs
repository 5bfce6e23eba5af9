//! Decoded argument values: one typed form that both the strace-style text and the JSON render.
//!
//! A decoder turns a raw register value (plus any user memory the kernel
//! captured for it) into a [`Value`]. Text output prints it the way strace
//! does (`O_RDONLY|O_CLOEXEC`, `"/etc/passwd"`, `{sa_family=AF_INET, ...}`);
//! JSON prints typed fields (`["O_RDONLY","O_CLOEXEC"]`, `"/etc/passwd"`,
//! `{"sa_family":"AF_INET",...}`). The raw value always travels beside it in
//! the event, so a lossy decoding never hides what the kernel saw.

use std::borrow::Cow;

/// One decoded argument (or struct field, or return value).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Signed decimal (`-1`, `4096`).
    Int(i64),
    /// Unsigned decimal.
    UInt(u64),
    /// Hexadecimal number (`0x1f`); not a pointer.
    Hex(u64),
    /// Octal number with a leading 0 (`0644`, `0`), like file modes.
    Octal(u64),
    /// A mode with file-type bits: `S_IFREG|0644` (`st_mode`, `mknod`).
    FileMode(u32),
    /// A pointer we do not follow: `NULL` or `0x7ffd...`.
    Ptr(u64),
    /// A named constant (`AT_FDCWD`, `SEEK_SET`, `AF_INET`, `SIGCHLD`).
    Sym(&'static str),
    /// Bit flags: the names of the known bits, and the bits left over
    /// (printed in hex after the names; `0` with no names prints as `0`).
    Flags { names: Names, rest: u64 },
    /// A byte string read from user memory (paths, buffers), shown quoted and
    /// escaped. `truncated`: the call's data was longer than what was
    /// captured (strace's trailing `...`).
    Str {
        bytes: Cow<'a, [u8]>,
        truncated: bool,
    },
    /// Memory that could not be read: the pointer is shown instead.
    Unreadable(u64),
    /// A struct: named fields in order. `more`: fields left out (strace's `...`).
    Struct {
        fields: Vec<(&'static str, Value<'a>)>,
        more: bool,
    },
    /// An array of values (`[SIGINT SIGTERM]` uses [`Value::SigSet`] instead).
    Array { items: Vec<Value<'a>>, more: bool },
    /// A signal set, shown as strace does: `[INT TERM]`, or `~[...]` when
    /// more than half the signals are set (then the names are the ones *not* set).
    SigSet {
        names: Vec<&'static str>,
        inverted: bool,
    },
    /// The numbers of the bits set in a mask (a CPU set), shown as strace
    /// does: `[0 1]`.
    BitSet(Vec<u32>),
    /// A call with arguments, for strace's forms like `htons(443)`,
    /// `inet_addr("1.2.3.4")`, `makedev(0x1, 0x3)`.
    Call {
        func: &'static str,
        args: Vec<Value<'a>>,
    },
    /// Values after labels, as strace lists what a call returned besides
    /// its number: `in [3], left {tv_sec=0, tv_nsec=5}` (JSON: an object).
    Labeled(Vec<(&'static str, Value<'a>)>),
    /// A comment after the value (`0x7ffc... /* 12 vars */`).
    Commented {
        value: Box<Value<'a>>,
        comment: Text,
    },
    /// Free text for forms none of the above express (`WIFEXITED(s) && ...`).
    Text(Text),
}

/// The names of a flag set: most have one or two, kept inline.
pub type Names = smallvec::SmallVec<[&'static str; 2]>;

/// Short text (`8192*1024`, `<short struct stat>`, comments like `12 vars`):
/// kept inline up to 24 bytes, so most of it never allocates.
pub type Text = compact_str::CompactString;

/// `format!` into a [`Text`]: no allocation when the result is short.
#[macro_export]
macro_rules! text {
    ($($arg:tt)*) => {
        compact_str::format_compact!($($arg)*)
    };
}

impl<'a> Value<'a> {
    /// A struct from `(name, value)` pairs.
    pub fn record(fields: Vec<(&'static str, Value<'a>)>) -> Self {
        Value::Struct {
            fields,
            more: false,
        }
    }

    /// A string without truncation.
    pub fn str(bytes: &'a [u8]) -> Self {
        Value::Str {
            bytes: Cow::Borrowed(bytes),
            truncated: false,
        }
    }

    /// A string built at decode time (an address in text form).
    pub fn string(s: String) -> Self {
        Value::Str {
            bytes: Cow::Owned(s.into_bytes()),
            truncated: false,
        }
    }

    /// Flags from a table of `(bit, name)`: appends to `names` every named
    /// bit of `value` that is set, in table order, and returns the bits
    /// left. Multi-bit masks must come before their single bits in the table.
    pub fn push_flags(names: &mut Names, value: u64, table: &[(u64, &'static str)]) -> u64 {
        let mut rest = value;
        for &(bits, name) in table {
            if bits != 0 && rest & bits == bits {
                names.push(name);
                rest &= !bits;
            }
        }
        rest
    }
}
