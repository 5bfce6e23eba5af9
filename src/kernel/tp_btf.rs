//! Loads `tp_btf` programs against attach IDs kept in the per-boot cache, so that libbpf need not parse the kernel's BTF to find them.
//!
//! A `tp_btf` program is loaded with the kernel type ID of its tracepoint's
//! `btf_trace_*` typedef. libbpf finds that ID in the kernel's BTF, which it
//! parses whole for the purpose (about 126,000 types, 3-5 ms of start-up on
//! 6.18), even when CO-RE relocates against a cached file. With the IDs from
//! that file (`core_btf::attach_ids`), a handler registered for `tp_btf/`
//! sections while the object is opened and loaded gives libbpf the IDs itself:
//!
//! - the programs are opened as raw tracepoint programs, which need no kernel
//!   BTF, so `bpf_object__prepare` does not load it;
//! - at load, the handler's callback makes each one a tracing program again
//!   (`BPF_TRACE_RAW_TP`, exactly what `tp_btf/` gives) and puts its ID in
//!   the load attributes.
//!
//! The callback drops the programs' section handler, so libbpf's skeleton
//! attach would skip them: the loader attaches each program itself.
//!
//! The same callback puts the kfunc `bpf_rdonly_cast` in place of the
//! programs' `task_cast()` calls, a helper number no kernel has
//! (`TASK_CAST_CALL`), when the cache has the kfunc's ID. Declared as a
//! kfunc in C, it would make libbpf parse the kernel's BTF to find that ID.
use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::{c_int, c_long};

use libbpf_rs::libbpf_sys as sys;

use crate::kernel::types;

/// The helper number of the placeholder `task_cast()` calls.
const TASK_CAST_CALL: i32 = types::task_cast::TASK_CAST_CALL.0 as i32;

/// The section prefix of a BTF-enabled tracepoint program.
const SECTION_PREFIX: &str = "tp_btf/";

/// What the load callback gives the programs.
struct Targets {
    /// Attach IDs by tracepoint name.
    attach: HashMap<String, u32>,
    /// The kernel BTF ID of `bpf_rdonly_cast`, if the calls are to be patched.
    cast_kfunc: Option<u32>,
}

/// A registered handler; unregistered when dropped.
pub struct Handler {
    id: c_int,
    /// The callback's cookie is this box's address, which must not move
    /// with the handler.
    _targets: Box<Targets>,
}

impl Handler {
    /// Registers the handler for attach IDs by tracepoint name and, with
    /// `cast_kfunc`, the kfunc that replaces `task_cast()`; None if libbpf
    /// refuses (the object then loads the usual way).
    pub fn register(attach: HashMap<String, u32>, cast_kfunc: Option<u32>) -> Option<Handler> {
        let targets = Box::new(Targets { attach, cast_kfunc });
        let opts = sys::libbpf_prog_handler_opts {
            sz: std::mem::size_of::<sys::libbpf_prog_handler_opts>() as _,
            cookie: std::ptr::from_ref::<Targets>(&targets) as c_long,
            prog_prepare_load_fn: Some(prepare_load),
            ..Default::default()
        };
        // SAFETY: a NUL-terminated section name and valid options; the
        // cookie's targets live in the handler, which unregisters before they go.
        let id = unsafe {
            sys::libbpf_register_prog_handler(
                c"tp_btf+".as_ptr(),
                sys::BPF_PROG_TYPE_RAW_TRACEPOINT,
                sys::BPF_TRACE_RAW_TP,
                &opts,
            )
        };
        (id > 0).then_some(Handler {
            id,
            _targets: targets,
        })
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        // SAFETY: an id libbpf returned and nobody else unregisters.
        unsafe { sys::libbpf_unregister_prog_handler(self.id) };
    }
}

/// libbpf's load-time callback: the program becomes a BTF tracepoint program
/// of the cached attach ID, or the load fails with ENOENT; its `task_cast()`
/// calls become `bpf_rdonly_cast` calls.
unsafe extern "C" fn prepare_load(
    prog: *mut sys::bpf_program,
    opts: *mut sys::bpf_prog_load_opts,
    cookie: c_long,
) -> c_int {
    // SAFETY: the cookie is the handler's targets (see `register`), alive
    // while the handler is registered; libbpf passes a valid program and
    // options, and reads the program's instructions again after this call.
    unsafe {
        let targets = &*(cookie as *const Targets);
        let Some(id) = attach_id(&targets.attach, sys::bpf_program__section_name(prog)) else {
            return -libc::ENOENT;
        };
        let rc = sys::bpf_program__set_type(prog, sys::BPF_PROG_TYPE_TRACING);
        if rc < 0 {
            return rc;
        }
        (*opts).expected_attach_type = sys::BPF_TRACE_RAW_TP;
        (*opts).attach_btf_id = id;
        (*opts).attach_btf_obj_fd = 0;
        if let Some(kfunc) = targets.cast_kfunc {
            let count = sys::bpf_program__insn_cnt(prog) as usize;
            let mut insns =
                std::slice::from_raw_parts(sys::bpf_program__insns(prog), count).to_vec();
            if patch_task_casts(&mut insns, kfunc) > 0 {
                let rc = sys::bpf_program__set_insns(prog, insns.as_mut_ptr(), count as _);
                if rc < 0 {
                    return rc;
                }
            }
        }
    }
    0
}

