//! What each syscall's arguments mean: how to show them, and which user memory the kernel reads.
//!
//! One table ([`SPECS`]) lists, per syscall, a decoder for every argument in
//! the kernel's order (the names come from the tracefs signature table). The
//! same entries produce the kernel's capture plan ([`plan`]): an argument
//! shown as a path is read as a string at the call's exit, an output struct
//! is read only when the call succeeded, and so on. Syscalls missing from the
//! table show their raw arguments by C type, never a guess.
use std::borrow::Cow;
use std::sync::OnceLock;

use super::structs::Part;
use super::value::Value;
use super::{consts, structs, syscalls, Captured, Captures};
use super::{CAP_BUF, CAP_COUNT, CAP_ENTRY_ARG_SP, CAP_EXEC, CAP_FIXED, CAP_STR};
use super::{
    CAP_DIRENTS, CAP_ENTRY, CAP_ENTRY_READ_MAX, CAP_INO, CAP_IOV, CAP_IOV_DATA, CAP_MSG,
    CAP_MSG_NAME,
};
use super::{CAP_STRV, CAP_STRV_SLOT};
use crate::kernel::types;

/// Where a buffer's length comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// The value of argument N.
    Arg(u8),
    /// The return value (bytes transferred).
    Ret,
    /// The int that argument N points to (socklen_t *).
    Ptr(u8),
}

/// Decodes captured bytes.
pub type MemFn = fn(&[u8]) -> Value<'_>;
/// Decodes a register value.
pub type RegFn = fn(u64) -> Value<'static>;
/// Decodes an argument from the whole call; `None` leaves it out, as strace
/// does with arguments a command does not use.
pub type CtxFn = for<'a> fn(&Call<'a>, usize) -> Option<Value<'a>>;
/// Decodes a whole call into named arguments of its own.
pub type CustomFn = for<'a> fn(&Call<'a>) -> Vec<(&'static str, Value<'a>)>;

/// How one argument is shown.
#[derive(Clone, Copy)]
pub enum Dec {
    /// `int` (and pid_t, uid_t ...): signed 32-bit decimal.
    Int,
    /// `long`, `off_t`: signed 64-bit decimal.
    Long,
    /// `size_t`, `unsigned`: unsigned decimal.
    UInt,
    /// Hexadecimal (`0` stays `0`).
    Hex,
    /// A pointer that is not followed.
    Ptr,
    /// A file descriptor.
    Fd,
    /// A directory file descriptor (`AT_FDCWD`).
    Dirfd,
    /// A permission mode, in octal.
    Mode,
    /// A register value through a constant or flag table.
    Reg(RegFn),
    /// A NUL-terminated path or name, shown in full.
    Path,
    /// A string the call writes (readlink, getcwd), shown in full on success.
    PathOut(Len),
    /// Data the call reads from the caller (write): cut at `-s`.
    BufIn(Len),
    /// Data the call hands back (read): cut at `-s`, on success only.
    BufOut(Len),
    /// Like `BufOut`, printed in hex escapes (random bytes).
    HexOut(Len),
    /// A struct the caller passes in: the part of it the decoder reads.
    In(Part, MemFn),
    /// A struct the call fills in (success only): the part the decoder
    /// reads, often all of it.
    Out(Part, MemFn),
    /// An array of `count × size` bytes passed in, count from a `Len`.
    ArrIn(Len, u8, MemFn),
    /// An array the call fills in, `count × size` bytes (success only).
    ArrOut(Len, u8, MemFn),
    /// A socket address passed in, its length in argument N.
    SockIn(u8),
    /// A socket address the call fills in, its length at the pointer in argument N.
    SockOut(u8),
    /// An integer of N bytes (4 or 8) the caller passes by pointer and the
    /// call updates, shown before and after as strace shows each: a
    /// `socklen_t *` as `[128 => 16]`, sendfile's `loff_t *` as
    /// `[0] => [3]`; `[16]` when the call kept it.
    IntInOut(u8),
    /// A struct the caller passes in and the call rewrites (select's
    /// timeout): shown as it was at entry (at most CAP_ENTRY_READ_MAX bytes).
    InOut(Part, MemFn),
    /// poll's array of `struct pollfd`, its length in argument 1: each
    /// descriptor with the events asked for (-y names them).
    PollFds,
    /// The two descriptors a call creates and writes into an `int[2]`
    /// (pipe, socketpair): `[3, 4]`. The kernel also sends what each refers
    /// to (see [`Ret::NewFd`]).
    NewFds,
    /// A select fd set (`nfds` in argument 0): the descriptors the caller
    /// asked about, read at entry; the ones found ready, read at exit, go
    /// to the return value.
    FdSet,
    /// A NUMA node mask, its maxnode in argument N (the kernel reads
    /// maxnode - 1 bits, in unsigned longs); `true`: the call fills it
    /// (get_mempolicy), shown on success only.
    NodeMask(u8, bool),
    /// execve's path: read at exit (failed call) or from the new image.
    ExecPath,
    /// execve's argv.
    Argv,
    /// execve's envp: a pointer and the number of strings.
    Envp,
    /// getdents64's buffer: the pointer and the number of entries returned.
    Dirents,
    /// clone3's struct clone_args (its size in the next argument).
    Clone3,
    /// An iovec array, its length in argument N; `true`: the call fills
    /// the buffers (readv), shown on success up to what it transferred.
    Iov(u8, bool),
    /// A struct msghdr; `true`: the call fills it (recvmsg).
    Msg(bool),
    /// Depends on other arguments.
    Ctx(CtxFn),
}

/// How the return value is shown besides its number.
#[derive(Clone, Copy)]
pub enum Ret {
    /// Decimal (errors as `-1 ENOENT (...)`).
    Int,
    /// A new descriptor to a socket (socket, accept), shown in decimal. The
    /// kernel also sends its inode number, which names it for -y
    /// (`socket:[123]`) when the process has closed it before /proc is read.
    NewFd,
    /// An address, in hex (mmap, brk).
    Addr,
    /// Decimal plus a decoded part in parentheses: `= 1 ([{fd=3, revents=POLLIN}])`.
    Extra(for<'a> fn(&Call<'a>) -> Option<Value<'a>>),
    /// Hex plus a decoded part (`= 0x8002 (flags O_RDWR|O_LARGEFILE)`).
    HexExtra(for<'a> fn(&Call<'a>) -> Option<Value<'a>>),
    /// rt_sigreturn's: the restored code's, in decimal. The kernel reads
    /// the signal mask the frame restores at entry, shown as the call's
    /// argument (`rt_sigreturn({mask=[]})`).
    SigReturn,
    /// Decided per call (fcntl: by command).
    Ctx(fn(&Call<'_>) -> Ret),
}

pub struct Spec {
    pub name: &'static str,
    pub args: &'static [Dec],
    pub ret: Ret,
    /// Whole-call decoder with its own argument names (clone, futex ...);
    /// replaces `args` for display.
    pub custom: Option<CustomFn>,
    /// Text output shows `name=value` (strace does for clone).
    pub named: bool,
}

/// One call, as the decoders see it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub nr: u32,
    /// The record's arguments, borrowed: read where the decoder wrote them.
    pub args: &'a [u64; 6],
    pub ret: i64,
    /// False for calls that never returned (exit_group).
    pub returned: bool,
    pub captures: Captures<'a>,
    /// `-s`: bytes of buffer data shown.
    pub string_limit: usize,
}

impl<'a> Call<'a> {
    pub fn ok(&self) -> bool {
        self.returned && !super::is_error(self.ret)
    }
    fn arg(&self, i: usize) -> u64 {
        self.args[i]
    }
    fn cap(&self, i: usize, kind: u8) -> Option<Captured<'a>> {
        self.captures.get(i as u8, kind)
    }
}

const fn spec(name: &'static str, args: &'static [Dec]) -> Spec {
    Spec {
        name,
        args,
        ret: Ret::Int,
        custom: None,
        named: false,
    }
}

const fn spec_ret(name: &'static str, args: &'static [Dec], ret: Ret) -> Spec {
    Spec {
        name,
        args,
        ret,
        custom: None,
        named: false,
    }
}

const fn custom(name: &'static str, args: &'static [Dec], f: CustomFn, named: bool) -> Spec {
    Spec {
        name,
        args,
        ret: Ret::Int,
        custom: Some(f),
        named,
    }
}

use Dec::*;

const STAT: Part = structs::STAT_SHOWN;
const STATX: Part = structs::STATX_SHOWN;
const TIMESPEC: Part = Part::whole(std::mem::size_of::<libc::timespec>());
const TIMEVAL: Part = Part::whole(std::mem::size_of::<libc::timeval>());
const RLIMIT: Part = Part::whole(std::mem::size_of::<libc::rlimit64>());
/// The kernel's `struct sigaction` (handler, flags, restorer, 8-byte mask).
const KSIGACTION: Part = Part::whole(32);
/// The kernel's sigset_t.
const KSIGSET: Part = Part::whole(8);
const RUSAGE: Part = structs::RUSAGE_SHOWN;
const SYSINFO: Part = Part::whole(std::mem::size_of::<libc::sysinfo>());
const STATFS: Part = Part::whole(std::mem::size_of::<libc::statfs>());
const GID: u8 = std::mem::size_of::<libc::gid_t>() as u8;
const ID: Part = Part::whole(std::mem::size_of::<libc::uid_t>());
const TMS: Part = Part::whole(std::mem::size_of::<libc::tms>());
const ITIMERVAL: Part = Part::whole(std::mem::size_of::<libc::itimerval>());
/// What [`utsname`] shows: sysname and nodename.
const UTSNAME: Part = Part::whole(2 * UTS_FIELD);
/// Two ints (pipe, socketpair) and one (a wait status).
const INT2: Part = Part::whole(8);
const INT: Part = Part::whole(4);
/// A `loff_t *` the call advances (splice, copy_file_range), shown at entry: `[5]`.
const LOFF_IN: Dec = InOut(Part::whole(8), structs::long_array);
/// The part of a select fd set the kernel reads: descriptors below 128.
const FD_SET: Part = Part::whole(CAP_ENTRY_READ_MAX);
const EPOLL_EVENT: u8 = std::mem::size_of::<libc::epoll_event>() as u8;
const POLLFD: u8 = std::mem::size_of::<libc::pollfd>() as u8;
const OPEN_HOW: Part = Part::whole(24);
/// The kernel reads at most this many argv strings of a failed execve.
const STRV_MAX: usize = types::capture_limits::CAP_STRV_MAX.0 as usize;

