//! Opens, configures, loads and attaches the pH programs, and moves profiles and tasks in and out of their maps.
use std::collections::BTreeMap;
use std::mem::MaybeUninit;

use anyhow::Context;
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject};

use super::loader::kernel_error;
use super::ph_skel::{types, PhSkel, PhSkelBuilder};
use crate::decode::syscalls;
use crate::ph::profile::{Profile, ProfileKey, Row, Settings, KERNEL_ALPHABET};

/// Which processes the daemon watches.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every process but the daemon.
    All,
    /// The processes user space puts in `watched`, and their descendants.
    Watched,
    /// Processes with this (NUL-padded) command name, and their descendants.
    Comm([u8; 16]),
}

/// What the programs need before load.
#[derive(Debug, Clone)]
pub struct Config {
    pub daemon_tgid: u32,
    pub scope: Scope,
    pub max_profiles: u32,
    pub max_rows: u32,
}

/// Opens, configures and loads the pH programs; nothing is attached yet.
pub fn load<'obj>(
    object: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
) -> anyhow::Result<PhSkel<'obj>> {
    let mut open = PhSkelBuilder::default()
        .open(object)
        .map_err(|e| kernel_error("opening the pH BPF object", e))?;
    let rodata = open
        .maps
        .rodata_data
        .as_deref_mut()
        .context("pH BPF object has no .rodata")?;
    rodata.daemon_tgid = cfg.daemon_tgid;
    rodata.scope_all = matches!(cfg.scope, Scope::All);
    if let Scope::Comm(comm) = cfg.scope {
        rodata.comm_mode = true;
        for (dst, src) in rodata.comm_filter.iter_mut().zip(comm) {
            *dst = src as i8;
        }
    }
    rodata.nr_rt_sigreturn = syscalls::number("rt_sigreturn").unwrap_or(u32::MAX);
    rodata.max_profiles = cfg.max_profiles;
    let sized = [
        (&mut open.maps.profiles, cfg.max_profiles, "profiles"),
        (&mut open.maps.profile_ids, cfg.max_profiles, "profile ids"),
        (&mut open.maps.rows, cfg.max_rows, "profile rows"),
    ];
    for (map, n, what) in sized {
        map.set_max_entries(n.max(1))
            .map_err(|e| kernel_error(&format!("sizing the {what} map"), e))?;
    }
    open.load()
        .map_err(|e| kernel_error("loading the pH BPF programs", e))
}

/// Attaches every program (tp_btf: no tracefs needed).
pub fn attach(skel: &mut PhSkel<'_>) -> anyhow::Result<()> {
    skel.attach().map_err(|e| {
        kernel_error(
            "attaching pH to the syscall, scheduler and signal tracepoints",
            e,
        )
    })
}

/// Detaches every program; events already in the ring stay readable.
pub fn detach(skel: &mut PhSkel<'_>) {
    skel.links = Default::default();
}

fn bss<'a>(skel: &'a PhSkel<'_>) -> &'a types::bss {
    skel.maps.bss_data.as_deref().expect("pH object has a .bss")
}

/// Writes the live settings the programs read at every call.
pub fn set_settings(skel: &mut PhSkel<'_>, s: &Settings) {
    let bss = skel
        .maps
        .bss_data
        .as_deref_mut()
        .expect("pH object has a .bss");
    bss.settings = types::ph_settings {
        normal_wait_ns: s.normal_wait_ns,
        normal_factor: s.normal_factor,
        anomaly_limit: s.anomaly_limit,
        tolerize_limit: s.tolerize_limit,
    };
}

/// The kernel's counters: events sent, lost, and failures of full maps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub events: u64,
    pub lost: u64,
    pub profiles_full: u64,
    pub rows_full: u64,
    pub tasks_full: u64,
}

