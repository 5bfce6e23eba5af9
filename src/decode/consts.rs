//! Register values to [`Value`]s: named constants and flag sets, printed as strace 6.x does on x86_64.
//!
//! Every table is data: `(value, name)` pairs built from `libc` constants (or,
//! where `libc` lacks one, from the `uapi` module, which cites the kernel header). The
//! table order is strace's (`src/xlat/*.in`), so flag names come out in the
//! same order strace prints them.
//!
//! Unknown values follow strace: a named-constant argument prints as
//! `0x63 /* AF_??? */` ([`Value::Commented`]), a flag set keeps its known names
//! and shows the leftover bits in hex (`X_OK|0x8`), and a flag set with no known
//! bit at all prints as `0x40 /* MS_??? */`.

use super::render::put;
use super::value::{Names, Value};

/// Constants the `libc` crate does not define (or defines with a value that is
/// not the kernel's on x86_64), each from the Linux uapi header named beside it.
pub(super) mod uapi {
    // include/uapi/asm-generic/fcntl.h
    /// The kernel's O_LARGEFILE; glibc (and so `libc`) defines it as 0 on x86_64.
    pub const O_LARGEFILE: u32 = 0o100000;
    /// O_SYNC without O_DSYNC.
    pub const __O_SYNC: u32 = 0o4000000;
    /// O_TMPFILE without O_DIRECTORY.
    pub const __O_TMPFILE: u32 = 0o20000000;
    /// strace prints O_ASYNC under its BSD name.
    pub const FASYNC: u32 = libc::O_ASYNC as u32;
    // include/uapi/linux/fcntl.h (F_LINUX_SPECIFIC_BASE = 1024)
    pub const F_SETSIG: u32 = 10;
    pub const F_GETSIG: u32 = 11;
    pub const F_SETOWN_EX: u32 = 15;
    pub const F_GETOWN_EX: u32 = 16;
    pub const F_GETOWNER_UIDS: u32 = 17;
    pub const F_DUPFD_QUERY: u32 = 1024 + 3;
    pub const F_CREATED_QUERY: u32 = 1024 + 4;
    pub const F_GET_RW_HINT: u32 = 1024 + 11;
    pub const F_SET_RW_HINT: u32 = 1024 + 12;
    pub const F_GET_FILE_RW_HINT: u32 = 1024 + 13;
    pub const F_SET_FILE_RW_HINT: u32 = 1024 + 14;
    // include/uapi/linux/time.h (the libc crate has it for other systems only)
    pub const TIMER_ABSTIME: u32 = 0x01;
    // include/linux/statfs.h: not uapi, but statfs returns them in f_flags
    pub const ST_VALID: u32 = 0x0020;
    pub const ST_NOSYMFOLLOW: u32 = 0x2000;
    // include/uapi/linux/resource.h
    pub const RUSAGE_SELF: i32 = 0;
    pub const RUSAGE_CHILDREN: i32 = -1;
    pub const RUSAGE_BOTH: i32 = -2;
    pub const RUSAGE_THREAD: i32 = 1;
    // include/uapi/asm-generic/mman-common.h
    pub const PROT_SEM: u32 = 0x8;
    pub const MAP_UNINITIALIZED: u32 = 0x4000000;
    pub const MADV_GUARD_INSTALL: u32 = 102;
    pub const MADV_GUARD_REMOVE: u32 = 103;
    // arch/x86/include/uapi/asm/mman.h
    pub const MAP_ABOVE4G: u32 = 0x80;
    // include/uapi/linux/mempolicy.h, where the libc crate stops
    /// The flag bits a mode may carry (the kernel's MPOL_MODE_FLAGS).
    pub const MPOL_MODE_FLAGS: u32 = (libc::MPOL_F_STATIC_NODES
        | libc::MPOL_F_RELATIVE_NODES
        | libc::MPOL_F_NUMA_BALANCING) as u32;
    pub const MPOL_PREFERRED_MANY: u32 = 5;
    pub const MPOL_WEIGHTED_INTERLEAVE: u32 = 6;
    pub const MPOL_F_NODE: u32 = 1 << 0;
    pub const MPOL_F_ADDR: u32 = 1 << 1;
    pub const MPOL_F_MEMS_ALLOWED: u32 = 1 << 2;
    pub const MPOL_MF_STRICT: u32 = 1 << 0;
    pub const MPOL_MF_MOVE: u32 = 1 << 1;
    pub const MPOL_MF_MOVE_ALL: u32 = 1 << 2;
    // include/uapi/asm-generic/poll.h
    pub const POLLMSG: u32 = 0x400;
    pub const POLLREMOVE: u32 = 0x1000;
    pub const POLL_BUSY_LOOP: u32 = 0x8000;
    // include/uapi/linux/eventpoll.h
    pub const EPOLLNVAL: u32 = 0x20;
    // include/uapi/asm-generic/signal-defs.h (x86: arch/x86/include/uapi/asm/signal.h)
    pub const SA_RESTORER: u32 = 0x0400_0000;
    /// The kernel's first realtime signal (glibc reserves 32 and 33 and
    /// reports 34 as `SIGRTMIN`, so `libc::SIGRTMIN()` is not it).
    pub const SIGRTMIN: u32 = 32;
    /// arch/x86/include/uapi/asm/signal.h: `_NSIG`.
    pub const SIGRTMAX: u32 = 64;
    // include/uapi/linux/sched.h (64-bit flags, clone3 only)
    pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
    pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    // include/linux/net.h
    pub const SOCK_TYPE_MASK: u32 = 0xf;
    /// Obsolete; `libc` deprecates it.
    pub const SOCK_PACKET: u32 = 10;
    // include/linux/socket.h
    pub const AF_KCM: u32 = 41;
    pub const AF_QIPCRTR: u32 = 42;
    pub const AF_SMC: u32 = 43;
    pub const AF_MCTP: u32 = 45;
    pub const SOL_SCTP: u32 = 132;
    pub const SOL_UDPLITE: u32 = 136;
    pub const SOL_MPTCP: u32 = 284;
    pub const SOL_MCTP: u32 = 285;
    pub const SOL_SMC: u32 = 286;
    pub const SOL_VSOCK: u32 = 287;
    pub const MSG_PROBE: u32 = 0x10;
    pub const MSG_SENDPAGE_NOTLAST: u32 = 0x20000;
    pub const MSG_BATCH: u32 = 0x40000;
    pub const MSG_NO_SHARED_FRAGS: u32 = 0x80000;
    pub const MSG_SOCK_DEVMEM: u32 = 0x2000000;
    pub const MSG_CMSG_COMPAT: u32 = 0x8000_0000;
    // include/uapi/linux/netlink.h
    pub const NETLINK_SMC: u32 = 22;
    // include/uapi/linux/in.h, in6.h
    pub const IPPROTO_L2TP: u32 = 115;
    pub const IPPROTO_AGGFRAG: u32 = 144;
    pub const IPPROTO_SMC: u32 = 256;
    pub const IP_RECVERR_RFC4884: u32 = 26;
    pub const IP_LOCAL_PORT_RANGE: u32 = 51;
    pub const IP_PROTOCOL: u32 = 52;
    pub const IPV6_RECVERR_RFC4884: u32 = 31;
    // include/uapi/asm-generic/socket.h: strace prints the time-related
    // options under their `_OLD` names (the ones `libc` calls plain).
    pub const SO_RCVTIMEO_OLD: u32 = libc::SO_RCVTIMEO as u32;
    pub const SO_SNDTIMEO_OLD: u32 = libc::SO_SNDTIMEO as u32;
    pub const SO_TIMESTAMP_OLD: u32 = libc::SO_TIMESTAMP as u32;
    pub const SO_TIMESTAMPNS_OLD: u32 = libc::SO_TIMESTAMPNS as u32;
    pub const SO_TIMESTAMPING_OLD: u32 = libc::SO_TIMESTAMPING as u32;
    // include/uapi/linux/tcp.h
    pub const TCP_TX_DELAY: u32 = 37;
    // include/uapi/linux/time.h
    pub const CLOCK_SGI_CYCLE: u32 = 10;
    // include/uapi/linux/prctl.h
    pub const PR_SVE_SET_VL: u32 = 50;
    pub const PR_SVE_GET_VL: u32 = 51;
    pub const PR_PAC_RESET_KEYS: u32 = 54;
    pub const PR_SET_TAGGED_ADDR_CTRL: u32 = 55;
    pub const PR_GET_TAGGED_ADDR_CTRL: u32 = 56;
    pub const PR_SET_IO_FLUSHER: u32 = 57;
    pub const PR_GET_IO_FLUSHER: u32 = 58;
    pub const PR_SET_SYSCALL_USER_DISPATCH: u32 = 59;
    pub const PR_GET_AUXV: u32 = 0x4155_5856;
    // arch/x86/include/uapi/asm/prctl.h
    pub const ARCH_SET_GS: u32 = 0x1001;
    pub const ARCH_SET_FS: u32 = 0x1002;
    pub const ARCH_GET_FS: u32 = 0x1003;
    pub const ARCH_GET_GS: u32 = 0x1004;
    pub const ARCH_GET_CPUID: u32 = 0x1011;
    pub const ARCH_SET_CPUID: u32 = 0x1012;
    pub const ARCH_GET_XCOMP_SUPP: u32 = 0x1021;
    pub const ARCH_GET_XCOMP_PERM: u32 = 0x1022;
    pub const ARCH_REQ_XCOMP_PERM: u32 = 0x1023;
    pub const ARCH_GET_XCOMP_GUEST_PERM: u32 = 0x1024;
    pub const ARCH_REQ_XCOMP_GUEST_PERM: u32 = 0x1025;
    pub const ARCH_MAP_VDSO_X32: u32 = 0x2001;
    pub const ARCH_MAP_VDSO_32: u32 = 0x2002;
    pub const ARCH_MAP_VDSO_64: u32 = 0x2003;
    pub const ARCH_GET_UNTAG_MASK: u32 = 0x4001;
    pub const ARCH_ENABLE_TAGGED_ADDR: u32 = 0x4002;
    pub const ARCH_GET_MAX_TAG_BITS: u32 = 0x4003;
    pub const ARCH_FORCE_TAGGED_SVA: u32 = 0x4004;
    pub const ARCH_SHSTK_ENABLE: u32 = 0x5001;
    pub const ARCH_SHSTK_DISABLE: u32 = 0x5002;
    pub const ARCH_SHSTK_LOCK: u32 = 0x5003;
    pub const ARCH_SHSTK_UNLOCK: u32 = 0x5004;
    pub const ARCH_SHSTK_STATUS: u32 = 0x5005;
    // include/uapi/asm-generic/ioctl.h
    pub const _IOC_NONE: u32 = 0;
    pub const _IOC_WRITE: u32 = 1;
    pub const _IOC_READ: u32 = 2;
}

/// A `(value, name)` table from constants, each named by its own identifier.
/// Values pass through `u32` so that high bits spelled as negative `c_int`s
/// (`EPOLLET`, `SA_RESETHAND`, `__WCLONE`) do not sign-extend.
macro_rules! table {
    ($($m:ident :: $name:ident),* $(,)?) => {
        &[$(($m::$name as u32 as u64, stringify!($name))),*]
    };
}

/// A table of `(value, name)` pairs.
type Table = [(u64, &'static str)];

/// The low 32 bits: the argument is an `int` / `unsigned int` in the kernel,
/// which ignores the upper half of the register.
fn lo32(v: u64) -> u64 {
    v & 0xffff_ffff
}

/// An unknown value the way strace prints one: `0x63 /* AF_??? */`.
fn unknown(v: u64, what: &'static str) -> Value<'static> {
    Value::Commented {
        value: Box::new(Value::Hex(v)),
        comment: what.into(),
    }
}

/// strace's `printxval`: the name of an exact value, or the unknown marker.
fn xval(v: u64, table: &Table, what: &'static str) -> Value<'static> {
    match lookup(v, table) {
        Some(name) => Value::Sym(name),
        None => unknown(v, what),
    }
}

/// The name of an exact value in a table.
fn lookup(v: u64, table: &Table) -> Option<&'static str> {
    table
        .iter()
        .find(|(val, _)| *val == v)
        .map(|(_, name)| *name)
}

/// strace's `printflags`: the known bits by name, in table order, then the
/// leftover bits. Zero is the table's zero-valued name (`F_OK`, `PROT_NONE`)
/// or `0`; a value with no known bit is `0x40 /* MS_??? */`.
fn flags(v: u64, table: &Table, what: &'static str) -> Value<'static> {
    flags_in(v, &[table], what)
}

/// [`flags`] over several tables in turn (strace's `printflags_ex` with more
/// than one xlat).
fn flags_in(v: u64, tables: &[&Table], what: &'static str) -> Value<'static> {
    if v == 0 {
        return match tables.iter().find_map(|table| lookup(0, table)) {
            Some(name) => Value::Sym(name),
            None => Value::Int(0),
        };
    }
    let (names, rest) = split(v, tables);
    if names.is_empty() {
        unknown(rest, what)
    } else {
        Value::Flags { names, rest }
    }
}

/// The names of the known bits of `v`, table after table, and the bits left.
fn split(v: u64, tables: &[&Table]) -> (Names, u64) {
    let mut names = Names::new();
    let mut rest = v;
    for table in tables {
        rest = Value::push_flags(&mut names, rest, table);
    }
    (names, rest)
}

/// A flag set printed after a leading name (an access mode or a socket type,
/// as in `O_WRONLY|O_CREAT`, `SOCK_STREAM|SOCK_CLOEXEC`).
fn with_first(first: &'static str, v: u64, table: &Table) -> Value<'static> {
    let mut names = Names::new();
    names.push(first);
    let rest = Value::push_flags(&mut names, v, table);
    Value::Flags { names, rest }
}

// ---------------------------------------------------------------------------
// File descriptors, paths and modes

/// A directory fd argument (`openat`'s first): `AT_FDCWD` or the number.
/// `openat(AT_FDCWD, ...)`, `openat(3, ...)`.
pub fn dirfd(v: u64) -> Value<'static> {
    if v as i32 == libc::AT_FDCWD {
        Value::Sym("AT_FDCWD")
    } else {
        fd(v)
    }
}

/// A file descriptor argument: `3`, `-1`.
pub fn fd(v: u64) -> Value<'static> {
    Value::Int(i64::from(v as i32))
}

const OPEN_ACCESS: &Table = table![
    libc::O_RDONLY,
    libc::O_WRONLY,
    libc::O_RDWR,
    libc::O_ACCMODE
];

/// strace's `open_mode_flags`: O_SYNC before O_DSYNC and __O_SYNC, O_TMPFILE
/// before O_DIRECTORY and __O_TMPFILE (both are multi-bit masks).
const OPEN_MODE_FLAGS: &Table = table![
    libc::O_CREAT,
    libc::O_EXCL,
    libc::O_NOCTTY,
    libc::O_TRUNC,
    libc::O_APPEND,
    libc::O_NONBLOCK,
    libc::O_SYNC,
    uapi::__O_SYNC,
    libc::O_DSYNC,
    libc::O_DIRECT,
    uapi::O_LARGEFILE,
    libc::O_NOFOLLOW,
    libc::O_NOATIME,
    libc::O_CLOEXEC,
    libc::O_PATH,
    libc::O_TMPFILE,
    uapi::__O_TMPFILE,
    libc::O_DIRECTORY,
    uapi::FASYNC,
];

/// `open`/`openat` flags (and `fcntl(F_SETFL)`): the access mode, then the
/// rest. `O_RDONLY|O_CLOEXEC`, `O_WRONLY|O_CREAT|O_TRUNC`, `O_ACCMODE` for 3.
pub fn open_flags(v: u64) -> Value<'static> {
    let v = lo32(v);
    let mode = v & libc::O_ACCMODE as u64;
    // Every two-bit access mode has a name (3 is O_ACCMODE).
    let name = lookup(mode, OPEN_ACCESS).unwrap_or("O_ACCMODE");
    with_first(name, v & !(libc::O_ACCMODE as u64), OPEN_MODE_FLAGS)
}

/// `pipe2` flags: open flags without an access mode. `O_NONBLOCK|O_CLOEXEC`.
/// (strace decodes them with the open flags, so O_NOTIFICATION_PIPE, which is
/// O_EXCL, prints as `O_EXCL`.)
pub fn pipe_flags(v: u64) -> Value<'static> {
    flags(lo32(v), OPEN_MODE_FLAGS, "O_???")
}

/// `dup3` flags: `O_CLOEXEC`.
pub fn dup3_flags(v: u64) -> Value<'static> {
    flags(lo32(v), OPEN_MODE_FLAGS, "O_???")
}

const AT_FLAGS: &Table = table![
    libc::AT_SYMLINK_NOFOLLOW,
    libc::AT_REMOVEDIR,
    libc::AT_SYMLINK_FOLLOW,
    libc::AT_NO_AUTOMOUNT,
    libc::AT_EMPTY_PATH,
    libc::AT_RECURSIVE,
    libc::AT_STATX_FORCE_SYNC,
    libc::AT_STATX_DONT_SYNC,
];

/// `*at` flags: `AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH`, `AT_REMOVEDIR`.
pub fn at_flags(v: u64) -> Value<'static> {
    flags(lo32(v), AT_FLAGS, "AT_???")
}