/// The table. Argument lists follow the kernel's SYSCALL_DEFINE order.
pub static SPECS: &[Spec] = &[
    // --- file
    spec("read", &[Fd, BufOut(Len::Ret), UInt]),
    spec("write", &[Fd, BufIn(Len::Arg(2)), UInt]),
    spec("pread64", &[Fd, BufOut(Len::Ret), UInt, Long]),
    spec("pwrite64", &[Fd, BufIn(Len::Arg(2)), UInt, Long]),
    spec("readv", &[Fd, Iov(2, true), Int]),
    spec("writev", &[Fd, Iov(2, false), Int]),
    spec("preadv", &[Fd, Iov(2, true), Int, Long, Long]),
    spec("pwritev", &[Fd, Iov(2, false), Int, Long, Long]),
    spec("open", &[Path, Reg(consts::open_flags), Ctx(mode_if_creat)]),
    spec(
        "openat",
        &[Dirfd, Path, Reg(consts::open_flags), Ctx(mode_if_creat)],
    ),
    spec("openat2", &[Dirfd, Path, In(OPEN_HOW, open_how), UInt]),
    spec("creat", &[Path, Mode]),
    spec("close", &[Fd]),
    spec("close_range", &[Fd, Fd, Hex]),
    spec("stat", &[Path, Out(STAT, structs::stat)]),
    spec("lstat", &[Path, Out(STAT, structs::stat)]),
    spec("fstat", &[Fd, Out(STAT, structs::stat)]),
    spec(
        "newfstatat",
        &[Dirfd, Path, Out(STAT, structs::stat), Reg(consts::at_flags)],
    ),
    spec(
        "statx",
        &[
            Dirfd,
            Path,
            Reg(consts::statx_flags),
            Reg(consts::statx_mask),
            Out(STATX, structs::statx),
        ],
    ),
    spec("access", &[Path, Reg(consts::access_mode)]),
    spec("faccessat", &[Dirfd, Path, Reg(consts::access_mode)]),
    spec(
        "faccessat2",
        &[
            Dirfd,
            Path,
            Reg(consts::access_mode),
            Reg(consts::faccessat_flags),
        ],
    ),
    spec("readlink", &[Path, PathOut(Len::Ret), UInt]),
    spec("readlinkat", &[Dirfd, Path, PathOut(Len::Ret), UInt]),
    spec("getcwd", &[PathOut(Len::Ret), UInt]),
    spec("getdents64", &[Fd, Dirents, UInt]),
    spec("unlink", &[Path]),
    spec("unlinkat", &[Dirfd, Path, Reg(consts::at_flags)]),
    spec("rename", &[Path, Path]),
    spec("renameat", &[Dirfd, Path, Dirfd, Path]),
    spec(
        "renameat2",
        &[Dirfd, Path, Dirfd, Path, Reg(consts::renameat2_flags)],
    ),
    spec("mkdir", &[Path, Mode]),
    spec("mkdirat", &[Dirfd, Path, Mode]),
    spec("rmdir", &[Path]),
    spec("chdir", &[Path]),
    spec("fchdir", &[Fd]),
    spec("chroot", &[Path]),
    spec("chmod", &[Path, Mode]),
    spec("fchmod", &[Fd, Mode]),
    spec("fchmodat", &[Dirfd, Path, Mode]),
    spec("chown", &[Path, Int, Int]),
    spec("lchown", &[Path, Int, Int]),
    spec("fchown", &[Fd, Int, Int]),
    spec("fchownat", &[Dirfd, Path, Int, Int, Reg(consts::at_flags)]),
    spec("symlink", &[Path, Path]),
    spec("symlinkat", &[Path, Dirfd, Path]),
    spec("link", &[Path, Path]),
    spec("linkat", &[Dirfd, Path, Dirfd, Path, Reg(consts::at_flags)]),
    spec("truncate", &[Path, Long]),
    spec("ftruncate", &[Fd, Long]),
    spec("utimensat", &[Dirfd, Path, Ptr, Reg(consts::at_flags)]),
    spec("umask", &[Mode]),
    spec("mknod", &[Path, Reg(consts::mode_with_type), Hex]),
    spec("mknodat", &[Dirfd, Path, Reg(consts::mode_with_type), Hex]),
    spec("gettimeofday", &[Out(TIMEVAL, structs::timeval), Ptr]),
    spec("statfs", &[Path, Out(STATFS, structs::statfs)]),
    spec("fstatfs", &[Fd, Out(STATFS, structs::statfs)]),
    spec("fsync", &[Fd]),
    spec("fdatasync", &[Fd]),
    spec("flock", &[Fd, Int]),
    spec("inotify_add_watch", &[Fd, Path, Hex]),
    spec("memfd_create", &[Path, Reg(consts::memfd_flags)]),
    spec("sendfile", &[Fd, Fd, IntInOut(8), UInt]),
    spec("fadvise64", &[Fd, Long, Long, Reg(consts::fadvise_advice)]),
    spec("fallocate", &[Fd, Reg(consts::fallocate_mode), Long, Long]),
    // The offsets are updated by the call: shown as they were at entry.
    spec(
        "splice",
        &[Fd, LOFF_IN, Fd, LOFF_IN, UInt, Reg(consts::splice_flags)],
    ),
    spec("tee", &[Fd, Fd, UInt, Reg(consts::splice_flags)]),
    spec("getxattr", &[Path, Path, BufOut(Len::Ret), UInt]),
    spec("lgetxattr", &[Path, Path, BufOut(Len::Ret), UInt]),
    spec("fgetxattr", &[Fd, Path, BufOut(Len::Ret), UInt]),
    spec("setxattr", &[Path, Path, BufIn(Len::Arg(3)), UInt, Hex]),
    spec("lsetxattr", &[Path, Path, BufIn(Len::Arg(3)), UInt, Hex]),
    spec("fsetxattr", &[Fd, Path, BufIn(Len::Arg(3)), UInt, Hex]),
    spec("copy_file_range", &[Fd, LOFF_IN, Fd, LOFF_IN, UInt, Hex]),
    spec("lseek", &[Fd, Long, Reg(consts::lseek_whence)]),
    spec("ioctl", &[Fd, Reg(consts::ioctl_request), Ctx(ioctl_arg)]),
    spec_ret(
        "fcntl",
        &[Fd, Reg(consts::fcntl_cmd), Ctx(fcntl_arg)],
        Ret::Ctx(fcntl_ret),
    ),
    spec("dup", &[Fd]),
    spec("dup2", &[Fd, Fd]),
    spec("dup3", &[Fd, Fd, Reg(consts::dup3_flags)]),
    spec("pipe", &[NewFds]),
    spec("pipe2", &[NewFds, Reg(consts::pipe_flags)]),
    // --- process
    spec("execve", &[ExecPath, Argv, Envp]),
    spec(
        "execveat",
        &[Dirfd, ExecPath, Argv, Envp, Reg(consts::at_flags)],
    ),
    custom("clone", &[Hex, Ptr, Ptr, Ptr, Ptr], clone_args, true),
    spec("clone3", &[Clone3, UInt]),
    spec("fork", &[]),
    spec("vfork", &[]),
    spec(
        "wait4",
        &[Int, Out(INT, wait_status), Reg(consts::wait_options), Ptr],
    ),
    spec("exit", &[Int]),
    spec("exit_group", &[Int]),
    spec("kill", &[Int, Reg(consts::signal)]),
    spec("tkill", &[Int, Reg(consts::signal)]),
    spec("tgkill", &[Int, Int, Reg(consts::signal)]),
    custom("prctl", &[Hex, Hex, Hex, Hex, Hex], prctl_args, false),
    spec("arch_prctl", &[Reg(consts::arch_prctl_code), Ptr]),
    spec("set_tid_address", &[Ptr]),
    spec("set_robust_list", &[Ptr, UInt]),
    spec("rseq", &[Ptr, Hex, Int, Hex]),
    spec(
        "prlimit64",
        &[
            Int,
            Reg(consts::rlimit_resource),
            In(RLIMIT, structs::rlimit),
            Out(RLIMIT, structs::rlimit),
        ],
    ),
    spec(
        "getrlimit",
        &[Reg(consts::rlimit_resource), Out(RLIMIT, structs::rlimit)],
    ),
    spec(
        "setrlimit",
        &[Reg(consts::rlimit_resource), In(RLIMIT, structs::rlimit)],
    ),
    spec(
        "getgroups",
        &[Int, ArrOut(Len::Ret, GID, structs::uint_array)],
    ),
    spec(
        "setgroups",
        &[Int, ArrIn(Len::Arg(0), GID, structs::uint_array)],
    ),
    Spec {
        name: "rt_sigreturn",
        args: &[],
        ret: Ret::SigReturn,
        custom: Some(sigreturn_frame),
        named: false,
    },
    spec("getresuid", &[Out(ID, structs::uint_array); 3]),
    spec("getresgid", &[Out(ID, structs::uint_array); 3]),
    spec("times", &[Out(TMS, structs::tms)]),
    spec("alarm", &[UInt]),
    spec(
        "getitimer",
        &[
            Reg(consts::itimer_which),
            Out(ITIMERVAL, structs::itimerval),
        ],
    ),
    spec(
        "setitimer",
        &[
            Reg(consts::itimer_which),
            In(ITIMERVAL, structs::itimerval),
            Out(ITIMERVAL, structs::itimerval),
        ],
    ),
    spec_ret("sched_getscheduler", &[Int], Ret::Extra(sched_policy_ret)),
    spec("getpriority", &[Reg(consts::prio_which), Int]),
    spec("setpriority", &[Reg(consts::prio_which), Int, Int]),
    spec("unshare", &[Reg(consts::namespace_flags)]),
    spec("setns", &[Fd, Reg(consts::namespace_flags)]),
    spec("setuid", &[Int]),
    spec("setgid", &[Int]),
    spec("setpgid", &[Int, Int]),
    spec("getpgid", &[Int]),
    spec("getsid", &[Int]),
    spec("uname", &[Out(UTSNAME, utsname)]),
    spec("sysinfo", &[Out(SYSINFO, structs::sysinfo)]),
    // --- memory
    spec_ret(
        "mmap",
        &[
            Ptr,
            UInt,
            Reg(consts::prot),
            Reg(consts::mmap_flags),
            Fd,
            Hex,
        ],
        Ret::Addr,
    ),
    spec("munmap", &[Ptr, UInt]),
    spec("mprotect", &[Ptr, UInt, Reg(consts::prot)]),
    spec_ret("brk", &[Ptr], Ret::Addr),
    spec("madvise", &[Ptr, UInt, Reg(consts::madvise_advice)]),
    spec(
        "get_mempolicy",
        &[
            In(INT, structs::mempolicy_out),
            NodeMask(2, true),
            UInt,
            Ptr,
            Reg(consts::get_mempolicy_flags),
        ],
    ),
    spec(
        "set_mempolicy",
        &[Reg(consts::mempolicy_mode), NodeMask(2, false), UInt],
    ),
    spec(
        "mbind",
        &[
            Ptr,
            UInt,
            Reg(consts::mempolicy_mode),
            NodeMask(4, false),
            UInt,
            Reg(consts::mbind_flags),
        ],
    ),
    spec(
        "migrate_pages",
        &[Int, UInt, NodeMask(1, false), NodeMask(1, false)],
    ),
    spec("set_mempolicy_home_node", &[Ptr, UInt, UInt, UInt]),
    spec_ret(
        "mremap",
        &[Ptr, UInt, UInt, Reg(consts::mremap_flags), Ptr],
        Ret::Addr,
    ),
    spec("msync", &[Ptr, UInt, Reg(consts::msync_flags)]),
    spec("mlock", &[Ptr, UInt]),
    spec("munlock", &[Ptr, UInt]),
    // --- synchronisation
    custom("futex", &[Ptr, Hex, Int, Ptr, Ptr, Hex], futex_args, false),
    // --- network
    spec_ret(
        "socket",
        &[
            Reg(consts::socket_domain),
            Reg(consts::socket_type),
            Ctx(socket_protocol),
        ],
        Ret::NewFd,
    ),
    spec(
        "socketpair",
        &[
            Reg(consts::socket_domain),
            Reg(consts::socket_type),
            Ctx(socket_protocol),
            NewFds,
        ],
    ),
    spec("connect", &[Fd, SockIn(2), UInt]),
    spec("bind", &[Fd, SockIn(2), UInt]),
    spec("listen", &[Fd, Int]),
    spec_ret("accept", &[Fd, SockOut(2), IntInOut(4)], Ret::NewFd),
    spec_ret(
        "accept4",
        &[Fd, SockOut(2), IntInOut(4), Reg(consts::accept_flags)],
        Ret::NewFd,
    ),
    spec("getsockname", &[Fd, SockOut(2), IntInOut(4)]),
    spec("getpeername", &[Fd, SockOut(2), IntInOut(4)]),
    spec(
        "sendto",
        &[
            Fd,
            BufIn(Len::Arg(2)),
            UInt,
            Reg(consts::msg_flags),
            SockIn(5),
            UInt,
        ],
    ),
    spec(
        "recvfrom",
        &[
            Fd,
            BufOut(Len::Ret),
            UInt,
            Reg(consts::msg_flags),
            SockOut(5),
            IntInOut(4),
        ],
    ),
    spec("sendmsg", &[Fd, Msg(false), Reg(consts::msg_flags)]),
    spec("recvmsg", &[Fd, Msg(true), Reg(consts::msg_flags)]),
    spec("shutdown", &[Fd, Reg(consts::shutdown_how)]),
    spec(
        "setsockopt",
        &[
            Fd,
            Reg(consts::sockopt_level),
            Ctx(sockopt_name),
            ArrIn(Len::Arg(4), 1, sockopt_value),
            UInt,
        ],
    ),
    spec(
        "getsockopt",
        &[
            Fd,
            Reg(consts::sockopt_level),
            Ctx(sockopt_name),
            ArrOut(Len::Ptr(4), 1, sockopt_value),
            IntInOut(4),
        ],
    ),
    // --- polling and events
    spec_ret("poll", &[PollFds, UInt, Int], Ret::Extra(poll_ret)),
    spec_ret(
        "ppoll",
        &[
            PollFds,
            UInt,
            In(TIMESPEC, structs::timespec),
            In(KSIGSET, structs::sigset),
            UInt,
        ],
        Ret::Extra(poll_ret),
    ),
    spec_ret(
        "select",
        &[Int, FdSet, FdSet, FdSet, InOut(TIMEVAL, structs::timeval)],
        Ret::Extra(select_ret),
    ),
    spec_ret(
        "pselect6",
        &[
            Int,
            FdSet,
            FdSet,
            FdSet,
            InOut(TIMESPEC, structs::timespec),
            Ptr,
        ],
        Ret::Extra(pselect_ret),
    ),
    spec("epoll_create", &[Int]),
    spec("epoll_create1", &[Reg(consts::epoll_create_flags)]),
    spec(
        "epoll_ctl",
        &[
            Fd,
            Reg(consts::epoll_ctl_op),
            Fd,
            In(Part::whole(EPOLL_EVENT as usize), structs::epoll_event),
        ],
    ),
    spec(
        "epoll_wait",
        &[
            Fd,
            ArrOut(Len::Ret, EPOLL_EVENT, structs::epoll_event_array),
            Int,
            Int,
        ],
    ),
    spec(
        "epoll_pwait",
        &[
            Fd,
            ArrOut(Len::Ret, EPOLL_EVENT, structs::epoll_event_array),
            Int,
            Int,
            In(KSIGSET, structs::sigset),
            UInt,
        ],
    ),
    spec("eventfd2", &[UInt, Reg(consts::eventfd_flags)]),
    spec(
        "sched_getaffinity",
        &[Int, UInt, ArrOut(Len::Ret, 1, structs::cpu_set)],
    ),
    spec(
        "sched_setaffinity",
        &[Int, UInt, ArrIn(Len::Arg(1), 1, structs::cpu_set)],
    ),
    spec(
        "getrusage",
        &[Reg(consts::rusage_who), Out(RUSAGE, structs::rusage)],
    ),
    spec(
        "timerfd_create",
        &[Reg(consts::clock_id), Reg(consts::timerfd_flags)],
    ),
    spec(
        "nanosleep",
        &[
            In(TIMESPEC, structs::timespec),
            Out(TIMESPEC, structs::timespec),
        ],
    ),
    spec(
        "clock_nanosleep",
        &[
            Reg(consts::clock_id),
            Reg(consts::timer_flags),
            In(TIMESPEC, structs::timespec),
            Out(TIMESPEC, structs::timespec),
        ],
    ),
    spec(
        "clock_gettime",
        &[Reg(consts::clock_id), Out(TIMESPEC, structs::timespec)],
    ),
    // --- signals
    spec(
        "rt_sigaction",
        &[
            Reg(consts::signal),
            In(KSIGACTION, structs::kernel_sigaction),
            Out(KSIGACTION, structs::kernel_sigaction),
            UInt,
        ],
    ),
    spec(
        "rt_sigprocmask",
        &[
            Reg(consts::sigprocmask_how),
            In(KSIGSET, structs::sigset),
            Out(KSIGSET, structs::sigset),
            UInt,
        ],
    ),
    // --- misc
    spec(
        "getrandom",
        &[HexOut(Len::Ret), UInt, Reg(consts::getrandom_flags)],
    ),
];