pub fn counters(skel: &PhSkel<'_>) -> Counters {
    let b = bss(skel);
    let ncpus = libbpf_rs::num_possible_cpus()
        .unwrap_or(b.lost_events.len())
        .min(b.lost_events.len());
    // SAFETY: aligned reads of u64s in the live .bss mapping, which the
    // kernel updates with atomic adds; volatile so they are not cached.
    unsafe {
        let rd = |p: *const u64| p.read_volatile();
        Counters {
            events: rd(&b.next_seq),
            lost: (0..ncpus).map(|c| rd(&b.lost_events[c])).sum(),
            profiles_full: rd(&b.profiles_full),
            rows_full: rd(&b.rows_full),
            tasks_full: rd(&b.tasks_full),
        }
    }
}

/// The size of the profile map (the ids the kernel may hand out).
pub fn max_profiles(skel: &PhSkel<'_>) -> u32 {
    skel.maps.rodata_data.map_or(0, |r| r.max_profiles)
}

/// Puts a process in scope (`watched`), now or at its next exec.
pub fn watch(skel: &PhSkel<'_>, tgid: u32, at_exec: bool) -> anyhow::Result<()> {
    let from = if at_exec {
        types::watch_from::WATCH_AT_EXEC
    } else {
        types::watch_from::WATCH_NOW
    };
    skel.maps
        .watched
        .update(&tgid.to_ne_bytes(), &[from.0 as u8], MapFlags::ANY)
        .with_context(|| format!("adding pid {tgid} to the pH scope"))
}

fn key_bytes(key: ProfileKey) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&key.dev.to_ne_bytes());
    b[8..].copy_from_slice(&key.ino.to_ne_bytes());
    b
}

fn row_key(id: u32, c0: u32) -> [u8; 8] {
    let k = types::ph_row_key { profile: id, c0 };
    // SAFETY: two u32s, no padding.
    unsafe { plain::as_bytes(&k) }.try_into().expect("8 bytes")
}

/// Reads profile `id`'s counters; None for an id never handed out.
pub fn header(skel: &PhSkel<'_>, id: u32) -> anyhow::Result<Option<types::ph_profile>> {
    let Some(bytes) = skel
        .maps
        .profiles
        .lookup(&id.to_ne_bytes(), MapFlags::ANY)
        .with_context(|| format!("reading profile {id}"))?
    else {
        return Ok(None);
    };
    let mut h = types::ph_profile::default();
    plain::copy_from_bytes(&mut h, &bytes).map_err(|_| anyhow::anyhow!("short profile value"))?;
    Ok((h.key.dev != 0 || h.key.ino != 0).then_some(h))
}

fn write_header(skel: &PhSkel<'_>, id: u32, h: &types::ph_profile) -> anyhow::Result<()> {
    // SAFETY: a C struct of u64s, no padding.
    let value = unsafe { plain::as_bytes(h) };
    skel.maps
        .profiles
        .update(&id.to_ne_bytes(), value, MapFlags::ANY)
        .with_context(|| format!("writing profile {id}"))
}

/// Reads profile `id` with its rows, converting `frozen_since` with `clock`
/// (kernel boot ns to the caller's clock); `path` as user space knows it.
pub fn read_profile(skel: &PhSkel<'_>, id: u32, path: &str) -> anyhow::Result<Option<Profile>> {
    let Some(h) = header(skel, id)? else {
        return Ok(None);
    };
    let mut p = Profile::new(
        ProfileKey {
            dev: h.key.dev,
            ino: h.key.ino,
        },
        path,
        KERNEL_ALPHABET,
    );
    p.train_count = h.train_count;
    p.last_mod_at = h.last_mod_at;
    p.frozen_since = h.frozen_since;
    p.anomalies = h.anomalies;
    p.normal = h.status == (types::ph_status::PH_NORMAL.0 as u64);
    p.rows = read_rows(skel, id)?;
    Ok(Some(p))
}

