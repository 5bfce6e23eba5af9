//! Captured user memory to [`Value`]s: the structs syscalls pass by pointer, shown as strace 6.x does on x86_64.
//!
//! Every decoder takes the bytes the kernel side captured and never panics:
//! a slice too short for its struct yields a `<short struct NAME>` text
//! marker, and a trailing partial array element an item saying so.

use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::consts::{self, uapi};
use super::value::Value;

/// Plain C structs of integers, which any bit pattern (all zeroes included)
/// is a valid value of.
///
/// # Safety
///
/// Implement only for `repr(C)` types made of integers and arrays of integers.
unsafe trait Plain: Copy {}

// SAFETY: all of these are `repr(C)` structs of integers (and integer arrays).
unsafe impl Plain for libc::stat {}
unsafe impl Plain for libc::statx {}
unsafe impl Plain for libc::timespec {}
unsafe impl Plain for libc::timeval {}
unsafe impl Plain for libc::sysinfo {}
unsafe impl Plain for libc::statfs {}
unsafe impl Plain for libc::tms {}
unsafe impl Plain for libc::itimerval {}
unsafe impl Plain for libc::rlimit64 {}
unsafe impl Plain for libc::pollfd {}
unsafe impl Plain for libc::epoll_event {}
unsafe impl Plain for libc::clone_args {}
unsafe impl Plain for libc::sockaddr_in {}
unsafe impl Plain for libc::sockaddr_in6 {}
unsafe impl Plain for libc::sockaddr_nl {}
unsafe impl Plain for KernelSigaction {}

/// The x86_64 kernel's `struct sigaction` as `rt_sigaction` takes it
/// (arch/x86/include/uapi/asm/signal.h; not glibc's layout), with the 8-byte
/// signal mask of `sigsetsize` 8.
#[derive(Clone, Copy)]
#[repr(C)]
struct KernelSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

/// A `T` from the start of `b`, if `b` is long enough to hold one.
fn read<T: Plain>(b: &[u8]) -> Option<T> {
    if b.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `b` has at least `size_of::<T>()` readable bytes,
    // `read_unaligned` needs no alignment, and `T: Plain` accepts any bits.
    Some(unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<T>()) })
}

/// The bytes of a struct the kernel reads for a decoder that shows only some
/// of its fields, as strace does by default (`{st_mode=..., st_size=...,
/// ...}`): records stay small and the kernel copies less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Bytes of the struct before the part.
    pub skip: u16,
    /// Bytes in the part.
    pub size: u16,
}

impl Part {
    /// All `size` bytes of a struct.
    pub const fn whole(size: usize) -> Part {
        Part {
            skip: 0,
            size: size as u16,
        }
    }

    /// The smallest part holding each of `fields` (offset, size) of a struct.
    const fn spanning(fields: &[(usize, usize)]) -> Part {
        let (mut start, mut end) = (usize::MAX, 0);
        let mut i = 0;
        while i < fields.len() {
            let (off, size) = fields[i];
            if off < start {
                start = off;
            }
            if off + size > end {
                end = off + size;
            }
            i += 1;
        }
        Part {
            skip: start as u16,
            size: (end - start) as u16,
        }
    }
}

/// A `T` of which `b` holds `part`; the other bytes zero.
fn read_part<T: Plain>(b: &[u8], part: Part) -> Option<T> {
    let (skip, size) = (usize::from(part.skip), usize::from(part.size));
    (skip + size <= size_of::<T>())
        .then(|| b.get(..size))
        .flatten()
        .map(|b| placed(b, skip))
}

/// A `T` from `b`, zero-filling the bytes `b` lacks (for structs the kernel
/// accepts in shorter, older sizes, and strace reads into a zeroed buffer).
fn read_padded<T: Plain>(b: &[u8]) -> T {
    placed(b, 0)
}

/// A zeroed `T` with (as much of) `b` as fits from byte `at` on.
fn placed<T: Plain>(b: &[u8], at: usize) -> T {
    // SAFETY: `T: Plain` makes all-zero bytes a valid `T`.
    let mut value: T = unsafe { std::mem::zeroed() };
    let n = b.len().min(size_of::<T>().saturating_sub(at));
    // SAFETY: `at + n` is within `T` and `b` has at least `n` bytes; a
    // local cannot overlap the borrowed slice.
    unsafe {
        std::ptr::copy_nonoverlapping(b.as_ptr(), (&mut value as *mut T).cast::<u8>().add(at), n);
    }
    value
}

/// The marker for a capture too short for its struct.
fn short(what: &str) -> Value<'static> {
    Value::Text(crate::text!("<short {what}>"))
}

/// A native-endian `u16` at `at`, if present.
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_ne_bytes([bytes[0], bytes[1]]))
}

/// A byte string in double quotes with strace's default escaping: `\"`,
/// `\\`, `\f`, `\n`, `\r`, `\t`, `\v`, printable ASCII as is, and any other
/// byte in octal, as short as possible unless an octal digit follows
/// (`"a\0b"`, `"\0001"`, `"\377"`).
pub fn quote(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    quote_into(&mut out, bytes);
    String::from_utf8(out).expect("quote_into writes printable ASCII only")
}

/// [`quote`] appended to `out`.
pub fn quote_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut i = 0;
    while i < bytes.len() {
        // Copy the run of bytes that stand for themselves in one go.
        let run = bytes[i..]
            .iter()
            .position(|&c| !(b' '..=b'~').contains(&c) || c == b'"' || c == b'\\')
            .unwrap_or(bytes.len() - i);
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
        let Some(&c) = bytes.get(i) else { break };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x0b => out.extend_from_slice(b"\\v"),
            _ => {
                out.push(b'\\');
                let digits = [b'0' + (c >> 6), b'0' + ((c >> 3) & 7), b'0' + (c & 7)];
                let full = matches!(bytes.get(i + 1), Some(b'0'..=b'7'));
                let skip = if full || c >= 0o100 {
                    0
                } else if c >= 0o10 {
                    1
                } else {
                    2
                };
                out.extend_from_slice(&digits[skip..]);
            }
        }
        i += 1;
    }
    out.push(b'"');
}

// ---------------------------------------------------------------------------
// Socket addresses

/// strace reads at most a `struct sockaddr_storage`.
const SOCKADDR_MAX: usize = size_of::<libc::sockaddr_storage>();
/// `offsetof(struct sockaddr_in6, sin6_scope_id)`: the shortest AF_INET6
/// address strace decodes (RFC 2133 size).
const SIN6_MIN_LEN: usize = 24;

/// A socket address, `b` being the `addrlen` bytes captured:
/// `{sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("1.2.3.4")}`,
/// `{sa_family=AF_UNIX, sun_path="/run/x"}`, `{sa_family=AF_UNIX, sun_path=@"abstract"}`,
/// `{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}`, and for other
/// families `{sa_family=AF_APPLETALK, sa_data="\3ab\0"}`. An empty address is `{}`.
pub fn sockaddr(b: &[u8]) -> Value<'_> {
    if b.is_empty() {
        return Value::record(vec![]);
    }
    let b = &b[..b.len().min(SOCKADDR_MAX)];
    let Some(family) = u16_at(b, 0) else {
        return short("struct sockaddr");
    };
    let mut fields = vec![("sa_family", consts::socket_domain(u64::from(family)))];
    if b.len() > 2 {
        let data = match i32::from(family) {
            libc::AF_UNIX => Some(sockaddr_un(b)),
            libc::AF_INET => read::<libc::sockaddr_in>(b).map(sockaddr_in),
            libc::AF_INET6 if b.len() >= SIN6_MIN_LEN => Some(sockaddr_in6(b)),
            libc::AF_NETLINK => read::<libc::sockaddr_nl>(b).map(|nl| sockaddr_nl(b, nl)),
            _ => None,
        };
        fields
            .extend(data.unwrap_or_else(|| vec![("sa_data", Value::Text(quote(&b[2..]).into()))]));
    }
    Value::record(fields)
}