/// The table entry for syscall number `nr`.
pub fn lookup(nr: u32) -> Option<&'static Spec> {
    static BY_NR: OnceLock<Vec<Option<&'static Spec>>> = OnceLock::new();
    BY_NR
        .get_or_init(|| {
            let mut v = vec![None; syscalls::SELECTION_BITS];
            for s in SPECS {
                if let Some(nr) = syscalls::number(s.name) {
                    if let Some(slot) = v.get_mut(nr as usize) {
                        *slot = Some(s);
                    }
                }
            }
            v
        })
        .get(nr as usize)
        .copied()
        .flatten()
}

// ---------------------------------------------------------------- the kernel plan

fn cap(kind: u8, arg: usize) -> types::capture_spec {
    types::capture_spec {
        kind,
        arg: arg as u8,
        ..Default::default()
    }
}

const F_OK: u8 = types::capture_flags::CAP_F_OK.0 as u8;
const F_LIMIT: u8 = types::capture_flags::CAP_F_LIMIT.0 as u8;
const F_ERR: u8 = types::capture_flags::CAP_F_ERR.0 as u8;
const F_NODE_BITS: u8 = types::capture_flags::CAP_F_NODE_BITS.0 as u8;
/// The most of a node mask read: 1,024 nodes, the most Debian's kernels
/// are built for (CONFIG_NODES_SHIFT=10).
const NODEMASK_MAX: u16 = 128;
const LEN_RET: u8 = types::capture_len::CAP_LEN_RET.0 as u8;
const LEN_PTR: u8 = types::capture_len::CAP_LEN_PTR.0 as u8;
/// Largest socket address read (sockaddr_storage).
const SOCKADDR_MAX: u16 = 128;

fn buf(arg: usize, len: Len, flags: u8) -> types::capture_spec {
    let mut c = cap(CAP_BUF, arg);
    c.flags = flags;
    match len {
        Len::Arg(n) => c.len_arg = n,
        Len::Ret => c.len_arg = LEN_RET,
        Len::Ptr(n) => {
            c.len_arg = LEN_PTR;
            c.len_ptr_arg = n;
        }
    }
    c
}

fn fixed(arg: usize, part: Part, flags: u8) -> types::capture_spec {
    let mut c = cap(CAP_FIXED, arg);
    c.size = part.size;
    c.skip = part.skip;
    c.flags = flags;
    c
}

/// The argument a returned descriptor's inode is filed under (CAP_INO).
pub const RETURNED_FD: u8 = 0;

/// The inode numbers of new descriptors: the return value's, or the two
/// the call wrote at argument `arg`.
fn new_fds(arg: usize, returned: bool) -> types::capture_spec {
    let mut c = cap(CAP_INO, arg);
    c.flags = F_OK;
    if returned {
        c.len_arg = LEN_RET;
    }
    c
}

/// What the kernel reads for one argument.
fn captures_for(i: usize, dec: &Dec) -> Vec<types::capture_spec> {
    match *dec {
        Path => vec![cap(CAP_STR, i)],
        PathOut(len) => vec![buf(i, len, F_OK)],
        BufIn(len) => vec![buf(i, len, F_LIMIT)],
        BufOut(len) | HexOut(len) => vec![buf(i, len, F_OK | F_LIMIT)],
        In(part, _) => vec![fixed(i, part, 0)],
        Out(part, _) => vec![fixed(i, part, F_OK)],
        ArrIn(len, size, _) | ArrOut(len, size, _) => {
            let mut c = buf(i, len, 0);
            if matches!(dec, ArrOut(..)) {
                c.flags |= F_OK;
            }
            c.len_mul = size;
            vec![c]
        }
        PollFds => captures_for(i, &ArrIn(Len::Arg(1), POLLFD, structs::pollfds)),
        SockIn(len_arg) => {
            let mut c = buf(i, Len::Arg(len_arg), 0);
            c.size = SOCKADDR_MAX;
            vec![c]
        }
        SockOut(len_arg) => {
            let mut c = buf(i, Len::Ptr(len_arg), F_OK);
            c.size = SOCKADDR_MAX;
            vec![c]
        }
        IntInOut(n) => vec![fixed(i, Part::whole(n as usize), F_OK)],
        InOut(part, _) => vec![fixed(i, part, F_OK)],
        FdSet => vec![fixed(i, FD_SET, F_OK)],
        NodeMask(maxnode, out) => {
            let mut c = buf(i, Len::Arg(maxnode), F_NODE_BITS);
            if out {
                c.flags |= F_OK;
            }
            c.size = NODEMASK_MAX;
            vec![c]
        }
        NewFds => vec![fixed(i, INT2, F_OK), new_fds(i, false)],
        // The kernel reads path, argv and envp together (see CAP_EXEC).
        ExecPath => vec![cap(CAP_EXEC, i)],
        Clone3 => vec![buf(i, Len::Arg(i as u8 + 1), 0)],
        // The kernel reads the array and its buffers together (see CAP_IOV).
        Iov(count, out) => {
            let mut c = cap(CAP_IOV, i);
            c.len_arg = count;
            c.flags = if out { F_OK } else { 0 };
            vec![c]
        }
        Msg(out) => {
            let mut c = cap(CAP_MSG, i);
            c.flags = if out { F_OK } else { 0 };
            vec![c]
        }
        Dirents => {
            let mut c = cap(CAP_DIRENTS, i);
            c.flags = F_OK;
            vec![c]
        }
        _ => vec![],
    }
}

/// Per syscall number this machine knows, what `per_arg` asks of the
/// kernel for each argument (its index and decoder), then `per_ret` for
/// the return value; syscalls that ask nothing are left out.
fn per_syscall<T, I: IntoIterator<Item = T>>(
    per_arg: impl Fn(usize, &Dec) -> I,
    per_ret: impl Fn(&Ret) -> Option<T>,
) -> Vec<(u32, Vec<T>)> {
    SPECS
        .iter()
        .filter_map(|s| {
            let nr = syscalls::number(s.name)?;
            let asks: Vec<T> = s
                .args
                .iter()
                .enumerate()
                .flat_map(|(i, d)| per_arg(i, d))
                .chain(per_ret(&s.ret))
                .collect();
            (!asks.is_empty()).then_some((nr, asks))
        })
        .collect()
}

/// The kernel's capture plan: per syscall number, what to read at exit.
pub fn plan() -> Vec<(u32, Vec<types::capture_spec>)> {
    per_syscall(captures_for, |ret| {
        matches!(ret, Ret::NewFd).then(|| new_fds(RETURNED_FD.into(), true))
    })
}

/// The largest string limit (-s) whose buffers the exit writes in place.
pub const ONE_BUFFER_MAX: u32 = types::capture_limits::CAP_ONE_BUFFER_MAX.0;

/// The arities of the calls whose buffer the exit writes in place (a
/// reservation's size is a constant: one copy of the path per arity).
const ONE_BUFFER_ARGS: std::ops::RangeInclusive<usize> =
    types::capture_limits::CAP_ONE_BUFFER_ARGS_MIN.0 as usize
        ..=types::capture_limits::CAP_ONE_BUFFER_ARGS_MAX.0 as usize;

/// Whether syscall `nr`'s plan is one buffer cut at the string limit (read,
/// write, pread64, pwrite64), which the exit program writes in place into a
/// record of fixed size (EXIT_ONE_BUFFER) when the limit is at most
/// `ONE_BUFFER_MAX`.
pub fn one_buffer(nr: u32, plan: &[types::capture_spec], string_limit: u32) -> bool {
    let [spec] = plan else {
        return false;
    };
    string_limit <= ONE_BUFFER_MAX
        && ONE_BUFFER_ARGS.contains(&super::arity(nr))
        && spec.kind == CAP_BUF
        && spec.flags & F_LIMIT != 0
        && spec.flags & F_ERR == 0
        && spec.len_mul <= 1
        && (spec.size == 0 || u32::from(spec.size) >= string_limit)
}