const FACCESSAT_FLAGS: &Table = table![
    libc::AT_SYMLINK_NOFOLLOW,
    libc::AT_EACCESS,
    libc::AT_EMPTY_PATH
];

/// `faccessat2` flags, where 0x200 is `AT_EACCESS` (not `AT_REMOVEDIR`).
pub fn faccessat_flags(v: u64) -> Value<'static> {
    flags(lo32(v), FACCESSAT_FLAGS, "AT_???")
}

const STATX_SYNC_TYPES: &Table = table![
    libc::AT_STATX_SYNC_AS_STAT,
    libc::AT_STATX_FORCE_SYNC,
    libc::AT_STATX_DONT_SYNC,
];

/// `statx` flags: the sync type first, then the `*at` flags.
/// `AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW`.
pub fn statx_flags(v: u64) -> Value<'static> {
    let v = lo32(v);
    let sync_mask = libc::AT_STATX_SYNC_TYPE as u64;
    let (mut names, sync_rest) = match lookup(v & sync_mask, STATX_SYNC_TYPES) {
        Some(name) => (smallvec::smallvec![name], 0),
        // Both sync bits (invalid): each by name, as strace shows them.
        None => split(v & sync_mask, &[STATX_SYNC_TYPES]),
    };
    let (more, rest) = split(v & !sync_mask, &[AT_FLAGS]);
    names.extend(more);
    Value::Flags {
        names,
        rest: rest | sync_rest,
    }
}

const ACCESS_MODES: &Table = table![libc::F_OK, libc::R_OK, libc::W_OK, libc::X_OK];

/// `access` mode: `F_OK`, `R_OK|W_OK`.
pub fn access_mode(v: u64) -> Value<'static> {
    flags(lo32(v), ACCESS_MODES, "?_OK")
}

/// A permission mode (`umode_t`): `0644`; the printer shows 0 as `000`.
pub fn mode(v: u64) -> Value<'static> {
    Value::Octal(v & 0xffff)
}

const MODE_TYPES: &Table = table![
    libc::S_IFREG,
    libc::S_IFSOCK,
    libc::S_IFIFO,
    libc::S_IFLNK,
    libc::S_IFDIR,
    libc::S_IFBLK,
    libc::S_IFCHR,
];

/// A mode with file-type bits, as strace's `print_symbolic_mode_t` prints
/// it: `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`, `000`; an unknown type prints
/// the whole mode in octal (`0170001`).
pub fn put_mode(out: &mut Vec<u8>, v: u32) {
    let ifmt = v & libc::S_IFMT;
    if ifmt != 0 {
        match lookup(u64::from(ifmt), MODE_TYPES) {
            Some(name) => {
                put(out, name.as_bytes());
                out.push(b'|');
            }
            None => return octal(out, v),
        }
    }
    for (bit, name) in [
        (libc::S_ISUID, "S_ISUID|"),
        (libc::S_ISGID, "S_ISGID|"),
        (libc::S_ISVTX, "S_ISVTX|"),
    ] {
        if v & bit != 0 {
            put(out, name.as_bytes());
        }
    }
    octal(
        out,
        v & !(libc::S_IFMT | libc::S_ISUID | libc::S_ISGID | libc::S_ISVTX),
    );
}

/// C's `%#03o`: a leading 0, at least three characters (`000`, `007`, `0644`).
fn octal(out: &mut Vec<u8>, v: u32) {
    let mut buf = [0; 23];
    let digits = super::render::octal(v.into(), &mut buf);
    if digits.len() < 3 {
        out.push(b'0');
    }
    put(out, digits);
}

/// A mode with file-type bits (`mknod`): `S_IFCHR|0600`, `S_IFREG|S_ISUID|0755`.
pub fn mode_with_type(v: u64) -> Value<'static> {
    Value::FileMode(lo32(v) as u32)
}

// ---------------------------------------------------------------------------
// Memory

const PROT: &Table = table![
    libc::PROT_NONE,
    libc::PROT_READ,
    libc::PROT_WRITE,
    libc::PROT_EXEC,
    uapi::PROT_SEM,
    libc::PROT_GROWSDOWN,
    libc::PROT_GROWSUP,
];

/// `mmap`/`mprotect` protection: `PROT_NONE`, `PROT_READ|PROT_WRITE`.
pub fn prot(v: u64) -> Value<'static> {
    flags(v, PROT, "PROT_???")
}

/// The mapping types (`flags & MAP_TYPE`); 0 is strace's `MAP_FILE`.
const MMAP_TYPES: &Table = table![
    libc::MAP_FILE,
    libc::MAP_SHARED,
    libc::MAP_PRIVATE,
    libc::MAP_SHARED_VALIDATE,
    libc::MAP_DROPPABLE,
];

/// The other mmap flags, in strace's order (not quite bit order).
const MMAP_FLAGS: &Table = table![
    libc::MAP_FIXED,
    libc::MAP_ANONYMOUS,
    libc::MAP_32BIT,
    uapi::MAP_ABOVE4G,
    libc::MAP_NORESERVE,
    libc::MAP_POPULATE,
    libc::MAP_NONBLOCK,
    libc::MAP_GROWSDOWN,
    libc::MAP_DENYWRITE,
    libc::MAP_EXECUTABLE,
    libc::MAP_LOCKED,
    libc::MAP_STACK,
    libc::MAP_HUGETLB,
    libc::MAP_SYNC,
    uapi::MAP_UNINITIALIZED,
    libc::MAP_FIXED_NOREPLACE,
];

/// `N<<MAP_HUGE_SHIFT` for every value of the 6-bit huge page size field.
macro_rules! huge_names {
    ($($n:literal)*) => { [$(concat!($n, "<<MAP_HUGE_SHIFT")),*] };
}
const MAP_HUGE_NAMES: [&str; 64] = huge_names!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
);

/// `mmap` flags: the type first, then the flags, then the huge page size.
/// `MAP_PRIVATE|MAP_ANONYMOUS`, `MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE`,
/// `MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT`. An unknown
/// type stays among the leftover bits.
pub fn mmap_flags(v: u64) -> Value<'static> {
    let type_mask = libc::MAP_TYPE as u64;
    let shift = libc::MAP_HUGE_SHIFT as u32;
    let huge_mask = (libc::MAP_HUGE_MASK as u64) << shift;
    let (mut names, mut rest) = split(v & !(type_mask | huge_mask), &[MMAP_FLAGS]);
    match lookup(v & type_mask, MMAP_TYPES) {
        Some(name) => names.insert(0, name),
        None => rest |= v & type_mask,
    }
    let huge = ((v & huge_mask) >> shift) as usize;
    if huge != 0 {
        // The mask is six bits wide, so the index is always in range.
        match MAP_HUGE_NAMES.get(huge) {
            Some(name) => names.push(name),
            None => rest |= v & huge_mask,
        }
    }
    Value::Flags { names, rest }
}

const MEMPOLICY_MODES: &Table = table![
    libc::MPOL_DEFAULT,
    libc::MPOL_PREFERRED,
    libc::MPOL_BIND,
    libc::MPOL_INTERLEAVE,
    libc::MPOL_LOCAL,
    uapi::MPOL_PREFERRED_MANY,
    uapi::MPOL_WEIGHTED_INTERLEAVE,
];

const MEMPOLICY_MODE_FLAGS: &Table = table![
    libc::MPOL_F_STATIC_NODES,
    libc::MPOL_F_RELATIVE_NODES,
    libc::MPOL_F_NUMA_BALANCING,
];

/// A NUMA memory policy as set_mempolicy and mbind take it: the mode and
/// its flags, `MPOL_PREFERRED|MPOL_F_STATIC_NODES`.
pub fn mempolicy_mode(v: u64) -> Value<'static> {
    let v = lo32(v);
    let flag_bits = u64::from(uapi::MPOL_MODE_FLAGS);
    match lookup(v & !flag_bits, MEMPOLICY_MODES) {
        Some(name) => with_first(name, v & flag_bits, MEMPOLICY_MODE_FLAGS),
        None => flags(v, MEMPOLICY_MODE_FLAGS, "MPOL_???"),
    }
}

/// The policy get_mempolicy writes back, which strace shows by value alone:
/// `MPOL_BIND`, `0x4001 /* MPOL_??? */`.
pub fn mempolicy_mode_value(v: u64) -> Value<'static> {
    xval(lo32(v), MEMPOLICY_MODES, "MPOL_???")
}

const GET_MEMPOLICY_FLAGS: &Table = table![
    uapi::MPOL_F_NODE,
    uapi::MPOL_F_ADDR,
    uapi::MPOL_F_MEMS_ALLOWED,
];

/// `get_mempolicy` flags: `MPOL_F_NODE|MPOL_F_ADDR`.
pub fn get_mempolicy_flags(v: u64) -> Value<'static> {
    flags(v, GET_MEMPOLICY_FLAGS, "MPOL_???")
}

const MBIND_FLAGS: &Table = table![
    uapi::MPOL_MF_STRICT,
    uapi::MPOL_MF_MOVE,
    uapi::MPOL_MF_MOVE_ALL,
];

/// `mbind` flags: `MPOL_MF_STRICT|MPOL_MF_MOVE`.
pub fn mbind_flags(v: u64) -> Value<'static> {
    flags(lo32(v), MBIND_FLAGS, "MPOL_???")
}

/// `madvise` advice, from strace's `madvise_cmds` (sorted by value).
const MADVISE: &Table = table![
    libc::MADV_NORMAL,
    libc::MADV_RANDOM,
    libc::MADV_SEQUENTIAL,
    libc::MADV_WILLNEED,
    libc::MADV_DONTNEED,
    libc::MADV_FREE,
    libc::MADV_REMOVE,
    libc::MADV_DONTFORK,
    libc::MADV_DOFORK,
    libc::MADV_MERGEABLE,
    libc::MADV_UNMERGEABLE,
    libc::MADV_HUGEPAGE,
    libc::MADV_NOHUGEPAGE,
    libc::MADV_DONTDUMP,
    libc::MADV_DODUMP,
    libc::MADV_WIPEONFORK,
    libc::MADV_KEEPONFORK,
    libc::MADV_COLD,
    libc::MADV_PAGEOUT,
    libc::MADV_POPULATE_READ,
    libc::MADV_POPULATE_WRITE,
    libc::MADV_DONTNEED_LOCKED,
    libc::MADV_COLLAPSE,
    libc::MADV_HWPOISON,
    libc::MADV_SOFT_OFFLINE,
    uapi::MADV_GUARD_INSTALL,
    uapi::MADV_GUARD_REMOVE,
];

const FADVISE: &Table = table![
    libc::POSIX_FADV_NORMAL,
    libc::POSIX_FADV_RANDOM,
    libc::POSIX_FADV_SEQUENTIAL,
    libc::POSIX_FADV_WILLNEED,
    libc::POSIX_FADV_DONTNEED,
    libc::POSIX_FADV_NOREUSE,
];

/// `fadvise64` advice: `POSIX_FADV_SEQUENTIAL`.
pub fn fadvise_advice(v: u64) -> Value<'static> {
    xval(lo32(v), FADVISE, "POSIX_FADV_???")
}

/// `madvise` advice: `MADV_DONTNEED`.
pub fn madvise_advice(v: u64) -> Value<'static> {
    xval(lo32(v), MADVISE, "MADV_???")
}

const MREMAP_FLAGS: &Table = table![
    libc::MREMAP_MAYMOVE,
    libc::MREMAP_FIXED,
    libc::MREMAP_DONTUNMAP
];

/// `mremap` flags: `MREMAP_MAYMOVE`.
pub fn mremap_flags(v: u64) -> Value<'static> {
    flags(v, MREMAP_FLAGS, "MREMAP_???")
}

const MSYNC_FLAGS: &Table = table![libc::MS_SYNC, libc::MS_ASYNC, libc::MS_INVALIDATE];

/// `msync` flags: `MS_SYNC|MS_INVALIDATE`.
pub fn msync_flags(v: u64) -> Value<'static> {
    flags(lo32(v), MSYNC_FLAGS, "MS_???")
}

// ---------------------------------------------------------------------------
// Processes and signals