/// `sun_path`: up to the first NUL, or for an abstract socket (first byte
/// NUL) `@` and every byte after it.
fn sockaddr_un(b: &[u8]) -> Vec<(&'static str, Value<'_>)> {
    let path = &b[2..b.len().min(size_of::<libc::sockaddr_un>())];
    let value = match path.split_first() {
        Some((0, name)) => Value::Text(format!("@{}", quote(name)).into()),
        _ => {
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            Value::str(&path[..end])
        }
    };
    vec![("sun_path", value)]
}

fn htons(port: u16) -> Value<'static> {
    Value::Call {
        func: "htons",
        args: vec![Value::UInt(u64::from(u16::from_be(port)))],
    }
}

fn sockaddr_in(sin: libc::sockaddr_in) -> Vec<(&'static str, Value<'static>)> {
    let addr = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
    vec![
        ("sin_port", htons(sin.sin_port)),
        (
            "sin_addr",
            Value::Call {
                func: "inet_addr",
                args: vec![Value::string(addr.to_string())],
            },
        ),
    ]
}

/// AF_INET6: port, flow info, the address (strace's bare
/// `inet_pton(AF_INET6, "::1", &sin6_addr)`), and the scope id if the
/// address is long enough to have one. (strace names the interface of a
/// link-local scope id; this shows the number.)
fn sockaddr_in6(b: &[u8]) -> Vec<(&'static str, Value<'_>)> {
    let sin6: libc::sockaddr_in6 = read_padded(b);
    let mut fields = vec![
        ("sin6_port", htons(sin6.sin6_port)),
        (
            "sin6_flowinfo",
            Value::Call {
                func: "htonl",
                args: vec![Value::UInt(u64::from(u32::from_be(sin6.sin6_flowinfo)))],
            },
        ),
        (
            "sin6_addr",
            Value::Call {
                func: "inet_pton",
                args: vec![
                    Value::Sym("AF_INET6"),
                    Value::string(ipv6_text(sin6.sin6_addr.s6_addr)),
                    Value::Text("&sin6_addr".into()),
                ],
            },
        ),
    ];
    if b.len() > SIN6_MIN_LEN {
        fields.push(("sin6_scope_id", Value::UInt(u64::from(sin6.sin6_scope_id))));
    }
    fields
}

/// An IPv6 address as glibc's `inet_ntop` writes it: like Rust's, except for
/// the deprecated IPv4-compatible form (`::1.2.3.4`).
fn ipv6_text(octets: [u8; 16]) -> String {
    let addr = Ipv6Addr::from(octets);
    let segments = addr.segments();
    if segments[..6].iter().all(|&s| s == 0) && segments[6] != 0 {
        let v4 = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
        return format!("::{v4}");
    }
    addr.to_string()
}

/// AF_NETLINK: `nl_pad` only when set, the port id, and the groups as C's `%#08x`.
fn sockaddr_nl(b: &[u8], nl: libc::sockaddr_nl) -> Vec<(&'static str, Value<'_>)> {
    let mut fields = Vec::new();
    match u16_at(b, 2) {
        Some(pad) if pad != 0 => fields.push(("nl_pad", Value::Hex(u64::from(pad)))),
        _ => {}
    }
    let groups = if nl.nl_groups == 0 {
        "00000000".to_string()
    } else {
        format!("{:#08x}", nl.nl_groups)
    };
    fields.push(("nl_pid", Value::UInt(u64::from(nl.nl_pid))));
    fields.push(("nl_groups", Value::Text(groups.into())));
    fields
}

// ---------------------------------------------------------------------------
// File status

/// What [`stat`] reads of a `struct stat`: st_mode, st_rdev and st_size.
pub const STAT_SHOWN: Part = Part::spanning(&[
    (offset_of!(libc::stat, st_mode), size_of::<libc::mode_t>()),
    (offset_of!(libc::stat, st_rdev), size_of::<libc::dev_t>()),
    (offset_of!(libc::stat, st_size), size_of::<libc::off_t>()),
]);

/// `struct stat` (`newfstatat`, `fstat`): `{st_mode=S_IFREG|0644, st_size=1234, ...}`;
/// character and block devices show `st_rdev=makedev(0x1, 0x3)` instead of the size.
pub fn stat(b: &[u8]) -> Value<'_> {
    let Some(st) = read_part::<libc::stat>(b, STAT_SHOWN) else {
        return short("struct stat");
    };
    let fields = vec![
        ("st_mode", Value::FileMode(st.st_mode)),
        match st.st_mode & libc::S_IFMT {
            libc::S_IFCHR | libc::S_IFBLK => ("st_rdev", makedev(st.st_rdev)),
            _ => ("st_size", Value::UInt(st.st_size as u64)),
        },
    ];
    Value::Struct { fields, more: true }
}

/// `makedev(0x1, 0x3)`.
fn makedev(dev: libc::dev_t) -> Value<'static> {
    Value::Call {
        func: "makedev",
        args: vec![
            Value::Hex(u64::from(libc::major(dev))),
            Value::Hex(u64::from(libc::minor(dev))),
        ],
    }
}

/// What [`statx`] reads of a `struct statx`: stx_mask to stx_size.
pub const STATX_SHOWN: Part = Part::spanning(&[
    (offset_of!(libc::statx, stx_mask), size_of::<u32>()),
    (offset_of!(libc::statx, stx_attributes), size_of::<u64>()),
    (offset_of!(libc::statx, stx_mode), size_of::<u16>()),
    (offset_of!(libc::statx, stx_size), size_of::<u64>()),
]);

/// `struct statx`: `{stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0,
/// stx_mode=S_IFREG|0644, stx_size=1234, ...}`; the mode and size only when
/// `stx_mask` says the kernel filled them.
pub fn statx(b: &[u8]) -> Value<'_> {
    let Some(stx) = read_part::<libc::statx>(b, STATX_SHOWN) else {
        return short("struct statx");
    };
    let mut fields = Vec::with_capacity(4);
    fields.push(("stx_mask", consts::statx_mask(u64::from(stx.stx_mask))));
    fields.push((
        "stx_attributes",
        consts::statx_attributes(stx.stx_attributes),
    ));
    if stx.stx_mask & (libc::STATX_TYPE | libc::STATX_MODE) != 0 {
        fields.push(("stx_mode", Value::FileMode(u32::from(stx.stx_mode))));
    }
    if stx.stx_mask & libc::STATX_SIZE != 0 {
        fields.push(("stx_size", Value::UInt(stx.stx_size)));
    }
    Value::Struct { fields, more: true }
}

// ---------------------------------------------------------------------------
// Time and limits

/// `struct timespec`: `{tv_sec=1, tv_nsec=500000000}`.
pub fn timespec(b: &[u8]) -> Value<'_> {
    match read::<libc::timespec>(b) {
        Some(ts) => Value::record(vec![
            ("tv_sec", Value::Int(ts.tv_sec)),
            ("tv_nsec", Value::UInt(ts.tv_nsec as u64)),
        ]),
        None => short("struct timespec"),
    }
}

/// `struct statfs`: `{f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=...,
/// f_fsid={val=[0xd12f7c6f, 0xd05f5a02]}, f_namelen=255, f_frsize=4096,
/// f_flags=ST_VALID|ST_RELATIME}`.
pub fn statfs(b: &[u8]) -> Value<'_> {
    let Some(s) = read::<libc::statfs>(b) else {
        return short("struct statfs");
    };
    // fsid_t's two ints are private in `libc`, and its struct calls
    // f_flags a spare word (the one after f_frsize): read from the bytes.
    let word = |at: usize, n: usize| -> u64 {
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(&b[at..at + n]);
        u64::from_ne_bytes(v)
    };
    let fsid = offset_of!(libc::statfs, f_fsid);
    let val = (0..2).map(|k| Value::Hex(word(fsid + 4 * k, 4))).collect();
    let f_flags = word(offset_of!(libc::statfs, f_frsize) + 8, 8);
    Value::record(vec![
        ("f_type", consts::fs_magic(s.f_type as u64)),
        ("f_bsize", Value::Int(s.f_bsize)),
        ("f_blocks", Value::UInt(s.f_blocks)),
        ("f_bfree", Value::UInt(s.f_bfree)),
        ("f_bavail", Value::UInt(s.f_bavail)),
        ("f_files", Value::UInt(s.f_files)),
        ("f_ffree", Value::UInt(s.f_ffree)),
        (
            "f_fsid",
            Value::record(vec![(
                "val",
                Value::Array {
                    items: val,
                    more: false,
                },
            )]),
        ),
        ("f_namelen", Value::Int(s.f_namelen)),
        ("f_frsize", Value::Int(s.f_frsize)),
        ("f_flags", consts::statfs_flags(f_flags)),
    ])
}