/// What the kernel reads at entry (CAP_ENTRY), by syscall number: memory
/// the call reads and may rewrite, through an argument (a socklen_t, a
/// select fd set or timeout) or inside recvmsg's struct msghdr.
pub fn entry_plan() -> Vec<(u32, Vec<types::entry_read_spec>)> {
    per_syscall(
        |i, d| {
            let part = match *d {
                IntInOut(n) => Part::whole(n as usize),
                Msg(true) => Part {
                    size: 4,
                    skip: std::mem::offset_of!(libc::msghdr, msg_namelen) as u16,
                },
                InOut(part, _) => part,
                FdSet => FD_SET,
                _ => return None,
            };
            Some(types::entry_read_spec {
                arg: i as u8,
                size: part.size as u8,
                skip: part.skip,
            })
        },
        |ret| match (ret, SIGFRAME_MASK) {
            (Ret::SigReturn, Some(skip)) => Some(types::entry_read_spec {
                arg: CAP_ENTRY_ARG_SP,
                size: KSIGSET.size as u8,
                skip,
            }),
            _ => None,
        },
    )
}

/// Where rt_sigreturn finds the signal mask it restores, in bytes past the
/// user stack pointer at its entry. On x86_64 `struct rt_sigframe` starts 8
/// bytes below it (sys_rt_sigreturn) with an 8-byte return address, so
/// `struct ucontext` starts at the stack pointer; its uc_sigmask follows
/// uc_flags, uc_link, uc_stack (24 bytes) and uc_mcontext (`struct
/// sigcontext`, 256 bytes).
#[cfg(target_arch = "x86_64")]
const SIGFRAME_MASK: Option<u16> = Some(8 + 8 + 24 + 256);
#[cfg(not(target_arch = "x86_64"))]
const SIGFRAME_MASK: Option<u16> = None;

/// ioctl's argument: a pointer, but FICLONE's is the source descriptor.
fn ioctl_arg<'a>(call: &Call<'a>, i: usize) -> Option<Value<'a>> {
    Some(match call.arg(1) as u32 {
        r if r == libc::FICLONE as u32 => Value::Int(i64::from(call.arg(i) as u32 as i32)),
        _ => Value::Ptr(call.arg(i)),
    })
}

/// sched_getscheduler's policy: `= 0 (SCHED_OTHER)`.
fn sched_policy_ret<'a>(call: &Call<'a>) -> Option<Value<'a>> {
    Some(consts::sched_policy(call.ret as u64))
}

/// rt_sigreturn's frame as strace shows it: `{mask=[INT]}`.
fn sigreturn_frame<'a>(call: &Call<'a>) -> Vec<(&'static str, Value<'a>)> {
    match call.captures.get(CAP_ENTRY_ARG_SP, CAP_ENTRY) {
        Some(c) if !c.fault() => vec![(
            "frame",
            Value::record(vec![("mask", structs::sigset(c.data))]),
        )],
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------- decoding

/// The integer argument `i` pointed to when the call began (CAP_ENTRY):
/// 4 bytes (a socklen_t) or 8 (a loff_t), as the entry plan read it.
fn entry_int(call: &Call<'_>, i: usize) -> Option<i64> {
    let c = call.cap(i, CAP_ENTRY).filter(|c| !c.fault())?;
    Some(match c.data.len() {
        8 => i64::from_ne_bytes(c.data.try_into().ok()?),
        _ => i64::from(i32::from_ne_bytes(c.data.get(..4)?.try_into().ok()?)),
    })
}

/// A value the call may have rewritten, as strace shows one: `16` when it
/// kept its value, `128 => 16` when it changed.
fn before_after<'a>(before: i64, after: Value<'a>) -> Value<'a> {
    if after == Value::Int(before) {
        after
    } else {
        Value::Call {
            func: "=>",
            args: vec![Value::Int(before), after],
        }
    }
}

/// An integer of `width` bytes the call reads and rewrites: `[16]` when it
/// kept it, after a failure what the caller passed (`[128]`), and when it
/// changed, both: strace brackets a socklen_t around the pair
/// (`[128 => 16]`) and a file offset around each value (`[0] => [3]`).
fn int_in_out<'a>(call: &Call<'a>, i: usize, width: u8) -> Value<'a> {
    let decode = if width == 8 {
        structs::long_array
    } else {
        structs::int_array
    };
    let after = mem_value(call, i, call.cap(i, CAP_FIXED), decode);
    let item = match (entry_int(call, i), after) {
        (Some(before), _) if !call.ok() => Value::Int(before),
        (
            Some(before),
            Value::Array {
                mut items,
                more: false,
            },
        ) if items.len() == 1 => before_after(before, items.remove(0)),
        (_, after) => return after,
    };
    let one = |v| Value::Array {
        items: vec![v],
        more: false,
    };
    match item {
        // A changed file offset: each value in its own brackets.
        Value::Call { func: "=>", args } if width == 8 => Value::Call {
            func: "=>",
            args: args.into_iter().map(one).collect(),
        },
        item => one(item),
    }
}

/// The descriptors below `nfds` in the captured part of a select fd set;
/// `None` when `nfds` reaches past it (FD_SET).
pub fn fd_set_fds(data: &[u8], nfds: u64) -> Option<Vec<u32>> {
    let nfds = nfds as u32 as i32;
    if !(0..=FD_SET.size as i32 * 8).contains(&nfds) {
        return None;
    }
    let mut fds = structs::set_bits(data);
    fds.retain(|&fd| (fd as i32) < nfds);
    Some(fds)
}

/// The descriptors of set `i` as captured by `kind` (CAP_ENTRY: asked
/// about; CAP_FIXED: found ready), if it was read and holds all of them.
fn fd_set_of(call: &Call<'_>, i: usize, kind: u8) -> Option<Vec<u32>> {
    let c = call.cap(i, kind).filter(|c| !c.fault())?;
    fd_set_fds(c.data, call.arg(0))
}

/// A select fd set as the caller passed it: `[3 4]`; the pointer when it
/// could not be read, or reaches past what was.
fn fd_set_value<'a>(call: &Call<'a>, i: usize) -> Value<'a> {
    match captured(call, i, call.cap(i, CAP_ENTRY)) {
        Ok(c) => fd_set_fds(c.data, call.arg(0)).map_or(Value::Ptr(call.arg(i)), Value::BitSet),
        Err(v) => v,
    }
}

/// select's result besides its number: `(Timeout)` for none, else the
/// descriptors found ready in each set and the time left
/// (`in [3], out [4], left {tv_sec=0, tv_usec=999}`), read at exit.
fn select_result<'a>(call: &Call<'a>, timeout: MemFn) -> Option<Value<'a>> {
    if call.ret == 0 {
        return Some(Value::Text("Timeout".into()));
    }
    let mut items = Vec::new();
    for (i, label) in [(1, "in"), (2, "out"), (3, "except")] {
        if call.arg(i) == 0 {
            continue;
        }
        // Not read, or past what the kernel reads: nothing, since a
        // partial list would say the rest were not ready.
        let fds = fd_set_of(call, i, CAP_FIXED)?;
        if !fds.is_empty() {
            items.push((label, Value::BitSet(fds)));
        }
    }
    if let Some(c) = call.cap(4, CAP_FIXED).filter(|c| !c.fault()) {
        items.push(("left", timeout(c.data)));
    }
    Some(Value::Labeled(items))
}

fn select_ret<'a>(call: &Call<'a>) -> Option<Value<'a>> {
    select_result(call, structs::timeval)
}

fn pselect_ret<'a>(call: &Call<'a>) -> Option<Value<'a>> {
    select_result(call, structs::timespec)
}

/// The memory read for argument `i`, or what shows the argument without it:
/// `NULL` (even when the call read nothing from it: getgroups(0, NULL)),
/// the pointer when nothing was read, or the pointer marked unreadable.
fn captured<'a>(
    call: &Call<'a>,
    i: usize,
    c: Option<Captured<'a>>,
) -> Result<Captured<'a>, Value<'a>> {
    match (call.arg(i), c) {
        (0, _) => Err(Value::Ptr(0)),
        (_, Some(c)) if !c.fault() => Ok(c),
        (p, Some(_)) => Err(Value::Unreadable(p)),
        (p, None) => Err(Value::Ptr(p)),
    }
}

/// A captured string or buffer; the pointer when nothing could be read.
fn bytes_value<'a>(
    call: &Call<'a>,
    i: usize,
    c: Option<Captured<'a>>,
    limit: Option<usize>,
) -> Value<'a> {
    let c = match captured(call, i, c) {
        Ok(c) => c,
        Err(v) => return v,
    };
    let (data, cut) = match limit {
        Some(l) if c.data.len() > l => (&c.data[..l], true),
        _ => (c.data, false),
    };
    Value::Str {
        bytes: Cow::Borrowed(data),
        truncated: cut || c.truncated(),
    }
}

/// A captured struct through its decoder; the pointer when none was read.
fn mem_value<'a>(call: &Call<'a>, i: usize, c: Option<Captured<'a>>, f: MemFn) -> Value<'a> {
    captured(call, i, c).map_or_else(|v| v, |c| f(c.data))
}

fn path_value<'a>(call: &Call<'a>, i: usize, c: Option<Captured<'a>>) -> Value<'a> {
    let c = c.map(|c| Captured {
        data: c.data.strip_suffix(&[0]).unwrap_or(c.data),
        ..c
    });
    bytes_value(call, i, c, None)
}

/// The value of argument `i` decoded by `dec`; `None` leaves it out.
fn arg_value<'a>(call: &Call<'a>, i: usize, dec: &Dec) -> Option<Value<'a>> {
    let v = call.arg(i);
    let limit = Some(call.string_limit);
    Some(match *dec {
        Int => Value::Int(v as u32 as i32 as i64),
        Long => Value::Int(v as i64),
        UInt => Value::UInt(v),
        Hex => Value::Hex(v),
        Ptr => Value::Ptr(v),
        Fd => consts::fd(v),
        Dirfd => consts::dirfd(v),
        Mode => consts::mode(v),
        Reg(f) => f(v),
        Path => path_value(call, i, call.cap(i, CAP_STR)),
        PathOut(_) => path_value(call, i, call.cap(i, CAP_BUF)),
        BufIn(_) | BufOut(_) => bytes_value(call, i, call.cap(i, CAP_BUF), limit),
        HexOut(_) => match bytes_value(call, i, call.cap(i, CAP_BUF), limit) {
            Value::Str { bytes, truncated } => Value::Call {
                func: "hex",
                args: vec![Value::Str { bytes, truncated }],
            },
            other => other,
        },
        In(_, f) | Out(_, f) => mem_value(call, i, call.cap(i, CAP_FIXED), f),
        ArrIn(_, _, f) | ArrOut(_, _, f) => mem_value(call, i, call.cap(i, CAP_BUF), f),
        PollFds => mem_value(call, i, call.cap(i, CAP_BUF), structs::pollfds),
        Clone3 => clone3_with_result(
            call,
            mem_value(call, i, call.cap(i, CAP_BUF), structs::clone_args),
        ),
        SockIn(_) | SockOut(_) => mem_value(call, i, call.cap(i, CAP_BUF), structs::sockaddr),
        IntInOut(width) => int_in_out(call, i, width),
        InOut(_, f) => mem_value(call, i, call.cap(i, CAP_ENTRY), f),
        FdSet => fd_set_value(call, i),
        NodeMask(maxnode, _) => nodemask_value(call, i, call.arg(maxnode as usize)),
        NewFds => mem_value(call, i, call.cap(i, CAP_FIXED), structs::int_array),
        ExecPath => match call.cap(i, CAP_EXEC) {
            Some(_) => exec_part(call, 0)
                .map(|c| path_value(call, i, Some(c)))
                .unwrap_or(Value::Ptr(v)),
            None => path_value(call, i, call.cap(i, CAP_STR)),
        },
        Argv => argv_value(call, i),
        Envp => envp_value(call, i),
        Dirents => dirents(call, i),
        Iov(..) => iov_value(call, i, call.captures.get(i as u8, CAP_IOV)),
        Msg(_) => msg_value(call, i),
        Ctx(f) => return f(call, i),
    })
}