const CLONE_FLAGS: &Table = table![
    libc::CLONE_VM,
    libc::CLONE_FS,
    libc::CLONE_FILES,
    libc::CLONE_SIGHAND,
    libc::CLONE_PIDFD,
    libc::CLONE_PTRACE,
    libc::CLONE_VFORK,
    libc::CLONE_PARENT,
    libc::CLONE_THREAD,
    libc::CLONE_NEWNS,
    libc::CLONE_SYSVSEM,
    libc::CLONE_SETTLS,
    libc::CLONE_PARENT_SETTID,
    libc::CLONE_CHILD_CLEARTID,
    // CLONE_DETACHED is ignored by the kernel; strace leaves it unnamed.
    libc::CLONE_UNTRACED,
    libc::CLONE_CHILD_SETTID,
    libc::CLONE_NEWCGROUP,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_IO,
];

/// `clone` flags: the CLONE_* bits, then the exit signal from the low byte.
/// `CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD`; just `SIGCHLD` (or `0`)
/// when no flag is set.
pub fn clone_flags(v: u64) -> Value<'static> {
    let csignal = libc::CSIGNAL as u64;
    let sig = v & csignal;
    let rest_flags = v & !csignal;
    if rest_flags == 0 {
        return signal(sig);
    }
    let (mut names, mut rest) = split(rest_flags, &[CLONE_FLAGS]);
    if sig != 0 {
        match signal_name(sig as u32) {
            Some(name) => names.push(name),
            None => rest |= sig,
        }
    }
    Value::Flags { names, rest }
}

/// `clone3`'s 64-bit `flags` (no signal byte): the clone flags, then
/// `CLONE_NEWTIME`, `CLONE_CLEAR_SIGHAND`, `CLONE_INTO_CGROUP`.
pub fn clone3_flags(v: u64) -> Value<'static> {
    const CLONE3_ONLY: &Table = &[
        (libc::CLONE_NEWTIME as u64, "CLONE_NEWTIME"),
        (uapi::CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"),
        (uapi::CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP"),
    ];
    flags_in(v, &[CLONE_FLAGS, CLONE3_ONLY], "CLONE_???")
}

const UNSHARE_FLAGS: &Table = table![
    libc::CLONE_NEWTIME,
    libc::CLONE_VM,
    libc::CLONE_FS,
    libc::CLONE_FILES,
    libc::CLONE_SIGHAND,
    libc::CLONE_THREAD,
    libc::CLONE_NEWNS,
    libc::CLONE_SYSVSEM,
    libc::CLONE_NEWCGROUP,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
];

/// `unshare` flags (clone flags without the signal byte): `CLONE_NEWNS|CLONE_NEWPID`.
pub fn namespace_flags(v: u64) -> Value<'static> {
    flags(v, UNSHARE_FLAGS, "CLONE_???")
}

const SIGNALS: &Table = table![
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGABRT,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGKILL,
    libc::SIGUSR1,
    libc::SIGSEGV,
    libc::SIGUSR2,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGTERM,
    libc::SIGSTKFLT,
    libc::SIGCHLD,
    libc::SIGCONT,
    libc::SIGSTOP,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGURG,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGWINCH,
    libc::SIGIO,
    libc::SIGPWR,
    libc::SIGSYS,
];

/// `SIGRT_n` for the kernel's realtime signals above `SIGRTMIN` (33..=64).
macro_rules! rt_names {
    ($($n:literal)*) => { [$(concat!("SIGRT_", $n)),*] };
}
const SIGRT_NAMES: [&str; 32] = rt_names!(
    1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
);

/// The name of a signal as strace prints it: `SIGTERM`; the kernel's realtime
/// signals are `SIGRTMIN` (32) and `SIGRT_1` (33) to `SIGRT_32` (64).
pub fn signal_name(sig: u32) -> Option<&'static str> {
    if sig == uapi::SIGRTMIN {
        return Some("SIGRTMIN");
    }
    if sig > uapi::SIGRTMIN && sig <= uapi::SIGRTMAX {
        return SIGRT_NAMES
            .get((sig - uapi::SIGRTMIN - 1) as usize)
            .copied();
    }
    lookup(u64::from(sig), SIGNALS)
}

/// A signal number argument (`kill`, `tgkill`, `prctl(PR_SET_PDEATHSIG)`):
/// `SIGTERM`, `SIGRT_2`; 0 and unknown numbers print as numbers.
pub fn signal(v: u64) -> Value<'static> {
    let sig = v as i32;
    match u32::try_from(sig).ok().and_then(signal_name) {
        Some(name) => Value::Sym(name),
        None => Value::Int(i64::from(sig)),
    }
}

const WAIT_OPTIONS: &Table = table![
    libc::WNOHANG,
    libc::WEXITED,
    libc::WSTOPPED,
    libc::WCONTINUED,
    libc::WNOWAIT,
    libc::__WCLONE,
    libc::__WALL,
    libc::__WNOTHREAD,
];

/// `wait4`/`waitid` options: `WNOHANG|__WALL`; WUNTRACED prints as
/// `WSTOPPED` (same bit); 0 is `0`.
pub fn wait_options(v: u64) -> Value<'static> {
    flags(lo32(v), WAIT_OPTIONS, "W???")
}

const SIGPROCMASK_HOW: &Table = table![libc::SIG_BLOCK, libc::SIG_UNBLOCK, libc::SIG_SETMASK];

/// `rt_sigprocmask` how: `SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`.
pub fn sigprocmask_how(v: u64) -> Value<'static> {
    xval(lo32(v), SIGPROCMASK_HOW, "SIG_???")
}

/// strace's `sigact_flags`, in its order.
const SIGACTION_FLAGS: &Table = table![
    uapi::SA_RESTORER,
    libc::SA_ONSTACK,
    libc::SA_RESTART,
    libc::SA_NODEFER,
    libc::SA_RESETHAND,
    libc::SA_SIGINFO,
    libc::SA_NOCLDSTOP,
    libc::SA_NOCLDWAIT,
];

/// `sa_flags` of a `struct sigaction`: `SA_RESTORER|SA_RESTART|SA_SIGINFO`; 0 is `0`.
pub fn sigaction_flags(v: u64) -> Value<'static> {
    flags(v, SIGACTION_FLAGS, "SA_???")
}

const PTRACE_EVENTS: &Table = table![
    libc::PTRACE_EVENT_FORK,
    libc::PTRACE_EVENT_VFORK,
    libc::PTRACE_EVENT_CLONE,
    libc::PTRACE_EVENT_EXEC,
    libc::PTRACE_EVENT_VFORK_DONE,
    libc::PTRACE_EVENT_EXIT,
    libc::PTRACE_EVENT_SECCOMP,
    libc::PTRACE_EVENT_STOP,
];

/// The name of a ptrace event (the high half of a wait status): `PTRACE_EVENT_CLONE`.
pub fn ptrace_event_name(event: u32) -> Option<&'static str> {
    lookup(u64::from(event), PTRACE_EVENTS)
}

const PRCTL_OPTIONS: &Table = table![
    libc::PR_SET_PDEATHSIG,
    libc::PR_GET_PDEATHSIG,
    libc::PR_GET_DUMPABLE,
    libc::PR_SET_DUMPABLE,
    libc::PR_GET_UNALIGN,
    libc::PR_SET_UNALIGN,
    libc::PR_GET_KEEPCAPS,
    libc::PR_SET_KEEPCAPS,
    libc::PR_GET_FPEMU,
    libc::PR_SET_FPEMU,
    libc::PR_GET_FPEXC,
    libc::PR_SET_FPEXC,
    libc::PR_GET_TIMING,
    libc::PR_SET_TIMING,
    libc::PR_SET_NAME,
    libc::PR_GET_NAME,
    libc::PR_GET_ENDIAN,
    libc::PR_SET_ENDIAN,
    libc::PR_GET_SECCOMP,
    libc::PR_SET_SECCOMP,
    libc::PR_CAPBSET_READ,
    libc::PR_CAPBSET_DROP,
    libc::PR_GET_TSC,
    libc::PR_SET_TSC,
    libc::PR_GET_SECUREBITS,
    libc::PR_SET_SECUREBITS,
    libc::PR_SET_TIMERSLACK,
    libc::PR_GET_TIMERSLACK,
    libc::PR_TASK_PERF_EVENTS_DISABLE,
    libc::PR_TASK_PERF_EVENTS_ENABLE,
    libc::PR_MCE_KILL,
    libc::PR_MCE_KILL_GET,
    libc::PR_SET_MM,
    libc::PR_SET_CHILD_SUBREAPER,
    libc::PR_GET_CHILD_SUBREAPER,
    libc::PR_SET_NO_NEW_PRIVS,
    libc::PR_GET_NO_NEW_PRIVS,
    libc::PR_GET_TID_ADDRESS,
    libc::PR_SET_THP_DISABLE,
    libc::PR_GET_THP_DISABLE,
    libc::PR_MPX_ENABLE_MANAGEMENT,
    libc::PR_MPX_DISABLE_MANAGEMENT,
    libc::PR_SET_FP_MODE,
    libc::PR_GET_FP_MODE,
    libc::PR_CAP_AMBIENT,
    uapi::PR_SVE_SET_VL,
    uapi::PR_SVE_GET_VL,
    libc::PR_GET_SPECULATION_CTRL,
    libc::PR_SET_SPECULATION_CTRL,
    uapi::PR_PAC_RESET_KEYS,
    uapi::PR_SET_TAGGED_ADDR_CTRL,
    uapi::PR_GET_TAGGED_ADDR_CTRL,
    uapi::PR_SET_IO_FLUSHER,
    uapi::PR_GET_IO_FLUSHER,
    uapi::PR_SET_SYSCALL_USER_DISPATCH,
    libc::PR_SCHED_CORE,
    libc::PR_SET_MDWE,
    libc::PR_GET_MDWE,
    libc::PR_SET_MEMORY_MERGE,
    libc::PR_GET_MEMORY_MERGE,
    uapi::PR_GET_AUXV,
    libc::PR_SET_VMA,
    libc::PR_SET_PTRACER,
];

/// `prctl` option: `PR_SET_NAME`, `PR_SET_NO_NEW_PRIVS`; unknown `0x270f /* PR_??? */`.
pub fn prctl_option(v: u64) -> Value<'static> {
    xval(lo32(v), PRCTL_OPTIONS, "PR_???")
}

const ARCH_PRCTL_CODES: &Table = table![
    uapi::ARCH_SET_GS,
    uapi::ARCH_SET_FS,
    uapi::ARCH_GET_FS,
    uapi::ARCH_GET_GS,
    uapi::ARCH_GET_CPUID,
    uapi::ARCH_SET_CPUID,
    uapi::ARCH_GET_XCOMP_SUPP,
    uapi::ARCH_GET_XCOMP_PERM,
    uapi::ARCH_REQ_XCOMP_PERM,
    uapi::ARCH_GET_XCOMP_GUEST_PERM,
    uapi::ARCH_REQ_XCOMP_GUEST_PERM,
    uapi::ARCH_MAP_VDSO_X32,
    uapi::ARCH_MAP_VDSO_32,
    uapi::ARCH_MAP_VDSO_64,
    uapi::ARCH_GET_UNTAG_MASK,
    uapi::ARCH_ENABLE_TAGGED_ADDR,
    uapi::ARCH_GET_MAX_TAG_BITS,
    uapi::ARCH_FORCE_TAGGED_SVA,
    uapi::ARCH_SHSTK_ENABLE,
    uapi::ARCH_SHSTK_DISABLE,
    uapi::ARCH_SHSTK_LOCK,
    uapi::ARCH_SHSTK_UNLOCK,
    uapi::ARCH_SHSTK_STATUS,
];

/// `arch_prctl` code: `ARCH_SET_FS`, `ARCH_GET_XCOMP_SUPP`.
pub fn arch_prctl_code(v: u64) -> Value<'static> {
    xval(lo32(v), ARCH_PRCTL_CODES, "ARCH_???")
}

/// Every futex op strace names, as the names it prints: the 14 commands, their
/// `_PRIVATE` forms, and the waits that accept `FUTEX_CLOCK_REALTIME`.
const FUTEX_OPS: &[(u32, &[&str])] = {
    use libc::{FUTEX_CLOCK_REALTIME as CLOCK, FUTEX_PRIVATE_FLAG as PRIV};
    const fn op(v: i32) -> u32 {
        v as u32
    }
    &[
        (op(libc::FUTEX_WAIT), &["FUTEX_WAIT"]),
        (op(libc::FUTEX_WAKE), &["FUTEX_WAKE"]),
        (op(libc::FUTEX_FD), &["FUTEX_FD"]),
        (op(libc::FUTEX_REQUEUE), &["FUTEX_REQUEUE"]),
        (op(libc::FUTEX_CMP_REQUEUE), &["FUTEX_CMP_REQUEUE"]),
        (op(libc::FUTEX_WAKE_OP), &["FUTEX_WAKE_OP"]),
        (op(libc::FUTEX_LOCK_PI), &["FUTEX_LOCK_PI"]),
        (op(libc::FUTEX_UNLOCK_PI), &["FUTEX_UNLOCK_PI"]),
        (op(libc::FUTEX_TRYLOCK_PI), &["FUTEX_TRYLOCK_PI"]),
        (op(libc::FUTEX_WAIT_BITSET), &["FUTEX_WAIT_BITSET"]),
        (op(libc::FUTEX_WAKE_BITSET), &["FUTEX_WAKE_BITSET"]),
        (op(libc::FUTEX_WAIT_REQUEUE_PI), &["FUTEX_WAIT_REQUEUE_PI"]),
        (op(libc::FUTEX_CMP_REQUEUE_PI), &["FUTEX_CMP_REQUEUE_PI"]),
        (op(libc::FUTEX_LOCK_PI2), &["FUTEX_LOCK_PI2"]),
        (op(libc::FUTEX_WAIT | PRIV), &["FUTEX_WAIT_PRIVATE"]),
        (op(libc::FUTEX_WAKE | PRIV), &["FUTEX_WAKE_PRIVATE"]),
        (
            op(libc::FUTEX_FD | PRIV),
            &["FUTEX_FD", "FUTEX_PRIVATE_FLAG"],
        ),
        (op(libc::FUTEX_REQUEUE | PRIV), &["FUTEX_REQUEUE_PRIVATE"]),
        (
            op(libc::FUTEX_CMP_REQUEUE | PRIV),
            &["FUTEX_CMP_REQUEUE_PRIVATE"],
        ),
        (op(libc::FUTEX_WAKE_OP | PRIV), &["FUTEX_WAKE_OP_PRIVATE"]),
        (op(libc::FUTEX_LOCK_PI | PRIV), &["FUTEX_LOCK_PI_PRIVATE"]),
        (
            op(libc::FUTEX_UNLOCK_PI | PRIV),
            &["FUTEX_UNLOCK_PI_PRIVATE"],
        ),
        (
            op(libc::FUTEX_TRYLOCK_PI | PRIV),
            &["FUTEX_TRYLOCK_PI_PRIVATE"],
        ),
        (
            op(libc::FUTEX_WAIT_BITSET | PRIV),
            &["FUTEX_WAIT_BITSET_PRIVATE"],
        ),
        (
            op(libc::FUTEX_WAKE_BITSET | PRIV),
            &["FUTEX_WAKE_BITSET_PRIVATE"],
        ),
        (
            op(libc::FUTEX_WAIT_REQUEUE_PI | PRIV),
            &["FUTEX_WAIT_REQUEUE_PI_PRIVATE"],
        ),
        (
            op(libc::FUTEX_CMP_REQUEUE_PI | PRIV),
            &["FUTEX_CMP_REQUEUE_PI_PRIVATE"],
        ),
        (op(libc::FUTEX_LOCK_PI2 | PRIV), &["FUTEX_LOCK_PI2_PRIVATE"]),
        (
            op(libc::FUTEX_WAIT | CLOCK),
            &["FUTEX_WAIT", "FUTEX_CLOCK_REALTIME"],
        ),
        (
            op(libc::FUTEX_WAIT | PRIV | CLOCK),
            &["FUTEX_WAIT_PRIVATE", "FUTEX_CLOCK_REALTIME"],
        ),
        (
            op(libc::FUTEX_WAIT_BITSET | CLOCK),
            &["FUTEX_WAIT_BITSET", "FUTEX_CLOCK_REALTIME"],
        ),
        (
            op(libc::FUTEX_WAIT_BITSET | PRIV | CLOCK),
            &["FUTEX_WAIT_BITSET_PRIVATE", "FUTEX_CLOCK_REALTIME"],
        ),
        (
            op(libc::FUTEX_WAIT_REQUEUE_PI | CLOCK),
            &["FUTEX_WAIT_REQUEUE_PI", "FUTEX_CLOCK_REALTIME"],
        ),
        (
            op(libc::FUTEX_WAIT_REQUEUE_PI | PRIV | CLOCK),
            &["FUTEX_WAIT_REQUEUE_PI_PRIVATE", "FUTEX_CLOCK_REALTIME"],
        ),
    ]
};