/// `struct itimerval`: `{it_interval={tv_sec=0, tv_usec=250000}, it_value={...}}`.
pub fn itimerval(b: &[u8]) -> Value<'_> {
    let half = size_of::<libc::timeval>();
    if b.len() < 2 * half {
        return short("struct itimerval");
    }
    Value::record(vec![
        ("it_interval", timeval(&b[..half])),
        ("it_value", timeval(&b[half..2 * half])),
    ])
}

/// `struct tms`: clock ticks, each non-zero one with its seconds as strace
/// shows them: `{tms_utime=1 /* 0.01 s */, tms_stime=0, ...}`.
pub fn tms(b: &[u8]) -> Value<'_> {
    let Some(t) = read::<libc::tms>(b) else {
        return short("struct tms");
    };
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .ok()
        .filter(|&hz| hz > 0)
        .unwrap_or(100);
    let ticks = |v: libc::clock_t| {
        let n = v as u64;
        match n {
            0 => Value::UInt(0),
            n => Value::Commented {
                value: Box::new(Value::UInt(n)),
                comment: crate::text!("{}.{:02} s", n / hz, n % hz * 100 / hz),
            },
        }
    };
    Value::record(vec![
        ("tms_utime", ticks(t.tms_utime)),
        ("tms_stime", ticks(t.tms_stime)),
        ("tms_cutime", ticks(t.tms_cutime)),
        ("tms_cstime", ticks(t.tms_cstime)),
    ])
}

/// `struct sysinfo`: `{uptime=10205, loads=[101312, 90496, 81152], totalram=..., ...}`.
pub fn sysinfo(b: &[u8]) -> Value<'_> {
    let Some(si) = read::<libc::sysinfo>(b) else {
        return short("struct sysinfo");
    };
    let u = |v: u64| Value::UInt(v);
    Value::record(vec![
        ("uptime", Value::Int(si.uptime)),
        (
            "loads",
            Value::Array {
                items: si.loads.iter().map(|&l| u(l)).collect(),
                more: false,
            },
        ),
        ("totalram", u(si.totalram)),
        ("freeram", u(si.freeram)),
        ("sharedram", u(si.sharedram)),
        ("bufferram", u(si.bufferram)),
        ("totalswap", u(si.totalswap)),
        ("freeswap", u(si.freeswap)),
        ("procs", u(si.procs.into())),
        ("totalhigh", u(si.totalhigh)),
        ("freehigh", u(si.freehigh)),
        ("mem_unit", u(si.mem_unit.into())),
    ])
}

/// `struct timeval`: `{tv_sec=1, tv_usec=0}`.
pub fn timeval(b: &[u8]) -> Value<'_> {
    match read::<libc::timeval>(b) {
        Some(tv) => Value::record(vec![
            ("tv_sec", Value::Int(tv.tv_sec)),
            ("tv_usec", Value::UInt(tv.tv_usec as u64)),
        ]),
        None => short("struct timeval"),
    }
}

/// What [`rusage`] reads of a `struct rusage`: its two times.
pub const RUSAGE_SHOWN: Part = Part::whole(2 * size_of::<libc::timeval>());

/// `struct rusage`: `{ru_utime={tv_sec=0, tv_usec=56584}, ru_stime={tv_sec=0,
/// tv_usec=30468}, ...}` (strace's abbreviated form).
pub fn rusage(b: &[u8]) -> Value<'_> {
    const TV: usize = size_of::<libc::timeval>();
    if b.len() < 2 * TV {
        return short("struct rusage");
    }
    Value::Struct {
        fields: vec![
            ("ru_utime", timeval(&b[..TV])),
            ("ru_stime", timeval(&b[TV..2 * TV])),
        ],
        more: true,
    }
}

/// The numbers of the bits set in a mask kept as an array of longs (a CPU
/// set, a select fd set), lowest first.
pub fn set_bits(b: &[u8]) -> Vec<u32> {
    const WORD: usize = size_of::<libc::c_ulong>();
    let mut set = Vec::new();
    for (i, chunk) in b.chunks(WORD).enumerate() {
        let mut word = [0u8; WORD];
        word[..chunk.len()].copy_from_slice(chunk);
        let mut bits = libc::c_ulong::from_ne_bytes(word);
        while bits != 0 {
            set.push((i * WORD * 8) as u32 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
    set
}

/// A CPU mask (`sched_getaffinity`, `sched_setaffinity`): `[0 1]`.
pub fn cpu_set(b: &[u8]) -> Value<'_> {
    Value::BitSet(set_bits(b))
}

/// One limit: `RLIM64_INFINITY`, `8192*1024` for multiples of 1024 above
/// 1024, else the number.
fn rlim(v: u64) -> Value<'static> {
    if v == libc::RLIM64_INFINITY {
        Value::Sym("RLIM64_INFINITY")
    } else if v > 1024 && v % 1024 == 0 {
        Value::Text(crate::text!("{}*1024", v / 1024))
    } else {
        Value::UInt(v)
    }
}

/// `struct rlimit` (64-bit on x86_64, as `prlimit64` and `getrlimit` use):
/// `{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}`.
pub fn rlimit(b: &[u8]) -> Value<'_> {
    match read::<libc::rlimit64>(b) {
        Some(rl) => Value::record(vec![
            ("rlim_cur", rlim(rl.rlim_cur)),
            ("rlim_max", rlim(rl.rlim_max)),
        ]),
        None => short("struct rlimit"),
    }
}

// ---------------------------------------------------------------------------
// Signals

/// The kernel `struct sigaction` of `rt_sigaction`:
/// `{sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f...}`;
/// `sa_restorer` only when SA_RESTORER is set.
pub fn kernel_sigaction(b: &[u8]) -> Value<'_> {
    let Some(sa) = read::<KernelSigaction>(b) else {
        return short("struct sigaction");
    };
    let handler = match sa.handler {
        h if h == libc::SIG_DFL as u64 => Value::Sym("SIG_DFL"),
        h if h == libc::SIG_IGN as u64 => Value::Sym("SIG_IGN"),
        h if h == libc::SIG_ERR as u64 => Value::Sym("SIG_ERR"),
        h => Value::Ptr(h),
    };
    let mut fields = vec![
        ("sa_handler", handler),
        ("sa_mask", sigset(&sa.mask.to_ne_bytes())),
        ("sa_flags", consts::sigaction_flags(sa.flags)),
    ];
    if sa.flags & u64::from(uapi::SA_RESTORER) != 0 {
        fields.push(("sa_restorer", Value::Ptr(sa.restorer)));
    }
    Value::record(fields)
}

/// A kernel signal set (`sigsetsize` bytes; strace looks at the first 8):
/// `[INT TERM RT_1]`, `[]`, or when two thirds or more of the signals are
/// set, the ones that are not: `~[KILL STOP]`.
pub fn sigset(b: &[u8]) -> Value<'static> {
    let bytes = &b[..b.len().min(8)];
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    let mask = u64::from_ne_bytes(buf);
    // strace works in whole 32-bit words.
    let bits = bytes.len().div_ceil(4) * 32;
    let valid = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let set = mask & valid;
    let inverted = set.count_ones() as usize >= bits * 2 / 3;
    let shown = if inverted { !set & valid } else { set };
    let names = (0..64u32)
        .filter(|bit| shown & (1u64 << bit) != 0)
        .filter_map(|bit| consts::signal_name(bit + 1))
        .map(|name| name.strip_prefix("SIG").unwrap_or(name))
        .collect();
    Value::SigSet { names, inverted }
}