fn read_rows(skel: &PhSkel<'_>, id: u32) -> anyhow::Result<BTreeMap<u32, Row>> {
    let mut rows = BTreeMap::new();
    for c0 in 0..KERNEL_ALPHABET as u32 {
        if let Some(v) = skel
            .maps
            .rows
            .lookup(&row_key(id, c0), MapFlags::ANY)
            .context("reading a profile row")?
        {
            let mut r = types::ph_row::default();
            plain::copy_from_bytes(&mut r, &v).map_err(|_| anyhow::anyhow!("short row"))?;
            rows.insert(
                c0,
                Row {
                    train: r.train.to_vec(),
                    test: r.test.to_vec(),
                },
            );
        }
    }
    Ok(rows)
}

/// Installs a profile (before attach, or replacing one in place) as `id`.
pub fn write_profile(skel: &PhSkel<'_>, id: u32, p: &Profile) -> anyhow::Result<()> {
    anyhow::ensure!(
        p.alphabet == KERNEL_ALPHABET,
        "profile {} has an alphabet of {} calls, the kernel learns {}",
        p.path,
        p.alphabet,
        KERNEL_ALPHABET
    );
    for (&c0, row) in &p.rows {
        let mut r = types::ph_row::default();
        r.train.copy_from_slice(&row.train);
        r.test.copy_from_slice(&row.test);
        // SAFETY: two byte arrays, no padding.
        let value = unsafe { plain::as_bytes(&r) };
        skel.maps
            .rows
            .update(&row_key(id, c0), value, MapFlags::ANY)
            .with_context(|| format!("writing a row of profile {}", p.path))?;
    }
    let h = types::ph_profile {
        key: types::ph_key {
            dev: p.key.dev,
            ino: p.key.ino,
        },
        train_count: p.train_count,
        last_mod_at: p.last_mod_at,
        frozen_since: p.frozen_since,
        anomalies: p.anomalies,
        status: if p.normal {
            types::ph_status::PH_NORMAL.0 as u64
        } else {
            types::ph_status::PH_TRAINING.0 as u64
        },
    };
    write_header(skel, id, &h)?;
    skel.maps
        .profile_ids
        .update(&key_bytes(p.key), &id.to_ne_bytes(), MapFlags::ANY)
        .with_context(|| format!("indexing profile {}", p.path))
}

/// Hands out the ids below `n` to profiles installed by user space (before attach).
pub fn reserve_ids(skel: &mut PhSkel<'_>, n: u32) {
    let bss = skel
        .maps
        .bss_data
        .as_deref_mut()
        .expect("pH object has a .bss");
    bss.next_profile = u64::from(n);
}

/// Every task in scope: tid and state.
pub fn tasks(skel: &PhSkel<'_>) -> Vec<(u32, types::ph_task)> {
    let map = &skel.maps.tasks;
    map.keys()
        .filter_map(|k| {
            let tid = u32::from_ne_bytes(k.as_slice().try_into().ok()?);
            let v = map.lookup(&k, MapFlags::ANY).ok()??;
            let mut t = types::ph_task::default();
            plain::copy_from_bytes(&mut t, &v).ok()?;
            Some((tid, t))
        })
        .collect()
}

/// One task's state.
pub fn task(skel: &PhSkel<'_>, tid: u32) -> Option<types::ph_task> {
    let v = skel
        .maps
        .tasks
        .lookup(&tid.to_ne_bytes(), MapFlags::ANY)
        .ok()??;
    let mut t = types::ph_task::default();
    plain::copy_from_bytes(&mut t, &v).ok()?;
    Some(t)
}

// SAFETY (all below): the generated types are C structs of integers.
unsafe impl plain::Plain for types::ph_event {}
unsafe impl plain::Plain for types::ph_profile {}
unsafe impl plain::Plain for types::ph_row {}
unsafe impl plain::Plain for types::ph_row_key {}
unsafe impl plain::Plain for types::ph_task {}