/// `futex` op: `FUTEX_WAKE_PRIVATE`, `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`.
/// strace names only the combinations in its table; anything else (including
/// `FUTEX_WAKE|FUTEX_CLOCK_REALTIME`) is `0x101 /* FUTEX_??? */`.
pub fn futex_op(v: u64) -> Value<'static> {
    let op = lo32(v) as u32;
    match FUTEX_OPS.iter().find(|(val, _)| *val == op) {
        Some((_, names)) => Value::Flags {
            names: Names::from_slice(names),
            rest: 0,
        },
        None => unknown(u64::from(op), "FUTEX_???"),
    }
}

// ---------------------------------------------------------------------------
// Sockets

const ADDRESS_FAMILIES: &Table = table![
    libc::AF_UNSPEC,
    libc::AF_UNIX,
    libc::AF_INET,
    libc::AF_AX25,
    libc::AF_IPX,
    libc::AF_APPLETALK,
    libc::AF_NETROM,
    libc::AF_BRIDGE,
    libc::AF_ATMPVC,
    libc::AF_X25,
    libc::AF_INET6,
    libc::AF_ROSE,
    libc::AF_DECnet,
    libc::AF_NETBEUI,
    libc::AF_SECURITY,
    libc::AF_KEY,
    libc::AF_NETLINK,
    libc::AF_PACKET,
    libc::AF_ASH,
    libc::AF_ECONET,
    libc::AF_ATMSVC,
    libc::AF_RDS,
    libc::AF_SNA,
    libc::AF_IRDA,
    libc::AF_PPPOX,
    libc::AF_WANPIPE,
    libc::AF_LLC,
    libc::AF_IB,
    libc::AF_MPLS,
    libc::AF_CAN,
    libc::AF_TIPC,
    libc::AF_BLUETOOTH,
    libc::AF_IUCV,
    libc::AF_RXRPC,
    libc::AF_ISDN,
    libc::AF_PHONET,
    libc::AF_IEEE802154,
    libc::AF_CAIF,
    libc::AF_ALG,
    libc::AF_NFC,
    libc::AF_VSOCK,
    uapi::AF_KCM,
    uapi::AF_QIPCRTR,
    uapi::AF_SMC,
    libc::AF_XDP,
    uapi::AF_MCTP,
];

/// Address family (`socket`'s domain, `sa_family`): `AF_INET`; unknown
/// `0x63 /* AF_??? */`.
pub fn socket_domain(v: u64) -> Value<'static> {
    xval(lo32(v), ADDRESS_FAMILIES, "AF_???")
}

const SOCKET_TYPES: &Table = table![
    libc::SOCK_STREAM,
    libc::SOCK_DGRAM,
    libc::SOCK_RAW,
    libc::SOCK_RDM,
    libc::SOCK_SEQPACKET,
    libc::SOCK_DCCP,
    uapi::SOCK_PACKET,
];

const SOCKET_TYPE_FLAGS: &Table = table![libc::SOCK_CLOEXEC, libc::SOCK_NONBLOCK];

/// `socket` type: the type in the low 4 bits, then the flags.
/// `SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK`; unknown `0x4d /* SOCK_??? */`.
pub fn socket_type(v: u64) -> Value<'static> {
    let v = lo32(v);
    let type_mask = u64::from(uapi::SOCK_TYPE_MASK);
    match lookup(v & type_mask, SOCKET_TYPES) {
        Some(name) => with_first(name, v & !type_mask, SOCKET_TYPE_FLAGS),
        None => flags(v, SOCKET_TYPE_FLAGS, "SOCK_???"),
    }
}

/// `accept4` flags: `SOCK_CLOEXEC|SOCK_NONBLOCK`.
pub fn accept_flags(v: u64) -> Value<'static> {
    flags(lo32(v), SOCKET_TYPE_FLAGS, "SOCK_???")
}

const INET_PROTOCOLS: &Table = table![
    libc::IPPROTO_IP,
    libc::IPPROTO_ICMP,
    libc::IPPROTO_IGMP,
    libc::IPPROTO_IPIP,
    libc::IPPROTO_TCP,
    libc::IPPROTO_EGP,
    libc::IPPROTO_PUP,
    libc::IPPROTO_UDP,
    libc::IPPROTO_IDP,
    libc::IPPROTO_TP,
    libc::IPPROTO_DCCP,
    libc::IPPROTO_IPV6,
    libc::IPPROTO_ROUTING,
    libc::IPPROTO_FRAGMENT,
    libc::IPPROTO_RSVP,
    libc::IPPROTO_GRE,
    libc::IPPROTO_ESP,
    libc::IPPROTO_AH,
    libc::IPPROTO_ICMPV6,
    libc::IPPROTO_NONE,
    libc::IPPROTO_DSTOPTS,
    libc::IPPROTO_MTP,
    libc::IPPROTO_BEETPH,
    libc::IPPROTO_ENCAP,
    libc::IPPROTO_PIM,
    libc::IPPROTO_COMP,
    uapi::IPPROTO_L2TP,
    libc::IPPROTO_SCTP,
    libc::IPPROTO_MH,
    libc::IPPROTO_UDPLITE,
    libc::IPPROTO_MPLS,
    libc::IPPROTO_ETHERNET,
    uapi::IPPROTO_AGGFRAG,
    libc::IPPROTO_RAW,
    uapi::IPPROTO_SMC,
    libc::IPPROTO_MPTCP,
];

const NETLINK_PROTOCOLS: &Table = table![
    libc::NETLINK_ROUTE,
    libc::NETLINK_UNUSED,
    libc::NETLINK_USERSOCK,
    libc::NETLINK_FIREWALL,
    libc::NETLINK_SOCK_DIAG,
    libc::NETLINK_NFLOG,
    libc::NETLINK_XFRM,
    libc::NETLINK_SELINUX,
    libc::NETLINK_ISCSI,
    libc::NETLINK_AUDIT,
    libc::NETLINK_FIB_LOOKUP,
    libc::NETLINK_CONNECTOR,
    libc::NETLINK_NETFILTER,
    libc::NETLINK_IP6_FW,
    libc::NETLINK_DNRTMSG,
    libc::NETLINK_KOBJECT_UEVENT,
    libc::NETLINK_GENERIC,
    libc::NETLINK_SCSITRANSPORT,
    libc::NETLINK_ECRYPTFS,
    libc::NETLINK_RDMA,
    libc::NETLINK_CRYPTO,
    uapi::NETLINK_SMC,
];

const ETHERNET_PROTOCOLS: &Table = table![
    libc::ETH_P_802_3,
    libc::ETH_P_ALL,
    libc::ETH_P_802_2,
    libc::ETH_P_LOOP,
    libc::ETH_P_IP,
    libc::ETH_P_ARP,
    libc::ETH_P_RARP,
    libc::ETH_P_8021Q,
    libc::ETH_P_IPV6,
    libc::ETH_P_PPP_DISC,
    libc::ETH_P_PPP_SES,
    libc::ETH_P_MPLS_UC,
    libc::ETH_P_PAE,
    libc::ETH_P_8021AD,
    libc::ETH_P_LLDP,
];

/// `socket` protocol, by domain: `IPPROTO_TCP` (AF_INET, AF_INET6),
/// `NETLINK_ROUTE` (AF_NETLINK), `htons(ETH_P_ALL)` (AF_PACKET), else the number.
pub fn socket_protocol(domain: u64, v: u64) -> Value<'static> {
    let v = lo32(v);
    match lo32(domain) as i32 {
        libc::AF_INET | libc::AF_INET6 => xval(v, INET_PROTOCOLS, "IPPROTO_???"),
        libc::AF_NETLINK => xval(v, NETLINK_PROTOCOLS, "NETLINK_???"),
        libc::AF_PACKET => Value::Call {
            func: "htons",
            args: vec![xval(
                u64::from(u16::from_be(v as u16)),
                ETHERNET_PROTOCOLS,
                "ETH_P_???",
            )],
        },
        _ => Value::UInt(v),
    }
}

const SOCKOPT_LEVELS: &Table = table![
    libc::SOL_IP,
    libc::SOL_SOCKET,
    libc::SOL_TCP,
    libc::SOL_UDP,
    libc::AF_VSOCK,
    libc::SOL_IPV6,
    libc::SOL_ICMPV6,
    libc::SOL_CAN_BASE,
    libc::SOL_CAN_RAW,
    uapi::SOL_SCTP,
    uapi::SOL_UDPLITE,
    libc::SOL_RAW,
    libc::SOL_DECNET,
    libc::SOL_X25,
    libc::SOL_PACKET,
    libc::SOL_ATM,
    libc::SOL_AAL,
    libc::SOL_IRDA,
    libc::SOL_NETBEUI,
    libc::SOL_LLC,
    libc::SOL_DCCP,
    libc::SOL_NETLINK,
    libc::SOL_TIPC,
    libc::SOL_RXRPC,
    libc::SOL_PPPOL2TP,
    libc::SOL_BLUETOOTH,
    libc::SOL_PNPIPE,
    libc::SOL_RDS,
    libc::SOL_IUCV,
    libc::SOL_CAIF,
    libc::SOL_ALG,
    libc::SOL_NFC,
    libc::SOL_TLS,
    libc::SOL_XDP,
    uapi::SOL_MPTCP,
    uapi::SOL_MCTP,
    uapi::SOL_SMC,
    uapi::SOL_VSOCK,
];

/// `[gs]etsockopt` level: `SOL_SOCKET`, `SOL_TCP`; unknown `0x3e7 /* SOL_?? */`.
pub fn sockopt_level(v: u64) -> Value<'static> {
    xval(lo32(v), SOCKOPT_LEVELS, "SOL_??")
}

const SOL_SOCKET_OPTIONS: &Table = table![
    libc::SO_DEBUG,
    libc::SO_REUSEADDR,
    libc::SO_TYPE,
    libc::SO_ERROR,
    libc::SO_DONTROUTE,
    libc::SO_BROADCAST,
    libc::SO_SNDBUF,
    libc::SO_RCVBUF,
    libc::SO_KEEPALIVE,
    libc::SO_OOBINLINE,
    libc::SO_NO_CHECK,
    libc::SO_PRIORITY,
    libc::SO_LINGER,
    libc::SO_BSDCOMPAT,
    libc::SO_REUSEPORT,
    libc::SO_PASSCRED,
    libc::SO_PEERCRED,
    libc::SO_RCVLOWAT,
    libc::SO_SNDLOWAT,
    uapi::SO_RCVTIMEO_OLD,
    uapi::SO_SNDTIMEO_OLD,
    libc::SO_SECURITY_AUTHENTICATION,
    libc::SO_SECURITY_ENCRYPTION_TRANSPORT,
    libc::SO_SECURITY_ENCRYPTION_NETWORK,
    libc::SO_BINDTODEVICE,
    libc::SO_ATTACH_FILTER,
    libc::SO_DETACH_FILTER,
    libc::SO_PEERNAME,
    uapi::SO_TIMESTAMP_OLD,
    libc::SO_ACCEPTCONN,
    libc::SO_PEERSEC,
    libc::SO_SNDBUFFORCE,
    libc::SO_RCVBUFFORCE,
    libc::SO_PASSSEC,
    uapi::SO_TIMESTAMPNS_OLD,
    libc::SO_MARK,
    uapi::SO_TIMESTAMPING_OLD,
    libc::SO_PROTOCOL,
    libc::SO_DOMAIN,
    libc::SO_RXQ_OVFL,
    libc::SO_WIFI_STATUS,
    libc::SO_PEEK_OFF,
    libc::SO_NOFCS,
    libc::SO_LOCK_FILTER,
    libc::SO_SELECT_ERR_QUEUE,
    libc::SO_BUSY_POLL,
    libc::SO_MAX_PACING_RATE,
    libc::SO_BPF_EXTENSIONS,
    libc::SO_INCOMING_CPU,
    libc::SO_ATTACH_BPF,
    libc::SO_ATTACH_REUSEPORT_CBPF,
    libc::SO_ATTACH_REUSEPORT_EBPF,
    libc::SO_CNX_ADVICE,
    libc::SO_MEMINFO,
    libc::SO_INCOMING_NAPI_ID,
    libc::SO_COOKIE,
    libc::SO_PEERGROUPS,
    libc::SO_ZEROCOPY,
    libc::SO_TXTIME,
    libc::SO_BINDTOIFINDEX,
    libc::SO_TIMESTAMP_NEW,
    libc::SO_TIMESTAMPNS_NEW,
    libc::SO_TIMESTAMPING_NEW,
    libc::SO_RCVTIMEO_NEW,
    libc::SO_SNDTIMEO_NEW,
    libc::SO_DETACH_REUSEPORT_BPF,
    libc::SO_PREFER_BUSY_POLL,
    libc::SO_BUSY_POLL_BUDGET,
    libc::SO_NETNS_COOKIE,
    libc::SO_BUF_LOCK,
    libc::SO_RESERVE_MEM,
    libc::SO_TXREHASH,
    libc::SO_RCVMARK,
    libc::SO_PASSPIDFD,
    libc::SO_PEERPIDFD,
];