/// A `wait4`/`waitpid` status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`,
/// `[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]`,
/// `[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]`, `[{WIFCONTINUED(s)}]`.
/// Bits left over (ptrace events) follow: `...}|PTRACE_EVENT_CLONE<<16`.
pub fn wait_status(status: i32) -> Value<'static> {
    let mut rest = status as u32;
    let sig_name = |sig: u32| -> String {
        consts::signal_name(sig).map_or_else(|| sig.to_string(), str::to_string)
    };
    let mut text = if rest & 0xff == 0x7f {
        let sig = (rest >> 8) & 0xff;
        rest &= !((sig << 8) | 0x7f);
        format!(
            "{{WIFSTOPPED(s) && WSTOPSIG(s) == {}{}}}",
            sig_name(sig & 0x7f),
            if sig & 0x80 != 0 { " | 0x80" } else { "" }
        )
    } else if rest & 0x7f != 0 && rest & 0x7f != 0x7f {
        let sig = rest & 0x7f;
        let core = rest & 0x80 != 0;
        rest &= !(sig | 0x80);
        format!(
            "{{WIFSIGNALED(s) && WTERMSIG(s) == {}{}}}",
            sig_name(sig),
            if core { " && WCOREDUMP(s)" } else { "" }
        )
    } else if rest & 0x7f == 0 {
        let code = (rest >> 8) & 0xff;
        rest &= !(code << 8);
        format!("{{WIFEXITED(s) && WEXITSTATUS(s) == {code}}}")
    } else if rest == 0xffff {
        rest = 0;
        "{WIFCONTINUED(s)}".to_string()
    } else {
        return Value::Array {
            items: vec![Value::Hex(u64::from(rest))],
            more: false,
        };
    };
    let event = rest >> 16;
    if event != 0 {
        let name =
            consts::ptrace_event_name(event).map_or_else(|| format!("{event:#x}"), str::to_string);
        let _ = write!(text, "|{name}<<16");
        rest &= 0xffff;
    }
    if rest != 0 {
        let _ = write!(text, "|{rest:#x}");
    }
    Value::Array {
        items: vec![Value::Text(text.into())],
        more: false,
    }
}

// ---------------------------------------------------------------------------
// Arrays

/// Each complete `size`-byte element of `b` decoded, and a marker item for a
/// trailing partial one.
fn array<'a>(
    b: &'a [u8],
    size: usize,
    what: &str,
    decode: impl Fn(&'a [u8]) -> Option<Value<'a>>,
) -> Value<'a> {
    let chunks = b.chunks_exact(size);
    let partial = !chunks.remainder().is_empty();
    let mut items: Vec<Value> = chunks.filter_map(decode).collect();
    if partial {
        items.push(short(what));
    }
    Value::Array { items, more: false }
}

/// An array of `int`s: `[3, 4]` (`pipe2`, `socketpair`), `[16]` (a socklen).
pub fn int_array(b: &[u8]) -> Value<'_> {
    array(b, 4, "int", |c| {
        Some(Value::Int(i64::from(i32::from_ne_bytes([
            c[0], c[1], c[2], c[3],
        ]))))
    })
}

/// A NUMA node mask of `words` unsigned longs, each shown as strace shows
/// it (C's `%#016lx`: `0x00000000000001`, and `0000000000000000` for zero);
/// `more` when fewer were read than the call's maxnode covers.
pub fn nodemask(b: &[u8], words: usize) -> Value<'_> {
    let items: Vec<Value> = b
        .chunks_exact(8)
        .take(words)
        .map(
            |w| match u64::from_ne_bytes(w.try_into().unwrap_or_default()) {
                0 => Value::Text("0000000000000000".into()),
                w => Value::Text(crate::text!("{w:#016x}")),
            },
        )
        .collect();
    let more = items.len() < words;
    Value::Array { items, more }
}

/// The one `int` policy get_mempolicy writes back: `[MPOL_DEFAULT]`.
pub fn mempolicy_out(b: &[u8]) -> Value<'_> {
    array(b, 4, "int", |c| {
        Some(consts::mempolicy_mode_value(u64::from(u32::from_ne_bytes(
            c.try_into().ok()?,
        ))))
    })
}

/// An array of unsigned ints (`gid_t`): `[0, 4]`.
pub fn uint_array(b: &[u8]) -> Value<'_> {
    array(b, 4, "unsigned int", |c| {
        Some(Value::UInt(u64::from(u32::from_ne_bytes(
            c.try_into().ok()?,
        ))))
    })
}

/// An array of 64-bit ints (`loff_t`): `[4096]`.
pub fn long_array(b: &[u8]) -> Value<'_> {
    array(b, 8, "long", |c| {
        Some(Value::Int(i64::from_ne_bytes(c.try_into().ok()?)))
    })
}

/// `poll`'s array on entry: `[{fd=3, events=POLLIN}, {fd=-1}]` (a negative
/// fd's events are not shown).
pub fn pollfds(b: &[u8]) -> Value<'_> {
    array(b, size_of::<libc::pollfd>(), "struct pollfd", |c| {
        let p = read::<libc::pollfd>(c)?;
        let mut fields = vec![("fd", Value::Int(i64::from(p.fd)))];
        if p.fd >= 0 {
            fields.push(("events", consts::poll_events(u64::from(p.events as u16))));
        }
        Some(Value::record(fields))
    })
}

/// The descriptors of a `struct pollfd` array, in its order (negative
/// ones included: they keep their place).
pub fn pollfd_fds(b: &[u8]) -> impl Iterator<Item = i32> + '_ {
    b.chunks_exact(size_of::<libc::pollfd>())
        .filter_map(|c| read::<libc::pollfd>(c).map(|p| p.fd))
}

/// `poll`'s array on return: only the entries with events,
/// `[{fd=0, revents=POLLIN}]`.
pub fn pollfds_revents(b: &[u8]) -> Value<'_> {
    array(b, size_of::<libc::pollfd>(), "struct pollfd", |c| {
        let p = read::<libc::pollfd>(c)?;
        (p.revents != 0).then(|| {
            Value::record(vec![
                ("fd", Value::Int(i64::from(p.fd))),
                ("revents", consts::poll_events(u64::from(p.revents as u16))),
            ])
        })
    })
}

/// One packed x86_64 `struct epoll_event` (12 bytes):
/// `{events=EPOLLIN, data={u32=3, u64=3}}`.
pub fn epoll_event(b: &[u8]) -> Value<'_> {
    match read::<libc::epoll_event>(b) {
        Some(ev) => epoll_record(ev),
        None => short("struct epoll_event"),
    }
}

fn epoll_record(ev: libc::epoll_event) -> Value<'static> {
    // Copies out of the packed struct (no references to its fields).
    let events = ev.events;
    let data = ev.u64;
    Value::record(vec![
        ("events", consts::epoll_events(u64::from(events))),
        (
            "data",
            Value::record(vec![
                ("u32", Value::UInt(data & 0xffff_ffff)),
                ("u64", Value::UInt(data)),
            ]),
        ),
    ])
}

/// `epoll_wait`'s returned events: `[{events=EPOLLIN, data={u32=3, u64=3}}]`.
pub fn epoll_event_array(b: &[u8]) -> Value<'_> {
    array(
        b,
        size_of::<libc::epoll_event>(),
        "struct epoll_event",
        |c| read::<libc::epoll_event>(c).map(epoll_record),
    )
}

// ---------------------------------------------------------------------------
// clone3

/// `offsetofend(struct clone_args, tls)`: CLONE_ARGS_SIZE_VER0, the smallest
/// size the kernel accepts.
const CLONE_ARGS_MIN: usize = 64;
/// `offsetof(struct clone_args, cgroup)`.
const CLONE_ARGS_CGROUP: usize = 80;

