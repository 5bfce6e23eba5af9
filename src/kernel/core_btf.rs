//! A per-boot cache of the kernel types the tracer's CO-RE relocations match.
//!
//! To relocate a field access, libbpf looks for every kernel type with the
//! local type's name by walking all of the kernel's BTF (about 150,000 types
//! on 6.18) once per local type: about 1.3 ms per type here, 5 ms for the
//! tracer's four (task_struct, mm_struct, linux_binprm, signal_struct). Given
//! a BTF file with just those types (`btf_custom_path`), it searches that.
//!
//! The file holds every kernel struct, union, enum and typedef named like one
//! of the object's own, with everything they embed; pointers become `void *`,
//! which CO-RE matches like any pointer, so relocations come out as they
//! would against the whole kernel BTF. It is made on a background thread after a
//! start that had no file, and lives in `/run/ai-forensics` (a tmpfs, emptied
//! at boot; the boot id in the name covers a /run that persists), keyed by a
//! hash of the BPF object. `AI_FORENSICS_RUNTIME_DIR` moves it; set empty, it
//! turns the cache off.
//!
//! Only vmlinux types are copied: libbpf does not look into module BTF when
//! it is given a file, so a relocation against a module's type would need
//! that module's types here too.
//!
//! The file also keeps the kernel type IDs of the object's `tp_btf` attach
//! targets (the `btf_trace_*` typedefs), as the values of an enum libbpf never
//! matches: with them the programs load without libbpf parsing the kernel's
//! BTF at all (3-5 ms; see `tp_btf`). On kernels with the kfunc
//! `bpf_rdonly_cast` (6.2+) it also keeps that kfunc's ID and
//! `struct task_struct`'s, which let the programs read the current task's
//! fields without making the verifier search the kernel BTF (see `task_reads`
//! in `bpf/tracer.bpf.c`).
use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use libbpf_rs::libbpf_sys as sys;

/// Where the cache lives unless `AI_FORENSICS_RUNTIME_DIR` says otherwise.
const DEFAULT_DIR: &str = "/run/ai-forensics";
/// Hash of the compiled tracer object (build.rs): a new object, a new file.
const OBJECT_HASH: &str = env!("AIF_TRACER_OBJECT_HASH");

/// The cache file for this object and this boot.
#[derive(Debug, Clone)]
pub struct Cache {
    path: PathBuf,
}