const SOL_IP_OPTIONS: &Table = table![
    libc::IP_TOS,
    libc::IP_TTL,
    libc::IP_HDRINCL,
    libc::IP_OPTIONS,
    libc::IP_ROUTER_ALERT,
    libc::IP_RECVOPTS,
    libc::IP_RETOPTS,
    libc::IP_PKTINFO,
    libc::IP_PKTOPTIONS,
    libc::IP_MTU_DISCOVER,
    libc::IP_RECVERR,
    libc::IP_RECVTTL,
    libc::IP_RECVTOS,
    libc::IP_MTU,
    libc::IP_FREEBIND,
    libc::IP_IPSEC_POLICY,
    libc::IP_XFRM_POLICY,
    libc::IP_PASSSEC,
    libc::IP_TRANSPARENT,
    libc::IP_ORIGDSTADDR,
    libc::IP_MINTTL,
    libc::IP_NODEFRAG,
    libc::IP_CHECKSUM,
    libc::IP_BIND_ADDRESS_NO_PORT,
    libc::IP_RECVFRAGSIZE,
    uapi::IP_RECVERR_RFC4884,
    libc::IP_MULTICAST_IF,
    libc::IP_MULTICAST_TTL,
    libc::IP_MULTICAST_LOOP,
    libc::IP_ADD_MEMBERSHIP,
    libc::IP_DROP_MEMBERSHIP,
    libc::IP_UNBLOCK_SOURCE,
    libc::IP_BLOCK_SOURCE,
    libc::IP_ADD_SOURCE_MEMBERSHIP,
    libc::IP_DROP_SOURCE_MEMBERSHIP,
    libc::IP_MSFILTER,
    libc::MCAST_JOIN_GROUP,
    libc::MCAST_BLOCK_SOURCE,
    libc::MCAST_UNBLOCK_SOURCE,
    libc::MCAST_LEAVE_GROUP,
    libc::MCAST_JOIN_SOURCE_GROUP,
    libc::MCAST_LEAVE_SOURCE_GROUP,
    libc::MCAST_MSFILTER,
    libc::IP_MULTICAST_ALL,
    libc::IP_UNICAST_IF,
    uapi::IP_LOCAL_PORT_RANGE,
    uapi::IP_PROTOCOL,
];

const SOL_IPV6_OPTIONS: &Table = table![
    libc::IPV6_ADDRFORM,
    libc::IPV6_2292PKTINFO,
    libc::IPV6_2292HOPOPTS,
    libc::IPV6_2292DSTOPTS,
    libc::IPV6_2292RTHDR,
    libc::IPV6_2292PKTOPTIONS,
    libc::IPV6_CHECKSUM,
    libc::IPV6_2292HOPLIMIT,
    libc::IPV6_NEXTHOP,
    libc::IPV6_AUTHHDR,
    libc::IPV6_FLOWINFO,
    libc::IPV6_UNICAST_HOPS,
    libc::IPV6_MULTICAST_IF,
    libc::IPV6_MULTICAST_HOPS,
    libc::IPV6_MULTICAST_LOOP,
    libc::IPV6_ADD_MEMBERSHIP,
    libc::IPV6_DROP_MEMBERSHIP,
    libc::IPV6_ROUTER_ALERT,
    libc::IPV6_MTU_DISCOVER,
    libc::IPV6_MTU,
    libc::IPV6_RECVERR,
    libc::IPV6_V6ONLY,
    libc::IPV6_JOIN_ANYCAST,
    libc::IPV6_LEAVE_ANYCAST,
    libc::IPV6_MULTICAST_ALL,
    libc::IPV6_ROUTER_ALERT_ISOLATE,
    uapi::IPV6_RECVERR_RFC4884,
    libc::IPV6_FLOWLABEL_MGR,
    libc::IPV6_FLOWINFO_SEND,
    libc::IPV6_IPSEC_POLICY,
    libc::IPV6_XFRM_POLICY,
    libc::IPV6_HDRINCL,
    libc::MCAST_JOIN_GROUP,
    libc::MCAST_BLOCK_SOURCE,
    libc::MCAST_UNBLOCK_SOURCE,
    libc::MCAST_LEAVE_GROUP,
    libc::MCAST_JOIN_SOURCE_GROUP,
    libc::MCAST_LEAVE_SOURCE_GROUP,
    libc::MCAST_MSFILTER,
    libc::IPV6_RECVPKTINFO,
    libc::IPV6_PKTINFO,
    libc::IPV6_RECVHOPLIMIT,
    libc::IPV6_HOPLIMIT,
    libc::IPV6_RECVHOPOPTS,
    libc::IPV6_HOPOPTS,
    libc::IPV6_RTHDRDSTOPTS,
    libc::IPV6_RECVRTHDR,
    libc::IPV6_RTHDR,
    libc::IPV6_RECVDSTOPTS,
    libc::IPV6_DSTOPTS,
    libc::IPV6_RECVPATHMTU,
    libc::IPV6_PATHMTU,
    libc::IPV6_DONTFRAG,
    libc::IPV6_RECVTCLASS,
    libc::IPV6_TCLASS,
    libc::IPV6_AUTOFLOWLABEL,
    libc::IPV6_ADDR_PREFERENCES,
    libc::IPV6_MINHOPCOUNT,
    libc::IPV6_ORIGDSTADDR,
    libc::IPV6_TRANSPARENT,
    libc::IPV6_UNICAST_IF,
    libc::IPV6_RECVFRAGSIZE,
    libc::IPV6_FREEBIND,
];

const SOL_TCP_OPTIONS: &Table = table![
    libc::TCP_NODELAY,
    libc::TCP_MAXSEG,
    libc::TCP_CORK,
    libc::TCP_KEEPIDLE,
    libc::TCP_KEEPINTVL,
    libc::TCP_KEEPCNT,
    libc::TCP_SYNCNT,
    libc::TCP_LINGER2,
    libc::TCP_DEFER_ACCEPT,
    libc::TCP_WINDOW_CLAMP,
    libc::TCP_INFO,
    libc::TCP_QUICKACK,
    libc::TCP_CONGESTION,
    libc::TCP_MD5SIG,
    libc::TCP_THIN_LINEAR_TIMEOUTS,
    libc::TCP_THIN_DUPACK,
    libc::TCP_USER_TIMEOUT,
    libc::TCP_REPAIR,
    libc::TCP_REPAIR_QUEUE,
    libc::TCP_QUEUE_SEQ,
    libc::TCP_REPAIR_OPTIONS,
    libc::TCP_FASTOPEN,
    libc::TCP_TIMESTAMP,
    libc::TCP_NOTSENT_LOWAT,
    libc::TCP_CC_INFO,
    libc::TCP_SAVE_SYN,
    libc::TCP_SAVED_SYN,
    libc::TCP_REPAIR_WINDOW,
    libc::TCP_FASTOPEN_CONNECT,
    libc::TCP_ULP,
    libc::TCP_MD5SIG_EXT,
    libc::TCP_FASTOPEN_KEY,
    libc::TCP_FASTOPEN_NO_COOKIE,
    libc::TCP_ZEROCOPY_RECEIVE,
    libc::TCP_INQ,
    uapi::TCP_TX_DELAY,
];

const SOL_UDP_OPTIONS: &Table = table![
    libc::UDP_CORK,
    libc::UDP_ENCAP,
    libc::UDP_NO_CHECK6_TX,
    libc::UDP_NO_CHECK6_RX,
    libc::UDP_SEGMENT,
    libc::UDP_GRO,
];

/// `[gs]etsockopt` option name, by level: `SO_REUSEADDR`, `TCP_NODELAY`,
/// `IP_TOS`, `IPV6_V6ONLY`; unknown in a known level `0x63 /* SO_??? */`,
/// in an unknown level the number.
pub fn sockopt_name(level: u64, v: u64) -> Value<'static> {
    let v = lo32(v);
    let (table, what) = match lo32(level) as i32 {
        libc::SOL_SOCKET => (SOL_SOCKET_OPTIONS, "SO_???"),
        libc::SOL_IP => (SOL_IP_OPTIONS, "IP_???"),
        libc::SOL_IPV6 => (SOL_IPV6_OPTIONS, "IPV6_???"),
        libc::SOL_TCP => (SOL_TCP_OPTIONS, "TCP_???"),
        libc::SOL_UDP => (SOL_UDP_OPTIONS, "UDP_???"),
        _ => return Value::UInt(v),
    };
    xval(v, table, what)
}

const MSG_FLAGS: &Table = table![
    libc::MSG_OOB,
    libc::MSG_PEEK,
    libc::MSG_DONTROUTE,
    libc::MSG_CTRUNC,
    uapi::MSG_PROBE,
    libc::MSG_TRUNC,
    libc::MSG_DONTWAIT,
    libc::MSG_EOR,
    libc::MSG_WAITALL,
    libc::MSG_FIN,
    libc::MSG_SYN,
    libc::MSG_CONFIRM,
    libc::MSG_RST,
    libc::MSG_ERRQUEUE,
    libc::MSG_NOSIGNAL,
    libc::MSG_MORE,
    libc::MSG_WAITFORONE,
    uapi::MSG_SENDPAGE_NOTLAST,
    uapi::MSG_BATCH,
    uapi::MSG_NO_SHARED_FRAGS,
    uapi::MSG_SOCK_DEVMEM,
    libc::MSG_ZEROCOPY,
    libc::MSG_FASTOPEN,
    libc::MSG_CMSG_CLOEXEC,
    uapi::MSG_CMSG_COMPAT,
];

/// `send*`/`recv*` flags: `MSG_DONTWAIT|MSG_NOSIGNAL`; 0 is `0`.
pub fn msg_flags(v: u64) -> Value<'static> {
    flags(lo32(v), MSG_FLAGS, "MSG_???")
}

const SHUTDOWN_HOW: &Table = table![libc::SHUT_RD, libc::SHUT_WR, libc::SHUT_RDWR];

/// `shutdown` how: `SHUT_RDWR`.
pub fn shutdown_how(v: u64) -> Value<'static> {
    xval(lo32(v), SHUTDOWN_HOW, "SHUT_???")
}

// ---------------------------------------------------------------------------
// fcntl, lseek, ioctl

const FCNTL_CMDS: &Table = table![
    libc::F_DUPFD,
    libc::F_GETFD,
    libc::F_SETFD,
    libc::F_GETFL,
    libc::F_SETFL,
    libc::F_GETLK,
    libc::F_SETLK,
    libc::F_SETLKW,
    libc::F_SETOWN,
    libc::F_GETOWN,
    uapi::F_SETSIG,
    uapi::F_GETSIG,
    uapi::F_SETOWN_EX,
    uapi::F_GETOWN_EX,
    uapi::F_GETOWNER_UIDS,
    libc::F_OFD_GETLK,
    libc::F_OFD_SETLK,
    libc::F_OFD_SETLKW,
    libc::F_SETLEASE,
    libc::F_GETLEASE,
    libc::F_NOTIFY,
    uapi::F_DUPFD_QUERY,
    uapi::F_CREATED_QUERY,
    libc::F_CANCELLK,
    libc::F_DUPFD_CLOEXEC,
    libc::F_SETPIPE_SZ,
    libc::F_GETPIPE_SZ,
    libc::F_ADD_SEALS,
    libc::F_GET_SEALS,
    uapi::F_GET_RW_HINT,
    uapi::F_SET_RW_HINT,
    uapi::F_GET_FILE_RW_HINT,
    uapi::F_SET_FILE_RW_HINT,
];

/// `fcntl` command: `F_GETFD`, `F_SETFL`, `F_DUPFD_CLOEXEC`.
pub fn fcntl_cmd(v: u64) -> Value<'static> {
    xval(lo32(v), FCNTL_CMDS, "F_???")
}

const FD_FLAGS: &Table = table![libc::FD_CLOEXEC];

/// `fcntl(F_SETFD)` flags: `FD_CLOEXEC`.
pub fn fd_flags(v: u64) -> Value<'static> {
    flags(v, FD_FLAGS, "FD_???")
}

const WHENCE: &Table = table![
    libc::SEEK_SET,
    libc::SEEK_CUR,
    libc::SEEK_END,
    libc::SEEK_DATA,
    libc::SEEK_HOLE,
];

/// `lseek` whence: `SEEK_SET`, `SEEK_DATA`; unknown `0x7 /* SEEK_??? */`.
pub fn lseek_whence(v: u64) -> Value<'static> {
    xval(lo32(v), WHENCE, "SEEK_???")
}

const IOCTLS: &Table = table![
    libc::TCGETS,
    libc::TCSETS,
    libc::TCSETSW,
    libc::TCSETSF,
    libc::TCGETA,
    libc::TCSETA,
    libc::TCSETAW,
    libc::TCSETAF,
    libc::TCSBRK,
    libc::TCXONC,
    libc::TCFLSH,
    libc::TIOCEXCL,
    libc::TIOCNXCL,
    libc::TIOCSCTTY,
    libc::TIOCGPGRP,
    libc::TIOCSPGRP,
    libc::TIOCOUTQ,
    libc::TIOCSTI,
    libc::TIOCGWINSZ,
    libc::TIOCSWINSZ,
    libc::TIOCMGET,
    libc::TIOCMBIS,
    libc::TIOCMBIC,
    libc::TIOCMSET,
    libc::TIOCGSOFTCAR,
    libc::TIOCSSOFTCAR,
    libc::FIONREAD,
    libc::TIOCLINUX,
    libc::TIOCCONS,
    libc::TIOCGSERIAL,
    libc::TIOCPKT,
    libc::FIONBIO,
    libc::TIOCNOTTY,
    libc::TIOCSETD,
    libc::TIOCGETD,
    libc::TCSBRKP,
    libc::TIOCSBRK,
    libc::TIOCCBRK,
    libc::TIOCGSID,
    libc::TCGETS2,
    libc::TCSETS2,
    libc::TCSETSW2,
    libc::TCSETSF2,
    libc::TIOCGPTN,
    libc::TIOCSPTLCK,
    libc::TIOCGDEV,
    libc::TIOCSIG,
    libc::TIOCVHANGUP,
    libc::TIOCGPKT,
    libc::TIOCGPTLCK,
    libc::TIOCGEXCL,
    libc::TIOCGPTPEER,
    libc::FIONCLEX,
    libc::FIOCLEX,
    libc::FIOASYNC,
    libc::FIOQSIZE,
    libc::FICLONERANGE,
    libc::SIOCGIFNAME,
    libc::SIOCGIFCONF,
    libc::SIOCGIFFLAGS,
    libc::SIOCSIFFLAGS,
    libc::SIOCGIFADDR,
    libc::SIOCGIFBRDADDR,
    libc::SIOCGIFNETMASK,
    libc::SIOCGIFMTU,
    libc::SIOCGIFHWADDR,
    libc::SIOCGIFINDEX,
    libc::SIOCETHTOOL,
];