/// `clone3`'s `struct clone_args`: `{flags=CLONE_VM|..., child_tid=0x7f..,
/// parent_tid=0x7f.., exit_signal=0, stack=0x7f.., stack_size=0x7fff80,
/// tls=0x7f...}`; as strace, `pidfd`, `child_tid`, `parent_tid` and `tls` only
/// with the flags that use them, `set_tid` and `cgroup` only when set.
pub fn clone_args(b: &[u8]) -> Value<'_> {
    if b.len() < CLONE_ARGS_MIN {
        return short("struct clone_args");
    }
    let args: libc::clone_args = read_padded(b);
    let has = |flag: i32| args.flags & u64::from(flag as u32) != 0;
    let mut fields = vec![("flags", consts::clone3_flags(args.flags))];
    if has(libc::CLONE_PIDFD) {
        fields.push(("pidfd", Value::Ptr(args.pidfd)));
    }
    if has(libc::CLONE_CHILD_SETTID) || has(libc::CLONE_CHILD_CLEARTID) {
        fields.push(("child_tid", Value::Ptr(args.child_tid)));
    }
    if has(libc::CLONE_PARENT_SETTID) {
        fields.push(("parent_tid", Value::Ptr(args.parent_tid)));
    }
    fields.push((
        "exit_signal",
        if args.exit_signal < i32::MAX as u64 {
            consts::signal(args.exit_signal)
        } else {
            Value::UInt(args.exit_signal)
        },
    ));
    fields.push(("stack", Value::Ptr(args.stack)));
    fields.push(("stack_size", Value::Hex(args.stack_size)));
    if has(libc::CLONE_SETTLS) {
        fields.push(("tls", Value::Ptr(args.tls)));
    }
    if args.set_tid != 0 || args.set_tid_size != 0 {
        fields.push(("set_tid", Value::Ptr(args.set_tid)));
        fields.push(("set_tid_size", Value::UInt(args.set_tid_size)));
    }
    if b.len() > CLONE_ARGS_CGROUP
        && (args.cgroup != 0 || args.flags & uapi::CLONE_INTO_CGROUP != 0)
    {
        fields.push(("cgroup", Value::UInt(args.cgroup)));
    }
    Value::record(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<'static> {
        Value::Text(s.to_string().into())
    }

    fn call<'a>(func: &'static str, args: Vec<Value<'a>>) -> Value<'a> {
        Value::Call { func, args }
    }

    fn names(v: &[&'static str]) -> Value<'static> {
        Value::Flags {
            names: v.into(),
            rest: 0,
        }
    }

    /// The bytes of a plain struct.
    fn bytes_of<T: Plain>(v: &T) -> Vec<u8> {
        // SAFETY: `v` is a valid `T` of `size_of::<T>()` bytes; Plain types
        // used here have no padding that matters to the tests (it is zero).
        unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
    }

    /// The bytes of `part` of `v`, as the kernel captures them.
    fn part_of<T: Plain>(v: &T, part: Part) -> Vec<u8> {
        let skip = usize::from(part.skip);
        bytes_of(v)[skip..skip + usize::from(part.size)].to_vec()
    }

    #[test]
    fn quote_escapes_like_strace() {
        assert_eq!(quote(b"a\0b"), r#""a\0b""#);
        assert_eq!(quote(b"\x001"), r#""\0001""#);
        assert_eq!(quote(b"\x008"), r#""\08""#);
        assert_eq!(quote(b"\n"), r#""\n""#);
        assert_eq!(quote(b"\xff"), r#""\377""#);
        assert_eq!(quote(b"\x07"), r#""\7""#);
        assert_eq!(quote(b"\x077"), r#""\0077""#);
        assert_eq!(quote(b"\x7f"), r#""\177""#);
        assert_eq!(quote(b"\"\\\t\r\x0b\x0c"), r#""\"\\\t\r\v\f""#);
        assert_eq!(quote(b""), r#""""#);
        assert_eq!(quote(b"hello world~"), r#""hello world~""#);
        assert_eq!(quote(b"\x1b[0m"), r#""\33[0m""#);
    }

    fn inet(port: u16, addr: [u8; 4]) -> Vec<u8> {
        let mut b = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        b.extend(port.to_be_bytes());
        b.extend(addr);
        b.extend([0; 8]);
        b
    }

    #[test]
    fn sockaddr_inet() {
        assert_eq!(
            sockaddr(&inet(443, [1, 2, 3, 4])),
            Value::record(vec![
                ("sa_family", Value::Sym("AF_INET")),
                ("sin_port", call("htons", vec![Value::UInt(443)])),
                ("sin_addr", call("inet_addr", vec![Value::str(b"1.2.3.4")])),
            ])
        );
        // Too short for a sockaddr_in: the raw bytes.
        let b = inet(443, [1, 2, 3, 4]);
        assert_eq!(
            sockaddr(&b[..6]),
            Value::record(vec![
                ("sa_family", Value::Sym("AF_INET")),
                ("sa_data", text(r#""\1\273\1\2""#)),
            ])
        );
    }

    fn inet6(port: u16, flow: u32, addr: Ipv6Addr, scope: u32) -> Vec<u8> {
        let mut b = (libc::AF_INET6 as u16).to_ne_bytes().to_vec();
        b.extend(port.to_be_bytes());
        b.extend(flow.to_be_bytes());
        b.extend(addr.octets());
        b.extend(scope.to_ne_bytes());
        b
    }

    #[test]
    fn sockaddr_inet6() {
        let addr = |s: &[u8]| {
            call(
                "inet_pton",
                vec![
                    Value::Sym("AF_INET6"),
                    Value::string(String::from_utf8(s.to_vec()).unwrap()),
                    text("&sin6_addr"),
                ],
            )
        };
        assert_eq!(
            sockaddr(&inet6(53, 5, Ipv6Addr::LOCALHOST, 0)),
            Value::record(vec![
                ("sa_family", Value::Sym("AF_INET6")),
                ("sin6_port", call("htons", vec![Value::UInt(53)])),
                ("sin6_flowinfo", call("htonl", vec![Value::UInt(5)])),
                ("sin6_addr", addr(b"::1")),
                ("sin6_scope_id", Value::UInt(0)),
            ])
        );
        // 24 bytes: no scope id; 26: a zero-filled partial one.
        let b = inet6(80, 0, "fe80::1".parse().unwrap(), 2);
        match sockaddr(&b[..24]) {
            Value::Struct { fields, .. } => {
                assert_eq!(fields.len(), 4);
                assert_eq!(fields[3], ("sin6_addr", addr(b"fe80::1")));
            }
            other => panic!("{other:?}"),
        }
        match sockaddr(&b[..26]) {
            Value::Struct { fields, .. } => {
                assert_eq!(fields[4], ("sin6_scope_id", Value::UInt(2)))
            }
            other => panic!("{other:?}"),
        }
        let b = inet6(80, 0, "::ffff:1.2.3.4".parse().unwrap(), 0);
        match sockaddr(&b) {
            Value::Struct { fields, .. } => {
                assert_eq!(fields[3], ("sin6_addr", addr(b"::ffff:1.2.3.4")))
            }
            other => panic!("{other:?}"),
        }
        // Under 24 bytes: raw.
        match sockaddr(&b[..20]) {
            Value::Struct { fields, .. } => assert_eq!(fields[1].0, "sa_data"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ipv6_text_matches_inet_ntop() {
        let t = |s: &str| ipv6_text(s.parse::<Ipv6Addr>().unwrap().octets());
        assert_eq!(t("::"), "::");
        assert_eq!(t("::1"), "::1");
        assert_eq!(t("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(t("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(t("2001:db8::8:800:200c:417a"), "2001:db8::8:800:200c:417a");
        assert_eq!(t("fe80::1"), "fe80::1");
    }

    fn unix(path: &[u8]) -> Vec<u8> {
        let mut b = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        b.extend(path);
        b
    }

    #[test]
    fn sockaddr_unix() {
        let family = ("sa_family", Value::Sym("AF_UNIX"));
        assert_eq!(
            sockaddr(&unix(b"/run/x\0\0\0")),
            Value::record(vec![family.clone(), ("sun_path", Value::str(b"/run/x"))])
        );
        assert_eq!(
            sockaddr(&unix(b"/run/x")),
            Value::record(vec![family.clone(), ("sun_path", Value::str(b"/run/x"))])
        );
        assert_eq!(
            sockaddr(&unix(b"\0abs\x01x")),
            Value::record(vec![family.clone(), ("sun_path", text(r#"@"abs\1x""#))])
        );
        assert_eq!(sockaddr(&unix(b"")), Value::record(vec![family.clone()]));
        // A path longer than sun_path is cut at sizeof(struct sockaddr_un).
        let long = vec![b'a'; 200];
        match sockaddr(&unix(&long)) {
            Value::Struct { fields, .. } => {
                assert_eq!(fields[1], ("sun_path", Value::str(&[b'a'; 108])))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sockaddr_netlink() {
        let mut b = (libc::AF_NETLINK as u16).to_ne_bytes().to_vec();
        b.extend([0, 0]);
        b.extend(7u32.to_ne_bytes());
        b.extend(0x11u32.to_ne_bytes());
        assert_eq!(
            sockaddr(&b),
            Value::record(vec![
                ("sa_family", Value::Sym("AF_NETLINK")),
                ("nl_pid", Value::UInt(7)),
                ("nl_groups", text("0x000011")),
            ])
        );
        b[8..12].copy_from_slice(&0u32.to_ne_bytes());
        b[2] = 1;
        match sockaddr(&b) {
            Value::Struct { fields, .. } => {
                assert_eq!(fields[1].0, "nl_pad");
                assert_eq!(fields[3], ("nl_groups", text("00000000")));
            }
            other => panic!("{other:?}"),
        }
        // Short: raw.
        match sockaddr(&b[..8]) {
            Value::Struct { fields, .. } => assert_eq!(fields[1].0, "sa_data"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sockaddr_other_and_malformed() {
        let mut b = (libc::AF_APPLETALK as u16).to_ne_bytes().to_vec();
        b.extend([3, b'a', b'b', 0]);
        assert_eq!(
            sockaddr(&b),
            Value::record(vec![
                ("sa_family", Value::Sym("AF_APPLETALK")),
                ("sa_data", text(r#""\3ab\0""#)),
            ])
        );
        b[..2].copy_from_slice(&99u16.to_ne_bytes());
        match sockaddr(&b) {
            Value::Struct { fields, .. } => assert_eq!(
                fields[0].1,
                Value::Commented {
                    value: Box::new(Value::Hex(99)),
                    comment: "AF_???".into()
                }
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(sockaddr(&[]), Value::record(vec![]));
        assert_eq!(sockaddr(&[2]), text("<short struct sockaddr>"));
        assert_eq!(
            sockaddr(&[2, 0]),
            Value::record(vec![("sa_family", Value::Sym("AF_INET"))])
        );
        // Longer than sockaddr_storage: capped.
        let mut big = (libc::AF_APPLETALK as u16).to_ne_bytes().to_vec();
        big.extend([b'x'; 300]);
        match sockaddr(&big) {
            Value::Struct { fields, .. } => assert_eq!(fields[1].1, text(&quote(&[b'x'; 126]))),
            other => panic!("{other:?}"),
        }
    }

    fn stat_bytes(mode: u32, size: i64, rdev: u64) -> Vec<u8> {
        // SAFETY: libc::stat is Plain; all zeroes is valid.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_mode = mode;
        st.st_size = size;
        st.st_rdev = rdev;
        st.st_ino = 77;
        st.st_mtime = 1;
        part_of(&st, STAT_SHOWN)
    }

    /// A value as the text format shows it.
    fn shown(v: &Value) -> String {
        let mut out = Vec::new();
        crate::decode::render::text(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Two `struct timeval`s, one after the other (rusage, itimerval).
    fn timevals(a: (i64, i64), b: (i64, i64)) -> Vec<u8> {
        let tv = |(s, us): (i64, i64)| libc::timeval {
            tv_sec: s,
            tv_usec: us,
        };
        let mut out = part_of(&tv(a), Part::whole(16));
        out.extend(part_of(&tv(b), Part::whole(16)));
        out
    }

    #[test]
    fn cpu_sets_and_rusage() {
        let mut mask = [0u8; 16];
        mask[0] = 0b11;
        mask[8] = 0b100;
        assert_eq!(cpu_set(&mask), Value::BitSet(vec![0, 1, 66]));
        // A mask cut inside a word, and an empty one.
        assert_eq!(cpu_set(&[0x80, 0x01]), Value::BitSet(vec![7, 8]));
        assert_eq!(cpu_set(&[]), Value::BitSet(vec![]));
        let mut out = vec![];
        crate::decode::render::text(&cpu_set(&mask), &mut out);
        assert_eq!(out, b"[0 1 66]");
        out.clear();
        crate::decode::render::json(&cpu_set(&mask), &mut out);
        assert_eq!(out, b"[0,1,66]");

        let b = timevals((1, 2), (0, 30468));
        assert_eq!(
            shown(&rusage(&b)),
            "{ru_utime={tv_sec=1, tv_usec=2}, ru_stime={tv_sec=0, tv_usec=30468}, ...}"
        );
        assert_eq!(rusage(&b[..20]), text("<short struct rusage>"));
    }

    #[test]
    fn times_and_timers() {
        // SAFETY: an all-zero tms is valid.
        let mut t: libc::tms = unsafe { std::mem::zeroed() };
        t.tms_utime = 123;
        t.tms_cstime = 7;
        let b = part_of(&t, Part::whole(size_of::<libc::tms>()));
        assert_eq!(
            shown(&tms(&b)),
            "{tms_utime=123 /* 1.23 s */, tms_stime=0, tms_cutime=0, tms_cstime=7 /* 0.07 s */}"
        );
        let b = timevals((0, 250000), (1, 5));
        assert_eq!(
            shown(&itimerval(&b)),
            "{it_interval={tv_sec=0, tv_usec=250000}, it_value={tv_sec=1, tv_usec=5}}"
        );
        assert_eq!(itimerval(&b[..20]), text("<short struct itimerval>"));
    }

    #[test]
    fn statfs_like_strace() {
        // SAFETY: an all-zero statfs is valid.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        st.f_type = libc::EXT4_SUPER_MAGIC;
        st.f_bsize = 4096;
        st.f_blocks = 100;
        st.f_bfree = 40;
        st.f_bavail = 30;
        st.f_files = 64;
        st.f_ffree = 60;
        st.f_namelen = 255;
        st.f_frsize = 4096;
        let mut b = part_of(&st, Part::whole(size_of::<libc::statfs>()));
        let fsid = offset_of!(libc::statfs, f_fsid);
        b[fsid..fsid + 4].copy_from_slice(&0xd12f_7c6fu32.to_ne_bytes());
        let flags = offset_of!(libc::statfs, f_frsize) + 8;
        // ST_VALID | ST_RDONLY | ST_RELATIME
        b[flags..flags + 8].copy_from_slice(&0x1021u64.to_ne_bytes());
        assert_eq!(
            shown(&statfs(&b)),
            "{f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=100, f_bfree=40, f_bavail=30, \
             f_files=64, f_ffree=60, f_fsid={val=[0xd12f7c6f, 0]}, f_namelen=255, \
             f_frsize=4096, f_flags=ST_VALID|ST_RDONLY|ST_RELATIME}"
        );
        // An unknown filesystem in hex; a short buffer marked.
        let magic = offset_of!(libc::statfs, f_type);
        b[magic..magic + 8].copy_from_slice(&0x1234_5678u64.to_ne_bytes());
        assert!(shown(&statfs(&b)).starts_with("{f_type=0x12345678, "));
        assert_eq!(statfs(&b[..100]), text("<short struct statfs>"));
    }

    #[test]
    fn stat_structs() {
        assert_eq!(size_of::<libc::stat>(), 144);
        // st_mode .. st_size of x86_64's layout, not its 144 bytes.
        #[cfg(target_arch = "x86_64")]
        assert_eq!(STAT_SHOWN, Part { skip: 24, size: 32 });
        assert_eq!(
            stat(&stat_bytes(0o100644, 1234, 0)),
            Value::Struct {
                fields: vec![
                    ("st_mode", Value::FileMode(0o100644)),
                    ("st_size", Value::UInt(1234))
                ],
                more: true
            }
        );
        assert_eq!(
            stat(&stat_bytes(0o020666, 0, libc::makedev(1, 3))),
            Value::Struct {
                fields: vec![
                    ("st_mode", Value::FileMode(0o020666)),
                    (
                        "st_rdev",
                        call("makedev", vec![Value::Hex(1), Value::Hex(3)])
                    )
                ],
                more: true
            }
        );
        assert_eq!(
            stat(&stat_bytes(0o100644, 1, 0)[..usize::from(STAT_SHOWN.size) - 1]),
            text("<short struct stat>")
        );
        assert_eq!(stat(&[]), text("<short struct stat>"));
    }

    #[test]
    fn statx_structs() {
        // SAFETY: libc::statx is Plain; all zeroes is valid.
        let mut stx: libc::statx = unsafe { std::mem::zeroed() };
        stx.stx_mask = 0x1fff;
        stx.stx_mode = 0o100644;
        stx.stx_size = 1221;
        stx.stx_ino = 77;
        assert_eq!(STATX_SHOWN, Part { skip: 0, size: 48 });
        let b = part_of(&stx, STATX_SHOWN);
        assert_eq!(
            statx(&b),
            Value::Struct {
                fields: vec![
                    ("stx_mask", names(&["STATX_ALL", "STATX_MNT_ID"])),
                    ("stx_attributes", Value::Int(0)),
                    ("stx_mode", Value::FileMode(0o100644)),
                    ("stx_size", Value::UInt(1221)),
                ],
                more: true
            }
        );
        stx.stx_mask = libc::STATX_MTIME;
        match statx(&part_of(&stx, STATX_SHOWN)) {
            Value::Struct { fields, .. } => assert_eq!(fields.len(), 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(statx(&b[..47]), text("<short struct statx>"));
    }

    #[test]
    fn times() {
        let mut b = 1i64.to_ne_bytes().to_vec();
        b.extend(500_000_000i64.to_ne_bytes());
        assert_eq!(
            timespec(&b),
            Value::record(vec![
                ("tv_sec", Value::Int(1)),
                ("tv_nsec", Value::UInt(500_000_000))
            ])
        );
        assert_eq!(
            timeval(&b),
            Value::record(vec![
                ("tv_sec", Value::Int(1)),
                ("tv_usec", Value::UInt(500_000_000))
            ])
        );
        assert_eq!(timespec(&b[..15]), text("<short struct timespec>"));
        assert_eq!(timeval(&[]), text("<short struct timeval>"));
    }

    #[test]
    fn rlimits() {
        let mut b = (8192u64 * 1024).to_ne_bytes().to_vec();
        b.extend(u64::MAX.to_ne_bytes());
        assert_eq!(
            rlimit(&b),
            Value::record(vec![
                ("rlim_cur", text("8192*1024")),
                ("rlim_max", Value::Sym("RLIM64_INFINITY"))
            ])
        );
        assert_eq!(rlim(1024), Value::UInt(1024));
        assert_eq!(rlim(2048), text("2*1024"));
        assert_eq!(rlim(20000), Value::UInt(20000));
        assert_eq!(rlim(0), Value::UInt(0));
        assert_eq!(rlimit(&b[..8]), text("<short struct rlimit>"));
    }

    fn sigaction_bytes(handler: u64, flags: u64, restorer: u64, mask: u64) -> Vec<u8> {
        bytes_of(&KernelSigaction {
            handler,
            flags,
            restorer,
            mask,
        })
    }

    #[test]
    fn sigactions() {
        assert_eq!(
            kernel_sigaction(&sigaction_bytes(0, 0x0400_0000, 0x7f12_3400, 0)),
            Value::record(vec![
                ("sa_handler", Value::Sym("SIG_DFL")),
                (
                    "sa_mask",
                    Value::SigSet {
                        names: vec![],
                        inverted: false
                    }
                ),
                ("sa_flags", names(&["SA_RESTORER"])),
                ("sa_restorer", Value::Ptr(0x7f12_3400)),
            ])
        );
        let mask = (1u64 << (libc::SIGINT - 1)) | (1 << (libc::SIGTERM - 1));
        assert_eq!(
            kernel_sigaction(&sigaction_bytes(0x55d0_0000, 0x1400_0004, 0x7f00, mask)),
            Value::record(vec![
                ("sa_handler", Value::Ptr(0x55d0_0000)),
                (
                    "sa_mask",
                    Value::SigSet {
                        names: vec!["INT", "TERM"],
                        inverted: false
                    }
                ),
                (
                    "sa_flags",
                    names(&["SA_RESTORER", "SA_RESTART", "SA_SIGINFO"])
                ),
                ("sa_restorer", Value::Ptr(0x7f00)),
            ])
        );
        // No SA_RESTORER: no sa_restorer field.
        assert_eq!(
            kernel_sigaction(&sigaction_bytes(1, 0, 0x7f00, 0)),
            Value::record(vec![
                ("sa_handler", Value::Sym("SIG_IGN")),
                (
                    "sa_mask",
                    Value::SigSet {
                        names: vec![],
                        inverted: false
                    }
                ),
                ("sa_flags", Value::Int(0)),
            ])
        );
        assert_eq!(kernel_sigaction(&[0; 31]), text("<short struct sigaction>"));
    }

    #[test]
    fn sigsets() {
        let set = |sigs: &[u32]| {
            sigs.iter()
                .fold(0u64, |m, s| m | 1 << (s - 1))
                .to_ne_bytes()
        };
        assert_eq!(
            sigset(&set(&[])),
            Value::SigSet {
                names: vec![],
                inverted: false
            }
        );
        assert_eq!(
            sigset(&set(&[2, 15, 34, 35, 64])),
            Value::SigSet {
                names: vec!["INT", "TERM", "RT_2", "RT_3", "RT_32"],
                inverted: false
            }
        );
        // glibc's sigfillset: all but 32 and 33.
        assert_eq!(
            sigset(&(!(3u64 << 31)).to_ne_bytes()),
            Value::SigSet {
                names: vec!["RTMIN", "RT_1"],
                inverted: true
            }
        );
        assert_eq!(
            sigset(&(!(3u64 << 31) & !(1 << 8)).to_ne_bytes()),
            Value::SigSet {
                names: vec!["KILL", "RTMIN", "RT_1"],
                inverted: true
            }
        );
        // 42 of 64 set (two thirds): inverted; 41: not.
        let m42 = (1u64 << 42) - 1;
        match sigset(&m42.to_ne_bytes()) {
            Value::SigSet { names, inverted } => assert!(inverted && names.len() == 22),
            other => panic!("{other:?}"),
        }
        match sigset(&(m42 >> 1).to_ne_bytes()) {
            Value::SigSet { names, inverted } => assert!(!inverted && names.len() == 41),
            other => panic!("{other:?}"),
        }
        // A 4-byte set counts 32 signals; bytes past 8 are ignored.
        assert_eq!(
            sigset(&[0xff, 0xff, 0xff, 0xbf]),
            Value::SigSet {
                names: vec!["SYS"],
                inverted: true
            }
        );
        let mut long = set(&[1]).to_vec();
        long.extend([0xff; 8]);
        assert_eq!(
            sigset(&long),
            Value::SigSet {
                names: vec!["HUP"],
                inverted: false
            }
        );
        assert_eq!(
            sigset(&[1]),
            Value::SigSet {
                names: vec!["HUP"],
                inverted: false
            }
        );
        assert_eq!(
            sigset(&[]),
            Value::SigSet {
                names: vec![],
                inverted: true
            }
        );
    }

    fn status_text(status: i32) -> Value<'static> {
        wait_status(status)
    }

    fn one(s: &str) -> Value<'static> {
        Value::Array {
            items: vec![text(s)],
            more: false,
        }
    }

    #[test]
    fn wait_statuses() {
        assert_eq!(status_text(0), one("{WIFEXITED(s) && WEXITSTATUS(s) == 0}"));
        assert_eq!(
            status_text(3 << 8),
            one("{WIFEXITED(s) && WEXITSTATUS(s) == 3}")
        );
        assert_eq!(
            status_text(9),
            one("{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}")
        );
        assert_eq!(
            status_text(11 | 0x80),
            one("{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}")
        );
        assert_eq!(
            status_text((19 << 8) | 0x7f),
            one("{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}")
        );
        assert_eq!(
            status_text(((0x80 | 5) << 8) | 0x7f),
            one("{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP | 0x80}")
        );
        assert_eq!(
            status_text((3 << 16) | (5 << 8) | 0x7f),
            one("{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP}|PTRACE_EVENT_CLONE<<16")
        );
        assert_eq!(status_text(0xffff), one("{WIFCONTINUED(s)}"));
        assert_eq!(
            status_text(70),
            one("{WIFSIGNALED(s) && WTERMSIG(s) == 70}")
        );
        assert_eq!(
            status_text(-1),
            Value::Array {
                items: vec![Value::Hex(0xffff_ffff)],
                more: false
            }
        );
        assert_eq!(
            status_text(0x1234_ffff),
            Value::Array {
                items: vec![Value::Hex(0x1234_ffff)],
                more: false
            }
        );
        assert_eq!(
            status_text(0x0001_0000),
            one("{WIFEXITED(s) && WEXITSTATUS(s) == 0}|PTRACE_EVENT_FORK<<16")
        );
    }

    #[test]
    fn int_arrays() {
        let mut b = 3i32.to_ne_bytes().to_vec();
        b.extend(4i32.to_ne_bytes());
        assert_eq!(
            int_array(&b),
            Value::Array {
                items: vec![Value::Int(3), Value::Int(4)],
                more: false
            }
        );
        assert_eq!(
            int_array(&b[..6]),
            Value::Array {
                items: vec![Value::Int(3), text("<short int>")],
                more: false
            }
        );
        assert_eq!(
            int_array(&[]),
            Value::Array {
                items: vec![],
                more: false
            }
        );
        assert_eq!(
            int_array(&(-1i32).to_ne_bytes()),
            Value::Array {
                items: vec![Value::Int(-1)],
                more: false
            }
        );
    }

    fn pollfd_bytes(list: &[(i32, i16, i16)]) -> Vec<u8> {
        let mut b = Vec::new();
        for &(fd, events, revents) in list {
            b.extend(bytes_of(&libc::pollfd {
                fd,
                events,
                revents,
            }));
        }
        b
    }

    #[test]
    fn pollfd_arrays() {
        let b = pollfd_bytes(&[(0, 3, 1), (1, 4, 0), (-1, 0, 0)]);
        assert_eq!(
            pollfds(&b),
            Value::Array {
                items: vec![
                    Value::record(vec![
                        ("fd", Value::Int(0)),
                        ("events", names(&["POLLIN", "POLLPRI"]))
                    ]),
                    Value::record(vec![("fd", Value::Int(1)), ("events", names(&["POLLOUT"]))]),
                    Value::record(vec![("fd", Value::Int(-1))]),
                ],
                more: false
            }
        );
        assert_eq!(
            pollfds_revents(&b),
            Value::Array {
                items: vec![Value::record(vec![
                    ("fd", Value::Int(0)),
                    ("revents", names(&["POLLIN"]))
                ])],
                more: false
            }
        );
        match pollfds(&b[..11]) {
            Value::Array { items, .. } => {
                assert_eq!(items.len(), 2);
                assert_eq!(items[1], text("<short struct pollfd>"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            pollfds(&[]),
            Value::Array {
                items: vec![],
                more: false
            }
        );
        // Events with the sign bit of the short set.
        let b = pollfd_bytes(&[(5, i16::MIN, 0)]);
        match pollfds(&b) {
            Value::Array { items, .. } => assert_eq!(
                items[0],
                Value::record(vec![
                    ("fd", Value::Int(5)),
                    ("events", names(&["POLL_BUSY_LOOP"]))
                ])
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn epoll_events_structs() {
        let mut b = (1u32 | 0x8000_0000).to_ne_bytes().to_vec();
        b.extend(0x1_0000_0003u64.to_ne_bytes());
        assert_eq!(size_of::<libc::epoll_event>(), 12);
        let expected = Value::record(vec![
            ("events", names(&["EPOLLIN", "EPOLLET"])),
            (
                "data",
                Value::record(vec![
                    ("u32", Value::UInt(3)),
                    ("u64", Value::UInt(0x1_0000_0003)),
                ]),
            ),
        ]);
        assert_eq!(epoll_event(&b), expected);
        assert_eq!(epoll_event(&b[..11]), text("<short struct epoll_event>"));
        let mut two = b.clone();
        two.extend(&b);
        assert_eq!(
            epoll_event_array(&two),
            Value::Array {
                items: vec![expected.clone(), expected],
                more: false
            }
        );
        match epoll_event_array(&two[..13]) {
            Value::Array { items, .. } => assert_eq!(items[1], text("<short struct epoll_event>")),
            other => panic!("{other:?}"),
        }
    }

    fn clone_args_bytes(flags: u64, exit_signal: u64) -> Vec<u8> {
        // SAFETY: libc::clone_args is Plain; all zeroes is valid.
        let mut a: libc::clone_args = unsafe { std::mem::zeroed() };
        a.flags = flags;
        a.pidfd = 0x1000;
        a.child_tid = 0x7f00_0990;
        a.parent_tid = 0x7f00_0990;
        a.exit_signal = exit_signal;
        a.stack = 0x7f00_0000;
        a.stack_size = 0x7fff80;
        a.tls = 0x7f00_06c0;
        bytes_of(&a)
    }

    #[test]
    fn clone3_args() {
        // pthread_create's flags.
        let flags = 0x003d_0f00;
        assert_eq!(
            clone_args(&clone_args_bytes(flags, 0)),
            Value::record(vec![
                (
                    "flags",
                    names(&[
                        "CLONE_VM",
                        "CLONE_FS",
                        "CLONE_FILES",
                        "CLONE_SIGHAND",
                        "CLONE_THREAD",
                        "CLONE_SYSVSEM",
                        "CLONE_SETTLS",
                        "CLONE_PARENT_SETTID",
                        "CLONE_CHILD_CLEARTID"
                    ])
                ),
                ("child_tid", Value::Ptr(0x7f00_0990)),
                ("parent_tid", Value::Ptr(0x7f00_0990)),
                ("exit_signal", Value::Int(0)),
                ("stack", Value::Ptr(0x7f00_0000)),
                ("stack_size", Value::Hex(0x7fff80)),
                ("tls", Value::Ptr(0x7f00_06c0)),
            ])
        );
        // fork-like: only the exit signal; the 64-byte version-0 struct.
        let b = clone_args_bytes(libc::CLONE_PIDFD as u64, libc::SIGCHLD as u64);
        assert_eq!(
            clone_args(&b[..64]),
            Value::record(vec![
                ("flags", names(&["CLONE_PIDFD"])),
                ("pidfd", Value::Ptr(0x1000)),
                ("exit_signal", Value::Sym("SIGCHLD")),
                ("stack", Value::Ptr(0x7f00_0000)),
                ("stack_size", Value::Hex(0x7fff80)),
            ])
        );
        match clone_args(&clone_args_bytes(1 << 33, u64::MAX)) {
            Value::Struct { fields, .. } => {
                assert_eq!(fields[1], ("exit_signal", Value::UInt(u64::MAX)));
                assert_eq!(fields.last(), Some(&("cgroup", Value::UInt(0))));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(clone_args(&b[..63]), text("<short struct clone_args>"));
    }
}