/// A node mask: as many longs as `maxnode` covers (strace shows the
/// pointer when that is none), each one read shown.
fn nodemask_value<'a>(call: &Call<'a>, i: usize, maxnode: u64) -> Value<'a> {
    let words = maxnode.saturating_add(62) / 64;
    if words == 0 && call.arg(i) != 0 {
        return Value::Ptr(call.arg(i));
    }
    match captured(call, i, call.cap(i, CAP_BUF)) {
        Ok(c) => structs::nodemask(c.data, usize::try_from(words).unwrap_or(usize::MAX)),
        Err(v) => v,
    }
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// An iovec array: `[{iov_base="abc", iov_len=3}, ...]`, the buffers from
/// their CAP_IOV_DATA captures (pointers where none was read).
fn iov_value<'a>(call: &Call<'a>, i: usize, arr: Option<Captured<'a>>) -> Value<'a> {
    let arr = match captured(call, i, arr) {
        Ok(arr) => arr,
        Err(v) => return v,
    };
    const IOVEC: usize = std::mem::size_of::<libc::iovec>();
    let items = arr
        .data
        .chunks_exact(IOVEC)
        .enumerate()
        .map(|(k, e)| {
            let base = u64_at(e, 0).unwrap_or(0);
            let len = u64_at(e, 8).unwrap_or(0);
            let data = call
                .captures
                .iter()
                .find(|c| c.kind == CAP_IOV_DATA && c.arg as usize == k && !c.fault());
            let base = match data {
                Some(d) => {
                    let shown = d.data.len().min(call.string_limit);
                    Value::Str {
                        bytes: Cow::Borrowed(&d.data[..shown]),
                        truncated: d.truncated() || shown < d.data.len(),
                    }
                }
                None => Value::Ptr(base),
            };
            Value::record(vec![("iov_base", base), ("iov_len", Value::UInt(len))])
        })
        .collect();
    Value::Array {
        items,
        more: arr.truncated(),
    }
}

/// struct msghdr as strace shows it (control messages as a pointer).
fn msg_value<'a>(call: &Call<'a>, i: usize) -> Value<'a> {
    use std::mem::offset_of;
    let Some(m) = call.cap(i, CAP_MSG).filter(|c| !c.fault()) else {
        return Value::Ptr(call.arg(i));
    };
    let b = m.data;
    let field = |off: usize| u64_at(b, off).unwrap_or(0);
    let name = field(offset_of!(libc::msghdr, msg_name));
    let namelen = b
        .get(offset_of!(libc::msghdr, msg_namelen)..)
        .and_then(|s| Some(u32::from_ne_bytes(s.get(..4)?.try_into().ok()?)))
        .unwrap_or(0);
    let control = field(offset_of!(libc::msghdr, msg_control));
    let controllen = field(offset_of!(libc::msghdr, msg_controllen));
    let flags = b
        .get(offset_of!(libc::msghdr, msg_flags)..)
        .and_then(|s| Some(u32::from_ne_bytes(s.get(..4)?.try_into().ok()?)))
        .unwrap_or(0);
    let name_value = match call.captures.iter().find(|c| c.kind == CAP_MSG_NAME) {
        Some(c) if !c.fault() => structs::sockaddr(c.data),
        _ => Value::Ptr(name),
    };
    let iov_ptr = field(offset_of!(libc::msghdr, msg_iov));
    let iov = match call.captures.iter().find(|c| c.kind == CAP_IOV) {
        Some(c) => iov_value(call, i, Some(c)),
        None => Value::Ptr(iov_ptr),
    };
    let mut fields = vec![
        ("msg_name", name_value),
        ("msg_namelen", {
            let after = Value::Int(namelen.into());
            match entry_int(call, i) {
                Some(before) if call.ok() => before_after(before, after),
                _ => after,
            }
        }),
        ("msg_iov", iov),
        (
            "msg_iovlen",
            Value::UInt(field(offset_of!(libc::msghdr, msg_iovlen))),
        ),
    ];
    if controllen != 0 {
        fields.push(("msg_control", Value::Ptr(control)));
    }
    fields.push(("msg_controllen", Value::UInt(controllen)));
    fields.push(("msg_flags", consts::msg_flags(flags.into())));
    Value::record(fields)
}

/// Part `n` of a successful execve's capture (0 path, 1 argv, 2 envc).
fn exec_part<'a>(call: &Call<'a>, n: u8) -> Option<Captured<'a>> {
    call.captures
        .iter()
        .filter(|c| c.kind == CAP_EXEC)
        .find(|c| c.arg == n)
}

fn strings(block: &[u8], limit: usize, truncated: bool) -> Value<'_> {
    let items: Vec<Value> = super::split_argv(block)
        .map(|s| Value::Str {
            bytes: Cow::Borrowed(&s[..s.len().min(limit)]),
            truncated: s.len() > limit,
        })
        .collect();
    Value::Array {
        items,
        more: truncated,
    }
}

fn argv_value<'a>(call: &Call<'a>, i: usize) -> Value<'a> {
    if let Some(c) = exec_part(call, 1) {
        return strings(c.data, call.string_limit, c.truncated());
    }
    match call.cap(i, CAP_STRV) {
        Some(c) if !(c.fault() && c.data.is_empty()) => {
            // One NUL-terminated string per fixed slot.
            let items = c
                .data
                .chunks(CAP_STRV_SLOT)
                .map(|slot| {
                    let s = &slot[..slot.iter().position(|&b| b == 0).unwrap_or(slot.len())];
                    Value::Str {
                        bytes: Cow::Borrowed(&s[..s.len().min(call.string_limit)]),
                        truncated: s.len() > call.string_limit || s.len() + 1 >= CAP_STRV_SLOT,
                    }
                })
                .collect();
            Value::Array {
                items,
                more: c.data.len() / CAP_STRV_SLOT >= STRV_MAX,
            }
        }
        _ => Value::Ptr(call.arg(i)),
    }
}

fn envp_value<'a>(call: &Call<'a>, i: usize) -> Value<'a> {
    let count = exec_part(call, 2)
        .or_else(|| call.cap(i, CAP_COUNT).filter(|c| !c.fault()))
        .and_then(|c| Some(u32::from_ne_bytes(c.data.get(..4)?.try_into().ok()?)));
    match count {
        Some(n) => Value::Commented {
            value: Box::new(Value::Ptr(call.arg(i))),
            comment: crate::text!("{n} var{}", if n == 1 { "" } else { "s" }),
        },
        None => Value::Ptr(call.arg(i)),
    }
}

/// A call the table knows, ready to be shown: its arguments one at a time,
/// then its return value. Each argument is rendered where it was decoded,
/// never collected: moving decoded values into a vector cost more than
/// rendering them (stores of a value's parts, reloaded whole).
pub struct Decoding<'c, 'a> {
    call: &'c Call<'a>,
    spec: &'static Spec,
}

/// How a return value is shown besides its number.
#[derive(Debug, Clone, PartialEq)]
pub struct RetShape<'a> {
    /// In hex (an address).
    pub hex: bool,
    /// Decoded part (`(flags O_RDWR)`), if any.
    pub extra: Option<Value<'a>>,
}

impl<'c, 'a> Decoding<'c, 'a> {
    /// `None` when the syscall is not in the table.
    pub fn new(call: &'c Call<'a>) -> Option<Self> {
        Some(Decoding {
            call,
            spec: lookup(call.nr)?,
        })
    }

    /// Text shows `name=value`.
    pub fn named(&self) -> bool {
        self.spec.named
    }

    /// Calls `f` with each argument's name and value, in display order.
    #[inline]
    pub fn args(&self, mut f: impl FnMut(&'static str, &Value<'a>)) {
        self.args_or_reg(|name, arg| match arg {
            Ok(v) => f(name, v),
            Err((decode, v)) => f(name, &decode(v)),
        });
    }

    /// Like [`args`](Self::args), but an argument shown through a constant
    /// or flag table comes undecoded, as `Err((decoder, value))`: the
    /// decoder is a pure function of the value, so a caller can keep what
    /// it rendered (see `render::RegMemo`).
    pub fn args_or_reg(&self, mut f: impl FnMut(&'static str, Result<&Value<'a>, (RegFn, u64)>)) {
        let call = self.call;
        let names = super::signature(call.nr).map(|s| &s.args[..]);
        match self.spec.custom {
            Some(custom) => custom(call).iter().for_each(|(name, v)| f(name, Ok(v))),
            None => {
                for (i, d) in self.spec.args.iter().enumerate() {
                    let name = names.and_then(|n| n.get(i)).map_or("arg", |a| a.name);
                    if let Reg(decode) = *d {
                        f(name, Err((decode, call.arg(i))));
                    // Borrowed where it was returned: moved out of the
                    // Option, the value would be reloaded whole (a stall).
                    } else if let Some(v) = &arg_value(call, i, d) {
                        f(name, Ok(v));
                    }
                }
            }
        }
    }

    /// The return value's shape; decoded parts only for a call that succeeded.
    pub fn ret(&self) -> RetShape<'a> {
        let call = self.call;
        let mut ret = self.spec.ret;
        if let Ret::Ctx(f) = ret {
            ret = f(call);
        }
        let (hex, extra) = match ret {
            Ret::Int | Ret::NewFd | Ret::SigReturn | Ret::Ctx(_) => (false, None),
            Ret::Addr => (true, None),
            Ret::Extra(f) => (false, call.ok().then(|| f(call)).flatten()),
            Ret::HexExtra(f) => (true, call.ok().then(|| f(call)).flatten()),
        };
        RetShape {
            hex: hex && call.ok(),
            extra,
        }
    }
}

// ---------------------------------------------------------------- context decoders

const O_TMPFILE_ONLY: u64 = libc::O_TMPFILE as u64 & !(libc::O_DIRECTORY as u64);

/// open/openat: the mode only matters (and strace only shows it) with O_CREAT or O_TMPFILE.
fn mode_if_creat<'a>(call: &Call<'a>, i: usize) -> Option<Value<'a>> {
    let flags = call.arg(i - 1);
    (flags & libc::O_CREAT as u64 != 0 || flags & O_TMPFILE_ONLY != 0)
        .then(|| consts::mode(call.arg(i)))
}

fn socket_protocol<'a>(call: &Call<'a>, i: usize) -> Option<Value<'a>> {
    Some(consts::socket_protocol(call.arg(0), call.arg(i)))
}

fn sockopt_name<'a>(call: &Call<'a>, i: usize) -> Option<Value<'a>> {
    Some(consts::sockopt_name(call.arg(1), call.arg(i)))
}

/// Socket option values: ints as `[1]`, anything else as a quoted buffer.
fn sockopt_value(b: &[u8]) -> Value<'_> {
    if b.len() == 4 {
        structs::int_array(b)
    } else {
        Value::str(b)
    }
}

/// getdents64: strace shows the pointer and how many entries came back.
fn dirents<'a>(call: &Call<'a>, i: usize) -> Value<'a> {
    let ptr = Value::Ptr(call.arg(i));
    if call.ok() && call.ret == 0 {
        return entries(ptr, 0);
    }
    // Counted in the kernel (bpf_loop) ...
    if let Some(c) = call
        .cap(i, CAP_DIRENTS)
        .filter(|c| !c.fault() && !c.truncated())
    {
        return match c.data.get(..4).and_then(|b| b.try_into().ok()) {
            Some(b) => entries(ptr, u32::from_ne_bytes(b)),
            None => ptr,
        };
    }
    // ... or from the first 4 KiB of the buffer.
    let Some(c) = call
        .cap(i, CAP_BUF)
        .filter(|c| !c.fault() && !c.truncated())
    else {
        return ptr;
    };
    // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name.
    let mut n = 0u32;
    let mut off = 0usize;
    while off + 19 <= c.data.len() {
        let reclen = u16::from_ne_bytes([c.data[off + 16], c.data[off + 17]]) as usize;
        if reclen == 0 {
            return ptr;
        }
        n += 1;
        off += reclen;
    }
    entries(ptr, n)
}

/// strace's `0x55d0... /* 5 entries */`.
fn entries(ptr: Value, n: u32) -> Value {
    Value::Commented {
        value: Box::new(ptr),
        comment: crate::text!("{n} entr{}", if n == 1 { "y" } else { "ies" }),
    }
}