const IOC_DIRS: &Table = table![uapi::_IOC_NONE, uapi::_IOC_READ, uapi::_IOC_WRITE];

/// `ioctl` request: `TCGETS`, `FIONREAD`, `TIOCGWINSZ`; unknown requests are
/// taken apart as strace does: `_IOC(_IOC_READ, 0x54, 0x99, 0x4)`.
pub fn ioctl_request(v: u64) -> Value<'static> {
    let v = lo32(v);
    // btrfs's clone request became the generic FICLONE: strace names both.
    if v == libc::FICLONE as u32 as u64 {
        return Value::Sym("BTRFS_IOC_CLONE or FICLONE");
    }
    if let Some(name) = lookup(v, IOCTLS) {
        return Value::Sym(name);
    }
    // include/uapi/asm-generic/ioctl.h: nr 8 bits, type 8, size 14, dir 2.
    let dir = v >> 30;
    Value::Call {
        func: "_IOC",
        args: vec![
            flags(dir, IOC_DIRS, "_IOC_???"),
            Value::Hex((v >> 8) & 0xff),
            Value::Hex(v & 0xff),
            Value::Hex((v >> 16) & 0x3fff),
        ],
    }
}

// ---------------------------------------------------------------------------
// poll, epoll, eventfd, timerfd

const POLL_EVENTS: &Table = table![
    libc::POLLIN,
    libc::POLLPRI,
    libc::POLLOUT,
    libc::POLLERR,
    libc::POLLHUP,
    libc::POLLNVAL,
    libc::POLLRDNORM,
    libc::POLLRDBAND,
    libc::POLLWRNORM,
    libc::POLLWRBAND,
    uapi::POLLMSG,
    uapi::POLLREMOVE,
    libc::POLLRDHUP,
    uapi::POLL_BUSY_LOOP,
];

/// `struct pollfd` events: `POLLIN|POLLPRI`.
pub fn poll_events(v: u64) -> Value<'static> {
    flags(v & 0xffff, POLL_EVENTS, "POLL???")
}

const EPOLL_CTL_OPS: &Table = table![
    libc::EPOLL_CTL_ADD,
    libc::EPOLL_CTL_DEL,
    libc::EPOLL_CTL_MOD
];

/// `epoll_ctl` op: `EPOLL_CTL_ADD`.
pub fn epoll_ctl_op(v: u64) -> Value<'static> {
    xval(lo32(v), EPOLL_CTL_OPS, "EPOLL_CTL_???")
}

const EPOLL_EVENTS: &Table = table![
    libc::EPOLLIN,
    libc::EPOLLPRI,
    libc::EPOLLOUT,
    libc::EPOLLERR,
    libc::EPOLLHUP,
    uapi::EPOLLNVAL,
    libc::EPOLLRDNORM,
    libc::EPOLLRDBAND,
    libc::EPOLLWRNORM,
    libc::EPOLLWRBAND,
    libc::EPOLLMSG,
    libc::EPOLLRDHUP,
    libc::EPOLLEXCLUSIVE,
    libc::EPOLLWAKEUP,
    libc::EPOLLONESHOT,
    libc::EPOLLET,
];

/// `struct epoll_event` events: `EPOLLIN|EPOLLET`.
pub fn epoll_events(v: u64) -> Value<'static> {
    flags(lo32(v), EPOLL_EVENTS, "EPOLL???")
}

const EPOLL_CREATE_FLAGS: &Table = table![libc::EPOLL_CLOEXEC];

/// `epoll_create1` flags: `EPOLL_CLOEXEC`.
pub fn epoll_create_flags(v: u64) -> Value<'static> {
    flags(lo32(v), EPOLL_CREATE_FLAGS, "EPOLL_???")
}

const EVENTFD_FLAGS: &Table = table![libc::EFD_SEMAPHORE, libc::EFD_CLOEXEC, libc::EFD_NONBLOCK];

/// `eventfd2` flags: `EFD_SEMAPHORE|EFD_CLOEXEC`.
pub fn eventfd_flags(v: u64) -> Value<'static> {
    flags(lo32(v), EVENTFD_FLAGS, "EFD_???")
}

const TIMERFD_FLAGS: &Table = table![
    libc::TFD_TIMER_ABSTIME,
    libc::TFD_TIMER_CANCEL_ON_SET,
    libc::TFD_CLOEXEC,
    libc::TFD_NONBLOCK,
];

/// `timerfd_create` / `timerfd_settime` flags: `TFD_CLOEXEC`, `TFD_TIMER_ABSTIME`.
pub fn timerfd_flags(v: u64) -> Value<'static> {
    flags(lo32(v), TIMERFD_FLAGS, "TFD_???")
}

// ---------------------------------------------------------------------------
// Miscellaneous

const GETRANDOM_FLAGS: &Table = table![libc::GRND_NONBLOCK, libc::GRND_RANDOM, libc::GRND_INSECURE];

/// `getrandom` flags: `GRND_NONBLOCK|GRND_INSECURE`.
pub fn getrandom_flags(v: u64) -> Value<'static> {
    flags(lo32(v), GETRANDOM_FLAGS, "GRND_???")
}

const RLIMIT_RESOURCES: &Table = table![
    libc::RLIMIT_CPU,
    libc::RLIMIT_FSIZE,
    libc::RLIMIT_DATA,
    libc::RLIMIT_STACK,
    libc::RLIMIT_CORE,
    libc::RLIMIT_RSS,
    libc::RLIMIT_NPROC,
    libc::RLIMIT_NOFILE,
    libc::RLIMIT_MEMLOCK,
    libc::RLIMIT_AS,
    libc::RLIMIT_LOCKS,
    libc::RLIMIT_SIGPENDING,
    libc::RLIMIT_MSGQUEUE,
    libc::RLIMIT_NICE,
    libc::RLIMIT_RTPRIO,
    libc::RLIMIT_RTTIME,
];

/// `[gs]etrlimit`/`prlimit64` resource: `RLIMIT_NOFILE`.
pub fn rlimit_resource(v: u64) -> Value<'static> {
    xval(lo32(v), RLIMIT_RESOURCES, "RLIMIT_???")
}

const ITIMERS: &Table = table![libc::ITIMER_REAL, libc::ITIMER_VIRTUAL, libc::ITIMER_PROF];

/// getitimer's and setitimer's `which`: `ITIMER_REAL`.
pub fn itimer_which(v: u64) -> Value<'static> {
    xval(lo32(v), ITIMERS, "ITIMER_???")
}

const SCHED_POLICIES: &Table = table![
    libc::SCHED_OTHER,
    libc::SCHED_FIFO,
    libc::SCHED_RR,
    libc::SCHED_BATCH,
    libc::SCHED_IDLE,
    libc::SCHED_DEADLINE,
];

/// A scheduling policy: `SCHED_OTHER`.
pub fn sched_policy(v: u64) -> Value<'static> {
    xval(lo32(v), SCHED_POLICIES, "SCHED_???")
}

const PRIO_WHICH: &Table = table![libc::PRIO_PROCESS, libc::PRIO_PGRP, libc::PRIO_USER];

/// getpriority's and setpriority's `which`: `PRIO_PROCESS`.
pub fn prio_which(v: u64) -> Value<'static> {
    xval(lo32(v), PRIO_WHICH, "PRIO_???")
}

const STATFS_FLAGS: &Table = table![
    uapi::ST_VALID,
    libc::ST_RDONLY,
    libc::ST_NOSUID,
    libc::ST_NODEV,
    libc::ST_NOEXEC,
    libc::ST_SYNCHRONOUS,
    libc::ST_MANDLOCK,
    libc::ST_WRITE,
    libc::ST_APPEND,
    libc::ST_IMMUTABLE,
    libc::ST_NOATIME,
    libc::ST_NODIRATIME,
    libc::ST_RELATIME,
    uapi::ST_NOSYMFOLLOW,
];

/// statfs's `f_flags`: `ST_VALID|ST_RDONLY|ST_RELATIME`.
pub fn statfs_flags(v: u64) -> Value<'static> {
    flags(v, STATFS_FLAGS, "ST_???")
}

/// Filesystem magic numbers (statfs's `f_type`). ext2, ext3 and ext4 share
/// one, which strace names `EXT2_SUPER_MAGIC`.
const FS_MAGICS: &Table = table![
    libc::EXT2_SUPER_MAGIC,
    libc::TMPFS_MAGIC,
    libc::PROC_SUPER_MAGIC,
    libc::SYSFS_MAGIC,
    libc::BTRFS_SUPER_MAGIC,
    libc::XFS_SUPER_MAGIC,
    libc::OVERLAYFS_SUPER_MAGIC,
    libc::NFS_SUPER_MAGIC,
    libc::CGROUP_SUPER_MAGIC,
    libc::CGROUP2_SUPER_MAGIC,
    libc::DEVPTS_SUPER_MAGIC,
    libc::DEBUGFS_MAGIC,
    libc::TRACEFS_MAGIC,
    libc::SECURITYFS_MAGIC,
    libc::BPF_FS_MAGIC,
    libc::FUSE_SUPER_MAGIC,
    libc::HUGETLBFS_MAGIC,
    libc::NSFS_MAGIC,
    libc::ISOFS_SUPER_MAGIC,
    libc::MSDOS_SUPER_MAGIC,
    libc::F2FS_SUPER_MAGIC,
    libc::BCACHEFS_SUPER_MAGIC,
    libc::SMB_SUPER_MAGIC,
    libc::AUTOFS_SUPER_MAGIC,
    libc::CRAMFS_MAGIC,
    libc::UDF_SUPER_MAGIC,
    libc::REISERFS_SUPER_MAGIC,
    libc::SELINUX_MAGIC,
];

/// statfs's `f_type`: `EXT2_SUPER_MAGIC`, `TMPFS_MAGIC`; others in hex.
pub fn fs_magic(v: u64) -> Value<'static> {
    match lookup(v, FS_MAGICS) {
        Some(name) => Value::Sym(name),
        None => Value::Hex(v),
    }
}

const CLOCKS: &Table = table![
    libc::CLOCK_REALTIME,
    libc::CLOCK_MONOTONIC,
    libc::CLOCK_PROCESS_CPUTIME_ID,
    libc::CLOCK_THREAD_CPUTIME_ID,
    libc::CLOCK_MONOTONIC_RAW,
    libc::CLOCK_REALTIME_COARSE,
    libc::CLOCK_MONOTONIC_COARSE,
    libc::CLOCK_BOOTTIME,
    libc::CLOCK_REALTIME_ALARM,
    libc::CLOCK_BOOTTIME_ALARM,
    uapi::CLOCK_SGI_CYCLE,
    libc::CLOCK_TAI,
];

/// A clock id: `CLOCK_MONOTONIC`; unknown `0x63 /* CLOCK_??? */`. Negative
/// ids (per-process and per-thread CPU clocks) print as numbers.
pub fn clock_id(v: u64) -> Value<'static> {
    let id = v as i32;
    if id < 0 {
        return Value::Int(i64::from(id));
    }
    xval(lo32(v), CLOCKS, "CLOCK_???")
}

const TIMER_FLAGS: &Table = table![uapi::TIMER_ABSTIME];

/// `clock_nanosleep` flags: `TIMER_ABSTIME`.
pub fn timer_flags(v: u64) -> Value<'static> {
    flags(lo32(v), TIMER_FLAGS, "TIMER_???")
}

const RENAME_FLAGS: &Table = table![
    libc::RENAME_NOREPLACE,
    libc::RENAME_EXCHANGE,
    libc::RENAME_WHITEOUT
];

/// `renameat2` flags: `RENAME_NOREPLACE`.
pub fn renameat2_flags(v: u64) -> Value<'static> {
    flags(lo32(v), RENAME_FLAGS, "RENAME_???")
}

/// strace's `statx_masks`: the aggregate masks first.
const STATX_MASKS: &Table = table![
    libc::STATX_ALL,
    libc::STATX_BASIC_STATS,
    libc::STATX_TYPE,
    libc::STATX_MODE,
    libc::STATX_NLINK,
    libc::STATX_UID,
    libc::STATX_GID,
    libc::STATX_ATIME,
    libc::STATX_MTIME,
    libc::STATX_CTIME,
    libc::STATX_INO,
    libc::STATX_SIZE,
    libc::STATX_BLOCKS,
    libc::STATX_BTIME,
    libc::STATX_MNT_ID,
    libc::STATX_DIOALIGN,
    libc::STATX_MNT_ID_UNIQUE,
    libc::STATX_SUBVOL,
    libc::STATX_WRITE_ATOMIC,
    libc::STATX_DIO_READ_ALIGN,
];

/// `statx` mask (argument and `stx_mask`): `STATX_ALL|STATX_MNT_ID`,
/// `STATX_BASIC_STATS`.
pub fn statx_mask(v: u64) -> Value<'static> {
    flags(lo32(v), STATX_MASKS, "STATX_???")
}

const STATX_ATTRIBUTES: &Table = table![
    libc::STATX_ATTR_COMPRESSED,
    libc::STATX_ATTR_IMMUTABLE,
    libc::STATX_ATTR_APPEND,
    libc::STATX_ATTR_NODUMP,
    libc::STATX_ATTR_ENCRYPTED,
    libc::STATX_ATTR_AUTOMOUNT,
    libc::STATX_ATTR_MOUNT_ROOT,
    libc::STATX_ATTR_VERITY,
    libc::STATX_ATTR_DAX,
    libc::STATX_ATTR_WRITE_ATOMIC,
];

/// `stx_attributes`: `0`, `STATX_ATTR_IMMUTABLE|STATX_ATTR_APPEND`.
pub fn statx_attributes(v: u64) -> Value<'static> {
    flags(v, STATX_ATTRIBUTES, "STATX_ATTR_???")
}

const MEMFD_FLAGS: &Table = table![
    libc::MFD_CLOEXEC,
    libc::MFD_ALLOW_SEALING,
    libc::MFD_HUGETLB,
    libc::MFD_NOEXEC_SEAL,
    libc::MFD_EXEC,
];