/// Turns every call of helper `TASK_CAST_CALL` into a call of the kernel
/// function `kfunc` (a vmlinux BTF ID); returns how many it changed.
fn patch_task_casts(insns: &mut [sys::bpf_insn], kfunc: u32) -> usize {
    let call = (sys::BPF_JMP | sys::BPF_CALL) as u8;
    let mut patched = 0;
    for insn in insns {
        if insn.code == call && insn.src_reg() == 0 && insn.imm == TASK_CAST_CALL {
            insn.set_src_reg(sys::BPF_PSEUDO_KFUNC_CALL as u8);
            insn.off = 0; // vmlinux, not a module
            insn.imm = kfunc as i32;
            patched += 1;
        }
    }
    patched
}

/// The cached ID for a section named `tp_btf/<tracepoint>`.
///
/// # Safety
/// `section` is NULL or a NUL-terminated string.
unsafe fn attach_id(
    ids: &HashMap<String, u32>,
    section: *const std::os::raw::c_char,
) -> Option<u32> {
    if section.is_null() {
        return None;
    }
    // SAFETY: per the caller.
    let section = unsafe { CStr::from_ptr(section) }.to_str().ok()?;
    ids.get(section.strip_prefix(SECTION_PREFIX)?).copied()
}

/// The tracepoints of an object's `tp_btf` programs, by section name.
pub fn tracepoints<'a>(sections: impl Iterator<Item = &'a std::ffi::OsStr>) -> Vec<String> {
    sections
        .filter_map(|s| s.to_str()?.strip_prefix(SECTION_PREFIX).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_by_section_name() {
        let ids: HashMap<String, u32> = [("sys_enter".to_string(), 7)].into();
        // SAFETY: NUL-terminated literals.
        unsafe {
            assert_eq!(attach_id(&ids, c"tp_btf/sys_enter".as_ptr()), Some(7));
            assert_eq!(attach_id(&ids, c"tp_btf/sys_exit".as_ptr()), None);
            assert_eq!(attach_id(&ids, c"raw_tp/sys_enter".as_ptr()), None);
            assert_eq!(attach_id(&ids, std::ptr::null()), None);
        }
    }

    fn insn(code: u32, src_reg: u8, imm: i32) -> sys::bpf_insn {
        let mut i = sys::bpf_insn {
            code: code as u8,
            imm,
            ..Default::default()
        };
        i.set_src_reg(src_reg);
        i
    }

    /// Only calls of the placeholder helper change, into kfunc calls.
    #[test]
    fn task_casts_become_kfunc_calls() {
        let call = sys::BPF_JMP | sys::BPF_CALL;
        let mut insns = [
            insn(call, 0, TASK_CAST_CALL),
            insn(call, 0, 14), // bpf_get_current_pid_tgid
            insn(
                sys::BPF_ALU64 | sys::BPF_MOV | sys::BPF_K,
                0,
                TASK_CAST_CALL,
            ),
            insn(call, sys::BPF_PSEUDO_CALL as u8, TASK_CAST_CALL), // a subprogram
            insn(call, 0, TASK_CAST_CALL),
        ];
        let before = insns;
        assert_eq!(patch_task_casts(&mut insns, 65486), 2);
        for k in [0, 4] {
            assert_eq!(insns[k].code, call as u8);
            assert_eq!(insns[k].src_reg(), sys::BPF_PSEUDO_KFUNC_CALL as u8);
            assert_eq!((insns[k].imm, insns[k].off), (65486, 0));
        }
        for k in 1..=3 {
            assert_eq!(
                (insns[k].code, insns[k].src_reg(), insns[k].imm),
                (before[k].code, before[k].src_reg(), before[k].imm)
            );
        }
    }

    #[test]
    fn tracepoints_come_from_tp_btf_sections_only() {
        let secs = ["tp_btf/sys_enter", "raw_tp/x", "tp_btf/sched_process_exec"];
        let got = tracepoints(secs.iter().map(std::ffi::OsStr::new));
        assert_eq!(got, ["sys_enter", "sched_process_exec"]);
    }
}