/// asm-generic/fcntl.h (not in the libc crate).
const F_SETSIG: i32 = 10;
const F_GETSIG: i32 = 11;

fn fcntl_cmd(call: &Call<'_>) -> i32 {
    call.arg(1) as u32 as i32
}

/// fcntl's third argument, by command (absent for the F_GET* commands).
fn fcntl_arg<'a>(call: &Call<'a>, i: usize) -> Option<Value<'a>> {
    let v = call.arg(i);
    match fcntl_cmd(call) {
        libc::F_GETFD
        | libc::F_GETFL
        | libc::F_GETOWN
        | F_GETSIG
        | libc::F_GETLEASE
        | libc::F_GETPIPE_SZ
        | libc::F_GET_SEALS => None,
        libc::F_SETFD => Some(consts::fd_flags(v)),
        libc::F_SETFL => Some(consts::open_flags(v)),
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC | libc::F_SETOWN | libc::F_SETPIPE_SZ => {
            Some(Value::Int(v as u32 as i32 as i64))
        }
        F_SETSIG => Some(consts::signal(v)),
        libc::F_GETLK
        | libc::F_SETLK
        | libc::F_SETLKW
        | libc::F_OFD_GETLK
        | libc::F_OFD_SETLK
        | libc::F_OFD_SETLKW => Some(Value::Ptr(v)),
        _ => Some(Value::Hex(v)),
    }
}

fn fcntl_ret(call: &Call<'_>) -> Ret {
    fn getfl<'a>(call: &Call<'a>) -> Option<Value<'a>> {
        Some(Value::Call {
            func: "flags",
            args: vec![consts::open_flags(call.ret as u64)],
        })
    }
    fn getfd<'a>(call: &Call<'a>) -> Option<Value<'a>> {
        Some(Value::Call {
            func: "flags",
            args: vec![consts::fd_flags(call.ret as u64)],
        })
    }
    match fcntl_cmd(call) {
        libc::F_GETFL => Ret::HexExtra(getfl),
        // strace shows no flags for 0.
        libc::F_GETFD if call.ret != 0 => Ret::HexExtra(getfd),
        _ => Ret::Int,
    }
}

/// poll's result: the descriptors with events, `(Timeout)` for none.
fn poll_ret<'a>(call: &Call<'a>) -> Option<Value<'a>> {
    if call.ret == 0 {
        return Some(Value::Text("Timeout".into()));
    }
    let c = call.cap(0, CAP_BUF).filter(|c| !c.fault())?;
    Some(structs::pollfds_revents(c.data))
}

/// clone3's struct, then what the call wrote back: the child's tid into
/// parent_tid, which strace shows as `{...} => {parent_tid=[1235]}`.
fn clone3_with_result<'a>(call: &Call<'a>, args: Value<'a>) -> Value<'a> {
    if !call.ok() || call.arg(0) == 0 {
        return args;
    }
    let flags = call
        .cap(0, CAP_BUF)
        .and_then(|c| Some(u64::from_ne_bytes(c.data.get(..8)?.try_into().ok()?)))
        .unwrap_or(0);
    if flags & libc::CLONE_PARENT_SETTID as u64 == 0 {
        return args;
    }
    Value::Call {
        func: "=>",
        args: vec![
            args,
            Value::record(vec![(
                "parent_tid",
                Value::Array {
                    items: vec![Value::Int(call.ret)],
                    more: false,
                },
            )]),
        ],
    }
}

fn wait_status(b: &[u8]) -> Value<'_> {
    match b.get(..4).and_then(|s| s.try_into().ok()) {
        Some(s) => structs::wait_status(i32::from_ne_bytes(s)),
        None => Value::Text("???".into()),
    }
}

/// struct open_how { u64 flags; u64 mode; u64 resolve; }
fn open_how(b: &[u8]) -> Value<'_> {
    let field = |n: usize| -> Option<u64> {
        Some(u64::from_ne_bytes(
            b.get(n * 8..n * 8 + 8)?.try_into().ok()?,
        ))
    };
    match (field(0), field(1), field(2)) {
        (Some(flags), Some(mode), Some(resolve)) => Value::record(vec![
            ("flags", consts::open_flags(flags)),
            ("mode", consts::mode(mode)),
            ("resolve", Value::Hex(resolve)),
        ]),
        _ => Value::Text("???".into()),
    }
}

/// The size of each string in struct utsname.
const UTS_FIELD: usize = 65;

/// struct utsname: strace shows the first two fields.
fn utsname(b: &[u8]) -> Value<'_> {
    let field = |n: usize| -> Value {
        let f = b.get(n * UTS_FIELD..(n + 1) * UTS_FIELD).unwrap_or(&[]);
        let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
        Value::str(&f[..end])
    };
    if b.len() < 2 * UTS_FIELD {
        return Value::Text("???".into());
    }
    Value::Struct {
        fields: vec![("sysname", field(0)), ("nodename", field(1))],
        more: true,
    }
}

/// clone(flags, stack, parent_tid, child_tid, tls) as strace shows it on x86_64.
fn clone_args<'a>(call: &Call<'a>) -> Vec<(&'static str, Value<'a>)> {
    let flags = call.arg(0);
    let mut v = vec![
        ("child_stack", Value::Ptr(call.arg(1))),
        ("flags", consts::clone_flags(flags)),
    ];
    if flags & libc::CLONE_PARENT_SETTID as u64 != 0 {
        v.push(("parent_tid", Value::Ptr(call.arg(2))));
    }
    if flags & (libc::CLONE_CHILD_SETTID | libc::CLONE_CHILD_CLEARTID) as u64 != 0 {
        v.push(("child_tidptr", Value::Ptr(call.arg(3))));
    }
    if flags & libc::CLONE_SETTLS as u64 != 0 {
        v.push(("tls", Value::Ptr(call.arg(4))));
    }
    v
}

/// prctl: the option, then as many arguments as it uses.
fn prctl_args<'a>(call: &Call<'a>) -> Vec<(&'static str, Value<'a>)> {
    const REST: [&str; 4] = ["arg2", "arg3", "arg4", "arg5"];
    let option = call.arg(0) as i32;
    let mut v = vec![("option", consts::prctl_option(call.arg(0)))];
    match option {
        libc::PR_GET_DUMPABLE
        | libc::PR_GET_NO_NEW_PRIVS
        | libc::PR_GET_KEEPCAPS
        | libc::PR_GET_SECUREBITS
        | libc::PR_GET_CHILD_SUBREAPER => {}
        libc::PR_SET_PDEATHSIG => v.push(("arg2", consts::signal(call.arg(1)))),
        libc::PR_SET_DUMPABLE | libc::PR_SET_KEEPCAPS | libc::PR_SET_CHILD_SUBREAPER => {
            v.push(("arg2", Value::UInt(call.arg(1))))
        }
        libc::PR_SET_NO_NEW_PRIVS => {
            for (i, name) in REST.iter().enumerate() {
                v.push((name, Value::UInt(call.arg(i + 1))));
            }
        }
        libc::PR_SET_NAME | libc::PR_GET_NAME => v.push(("arg2", Value::Ptr(call.arg(1)))),
        _ => {
            for (i, name) in REST.iter().enumerate() {
                v.push((name, Value::Hex(call.arg(i + 1))));
            }
        }
    }
    v
}