const FALLOC_MODES: &Table = table![
    libc::FALLOC_FL_KEEP_SIZE,
    libc::FALLOC_FL_PUNCH_HOLE,
    libc::FALLOC_FL_COLLAPSE_RANGE,
    libc::FALLOC_FL_ZERO_RANGE,
    libc::FALLOC_FL_INSERT_RANGE,
    libc::FALLOC_FL_UNSHARE_RANGE,
];

/// `fallocate` mode: `0`, `FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE`.
pub fn fallocate_mode(v: u64) -> Value<'static> {
    flags(lo32(v), FALLOC_MODES, "FALLOC_FL_???")
}

const SPLICE_FLAGS: &Table = table![
    libc::SPLICE_F_MOVE,
    libc::SPLICE_F_NONBLOCK,
    libc::SPLICE_F_MORE,
    libc::SPLICE_F_GIFT,
];

/// `splice`/`tee` flags: `SPLICE_F_MOVE|SPLICE_F_MORE`.
pub fn splice_flags(v: u64) -> Value<'static> {
    flags(lo32(v), SPLICE_FLAGS, "SPLICE_F_???")
}

const RUSAGE_WHO: &Table = table![
    uapi::RUSAGE_SELF,
    uapi::RUSAGE_CHILDREN,
    uapi::RUSAGE_BOTH,
    uapi::RUSAGE_THREAD,
];

/// `getrusage`'s who: `RUSAGE_SELF`, `RUSAGE_CHILDREN`.
pub fn rusage_who(v: u64) -> Value<'static> {
    xval(lo32(v), RUSAGE_WHO, "RUSAGE_???")
}

