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
use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::{c_int, c_long};

use libbpf_rs::libbpf_sys as sys;

/// The section prefix of a BTF-enabled tracepoint program.
const SECTION_PREFIX: &str = "tp_btf/";

/// A registered handler; unregistered when dropped.
pub struct Handler {
    id: c_int,
    /// The callback's cookie is this map's address, which must not move
    /// with the handler: hence the box.
    #[allow(clippy::box_collection)]
    _ids: Box<HashMap<String, u32>>,
}

impl Handler {
    /// Registers the handler for attach IDs by tracepoint name; None if
    /// libbpf refuses (the object then loads the usual way).
    pub fn register(ids: HashMap<String, u32>) -> Option<Handler> {
        let ids = Box::new(ids);
        let opts = sys::libbpf_prog_handler_opts {
            sz: std::mem::size_of::<sys::libbpf_prog_handler_opts>() as _,
            cookie: std::ptr::from_ref::<HashMap<String, u32>>(&ids) as c_long,
            prog_prepare_load_fn: Some(prepare_load),
            ..Default::default()
        };
        // SAFETY: a NUL-terminated section name and valid options; the
        // cookie's map lives in the handler, which unregisters before it goes.
        let id = unsafe {
            sys::libbpf_register_prog_handler(
                c"tp_btf+".as_ptr(),
                sys::BPF_PROG_TYPE_RAW_TRACEPOINT,
                sys::BPF_TRACE_RAW_TP,
                &opts,
            )
        };
        (id > 0).then_some(Handler { id, _ids: ids })
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        // SAFETY: an id libbpf returned and nobody else unregisters.
        unsafe { sys::libbpf_unregister_prog_handler(self.id) };
    }
}

/// libbpf's load-time callback: the program becomes a BTF tracepoint program
/// of the cached attach ID, or the load fails with ENOENT.
unsafe extern "C" fn prepare_load(
    prog: *mut sys::bpf_program,
    opts: *mut sys::bpf_prog_load_opts,
    cookie: c_long,
) -> c_int {
    // SAFETY: the cookie is the handler's map (see `register`), alive while
    // the handler is registered; libbpf passes a valid program and options.
    unsafe {
        let ids = &*(cookie as *const HashMap<String, u32>);
        let Some(id) = attach_id(ids, sys::bpf_program__section_name(prog)) else {
            return -libc::ENOENT;
        };
        let rc = sys::bpf_program__set_type(prog, sys::BPF_PROG_TYPE_TRACING);
        if rc < 0 {
            return rc;
        }
        (*opts).expected_attach_type = sys::BPF_TRACE_RAW_TP;
        (*opts).attach_btf_id = id;
        (*opts).attach_btf_obj_fd = 0;
    }
    0
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

    #[test]
    fn tracepoints_come_from_tp_btf_sections_only() {
        let secs = ["tp_btf/sys_enter", "raw_tp/x", "tp_btf/sched_process_exec"];
        let got = tracepoints(secs.iter().map(std::ffi::OsStr::new));
        assert_eq!(got, ["sys_enter", "sched_process_exec"]);
    }
}