/// futex: the arguments each operation uses.
fn futex_args<'a>(call: &Call<'a>) -> Vec<(&'static str, Value<'a>)> {
    let op = call.arg(1) as i32;
    let cmd = op & libc::FUTEX_CMD_MASK;
    let mut v = vec![
        ("uaddr", Value::Ptr(call.arg(0))),
        ("op", consts::futex_op(call.arg(1))),
        ("val", Value::Int(call.arg(2) as u32 as i32 as i64)),
    ];
    let timeout = ("utime", Value::Ptr(call.arg(3)));
    match cmd {
        libc::FUTEX_WAKE => {}
        libc::FUTEX_WAIT => v.push(timeout),
        libc::FUTEX_WAIT_BITSET | libc::FUTEX_WAKE_BITSET => {
            v.push(timeout);
            let bits = call.arg(5) as u32;
            v.push((
                "val3",
                if bits == u32::MAX {
                    Value::Sym("FUTEX_BITSET_MATCH_ANY")
                } else {
                    Value::Hex(bits.into())
                },
            ));
        }
        libc::FUTEX_REQUEUE => {
            v.push(("val2", Value::UInt(call.arg(3))));
            v.push(("uaddr2", Value::Ptr(call.arg(4))));
        }
        libc::FUTEX_CMP_REQUEUE => {
            v.push(("val2", Value::UInt(call.arg(3))));
            v.push(("uaddr2", Value::Ptr(call.arg(4))));
            v.push(("val3", Value::Int(call.arg(5) as u32 as i32 as i64)));
        }
        libc::FUTEX_LOCK_PI | libc::FUTEX_LOCK_PI2 => v[2] = ("utime", Value::Ptr(call.arg(3))),
        libc::FUTEX_UNLOCK_PI | libc::FUTEX_TRYLOCK_PI => {
            v.truncate(2);
        }
        _ => {
            v.push(timeout);
            v.push(("uaddr2", Value::Ptr(call.arg(4))));
            v.push(("val3", Value::Hex(call.arg(5))));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::CAP_STR;

    #[test]
    fn every_spec_matches_its_signature() {
        for s in SPECS {
            // A name the syscall table does not know would leave the spec
            // unused (it was so for sendfile, spelled as its tracefs event).
            // The table was written for x86_64, whose legacy calls (open,
            // stat, poll) other architectures lack.
            assert!(
                cfg!(not(target_arch = "x86_64")) || syscalls::number(s.name).is_some(),
                "{}: not a syscall name on x86_64",
                s.name
            );
            let sig = super::super::signatures::by_name(s.name)
                .unwrap_or_else(|| panic!("{}: not in the signature table", s.name));
            assert_eq!(
                sig.args.len(),
                s.args.len(),
                "{}: {} decoders for {} arguments",
                s.name,
                s.args.len(),
                sig.args.len()
            );
        }
    }

    /// Capture records as the kernel lays them out.
    fn records(caps: &[(u8, u8, u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(arg, kind, flags, data) in caps {
            out.push(arg);
            out.push(kind);
            out.extend_from_slice(&flags.to_ne_bytes());
            out.extend_from_slice(&(data.len() as u32).to_ne_bytes());
            out.extend_from_slice(data);
            while out.len() % 8 != 0 {
                out.push(0);
            }
        }
        out
    }

    fn call_of<'a>(name: &str, args: &'a [u64; 6], ret: i64, raw: &'a [u8]) -> Call<'a> {
        Call {
            nr: syscalls::number(name).unwrap(),
            args,
            ret,
            returned: true,
            captures: Captures::new(raw).unwrap(),
            string_limit: 8,
        }
    }

    fn text_of(name: &str, args: [u64; 6], ret: i64, raw: &[u8]) -> String {
        let call = call_of(name, &args, ret, raw);
        let mut out = Vec::new();
        Decoding::new(&call).unwrap().args(|_, v| {
            if !out.is_empty() {
                out.extend_from_slice(b", ");
            }
            super::super::render::text(v, &mut out);
        });
        String::from_utf8(out).unwrap()
    }

    const AT_FDCWD: u64 = libc::AT_FDCWD as i64 as u64;

    /// NUMA node masks: as many longs as maxnode covers (maxnode - 1 bits),
    /// in strace's `%#016lx`; the pointer where maxnode covers none or
    /// nothing was read, `...` where the call covers more than was read.
    #[test]
    fn node_masks_by_maxnode() {
        let mut words = 1u64.to_ne_bytes().to_vec();
        words.extend_from_slice(&0u64.to_ne_bytes());
        let bind = 2i32.to_ne_bytes();
        let raw = records(&[(0, CAP_FIXED, 0, &bind), (1, CAP_BUF, 0, &words)]);
        assert_eq!(
            text_of("get_mempolicy", [0x10, 0x20, 128, 0, 3, 0], 0, &raw),
            "[MPOL_BIND], [0x00000000000001, 0000000000000000], 128, NULL, MPOL_F_NODE|MPOL_F_ADDR"
        );
        // 65 covers 64 bits: one long.
        let raw = records(&[(1, CAP_BUF, 0, &words)]);
        assert_eq!(
            text_of("set_mempolicy", [1 | 1 << 15, 0x20, 65, 0, 0, 0], 0, &raw),
            "MPOL_PREFERRED|MPOL_F_STATIC_NODES, [0x00000000000001], 65"
        );
        // maxnode 1 covers no bit; the policy has a flag strace does not name.
        let odd = 0x4001i32.to_ne_bytes();
        let raw = records(&[(0, CAP_FIXED, 0, &odd)]);
        assert_eq!(
            text_of("get_mempolicy", [0x10, 0x20, 1, 0, 0, 0], 0, &raw),
            "[0x4001 /* MPOL_??? */], 0x20, 1, NULL, 0"
        );
        // 1025 covers 16 longs; two were read.
        let raw = records(&[(3, CAP_BUF, 0, &words)]);
        assert_eq!(
            text_of("mbind", [0x7000, 8192, 2 | 1 << 14, 0x20, 1025, 1], 0, &raw),
            "0x7000, 8192, MPOL_BIND|MPOL_F_RELATIVE_NODES, \
             [0x00000000000001, 0000000000000000, ...], 1025, MPOL_MF_STRICT"
        );
        // Nothing read (a failed get_mempolicy's mask): the pointer.
        assert_eq!(
            text_of("get_mempolicy", [0, 0x20, 128, 0, 0, 0], -22, &[]),
            "NULL, 0x20, 128, NULL, 0"
        );
        assert_eq!(
            text_of("set_mempolicy", [9, 0, 0, 0, 0, 0], -22, &[]),
            "0x9 /* MPOL_??? */, NULL, 0"
        );
    }

    /// The kernel is asked for exactly the longs maxnode covers, as much as
    /// it reads itself, and get_mempolicy's only on success.
    #[test]
    fn node_masks_are_read_by_maxnode() {
        let plan = plan();
        let caps = |name: &str| {
            let nr = syscalls::number(name).unwrap();
            plan.iter().find(|(n, _)| *n == nr).unwrap().1.clone()
        };
        let get = caps("get_mempolicy");
        let mask = get.iter().find(|c| c.arg == 1).unwrap();
        assert_eq!((mask.kind, mask.len_arg), (CAP_BUF, 2));
        assert_eq!(mask.flags, F_NODE_BITS | F_OK);
        assert_eq!(mask.size, NODEMASK_MAX);
        let set = caps("set_mempolicy");
        assert_eq!(set[0].flags, F_NODE_BITS);
        let migrate = caps("migrate_pages");
        assert_eq!(migrate.len(), 2);
        assert!(migrate
            .iter()
            .all(|c| c.len_arg == 1 && c.flags == F_NODE_BITS));
    }

    #[test]
    fn paths_and_buffers_from_captures() {
        let raw = records(&[(1, CAP_STR, 0, b"/etc/passwd\0")]);
        assert_eq!(
            text_of("openat", [AT_FDCWD, 0x1000, 0x80000, 0, 0, 0], 3, &raw),
            "AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC"
        );
        // O_CREAT brings the mode in.
        assert_eq!(
            text_of("openat", [AT_FDCWD, 0x1000, 0x241, 0o640, 0, 0], 3, &raw),
            "AT_FDCWD, \"/etc/passwd\", O_WRONLY|O_CREAT|O_TRUNC, 0640"
        );
        // A buffer longer than -s (8 here) is cut and marked.
        let raw = records(&[(1, CAP_BUF, 0, b"hello world\n")]);
        assert_eq!(
            text_of("read", [3, 0x1000, 4096, 0, 0, 0], 12, &raw),
            "3, \"hello wo\"..., 4096"
        );
        // Truncated by the kernel: marked too.
        let raw = records(&[(1, CAP_BUF, CAPR_TRUNC_T, b"abc")]);
        assert_eq!(
            text_of("write", [1, 0x1000, 100, 0, 0, 0], 100, &raw),
            "1, \"abc\"..., 100"
        );
    }

    #[test]
    fn padding_after_a_buffer_is_ignored() {
        // EXIT_ONE_BUFFER's record: the buffer, then what it left unused as
        // one CAP_NONE capture; a failed read's room is all padding.
        let raw = records(&[(1, CAP_BUF, 0, b"hi"), (0, 0, 0, &[0; 16])]);
        assert_eq!(
            text_of("read", [3, 0x1000, 4096, 0, 0, 0], 2, &raw),
            "3, \"hi\", 4096"
        );
        let raw = records(&[(1, 0, 0, &[0; 32])]);
        assert_eq!(
            text_of("read", [3, 0x1000, 4096, 0, 0, 0], -9, &raw),
            "3, 0x1000, 4096"
        );
    }

    /// The return value's decoded part, rendered by `render` (text or JSON).
    fn ret_of(
        name: &str,
        args: [u64; 6],
        ret: i64,
        raw: &[u8],
        render: fn(&Value, &mut Vec<u8>),
    ) -> Option<String> {
        let call = call_of(name, &args, ret, raw);
        let extra = Decoding::new(&call)?.ret().extra?;
        let mut out = Vec::new();
        render(&extra, &mut out);
        Some(String::from_utf8(out).unwrap())
    }

    fn ret_text_of(name: &str, args: [u64; 6], ret: i64, raw: &[u8]) -> Option<String> {
        ret_of(name, args, ret, raw, super::super::render::text)
    }

    #[test]
    fn select_sets_at_entry_and_what_was_ready() {
        let set = |fds: &[u32]| {
            let mut b = [0u8; 16];
            for &fd in fds {
                b[fd as usize / 8] |= 1 << (fd % 8);
            }
            b
        };
        let (asked_in, asked_out) = (set(&[3, 9]), set(&[4]));
        let (ready_in, ready_out) = (set(&[9]), set(&[]));
        let timeout = [2i64.to_ne_bytes(), 500i64.to_ne_bytes()].concat();
        let left = [1i64.to_ne_bytes(), 7i64.to_ne_bytes()].concat();
        let raw = records(&[
            (1, CAP_FIXED, 0, &ready_in),
            (2, CAP_FIXED, 0, &ready_out),
            (4, CAP_FIXED, 0, &left),
            (1, CAP_ENTRY, 0, &asked_in),
            (2, CAP_ENTRY, 0, &asked_out),
            (4, CAP_ENTRY, 0, &timeout),
        ]);
        // Bits at or above nfds are not the caller's: left out.
        let args = [10, 0x1000, 0x2000, 0, 0x3000, 0];
        assert_eq!(
            text_of("pselect6", args, 1, &raw),
            "10, [3 9], [4], NULL, {tv_sec=2, tv_nsec=500}, NULL"
        );
        assert_eq!(
            ret_text_of("pselect6", args, 1, &raw).as_deref(),
            Some("in [9], left {tv_sec=1, tv_nsec=7}")
        );
        assert_eq!(
            text_of("select", args, 1, &raw),
            "10, [3 9], [4], NULL, {tv_sec=2, tv_usec=500}"
        );
        assert_eq!(
            ret_text_of("select", [4, 0x1000, 0x2000, 0, 0x3000, 0], 1, &raw).as_deref(),
            Some("left {tv_sec=1, tv_usec=7}"),
            "nfds 4 cuts the sets at descriptor 3: 9 is not one of the caller's"
        );
        assert_eq!(
            ret_text_of("pselect6", args, 0, &raw).as_deref(),
            Some("Timeout")
        );
        // Beyond the 128 descriptors read: pointers, and no partial list
        // of what was ready.
        let wide = [200, 0x1000, 0x2000, 0, 0x3000, 0];
        assert_eq!(
            text_of("pselect6", wide, 1, &raw),
            "200, 0x1000, 0x2000, NULL, {tv_sec=2, tv_nsec=500}, NULL"
        );
        assert_eq!(ret_text_of("pselect6", wide, 1, &raw), None);
        // Unreadable at entry, or a failed call: the pointers, no result.
        let unread = records(&[(1, CAP_ENTRY, CAPR_FAULT_T, b"")]);
        assert_eq!(
            text_of("pselect6", [4, 0x1000, 0, 0, 0, 0], -14, &unread),
            "4, 0x1000, NULL, NULL, NULL, NULL"
        );
        // JSON: the result as an object.
        assert_eq!(
            ret_of("pselect6", args, 1, &raw, super::super::render::json).as_deref(),
            Some(r#"{"in":[9],"left":{"tv_sec":1,"tv_nsec":7}}"#)
        );
    }

    /// A socklen_t read at entry and at exit, as strace shows it: one
    /// value when the call kept it, both when it changed, the caller's
    /// after a failure; without the entry read, what the exit read.
    #[test]
    fn socklen_before_and_after() {
        let sun = libc::AF_UNIX as u16;
        let addr = |len: i32| {
            records(&[
                (1, CAP_BUF, 0, &sun.to_ne_bytes()),
                (2, CAP_FIXED, 0, &len.to_ne_bytes()),
                (2, CAP_ENTRY, 0, &128i32.to_ne_bytes()),
            ])
        };
        let args = [3, 0x1000, 0x2000, 0, 0, 0];
        assert_eq!(
            text_of("getsockname", args, 0, &addr(2)),
            "3, {sa_family=AF_UNIX}, [128 => 2]"
        );
        assert_eq!(
            text_of("getsockname", args, 0, &addr(128)),
            "3, {sa_family=AF_UNIX}, [128]"
        );
        let failed = records(&[(2, CAP_ENTRY, 0, &128i32.to_ne_bytes())]);
        assert_eq!(
            text_of("getsockname", args, -9, &failed),
            "3, 0x1000, [128]"
        );
        let unread = records(&[(2, CAP_ENTRY, CAPR_FAULT_T, b"")]);
        assert_eq!(
            text_of("getsockname", args, -14, &unread),
            "3, 0x1000, 0x2000"
        );
        let exit_only = records(&[
            (1, CAP_BUF, 0, &sun.to_ne_bytes()),
            (2, CAP_FIXED, 0, &2i32.to_ne_bytes()),
        ]);
        assert_eq!(
            text_of("getsockname", args, 0, &exit_only),
            "3, {sa_family=AF_UNIX}, [2]"
        );
        // In JSON both values are kept.
        let mut out = Vec::new();
        super::super::render::json(&before_after(128, Value::Int(2)), &mut out);
        assert_eq!(out, br#"{"in":128,"out":2}"#);
    }

    #[test]
    fn the_mask_rt_sigreturn_restores() {
        let plan = entry_plan();
        let read = asks(&plan, "rt_sigreturn", |s| (s.arg, s.size, s.skip));
        assert_eq!(read, Some(vec![(CAP_ENTRY_ARG_SP, 8, 296)]));
        let usr2 = 1u64 << (libc::SIGUSR2 - 1);
        let raw = records(&[(CAP_ENTRY_ARG_SP, CAP_ENTRY, 0, &usr2.to_ne_bytes())]);
        assert_eq!(text_of("rt_sigreturn", [0; 6], 0, &raw), "{mask=[USR2]}");
        let unread = records(&[(CAP_ENTRY_ARG_SP, CAP_ENTRY, CAPR_FAULT_T, b"")]);
        assert_eq!(text_of("rt_sigreturn", [0; 6], 0, &unread), "");
    }

    #[test]
    fn ioctl_arguments() {
        let ficlone = libc::FICLONE as u32 as u64;
        assert_eq!(
            text_of("ioctl", [4, ficlone, 3, 0, 0, 0], -95, &[]),
            "4, BTRFS_IOC_CLONE or FICLONE, 3"
        );
        let tcgets = libc::TCGETS as u32 as u64;
        assert_eq!(
            text_of("ioctl", [1, tcgets, 0x7ffd1000, 0, 0, 0], -25, &[]),
            "1, TCGETS, 0x7ffd1000"
        );
    }

    #[test]
    fn group_lists_and_null_arrays() {
        let empty = records(&[(1, CAP_BUF, 0, b"")]);
        assert_eq!(
            text_of("getgroups", [0, 0, 0, 0, 0, 0], 0, &empty),
            "0, NULL"
        );
        assert_eq!(
            text_of("getgroups", [8, 0x1000, 0, 0, 0, 0], 0, &empty),
            "8, []"
        );
        let mut gids = 0u32.to_ne_bytes().to_vec();
        gids.extend(u32::MAX.to_ne_bytes());
        let two = records(&[(1, CAP_BUF, 0, &gids)]);
        assert_eq!(
            text_of("setgroups", [2, 0x1000, 0, 0, 0, 0], 0, &two),
            "2, [0, 4294967295]"
        );
    }

    #[test]
    fn file_offsets_before_and_after() {
        let offset = |before: i64, after: i64| {
            records(&[
                (2, CAP_FIXED, 0, &after.to_ne_bytes()),
                (2, CAP_ENTRY, 0, &before.to_ne_bytes()),
            ])
        };
        let args = [6, 3, 0x1000, 2, 0, 0];
        // sendfile shows its offset before and after, each in brackets.
        assert_eq!(
            text_of("sendfile", args, 2, &offset(1, 3)),
            "6, 3, [1] => [3], 2"
        );
        let big = 1i64 << 40;
        assert_eq!(
            text_of("sendfile", args, 0, &offset(big, big)),
            format!("6, 3, [{big}], 2")
        );
        let failed = records(&[(2, CAP_ENTRY, 0, &7i64.to_ne_bytes())]);
        assert_eq!(text_of("sendfile", args, -9, &failed), "6, 3, [7], 2");
        assert_eq!(
            text_of("sendfile", [6, 3, 0, 2, 0, 0], 2, &[]),
            "6, 3, NULL, 2"
        );
        let raw = offset(1, 3);
        let call = call_of("sendfile", &args, 2, &raw);
        let mut json = Vec::new();
        Decoding::new(&call).unwrap().args(|name, v| {
            if name == "offset" {
                super::super::render::json(v, &mut json);
            }
        });
        assert_eq!(json, br#"{"in":[1],"out":[3]}"#);
        // splice and copy_file_range show theirs as they were at entry.
        let entry = records(&[(1, CAP_ENTRY, 0, &5i64.to_ne_bytes())]);
        assert_eq!(
            text_of("splice", [3, 0x1000, 5, 0, 4, 0], 2, &entry),
            "3, [5], 5, NULL, 4, 0"
        );
    }

    /// What a plan asks of the kernel for syscall `name`, each ask seen through `f`.
    fn asks<T, U>(plan: &[(u32, Vec<T>)], name: &str, f: impl Fn(&T) -> U) -> Option<Vec<U>> {
        let nr = syscalls::number(name).unwrap();
        let (_, asks) = plan.iter().find(|(n, _)| *n == nr)?;
        Some(asks.iter().map(f).collect())
    }

    #[test]
    fn new_descriptors_ask_for_their_inodes() {
        let plan = plan();
        let of = |name| asks(&plan, name, |c| (c.kind, c.arg, c.len_arg == LEN_RET));
        assert_eq!(of("socket"), Some(vec![(CAP_INO, RETURNED_FD, true)]));
        assert_eq!(
            of("pipe2"),
            Some(vec![(CAP_FIXED, 0, false), (CAP_INO, 0, false)])
        );
        assert_eq!(
            of("socketpair"),
            Some(vec![(CAP_FIXED, 3, false), (CAP_INO, 3, false)])
        );
        let accept4 = of("accept4").unwrap();
        assert_eq!(accept4.last(), Some(&(CAP_INO, RETURNED_FD, true)));
        // What the kernel has room for.
        let most = types::capture_limits::CAP_PLAN_MAX.0 as usize;
        assert!(plan.iter().all(|(_, caps)| caps.len() <= most));
    }

    #[test]
    fn entry_plan_reads_what_calls_rewrite() {
        let plan = entry_plan();
        let of = |name| asks(&plan, name, |s| (s.arg, s.size, s.skip));
        assert_eq!(of("getsockname"), Some(vec![(2, 4, 0)]));
        assert_eq!(of("accept4"), Some(vec![(2, 4, 0)]));
        assert_eq!(of("recvfrom"), Some(vec![(5, 4, 0)]));
        let namelen = std::mem::offset_of!(libc::msghdr, msg_namelen) as u16;
        assert_eq!(of("recvmsg"), Some(vec![(1, 4, namelen)]));
        let sets = |t| Some(vec![(1, 16, 0), (2, 16, 0), (3, 16, 0), (4, t, 0)]);
        assert_eq!(of("select"), sets(16));
        assert_eq!(of("pselect6"), sets(16));
        assert_eq!(of("sendmsg"), None);
        assert_eq!(of("read"), None);
        // What the kernel has room for.
        let most = types::capture_limits::CAP_ENTRY_READS.0 as usize;
        for (_, reads) in &plan {
            assert!(reads.len() <= most);
            assert!(reads.iter().all(|r| r.size as usize <= CAP_ENTRY_READ_MAX));
        }
    }

    const CAPR_TRUNC_T: u16 = super::super::CAPR_TRUNC;
    const CAPR_FAULT_T: u16 = super::super::CAPR_FAULT;

    #[test]
    fn unreadable_and_missing_memory_shows_the_pointer() {
        let raw = records(&[(1, CAP_STR, CAPR_FAULT_T, b"")]);
        assert_eq!(
            text_of("openat", [AT_FDCWD, 0xdead0, 0, 0, 0, 0], -14, &raw),
            "AT_FDCWD, 0xdead0, O_RDONLY"
        );
        // Output structs of a failed call are not read: the pointer.
        assert_eq!(
            text_of("newfstatat", [AT_FDCWD, 0x1000, 0x2000, 0, 0, 0], -2, &[]),
            "AT_FDCWD, 0x1000, 0x2000, 0"
        );
        // NULL stays NULL.
        assert_eq!(text_of("brk", [0; 6], 0x5000, &[]), "NULL");
    }

    #[test]
    fn execve_from_the_new_image_and_from_a_failed_call() {
        let raw = records(&[
            (0, CAP_EXEC, 0, b"/bin/ls\0"),
            (1, CAP_EXEC, 0, b"ls\0-l\0"),
            (2, CAP_EXEC, 0, &3u32.to_ne_bytes()),
        ]);
        assert_eq!(
            text_of("execve", [0x10, 0x20, 0x30, 0, 0, 0], 0, &raw),
            "\"/bin/ls\", [\"ls\", \"-l\"], 0x30 /* 3 vars */"
        );
        let mut argv = vec![0u8; 2 * 256];
        argv[..3].copy_from_slice(b"sh\0");
        argv[256..259].copy_from_slice(b"-c\0");
        let raw = records(&[
            (0, CAP_STR, 0, b"/nope\0"),
            (1, CAP_STRV, 0, &argv),
            (2, CAP_COUNT, 0, &1u32.to_ne_bytes()),
        ]);
        assert_eq!(
            text_of("execve", [0x10, 0x20, 0x30, 0, 0, 0], -2, &raw),
            "\"/nope\", [\"sh\", \"-c\"], 0x30 /* 1 var */"
        );
    }

    #[test]
    fn iovec_arrays_with_and_without_their_data() {
        use crate::decode::{CAP_IOV, CAP_IOV_DATA};
        let mut arr = Vec::new();
        for (base, len) in [(0x1000u64, 2u64), (0x2000, 5)] {
            arr.extend_from_slice(&base.to_ne_bytes());
            arr.extend_from_slice(&len.to_ne_bytes());
        }
        let raw = records(&[
            (1, CAP_IOV, 0, &arr),
            (0, CAP_IOV_DATA, 0, b"ab"),
            (1, CAP_IOV_DATA, 0, b"c\n"),
        ]);
        assert_eq!(
            text_of("writev", [1, 0x500, 2, 0, 0, 0], 4, &raw),
            "1, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"c\\n\", iov_len=5}], 2"
        );
        // Without bpf_loop the kernel sends the array only: pointers.
        let raw = records(&[(1, CAP_IOV, CAPR_TRUNC_T, &arr)]);
        assert_eq!(
            text_of("writev", [1, 0x500, 9, 0, 0, 0], 4, &raw),
            "1, [{iov_base=0x1000, iov_len=2}, {iov_base=0x2000, iov_len=5}, ...], 9"
        );
    }

    #[test]
    fn directory_entries_counted_in_the_kernel_or_from_the_buffer() {
        use crate::decode::CAP_DIRENTS;
        let raw = records(&[(1, CAP_DIRENTS, 0, &208u32.to_ne_bytes())]);
        assert_eq!(
            text_of("getdents64", [3, 0x10, 32768, 0, 0, 0], 6944, &raw),
            "3, 0x10 /* 208 entries */, 32768"
        );
        // Counting stopped early: no count rather than a wrong one.
        let raw = records(&[(1, CAP_DIRENTS, CAPR_TRUNC_T, &8192u32.to_ne_bytes())]);
        assert_eq!(
            text_of("getdents64", [3, 0x10, 32768, 0, 0, 0], 6944, &raw),
            "3, 0x10, 32768"
        );
        // Two entries of 24 bytes in a buffer (kernels without bpf_loop).
        let mut buf = vec![0u8; 48];
        buf[16] = 24;
        buf[24 + 16] = 24;
        let raw = records(&[(1, CAP_BUF, 0, &buf)]);
        assert_eq!(
            text_of("getdents64", [3, 0x10, 4096, 0, 0, 0], 48, &raw),
            "3, 0x10 /* 2 entries */, 4096"
        );
        assert_eq!(
            text_of("getdents64", [3, 0x10, 4096, 0, 0, 0], 0, &[]),
            "3, 0x10 /* 0 entries */, 4096"
        );
    }

    #[test]
    fn malformed_capture_records_are_rejected() {
        // A length running past the end.
        let mut raw = records(&[(1, CAP_STR, 0, b"abcd")]);
        raw[4] = 200;
        assert!(Captures::new(&raw).is_err());
        // A header cut short.
        assert!(Captures::new(&[1, 2, 3]).is_err());
        assert!(Captures::new(&[]).is_ok());
    }

    #[test]
    fn only_the_shown_part_of_a_stat_is_read() {
        let nr = syscalls::number("newfstatat").unwrap();
        let (_, caps) = plan().into_iter().find(|(n, _)| *n == nr).unwrap();
        let part = structs::STAT_SHOWN;
        assert!(caps.iter().any(|c| c.kind == CAP_FIXED
            && c.arg == 2
            && (c.skip, c.size) == (part.skip, part.size)));
        // The record holds the part alone; the decoder places it.
        // SAFETY: libc::stat is Plain; all zeroes is valid.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_mode = libc::S_IFREG | 0o600;
        st.st_size = 5;
        // SAFETY: a plain struct read as its bytes.
        let all = unsafe {
            std::slice::from_raw_parts(
                (&st as *const libc::stat).cast::<u8>(),
                size_of::<libc::stat>(),
            )
        };
        let window = &all[usize::from(part.skip)..][..usize::from(part.size)];
        let raw = records(&[(1, CAP_STR, 0, b"f\0"), (2, CAP_FIXED, 0, window)]);
        assert_eq!(
            text_of("newfstatat", [AT_FDCWD, 0x1000, 0x2000, 0, 0, 0], 0, &raw),
            "AT_FDCWD, \"f\", {st_mode=S_IFREG|0600, st_size=5, ...}, 0"
        );
    }

    #[test]
    fn plans_fit_the_kernel() {
        let max = types::syscall_event::default().args.len();
        for (nr, caps) in plan() {
            assert!(caps.len() <= 4, "syscall {nr}: {} captures", caps.len());
            for c in caps {
                assert!((c.arg as usize) < max);
            }
        }
    }
}