impl Cache {
    /// None when the cache is turned off or the boot id is unreadable.
    pub fn locate() -> Option<Cache> {
        let dir = match std::env::var_os("AI_FORENSICS_RUNTIME_DIR") {
            Some(d) if d.is_empty() => return None,
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(DEFAULT_DIR),
        };
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        Some(Cache {
            path: dir.join(format!("tracer-core-{OBJECT_HASH}-{}.btf", boot.trim())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's path for libbpf, if a previous start wrote it.
    pub fn existing(&self) -> Option<CString> {
        if !self.path.is_file() {
            return None;
        }
        CString::new(self.path.as_os_str().as_encoded_bytes()).ok()
    }

    /// Removes a file libbpf could not use.
    pub fn discard(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// Writes the file for the local types `names` and the attach targets
    /// `tracepoints`, from the running kernel's BTF; files of other objects
    /// or boots are removed.
    pub fn write(&self, names: &HashSet<Vec<u8>>, tracepoints: &[String]) -> anyhow::Result<()> {
        let raw = extract_vmlinux(names, tracepoints)?;
        let dir = self.path.parent().context("cache path has no directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        set_private(dir)?;
        remove_others(dir, &self.path);
        let tmp = self
            .path
            .with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&tmp, &raw).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("renaming {} into place", tmp.display()))
    }
}

fn set_private(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

fn remove_others(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let ours = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            n.starts_with("tracer-core-") && (n.ends_with(".btf") || n.ends_with(".tmp"))
        });
        if ours && p != keep {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// libbpf's "essential" name: a `___flavor` suffix (as in `task_struct___old`) dropped.
pub fn essential_name(name: &[u8]) -> &[u8] {
    for i in (0..name.len().saturating_sub(4)).rev() {
        let w = &name[i..i + 5];
        if w[0] != b'_' && &w[1..4] == b"___" && w[4] != b'_' {
            return &name[..=i];
        }
    }
    name
}

/// An owned libbpf BTF object.
struct Btf(*mut sys::btf);

impl Drop for Btf {
    fn drop(&mut self) {
        // SAFETY: a BTF object libbpf gave us and nobody else frees.
        unsafe { sys::btf__free(self.0) };
    }
}

impl Btf {
    fn checked(ptr: *mut sys::btf, what: &str) -> anyhow::Result<Btf> {
        // SAFETY: libbpf returns NULL or an error pointer on failure.
        if ptr.is_null() || unsafe { sys::libbpf_get_error(ptr.cast()) } != 0 {
            bail!("{what} failed");
        }
        Ok(Btf(ptr))
    }
}

/// The kinds a CO-RE relocation can start from by name: a field's struct or
/// union, an enum's value, a named type (`bpf_core_type_exists` on a typedef).
fn is_root(kind: u32) -> bool {
    matches!(
        kind,
        KIND_STRUCT | KIND_UNION | KIND_ENUM | KIND_ENUM64 | KIND_TYPEDEF
    )
}

/// The struct, union, enum and typedef names of a BPF object's own BTF.
///
/// # Safety
/// `btf` is a valid libbpf BTF object (or NULL).
pub unsafe fn local_names(btf: *const sys::btf) -> HashSet<Vec<u8>> {
    let mut names = HashSet::new();
    if btf.is_null() {
        return names;
    }
    // SAFETY: valid per the caller; ids below type_cnt are valid.
    unsafe {
        for id in 1..sys::btf__type_cnt(btf) {
            let t = TypeRef::new(btf, id);
            if is_root(t.kind()) {
                let name = t.name();
                if !name.is_empty() {
                    names.insert(essential_name(name).to_vec());
                }
            }
        }
    }
    names
}

const KIND_INT: u32 = sys::BTF_KIND_INT;
const KIND_PTR: u32 = sys::BTF_KIND_PTR;
const KIND_ARRAY: u32 = sys::BTF_KIND_ARRAY;
const KIND_STRUCT: u32 = sys::BTF_KIND_STRUCT;
const KIND_UNION: u32 = sys::BTF_KIND_UNION;
const KIND_ENUM: u32 = sys::BTF_KIND_ENUM;
const KIND_FWD: u32 = sys::BTF_KIND_FWD;
const KIND_TYPEDEF: u32 = sys::BTF_KIND_TYPEDEF;
const KIND_VOLATILE: u32 = sys::BTF_KIND_VOLATILE;
const KIND_CONST: u32 = sys::BTF_KIND_CONST;
const KIND_RESTRICT: u32 = sys::BTF_KIND_RESTRICT;
const KIND_FLOAT: u32 = sys::BTF_KIND_FLOAT;
const KIND_TYPE_TAG: u32 = sys::BTF_KIND_TYPE_TAG;
const KIND_ENUM64: u32 = sys::BTF_KIND_ENUM64;

/// One type of a BTF object, read in the layout of <linux/btf.h>.
#[derive(Clone, Copy)]
struct TypeRef {
    btf: *const sys::btf,
    t: *const sys::btf_type,
}

impl TypeRef {
    /// # Safety
    /// `btf` is valid and `id` below its type count.
    unsafe fn new(btf: *const sys::btf, id: u32) -> Self {
        // SAFETY: per the caller.
        TypeRef {
            btf,
            t: unsafe { sys::btf__type_by_id(btf, id) },
        }
    }

    fn info(&self) -> u32 {
        // SAFETY: a type libbpf validated when it parsed the BTF.
        unsafe { (*self.t).info }
    }

    fn kind(&self) -> u32 {
        (self.info() >> 24) & 0x1f
    }

    fn vlen(&self) -> usize {
        (self.info() & 0xffff) as usize
    }

    fn kflag(&self) -> bool {
        self.info() >> 31 != 0
    }

    /// `size` or `type`, by kind.
    fn size_or_type(&self) -> u32 {
        // SAFETY: both union members are a u32 at the same place.
        unsafe { (*self.t).__bindgen_anon_1.size }
    }

    fn name_at(&self, off: u32) -> &[u8] {
        // SAFETY: libbpf returns a NUL-terminated string inside the BTF, or NULL.
        unsafe {
            let p = sys::btf__name_by_offset(self.btf, off);
            if p.is_null() {
                return b"";
            }
            CStr::from_ptr(p).to_bytes()
        }
    }

    fn name(&self) -> &[u8] {
        // SAFETY: as in `info`.
        self.name_at(unsafe { (*self.t).name_off })
    }

    /// The kind-specific data after the common header, as `n` items of `T`.
    fn extra<T: Copy>(&self, n: usize) -> &[T] {
        // SAFETY: libbpf validated that `n` items of the kind's record follow.
        unsafe { std::slice::from_raw_parts(self.t.add(1).cast::<T>(), n) }
    }
}

/// Copies types from the kernel's BTF into a new one, pointers cut to `void *`.
struct Copier {
    src: *const sys::btf,
    dst: Btf,
    done: HashMap<u32, i32>,
    void_ptr: Option<i32>,
}

fn cstring(name: &[u8]) -> anyhow::Result<CString> {
    CString::new(name).context("BTF name with a NUL byte")
}

impl Copier {
    fn added(id: i32, what: &str) -> anyhow::Result<i32> {
        if id < 0 {
            bail!("adding a BTF {what}: error {id}");
        }
        Ok(id)
    }

    fn copy(&mut self, id: u32) -> anyhow::Result<i32> {
        if id == 0 {
            return Ok(0);
        }
        if let Some(&new) = self.done.get(&id) {
            return Ok(new);
        }
        // SAFETY: ids come from the source's own types.
        let t = unsafe { TypeRef::new(self.src, id) };
        let new = self.copy_type(t)?;
        self.done.insert(id, new);
        Ok(new)
    }

    fn copy_type(&mut self, t: TypeRef) -> anyhow::Result<i32> {
        let dst = self.dst.0;
        let name = cstring(t.name())?;
        // SAFETY (every block below): `dst` is our BTF under construction;
        // names are NUL-terminated; referenced types are added first.
        let id = match t.kind() {
            KIND_INT => {
                let enc = t.extra::<u32>(1)[0];
                let size = t.size_or_type().into();
                unsafe { sys::btf__add_int(dst, name.as_ptr(), size, ((enc >> 24) & 0xf) as i32) }
            }
            KIND_FLOAT => unsafe {
                sys::btf__add_float(dst, name.as_ptr(), t.size_or_type().into())
            },
            KIND_PTR => {
                if let Some(p) = self.void_ptr {
                    return Ok(p);
                }
                let p = Self::added(unsafe { sys::btf__add_ptr(dst, 0) }, "pointer")?;
                self.void_ptr = Some(p);
                p
            }
            KIND_ARRAY => {
                let a = t.extra::<sys::btf_array>(1)[0];
                let elem = self.copy(a.type_)?;
                let index = self.copy(a.index_type)?;
                unsafe { sys::btf__add_array(dst, index, elem, a.nelems) }
            }
            KIND_STRUCT | KIND_UNION => return self.copy_composite(t, &name),
            KIND_ENUM => {
                let id = Self::added(
                    unsafe { sys::btf__add_enum(dst, name.as_ptr(), t.size_or_type()) },
                    "enum",
                )?;
                for v in t.extra::<sys::btf_enum>(t.vlen()) {
                    let vname = cstring(t.name_at(v.name_off))?;
                    let value = if t.kflag() {
                        i64::from(v.val)
                    } else {
                        i64::from(v.val as u32)
                    };
                    Self::added(
                        unsafe { sys::btf__add_enum_value(dst, vname.as_ptr(), value) },
                        "enum value",
                    )?;
                }
                id
            }
            KIND_ENUM64 => {
                let id = Self::added(
                    unsafe {
                        sys::btf__add_enum64(dst, name.as_ptr(), t.size_or_type(), t.kflag())
                    },
                    "enum64",
                )?;
                for v in t.extra::<sys::btf_enum64>(t.vlen()) {
                    let vname = cstring(t.name_at(v.name_off))?;
                    let value = u64::from(v.val_hi32) << 32 | u64::from(v.val_lo32);
                    Self::added(
                        unsafe { sys::btf__add_enum64_value(dst, vname.as_ptr(), value) },
                        "enum64 value",
                    )?;
                }
                id
            }
            KIND_FWD => {
                let kind = if t.kflag() {
                    sys::BTF_FWD_UNION
                } else {
                    sys::BTF_FWD_STRUCT
                };
                unsafe { sys::btf__add_fwd(dst, name.as_ptr(), kind) }
            }
            KIND_TYPEDEF => {
                let r = self.copy(t.size_or_type())?;
                unsafe { sys::btf__add_typedef(dst, name.as_ptr(), r) }
            }
            KIND_VOLATILE => {
                let r = self.copy(t.size_or_type())?;
                unsafe { sys::btf__add_volatile(dst, r) }
            }
            KIND_CONST => {
                let r = self.copy(t.size_or_type())?;
                unsafe { sys::btf__add_const(dst, r) }
            }
            KIND_RESTRICT => {
                let r = self.copy(t.size_or_type())?;
                unsafe { sys::btf__add_restrict(dst, r) }
            }
            KIND_TYPE_TAG => {
                let r = self.copy(t.size_or_type())?;
                unsafe { sys::btf__add_type_tag(dst, name.as_ptr(), r) }
            }
            // Functions, variables and sections are reached only through
            // pointers (cut above) or not at all.
            k => bail!("unexpected BTF kind {k} inside a kernel struct"),
        };
        Self::added(id, "type")
    }

    /// A struct or union: its member types first, then it and its fields
    /// (libbpf appends fields to the type added last).
    fn copy_composite(&mut self, t: TypeRef, name: &CStr) -> anyhow::Result<i32> {
        let members = t.extra::<sys::btf_member>(t.vlen());
        let mut types = Vec::with_capacity(members.len());
        for m in members {
            types.push(self.copy(m.type_)?);
        }
        let dst = self.dst.0;
        let named = (!name.is_empty()).then_some(name.as_ptr());
        let name_ptr = named.unwrap_or(std::ptr::null());
        // SAFETY: as in copy_type.
        let id = Self::added(
            unsafe {
                if t.kind() == KIND_UNION {
                    sys::btf__add_union(dst, name_ptr, t.size_or_type())
                } else {
                    sys::btf__add_struct(dst, name_ptr, t.size_or_type())
                }
            },
            "struct",
        )?;
        for (m, ty) in members.iter().zip(types) {
            let (bit_off, bit_size) = if t.kflag() {
                (m.offset & 0xff_ffff, m.offset >> 24)
            } else {
                (m.offset, 0)
            };
            let mname = cstring(t.name_at(m.name_off))?;
            let mptr = if mname.is_empty() {
                std::ptr::null()
            } else {
                mname.as_ptr()
            };
            // SAFETY: as in copy_type; the struct was the last type added.
            Self::added(
                unsafe { sys::btf__add_field(dst, mptr, ty, bit_off, bit_size) },
                "field",
            )?;
        }
        Ok(id)
    }
}

/// The enum whose values are the attach targets' kernel type IDs, each named
/// like its typedef (`btf_trace_sys_enter`).
const ATTACH_IDS: &CStr = c"ai_forensics_tp_btf_attach_ids";
/// The kernel's typedef for a BTF-enabled tracepoint's arguments.
const TRACE_TYPEDEF_PREFIX: &str = "btf_trace_";

/// The enum of the IDs a read-only cast of the current task needs: values
/// named `task_struct` and `bpf_rdonly_cast`. Absent when the kernel lacks either.
const TASK_CAST_IDS: &CStr = c"ai_forensics_task_cast_ids";
const TASK_STRUCT: &CStr = c"task_struct";
const RDONLY_CAST: &CStr = c"bpf_rdonly_cast";
const KIND_FUNC: u32 = sys::BTF_KIND_FUNC;

/// The kernel BTF IDs for `bpf_rdonly_cast(task, <struct task_struct>)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskCast {
    /// `struct task_struct`.
    pub task_struct: u32,
    /// The kfunc `bpf_rdonly_cast`.
    pub kfunc: u32,
}

/// The kernel IDs a cache file keeps beside its types.
#[derive(Debug)]
pub struct KernelIds {
    /// The attach targets' typedef IDs, by tracepoint name.
    pub attach: HashMap<String, u32>,
    /// Present when the kernel has the read-only cast.
    pub task_cast: Option<TaskCast>,
}

/// The raw BTF of the kernel's structs, unions and enums named in `names`,
/// and the type IDs of the `tracepoints`' typedefs.
fn extract_vmlinux(names: &HashSet<Vec<u8>>, tracepoints: &[String]) -> anyhow::Result<Vec<u8>> {
    // SAFETY: plain libbpf constructors; results checked.
    let src = Btf::checked(
        unsafe { sys::btf__load_vmlinux_btf() },
        "loading the kernel BTF",
    )?;
    let dst = Btf::checked(unsafe { sys::btf__new_empty() }, "creating a BTF object")?;
    extract(&src, dst, names, tracepoints)
}

/// Adds the enum of attach IDs: each tracepoint's typedef's ID in `src`.
fn add_attach_ids(src: &Btf, dst: &Btf, tracepoints: &[String]) -> anyhow::Result<()> {
    if tracepoints.is_empty() {
        return Ok(());
    }
    let mut values = Vec::with_capacity(tracepoints.len());
    for tp in tracepoints {
        let typedef = cstring(format!("{TRACE_TYPEDEF_PREFIX}{tp}").as_bytes())?;
        let Some(id) = find_id(src, &typedef, KIND_TYPEDEF) else {
            bail!(
                "the kernel has no tracepoint type {}",
                typedef.to_string_lossy()
            );
        };
        values.push((typedef, id));
    }
    add_id_enum(dst, ATTACH_IDS, &values)
}

/// Adds the enum of the read-only cast's IDs, if the kernel has the kfunc.
fn add_task_cast_ids(src: &Btf, dst: &Btf) -> anyhow::Result<()> {
    match (
        find_id(src, TASK_STRUCT, KIND_STRUCT),
        find_id(src, RDONLY_CAST, KIND_FUNC),
    ) {
        (Some(task), Some(kfunc)) => add_id_enum(
            dst,
            TASK_CAST_IDS,
            &[(TASK_STRUCT.into(), task), (RDONLY_CAST.into(), kfunc)],
        ),
        _ => Ok(()),
    }
}

/// The ID of the type `name` of `kind` in `btf`, if it has one.
fn find_id(btf: &Btf, name: &CStr, kind: u32) -> Option<u32> {
    // SAFETY: a valid BTF and a NUL-terminated name.
    let id = unsafe { sys::btf__find_by_name_kind(btf.0, name.as_ptr(), kind) };
    u32::try_from(id).ok().filter(|&id| id > 0)
}

/// Adds an enum `name` of IDs, each value named (read back by `enum_values`).
fn add_id_enum(dst: &Btf, name: &CStr, values: &[(CString, u32)]) -> anyhow::Result<()> {
    // SAFETY: `dst` is our BTF under construction; names are NUL-terminated;
    // each value goes to the enum added last.
    unsafe {
        Copier::added(sys::btf__add_enum(dst.0, name.as_ptr(), 4), "enum")?;
        for (value_name, id) in values {
            Copier::added(
                sys::btf__add_enum_value(dst.0, value_name.as_ptr(), i64::from(*id)),
                "enum value",
            )?;
        }
    }
    Ok(())
}

/// The `(name, value)` pairs of the enum `name` in `btf`; None if it has none.
fn enum_values(btf: &Btf, name: &CStr) -> Option<Vec<(Vec<u8>, u32)>> {
    let id = find_id(btf, name, KIND_ENUM)?;
    // SAFETY: an id the lookup returned.
    let t = unsafe { TypeRef::new(btf.0, id) };
    let values = t.extra::<sys::btf_enum>(t.vlen());
    values
        .iter()
        .map(|v| Some((t.name_at(v.name_off).to_vec(), u32::try_from(v.val).ok()?)))
        .collect()
}

/// The kernel IDs a cache file keeps; None if it keeps no attach IDs or
/// cannot be read (then libbpf finds them itself).
pub fn kernel_ids(path: &CStr) -> Option<KernelIds> {
    // SAFETY: a NUL-terminated path; the result is checked.
    let btf = Btf::checked(
        unsafe { sys::btf__parse(path.as_ptr(), std::ptr::null_mut()) },
        "parsing the cache",
    )
    .ok()?;
    let mut attach = HashMap::new();
    for (name, id) in enum_values(&btf, ATTACH_IDS)? {
        let tp = std::str::from_utf8(&name)
            .ok()?
            .strip_prefix(TRACE_TYPEDEF_PREFIX)?;
        attach.insert(tp.to_string(), id);
    }
    let task_cast = enum_values(&btf, TASK_CAST_IDS).and_then(|values| {
        let find = |want: &CStr| {
            values
                .iter()
                .find(|(name, _)| *name == want.to_bytes())
                .map(|&(_, id)| id)
        };
        Some(TaskCast {
            task_struct: find(TASK_STRUCT)?,
            kfunc: find(RDONLY_CAST)?,
        })
    });
    Some(KernelIds { attach, task_cast })
}

fn extract(
    src: &Btf,
    dst: Btf,
    names: &HashSet<Vec<u8>>,
    tracepoints: &[String],
) -> anyhow::Result<Vec<u8>> {
    let mut copier = Copier {
        src: src.0,
        dst,
        done: HashMap::new(),
        void_ptr: None,
    };
    let mut found = 0;
    // SAFETY: ids below the type count of a valid BTF.
    let count = unsafe { sys::btf__type_cnt(src.0) };
    for id in 1..count {
        // SAFETY: as above.
        let t = unsafe { TypeRef::new(src.0, id) };
        if is_root(t.kind()) && names.contains(t.name()) {
            copier.copy(id)?;
            found += 1;
        }
    }
    if found == 0 {
        bail!("none of the object's types is in the kernel BTF");
    }
    add_attach_ids(src, &copier.dst, tracepoints)?;
    add_task_cast_ids(src, &copier.dst)?;
    let mut size = 0u32;
    // SAFETY: a valid BTF; libbpf returns its serialized form, owned by it.
    let raw = unsafe { sys::btf__raw_data(copier.dst.0, &mut size) };
    if raw.is_null() {
        bail!("serializing the BTF failed");
    }
    // SAFETY: `size` bytes at `raw`, valid while `copier.dst` lives.
    Ok(unsafe { std::slice::from_raw_parts(raw.cast::<u8>(), size as usize) }.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_names_drop_flavors_only() {
        assert_eq!(essential_name(b"task_struct"), b"task_struct");
        assert_eq!(essential_name(b"task_struct___old"), b"task_struct");
        assert_eq!(essential_name(b"__u32"), b"__u32");
        assert_eq!(essential_name(b"a____b"), b"a____b");
        assert_eq!(essential_name(b"x___y___z"), b"x___y");
    }

    /// A kernel BTF of `int`, `struct task { int pid; }` and, for each of
    /// `tracepoints`, its `btf_trace_*` typedef; returns it and their IDs.
    fn small_kernel(tracepoints: &[&CStr]) -> (Btf, Vec<u32>) {
        // SAFETY: libbpf BTF construction on our own object.
        unsafe {
            let src = Btf::checked(sys::btf__new_empty(), "new").unwrap();
            let int = sys::btf__add_int(src.0, c"int".as_ptr(), 4, 1);
            let task = sys::btf__add_struct(src.0, c"task".as_ptr(), 4);
            sys::btf__add_field(src.0, c"pid".as_ptr(), int, 0, 0);
            assert!(task > 0);
            let ids = tracepoints
                .iter()
                .map(|name| sys::btf__add_typedef(src.0, name.as_ptr(), int) as u32)
                .collect();
            (src, ids)
        }
    }

    /// Adds `struct task_struct` and, with `kfunc`, a function
    /// `bpf_rdonly_cast` to a kernel BTF; returns their IDs.
    fn add_cast_types(src: &Btf, kfunc: bool) -> TaskCast {
        // SAFETY: libbpf BTF construction on our own object.
        unsafe {
            let int = sys::btf__find_by_name_kind(src.0, c"int".as_ptr(), KIND_INT);
            let task_struct = sys::btf__add_struct(src.0, TASK_STRUCT.as_ptr(), 4);
            sys::btf__add_field(src.0, c"pid".as_ptr(), int, 0, 0);
            let mut id = 0;
            if kfunc {
                let proto = sys::btf__add_func_proto(src.0, 0);
                id = sys::btf__add_func(src.0, RDONLY_CAST.as_ptr(), sys::BTF_FUNC_GLOBAL, proto);
            }
            assert!(task_struct > 0 && id >= 0);
            TaskCast {
                task_struct: task_struct as u32,
                kfunc: id as u32,
            }
        }
    }

    /// `extract` for the type `task` and `tracepoints`, written to a file and
    /// read back by `kernel_ids`.
    fn cached_ids(src: &Btf, tracepoints: &[String], tag: &str) -> Option<KernelIds> {
        let names: HashSet<Vec<u8>> = [b"task".to_vec()].into();
        // SAFETY: a plain libbpf constructor.
        let dst = Btf::checked(unsafe { sys::btf__new_empty() }, "new").unwrap();
        let raw = extract(src, dst, &names, tracepoints).unwrap();
        let file = std::env::temp_dir().join(format!("aif-ids-{}-{tag}", std::process::id()));
        std::fs::write(&file, &raw).unwrap();
        let path = CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
        let ids = kernel_ids(&path);
        let _ = std::fs::remove_file(&file);
        ids
    }

    /// The attach IDs written beside the types read back by tracepoint name;
    /// a tracepoint the kernel lacks makes the whole file fail.
    #[test]
    fn attach_ids_round_trip() {
        let (src, want) = small_kernel(&[c"btf_trace_sys_enter", c"btf_trace_sys_exit"]);
        let tps = ["sys_enter".to_string(), "sys_exit".to_string()];
        let ids = cached_ids(&src, &tps, "attach").unwrap();
        assert_eq!(ids.attach.len(), 2);
        assert_eq!(ids.attach["sys_enter"], want[0]);
        assert_eq!(ids.attach["sys_exit"], want[1]);
        assert_eq!(ids.task_cast, None);

        let names: HashSet<Vec<u8>> = [b"task".to_vec()].into();
        // SAFETY: a plain libbpf constructor.
        let dst = Btf::checked(unsafe { sys::btf__new_empty() }, "new").unwrap();
        let missing = ["sched_process_exec".to_string()];
        assert!(extract(&src, dst, &names, &missing).is_err());
    }

    /// The cast's IDs are kept when the kernel has both the struct and the
    /// kfunc, and left out when it lacks the kfunc (before 6.2).
    #[test]
    fn task_cast_ids_round_trip() {
        let tps = ["sys_enter".to_string()];
        let (src, _) = small_kernel(&[c"btf_trace_sys_enter"]);
        let want = add_cast_types(&src, true);
        let ids = cached_ids(&src, &tps, "cast").unwrap();
        assert_eq!(ids.task_cast, Some(want));
        assert_ne!(want.task_struct, want.kfunc);

        let (src, _) = small_kernel(&[c"btf_trace_sys_enter"]);
        add_cast_types(&src, false);
        let ids = cached_ids(&src, &tps, "nocast").unwrap();
        assert_eq!(ids.task_cast, None);
        assert_eq!(ids.attach.len(), 1);
    }

    /// A file without attach IDs (or no file) gives none.
    #[test]
    fn no_attach_ids_without_the_enum() {
        assert!(kernel_ids(c"/nonexistent/ai-forensics.btf").is_none());
        let (src, _) = small_kernel(&[]);
        assert!(cached_ids(&src, &[], "none").is_none());
    }

    /// Builds a small BTF by hand and checks what survives the copy.
    #[test]
    fn copies_embedded_types_and_cuts_pointers() {
        // SAFETY: libbpf BTF construction on our own objects.
        unsafe {
            let src = Btf::checked(sys::btf__new_empty(), "new").unwrap();
            let s = src.0;
            let int = sys::btf__add_int(s, c"int".as_ptr(), 4, 1);
            let ch = sys::btf__add_int(s, c"char".as_ptr(), 1, 2);
            let arr = sys::btf__add_array(s, int, ch, 16);
            let inner = sys::btf__add_struct(s, std::ptr::null(), 8);
            sys::btf__add_field(s, c"lo".as_ptr(), int, 0, 0);
            sys::btf__add_field(s, c"hi".as_ptr(), int, 32, 3);
            let other = sys::btf__add_struct(s, c"unrelated".as_ptr(), 4);
            sys::btf__add_field(s, c"x".as_ptr(), int, 0, 0);
            let ptr = sys::btf__add_ptr(s, other);
            let task = sys::btf__add_struct(s, c"task".as_ptr(), 40);
            sys::btf__add_field(s, c"comm".as_ptr(), arr, 0, 0);
            sys::btf__add_field(s, std::ptr::null(), inner, 128, 0);
            sys::btf__add_field(s, c"parent".as_ptr(), ptr, 256, 0);
            assert!(task > 0);

            let names: HashSet<Vec<u8>> = [b"task".to_vec()].into();
            let dst = Btf::checked(sys::btf__new_empty(), "new").unwrap();
            let raw = extract(&src, dst, &names, &[]).unwrap();
            let out = Btf::checked(
                sys::btf__new(raw.as_ptr().cast(), raw.len() as u32),
                "parse",
            )
            .unwrap();
            let id = sys::btf__find_by_name_kind(out.0, c"task".as_ptr(), KIND_STRUCT);
            assert!(id > 0);
            let t = TypeRef::new(out.0, id as u32);
            assert_eq!(t.size_or_type(), 40);
            let m = t.extra::<sys::btf_member>(t.vlen());
            assert_eq!(m.len(), 3);
            assert_eq!(t.name_at(m[0].name_off), b"comm");
            let parent = TypeRef::new(out.0, m[2].type_);
            assert_eq!(parent.kind(), KIND_PTR);
            assert_eq!(parent.size_or_type(), 0, "pointers become void *");
            let anon = TypeRef::new(out.0, m[1].type_);
            assert_eq!(anon.kind(), KIND_STRUCT);
            let am = anon.extra::<sys::btf_member>(anon.vlen());
            assert_eq!(anon.name_at(am[1].name_off), b"hi");
            assert_eq!(am[1].offset, 3 << 24 | 32, "bitfield kept");
            let gone = sys::btf__find_by_name_kind(out.0, c"unrelated".as_ptr(), KIND_STRUCT);
            assert!(gone < 0, "types behind pointers are left out");
        }
    }
}