/// `memfd_create` flags: `MFD_CLOEXEC|MFD_ALLOW_SEALING`. (A huge page size
/// in the high bits stays among the leftover bits.)
pub fn memfd_flags(v: u64) -> Value<'static> {
    flags(lo32(v), MEMFD_FLAGS, "MFD_???")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value as the text output prints it.
    fn shown(v: Value) -> String {
        let mut out = vec![];
        crate::decode::render::text(&v, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn names(v: &[&'static str]) -> Value<'static> {
        Value::Flags {
            names: Names::from_slice(v),
            rest: 0,
        }
    }

    fn with_rest(v: &[&'static str], rest: u64) -> Value<'static> {
        Value::Flags {
            names: Names::from_slice(v),
            rest,
        }
    }

    fn unk(v: u64, what: &str) -> Value<'static> {
        Value::Commented {
            value: Box::new(Value::Hex(v)),
            comment: what.to_string().into(),
        }
    }

    #[test]
    fn dirfd_and_fd() {
        assert_eq!(dirfd(libc::AT_FDCWD as u64), Value::Sym("AT_FDCWD"));
        // As a 32-bit value in a zero-extended register, too.
        assert_eq!(
            dirfd(u64::from(libc::AT_FDCWD as u32)),
            Value::Sym("AT_FDCWD")
        );
        assert_eq!(dirfd(3), Value::Int(3));
        assert_eq!(fd(3), Value::Int(3));
        assert_eq!(fd(u64::MAX), Value::Int(-1));
        assert_eq!(fd(0xffff_ffff), Value::Int(-1));
    }

    #[test]
    fn open_flags_like_strace() {
        assert_eq!(open_flags(0x80000), names(&["O_RDONLY", "O_CLOEXEC"]));
        assert_eq!(
            open_flags(0x241),
            names(&["O_WRONLY", "O_CREAT", "O_TRUNC"])
        );
        assert_eq!(open_flags(0), names(&["O_RDONLY"]));
        assert_eq!(open_flags(3 | 0x80000), names(&["O_ACCMODE", "O_CLOEXEC"]));
        // O_SYNC (a two-bit mask) wins over O_DSYNC.
        assert_eq!(
            open_flags((libc::O_WRONLY | libc::O_SYNC) as u64),
            names(&["O_WRONLY", "O_SYNC"])
        );
        assert_eq!(
            open_flags(libc::O_DSYNC as u64),
            names(&["O_RDONLY", "O_DSYNC"])
        );
        assert_eq!(open_flags(0o4000000), names(&["O_RDONLY", "__O_SYNC"]));
        // O_TMPFILE includes O_DIRECTORY.
        assert_eq!(
            open_flags((libc::O_RDWR | libc::O_TMPFILE) as u64),
            names(&["O_RDWR", "O_TMPFILE"])
        );
        assert_eq!(
            open_flags((libc::O_DIRECTORY | libc::O_CLOEXEC) as u64),
            names(&["O_RDONLY", "O_CLOEXEC", "O_DIRECTORY"])
        );
        assert_eq!(open_flags(0o100000), names(&["O_RDONLY", "O_LARGEFILE"]));
        assert_eq!(open_flags(0x2000), names(&["O_RDONLY", "FASYNC"]));
        assert_eq!(
            open_flags(0x80000 | 0x800000),
            with_rest(&["O_RDONLY", "O_CLOEXEC"], 0x800000)
        );
        // Upper register half ignored (the argument is an int).
        assert_eq!(open_flags(0xdead_0000_0000_0000), names(&["O_RDONLY"]));
    }

    #[test]
    fn pipe_and_dup3_flags() {
        assert_eq!(
            pipe_flags((libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_DIRECT) as u64),
            names(&["O_NONBLOCK", "O_DIRECT", "O_CLOEXEC"])
        );
        assert_eq!(pipe_flags(0), Value::Int(0));
        assert_eq!(dup3_flags(libc::O_CLOEXEC as u64), names(&["O_CLOEXEC"]));
        assert_eq!(dup3_flags(1 << 30), unk(1 << 30, "O_???"));
    }

    #[test]
    fn at_flag_sets() {
        assert_eq!(at_flags(0x200), names(&["AT_REMOVEDIR"]));
        assert_eq!(faccessat_flags(0x200), names(&["AT_EACCESS"]));
        assert_eq!(
            at_flags(0x1000 | 0x100 | 0x8000),
            names(&["AT_SYMLINK_NOFOLLOW", "AT_EMPTY_PATH", "AT_RECURSIVE"])
        );
        assert_eq!(at_flags(0), Value::Int(0));
        assert_eq!(at_flags(1), unk(1, "AT_???"));
        assert_eq!(
            faccessat_flags(0x1200),
            names(&["AT_EACCESS", "AT_EMPTY_PATH"])
        );
    }

    #[test]
    fn statx_flag_sets() {
        assert_eq!(
            statx_flags(0x100 | 0x800),
            names(&[
                "AT_STATX_SYNC_AS_STAT",
                "AT_SYMLINK_NOFOLLOW",
                "AT_NO_AUTOMOUNT"
            ])
        );
        assert_eq!(statx_flags(0), names(&["AT_STATX_SYNC_AS_STAT"]));
        assert_eq!(statx_flags(0x2000), names(&["AT_STATX_FORCE_SYNC"]));
        assert_eq!(
            statx_flags(0x6100),
            names(&[
                "AT_STATX_FORCE_SYNC",
                "AT_STATX_DONT_SYNC",
                "AT_SYMLINK_NOFOLLOW"
            ])
        );
        assert_eq!(statx_flags(0x1), with_rest(&["AT_STATX_SYNC_AS_STAT"], 1));
    }

    #[test]
    fn access_modes() {
        assert_eq!(access_mode(0), Value::Sym("F_OK"));
        assert_eq!(access_mode(6), names(&["R_OK", "W_OK"]));
        assert_eq!(access_mode(9), with_rest(&["X_OK"], 8));
        assert_eq!(access_mode(8), unk(8, "?_OK"));
    }

    #[test]
    fn modes() {
        assert_eq!(mode(0o644), Value::Octal(0o644));
        assert_eq!(mode(0), Value::Octal(0));
        assert_eq!(shown(mode_with_type(0o100644)), "S_IFREG|0644");
        assert_eq!(shown(mode_with_type(0o020600)), "S_IFCHR|0600");
        assert_eq!(shown(mode_with_type(0o041777)), "S_IFDIR|S_ISVTX|0777");
        assert_eq!(shown(mode_with_type(0o104755)), "S_IFREG|S_ISUID|0755");
        assert_eq!(shown(mode_with_type(0o010600)), "S_IFIFO|0600");
        assert_eq!(shown(mode_with_type(0)), "000");
        assert_eq!(shown(mode_with_type(0o7)), "007");
        assert_eq!(shown(mode_with_type(0o6755)), "S_ISUID|S_ISGID|0755");
        assert_eq!(shown(mode_with_type(0o170001)), "0170001");
    }

    #[test]
    fn prot_values() {
        assert_eq!(prot(0), Value::Sym("PROT_NONE"));
        assert_eq!(prot(3), names(&["PROT_READ", "PROT_WRITE"]));
        assert_eq!(
            prot(1 | 0x0100_0000),
            names(&["PROT_READ", "PROT_GROWSDOWN"])
        );
        assert_eq!(prot(0x40), unk(0x40, "PROT_???"));
    }

    #[test]
    fn mmap_flag_sets() {
        assert_eq!(mmap_flags(0x22), names(&["MAP_PRIVATE", "MAP_ANONYMOUS"]));
        assert_eq!(
            mmap_flags(0x32),
            names(&["MAP_PRIVATE", "MAP_FIXED", "MAP_ANONYMOUS"])
        );
        assert_eq!(
            mmap_flags(0x812),
            names(&["MAP_PRIVATE", "MAP_FIXED", "MAP_DENYWRITE"])
        );
        assert_eq!(
            mmap_flags(0x2 | 0x20 | 0x4000 | 0x8000 | 0x100 | 0x2000 | 0x20000),
            names(&[
                "MAP_PRIVATE",
                "MAP_ANONYMOUS",
                "MAP_NORESERVE",
                "MAP_POPULATE",
                "MAP_GROWSDOWN",
                "MAP_LOCKED",
                "MAP_STACK"
            ])
        );
        assert_eq!(
            mmap_flags(0x3 | 0x80000 | (21 << 26)),
            names(&["MAP_SHARED_VALIDATE", "MAP_SYNC", "21<<MAP_HUGE_SHIFT"])
        );
        assert_eq!(mmap_flags(0), names(&["MAP_FILE"]));
        // Unknown type: kept among the leftover bits.
        assert_eq!(mmap_flags(0x7 | 0x20), with_rest(&["MAP_ANONYMOUS"], 0x7));
        assert_eq!(mmap_flags(1 << 40), with_rest(&["MAP_FILE"], 1 << 40));
    }

    #[test]
    fn memory_advice_and_flags() {
        assert_eq!(madvise_advice(4), Value::Sym("MADV_DONTNEED"));
        assert_eq!(madvise_advice(14), Value::Sym("MADV_HUGEPAGE"));
        assert_eq!(madvise_advice(999), unk(999, "MADV_???"));
        assert_eq!(
            mremap_flags(5),
            names(&["MREMAP_MAYMOVE", "MREMAP_DONTUNMAP"])
        );
        assert_eq!(mremap_flags(0), Value::Int(0));
        assert_eq!(msync_flags(6), names(&["MS_SYNC", "MS_INVALIDATE"]));
        assert_eq!(msync_flags(0x40), unk(0x40, "MS_???"));
    }

    #[test]
    fn clone_flag_sets() {
        assert_eq!(
            clone_flags(0x0120_0011),
            names(&["CLONE_CHILD_CLEARTID", "CLONE_CHILD_SETTID", "SIGCHLD"])
        );
        assert_eq!(clone_flags(17), Value::Sym("SIGCHLD"));
        assert_eq!(clone_flags(0), Value::Int(0));
        assert_eq!(
            clone_flags(0x0001_0f00),
            names(&[
                "CLONE_VM",
                "CLONE_FS",
                "CLONE_FILES",
                "CLONE_SIGHAND",
                "CLONE_THREAD"
            ])
        );
        // Unknown exit signal and the ignored CLONE_DETACHED: leftover bits.
        assert_eq!(clone_flags(0x100 | 0xc8), with_rest(&["CLONE_VM"], 0xc8));
        assert_eq!(
            clone_flags(0x0040_0100),
            with_rest(&["CLONE_VM"], 0x0040_0000)
        );
    }

    #[test]
    fn clone3_and_unshare_flags() {
        assert_eq!(
            clone3_flags(0x100 | 0x80 | (1 << 33)),
            names(&["CLONE_VM", "CLONE_NEWTIME", "CLONE_INTO_CGROUP"])
        );
        assert_eq!(clone3_flags(1 << 32), names(&["CLONE_CLEAR_SIGHAND"]));
        assert_eq!(clone3_flags(0), Value::Int(0));
        assert_eq!(clone3_flags(1 << 40), unk(1 << 40, "CLONE_???"));
        assert_eq!(
            clone3_flags(0x100 | (1 << 40)),
            with_rest(&["CLONE_VM"], 1 << 40)
        );
        assert_eq!(
            namespace_flags(0x8000_0100),
            with_rest(&["CLONE_VM"], 0x8000_0000)
        );
        assert_eq!(
            namespace_flags(0x2002_0000 | 0x80),
            names(&["CLONE_NEWTIME", "CLONE_NEWNS", "CLONE_NEWPID"])
        );
    }

    #[test]
    fn signals() {
        assert_eq!(signal(15), Value::Sym("SIGTERM"));
        assert_eq!(signal(6), Value::Sym("SIGABRT"));
        assert_eq!(signal(29), Value::Sym("SIGIO"));
        assert_eq!(signal(0), Value::Int(0));
        assert_eq!(signal(32), Value::Sym("SIGRTMIN"));
        assert_eq!(signal(33), Value::Sym("SIGRT_1"));
        assert_eq!(signal(34), Value::Sym("SIGRT_2"));
        assert_eq!(signal(64), Value::Sym("SIGRT_32"));
        assert_eq!(signal(65), Value::Int(65));
        assert_eq!(signal(99), Value::Int(99));
        assert_eq!(signal(u64::MAX), Value::Int(-1));
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(u32::MAX), None);
    }

    #[test]
    fn wait_and_sigprocmask() {
        assert_eq!(wait_options(0), Value::Int(0));
        assert_eq!(wait_options(1 | 0x4000_0000), names(&["WNOHANG", "__WALL"]));
        assert_eq!(wait_options(2 | 8), names(&["WSTOPPED", "WCONTINUED"]));
        assert_eq!(wait_options(0x8000_0000), names(&["__WCLONE"]));
        assert_eq!(sigprocmask_how(0), Value::Sym("SIG_BLOCK"));
        assert_eq!(sigprocmask_how(2), Value::Sym("SIG_SETMASK"));
        assert_eq!(sigprocmask_how(7), unk(7, "SIG_???"));
    }

    #[test]
    fn sigaction_flag_sets() {
        assert_eq!(
            sigaction_flags(0x0400_0000 | 0x1000_0000 | 4),
            names(&["SA_RESTORER", "SA_RESTART", "SA_SIGINFO"])
        );
        assert_eq!(sigaction_flags(0), Value::Int(0));
        assert_eq!(
            sigaction_flags(0xffff_ffff_8000_0000),
            with_rest(&["SA_RESETHAND"], 0xffff_ffff_0000_0000)
        );
        assert_eq!(ptrace_event_name(3), Some("PTRACE_EVENT_CLONE"));
        assert_eq!(ptrace_event_name(128), Some("PTRACE_EVENT_STOP"));
        assert_eq!(ptrace_event_name(99), None);
    }

    #[test]
    fn prctl_and_arch_prctl() {
        assert_eq!(prctl_option(15), Value::Sym("PR_SET_NAME"));
        assert_eq!(prctl_option(38), Value::Sym("PR_SET_NO_NEW_PRIVS"));
        assert_eq!(prctl_option(0x5356_4d41), Value::Sym("PR_SET_VMA"));
        assert_eq!(prctl_option(9999), unk(9999, "PR_???"));
        assert_eq!(arch_prctl_code(0x1002), Value::Sym("ARCH_SET_FS"));
        assert_eq!(arch_prctl_code(0x1021), Value::Sym("ARCH_GET_XCOMP_SUPP"));
        assert_eq!(arch_prctl_code(0x3001), unk(0x3001, "ARCH_???"));
    }

    #[test]
    fn futex_ops() {
        assert_eq!(futex_op(0x81), names(&["FUTEX_WAKE_PRIVATE"]));
        assert_eq!(futex_op(0), names(&["FUTEX_WAIT"]));
        assert_eq!(
            futex_op(9 | 128 | 256),
            names(&["FUTEX_WAIT_BITSET_PRIVATE", "FUTEX_CLOCK_REALTIME"])
        );
        assert_eq!(futex_op(0x82), names(&["FUTEX_FD", "FUTEX_PRIVATE_FLAG"]));
        assert_eq!(futex_op(13 | 128), names(&["FUTEX_LOCK_PI2_PRIVATE"]));
        assert_eq!(futex_op(0x101), unk(0x101, "FUTEX_???"));
        assert_eq!(futex_op(99), unk(99, "FUTEX_???"));
    }

    #[test]
    fn socket_args() {
        assert_eq!(socket_domain(2), Value::Sym("AF_INET"));
        assert_eq!(socket_domain(16), Value::Sym("AF_NETLINK"));
        assert_eq!(socket_domain(45), Value::Sym("AF_MCTP"));
        assert_eq!(socket_domain(99), unk(99, "AF_???"));
        assert_eq!(
            socket_type(1 | 0x80000 | 0x800),
            names(&["SOCK_STREAM", "SOCK_CLOEXEC", "SOCK_NONBLOCK"])
        );
        assert_eq!(socket_type(2), names(&["SOCK_DGRAM"]));
        assert_eq!(socket_type(0x4d), unk(0x4d, "SOCK_???"));
        assert_eq!(socket_type(0), Value::Int(0));
        assert_eq!(socket_type(7 | 0x80000), with_rest(&["SOCK_CLOEXEC"], 7));
        assert_eq!(
            accept_flags(0x80800),
            names(&["SOCK_CLOEXEC", "SOCK_NONBLOCK"])
        );
        assert_eq!(accept_flags(0), Value::Int(0));
    }

    #[test]
    fn socket_protocols() {
        assert_eq!(socket_protocol(2, 6), Value::Sym("IPPROTO_TCP"));
        assert_eq!(socket_protocol(10, 0), Value::Sym("IPPROTO_IP"));
        assert_eq!(socket_protocol(10, 58), Value::Sym("IPPROTO_ICMPV6"));
        assert_eq!(socket_protocol(2, 255), Value::Sym("IPPROTO_RAW"));
        assert_eq!(socket_protocol(2, 1000), unk(1000, "IPPROTO_???"));
        assert_eq!(socket_protocol(16, 0), Value::Sym("NETLINK_ROUTE"));
        assert_eq!(
            socket_protocol(16, 15),
            Value::Sym("NETLINK_KOBJECT_UEVENT")
        );
        assert_eq!(
            socket_protocol(17, u64::from(3u16.to_be())),
            Value::Call {
                func: "htons",
                args: vec![Value::Sym("ETH_P_ALL")]
            }
        );
        assert_eq!(
            socket_protocol(17, u64::from(0x1234u16.to_be())),
            Value::Call {
                func: "htons",
                args: vec![unk(0x1234, "ETH_P_???")]
            }
        );
        assert_eq!(socket_protocol(1, 0), Value::UInt(0));
        assert_eq!(socket_protocol(99, 5), Value::UInt(5));
    }

    #[test]
    fn sockopts() {
        assert_eq!(sockopt_level(1), Value::Sym("SOL_SOCKET"));
        assert_eq!(sockopt_level(6), Value::Sym("SOL_TCP"));
        assert_eq!(sockopt_level(0), Value::Sym("SOL_IP"));
        assert_eq!(sockopt_level(41), Value::Sym("SOL_IPV6"));
        assert_eq!(sockopt_level(999), unk(999, "SOL_??"));
        assert_eq!(sockopt_name(1, 2), Value::Sym("SO_REUSEADDR"));
        assert_eq!(sockopt_name(1, 20), Value::Sym("SO_RCVTIMEO_OLD"));
        assert_eq!(sockopt_name(1, 4), Value::Sym("SO_ERROR"));
        assert_eq!(sockopt_name(1, 17), Value::Sym("SO_PEERCRED"));
        assert_eq!(sockopt_name(1, 999), unk(999, "SO_???"));
        assert_eq!(sockopt_name(6, 1), Value::Sym("TCP_NODELAY"));
        assert_eq!(sockopt_name(6, 13), Value::Sym("TCP_CONGESTION"));
        assert_eq!(sockopt_name(0, 1), Value::Sym("IP_TOS"));
        assert_eq!(sockopt_name(0, 11), Value::Sym("IP_RECVERR"));
        assert_eq!(sockopt_name(41, 26), Value::Sym("IPV6_V6ONLY"));
        assert_eq!(sockopt_name(41, 25), Value::Sym("IPV6_RECVERR"));
        assert_eq!(sockopt_name(17, 103), Value::Sym("UDP_SEGMENT"));
        assert_eq!(sockopt_name(999, 5), Value::UInt(5));
    }

    #[test]
    fn msg_and_shutdown() {
        assert_eq!(msg_flags(0), Value::Int(0));
        assert_eq!(
            msg_flags(0x40 | 0x4000 | 0x8000 | 0x8000_0000),
            names(&[
                "MSG_DONTWAIT",
                "MSG_NOSIGNAL",
                "MSG_MORE",
                "MSG_CMSG_COMPAT"
            ])
        );
        assert_eq!(msg_flags(0x10), names(&["MSG_PROBE"]));
        assert_eq!(msg_flags(0x100_0000), unk(0x100_0000, "MSG_???"));
        assert_eq!(shutdown_how(2), Value::Sym("SHUT_RDWR"));
        assert_eq!(shutdown_how(3), unk(3, "SHUT_???"));
    }

    #[test]
    fn fcntl_lseek() {
        assert_eq!(fcntl_cmd(1), Value::Sym("F_GETFD"));
        assert_eq!(fcntl_cmd(1030), Value::Sym("F_DUPFD_CLOEXEC"));
        assert_eq!(fcntl_cmd(36), Value::Sym("F_OFD_GETLK"));
        assert_eq!(fcntl_cmd(10), Value::Sym("F_SETSIG"));
        assert_eq!(fcntl_cmd(9999), unk(9999, "F_???"));
        assert_eq!(fd_flags(1), names(&["FD_CLOEXEC"]));
        assert_eq!(fd_flags(0), Value::Int(0));
        assert_eq!(lseek_whence(0), Value::Sym("SEEK_SET"));
        assert_eq!(lseek_whence(3), Value::Sym("SEEK_DATA"));
        assert_eq!(lseek_whence(7), unk(7, "SEEK_???"));
    }

    #[test]
    fn ioctls() {
        assert_eq!(ioctl_request(0x5401), Value::Sym("TCGETS"));
        assert_eq!(ioctl_request(0x541b), Value::Sym("FIONREAD"));
        assert_eq!(ioctl_request(0x5413), Value::Sym("TIOCGWINSZ"));
        assert_eq!(ioctl_request(0x5421), Value::Sym("FIONBIO"));
        assert_eq!(ioctl_request(0x8004_5430), Value::Sym("TIOCGPTN"));
        assert_eq!(ioctl_request(0x4004_5431), Value::Sym("TIOCSPTLCK"));
        assert_eq!(
            ioctl_request(0x1234_5678),
            Value::Call {
                func: "_IOC",
                args: vec![
                    Value::Sym("_IOC_NONE"),
                    Value::Hex(0x56),
                    Value::Hex(0x78),
                    Value::Hex(0x1234)
                ]
            }
        );
        assert_eq!(
            ioctl_request(0xc008_ae99),
            Value::Call {
                func: "_IOC",
                args: vec![
                    names(&["_IOC_READ", "_IOC_WRITE"]),
                    Value::Hex(0xae),
                    Value::Hex(0x99),
                    Value::Hex(8)
                ]
            }
        );
    }

    #[test]
    fn poll_and_epoll() {
        assert_eq!(poll_events(1 | 2), names(&["POLLIN", "POLLPRI"]));
        assert_eq!(
            poll_events(4 | 0x100 | 0x2000),
            names(&["POLLOUT", "POLLWRNORM", "POLLRDHUP"])
        );
        assert_eq!(poll_events(0), Value::Int(0));
        assert_eq!(poll_events(0x4000), unk(0x4000, "POLL???"));
        assert_eq!(epoll_ctl_op(1), Value::Sym("EPOLL_CTL_ADD"));
        assert_eq!(epoll_ctl_op(4), unk(4, "EPOLL_CTL_???"));
        assert_eq!(
            epoll_events(1 | 0x1000_0000 | 0x4000_0000 | 0x8000_0000),
            names(&["EPOLLIN", "EPOLLEXCLUSIVE", "EPOLLONESHOT", "EPOLLET"])
        );
        assert_eq!(epoll_events(0x20), names(&["EPOLLNVAL"]));
        assert_eq!(epoll_create_flags(0x80000), names(&["EPOLL_CLOEXEC"]));
        assert_eq!(epoll_create_flags(0), Value::Int(0));
        assert_eq!(
            eventfd_flags(0x80001),
            names(&["EFD_SEMAPHORE", "EFD_CLOEXEC"])
        );
        assert_eq!(timerfd_flags(0x80000), names(&["TFD_CLOEXEC"]));
        assert_eq!(timerfd_flags(1), names(&["TFD_TIMER_ABSTIME"]));
    }

    #[test]
    fn misc() {
        assert_eq!(
            getrandom_flags(5),
            names(&["GRND_NONBLOCK", "GRND_INSECURE"])
        );
        assert_eq!(getrandom_flags(0), Value::Int(0));
        assert_eq!(rlimit_resource(7), Value::Sym("RLIMIT_NOFILE"));
        assert_eq!(rlimit_resource(15), Value::Sym("RLIMIT_RTTIME"));
        assert_eq!(rlimit_resource(16), unk(16, "RLIMIT_???"));
        assert_eq!(clock_id(1), Value::Sym("CLOCK_MONOTONIC"));
        assert_eq!(timer_flags(1), names(&["TIMER_ABSTIME"]));
        assert_eq!(fallocate_mode(0), Value::Int(0));
        assert_eq!(
            fallocate_mode(3),
            names(&["FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE"])
        );
        assert_eq!(splice_flags(5), names(&["SPLICE_F_MOVE", "SPLICE_F_MORE"]));
        assert_eq!(rusage_who(0), Value::Sym("RUSAGE_SELF"));
        assert_eq!(rusage_who(u64::MAX), Value::Sym("RUSAGE_CHILDREN"));
        assert_eq!(rusage_who(7), unk(7, "RUSAGE_???"));
        assert_eq!(timer_flags(0), Value::Int(0));
        assert_eq!(timer_flags(3), with_rest(&["TIMER_ABSTIME"], 2));
        assert_eq!(clock_id(11), Value::Sym("CLOCK_TAI"));
        assert_eq!(clock_id(99), unk(99, "CLOCK_???"));
        assert_eq!(clock_id(u64::from(-6i32 as u32)), Value::Int(-6));
        assert_eq!(
            renameat2_flags(5),
            names(&["RENAME_NOREPLACE", "RENAME_WHITEOUT"])
        );
        assert_eq!(statx_mask(0xfff), names(&["STATX_ALL"]));
        assert_eq!(statx_mask(0x7ff), names(&["STATX_BASIC_STATS"]));
        assert_eq!(statx_mask(0x1fff), names(&["STATX_ALL", "STATX_MNT_ID"]));
        assert_eq!(
            statx_mask(0x7ff | 0x2000),
            names(&["STATX_BASIC_STATS", "STATX_DIOALIGN"])
        );
        assert_eq!(statx_mask(3), names(&["STATX_TYPE", "STATX_MODE"]));
        assert_eq!(statx_attributes(0), Value::Int(0));
        assert_eq!(
            statx_attributes(0x30),
            names(&["STATX_ATTR_IMMUTABLE", "STATX_ATTR_APPEND"])
        );
        assert_eq!(memfd_flags(3), names(&["MFD_CLOEXEC", "MFD_ALLOW_SEALING"]));
        assert_eq!(memfd_flags(0x100), unk(0x100, "MFD_???"));
    }

    #[test]
    fn every_table_has_distinct_names() {
        for table in [
            OPEN_MODE_FLAGS,
            AT_FLAGS,
            MMAP_FLAGS,
            CLONE_FLAGS,
            SIGNALS,
            PRCTL_OPTIONS,
            ADDRESS_FAMILIES,
            SOL_SOCKET_OPTIONS,
            SOL_IP_OPTIONS,
            SOL_IPV6_OPTIONS,
            SOL_TCP_OPTIONS,
            MSG_FLAGS,
            FCNTL_CMDS,
            IOCTLS,
            EPOLL_EVENTS,
            POLL_EVENTS,
        ] {
            for (i, (_, a)) in table.iter().enumerate() {
                assert!(table[i + 1..].iter().all(|(_, b)| a != b), "{a} twice");
            }
        }
        // Exact-value tables must not repeat a value either.
        for table in [
            SIGNALS,
            PRCTL_OPTIONS,
            ADDRESS_FAMILIES,
            FCNTL_CMDS,
            IOCTLS,
            SOL_TCP_OPTIONS,
        ] {
            for (i, (a, name)) in table.iter().enumerate() {
                assert!(
                    table[i + 1..].iter().all(|(b, _)| a != b),
                    "{name} value twice"
                );
            }
        }
    }
}
