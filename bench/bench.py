#!/usr/bin/env python3
"""ai-forensics benchmarks: untraced vs BPF floors (no-op programs; a minimal
record per call) vs non-matching filter vs full capture vs strace, on six
workloads. Python 3 standard library only; needs root.

    python3 bench/bench.py              # 10 repetitions (make bench)
    python3 bench/bench.py --quick      # 3 repetitions, no strace on the storms
    python3 bench/bench.py --reps 5 --workloads storm,tar

Every repetition runs every mode of a workload back to back (in a rotating
order), so machine noise hits all modes alike; ratios are the median over
repetitions of mode/untraced within the same repetition. Workloads run under a
tiny `timeit` wrapper so the wall time excludes the tracer's own start-up and
tear-down (reported separately as "end-to-end"); the /bin/true workload is the
end-to-end wall time itself. Raw samples go to bench/results.json.
"""
import argparse
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOAD_DIR = os.path.join(HERE, "workloads")

MODES = ["untraced", "floor", "floor_record", "nomatch", "traced", "traced_y", "ph", "strace"]
MODE_TITLES = {
    "untraced": "untraced",
    "floor": "floor (no-op BPF)",
    "floor_record": "minimal record",
    "nomatch": "filter not matching",
    "traced": "full capture (JSON)",
    "traced_y": "full capture -y -s 64",
    "ph": "pH daemon (every process)",
    "strace": "strace -f",
}
NOMATCH_COMM = "aif-bench-none"
ATTACH_MARK = "(Ctrl-C to stop)"
RUN_TIMEOUT = 900  # seconds, per single run

# Targets: ratio to untraced, per mode and workload.
RATIO_TARGETS = {
    "nomatch": {"storm": 1.5, "tar": 1.10},
    "traced": {"storm": 2.5, "rw": 2.4, "tar": 1.15, "gcc": 1.10},
}
TRUE_TARGET_MS = 20.0
WAKEUPS_PER_1K_TARGET = 1.0
CPU_PER_EVENT_TARGET_NS = 250.0
PRIVATE_TARGET_KB = 10 * 1024
# Per-event targets are judged only where events dominate the tracer's fixed costs.
PER_EVENT_MIN_EVENTS = 100000


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- workloads


def build_workloads(tmp):
    """Compile the C workloads with cc -O2 into tmp; return name -> path."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise BenchError("no C compiler (cc) found")
    bins = {}
    for name in ("storm", "rw", "timeit"):
        src = os.path.join(WORKLOAD_DIR, name + ".c")
        out = os.path.join(tmp, name)
        r = subprocess.run([cc, "-O2", "-Wall", "-o", out, src],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise BenchError("compiling %s failed:\n%s" % (src, r.stdout))
        bins[name] = out
    return bins


class Workload:
    """argv: the command. scaled: (argv, factor) for strace, or None to run argv.
    inner: time with the timeit wrapper (else: the whole command's wall time)."""

    def __init__(self, name, title, argv, scaled=None, inner=True, min_events=0):
        self.name = name
        self.title = title
        self.argv = argv
        self.scaled = scaled
        self.inner = inner
        self.min_events = min_events


def make_workloads(bins, tmp, args):
    storm_n, rw_n = 2000000, 200000
    s = args.strace_scale
    gcc = shutil.which("gcc") or shutil.which("cc")
    py = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else os.path.realpath(sys.executable)
    pydir = os.path.join(tmp, "py")
    os.makedirs(pydir, exist_ok=True)
    tree = os.path.abspath(args.tar_tree)
    wl = [
        Workload("storm", "getppid storm (2M)", [bins["storm"], str(storm_n)],
                 scaled=([bins["storm"], str(storm_n // s)], s), min_events=storm_n),
        Workload("rw", "read/write pipe (200k pairs)", [bins["rw"], str(rw_n)],
                 scaled=([bins["rw"], str(rw_n // s)], s), min_events=2 * rw_n),
        Workload("tar", "tar cf /dev/null %s" % tree,
                 ["tar", "-C", os.path.dirname(tree) or "/", "-cf", "/dev/null",
                  os.path.basename(tree) or "."]),
        Workload("gcc", "gcc -O2 -c (small C file)",
                 [gcc, "-O2", "-c", "-o", os.path.join(tmp, "gcc_input.o"),
                  os.path.join(WORKLOAD_DIR, "gcc_input.c")]),
        Workload("python", "python3 json/re/file I/O",
                 [py, "-B", os.path.join(WORKLOAD_DIR, "pywork.py"), pydir]),
        Workload("true", "/bin/true end-to-end", ["/bin/true"], inner=False),
    ]
    if args.workloads:
        want = args.workloads.split(",")
        unknown = set(want) - {w.name for w in wl}
        if unknown:
            raise BenchError("unknown workload(s): %s (have: %s)" % (
                ", ".join(sorted(unknown)), ", ".join(w.name for w in wl)))
        wl = [w for w in wl if w.name in want]
    return wl


# ---------------------------------------------------------------- running


class Runner:
    def __init__(self, args, bins, tmp):
        self.args = args
        self.bin = args.binary
        self.timeit = bins["timeit"]
        self.tmp = tmp
        self.timefile = os.path.join(tmp, "wall.ns")
        self.statsfile = os.path.join(tmp, "stats.json")
        self.extra = args.trace_args.split() if args.trace_args else []

    def _inner(self, wl, argv):
        return [self.timeit, self.timefile] + argv if wl.inner else argv

    def _clear(self):
        for p in (self.timefile, self.statsfile):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    def _read_wall(self, wl, outer_ns):
        if not wl.inner:
            return outer_ns
        try:
            with open(self.timefile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _read_stats(self):
        try:
            with open(self.statsfile) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _exec(self, cmd):
        t0 = time.perf_counter_ns()
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, time.perf_counter_ns() - t0, "timed out after %d s" % RUN_TIMEOUT
        outer = time.perf_counter_ns() - t0
        err = r.stderr.decode(errors="replace")
        return r.returncode, outer, err

    def run(self, wl, mode):
        """One sample: dict with wall_ns (scaled if applicable), outer_ns, rc, stats, error."""
        self._clear()
        scale = 1
        argv = wl.argv
        if mode == "strace" and wl.scaled and not self.args.strace_full:
            argv, scale = wl.scaled
        inner = self._inner(wl, argv)
        if mode == "untraced":
            cmd = inner
        elif mode == "floor":
            cmd = [self.bin, "bench-floor", "--"] + inner
        elif mode == "floor_record":
            cmd = [self.bin, "bench-floor", "--record", "--"] + inner
        elif mode in ("traced", "traced_y"):
            more = ["-y", "-s", "64"] if mode == "traced_y" else []
            cmd = [self.bin, "trace", "-o", "/dev/null", "--stats-file", self.statsfile] \
                + self.extra + more + ["--"] + inner
        elif mode == "strace":
            cmd = ["strace", "-f", "-o", "/dev/null"] + inner
        elif mode == "nomatch":
            return self._run_beside(wl, inner, [
                self.bin, "trace", "--comm", NOMATCH_COMM, "-o", "/dev/null",
                "--stats-file", self.statsfile] + self.extra, stats=True)
        elif mode == "ph":
            # The daemon learns every process on the machine; its profiles
            # persist across repetitions, as on a machine it has run on.
            return self._run_beside(wl, inner, [
                self.bin, "daemon", "--state-dir", os.path.join(self.tmp, "ph-state"),
                "-o", "/dev/null"], stats=False)
        else:
            raise BenchError("unknown mode " + mode)
        rc, outer, err = self._exec(cmd)
        sample = {"rc": rc, "outer_ns": outer, "scale": scale}
        wall = self._read_wall(wl, outer) if rc is not None else None
        sample["raw_wall_ns"] = wall
        sample["wall_ns"] = wall * scale if wall is not None else None
        if mode in ("traced", "traced_y"):
            sample["stats"] = self._read_stats()
        if rc != 0 or wall is None or (mode in ("traced", "traced_y") and sample["stats"] is None):
            sample["error"] = "exit status %s; stderr: %s" % (rc, err.strip()[-800:])
        elif mode == "floor_record" and not any(
                l.startswith("bench-floor:") and l.rstrip().endswith(" 0 lost")
                for l in err.splitlines()):
            # A lost record is one the floor did not pay for in full.
            sample["error"] = "the minimal record lost records: %s" % err.strip()[-800:]
        return sample

    def _run_beside(self, wl, inner, cmd, stats):
        """Start a tool (`cmd`: the tracer with a filter that matches nothing, or
        the pH daemon), wait until it is attached, run the workload outside it,
        then stop the tool with SIGINT."""
        tracer = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        sample = {"scale": 1}
        buf = b""
        deadline = time.monotonic() + 60
        try:
            while ATTACH_MARK.encode() not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError("tracer did not report attaching within 60 s")
                ready, _, _ = select.select([tracer.stderr], [], [], left)
                if ready:
                    chunk = os.read(tracer.stderr.fileno(), 65536)
                    if not chunk:
                        raise BenchError("tracer exited before attaching (status %s): %s" % (
                            tracer.wait(), buf.decode(errors="replace").strip()[-800:]))
                    buf += chunk
            rc, outer, err = self._exec(inner)
            sample.update(rc=rc, outer_ns=outer)
            wall = self._read_wall(wl, outer) if rc is not None else None
            sample["raw_wall_ns"] = sample["wall_ns"] = wall
            if rc != 0 or wall is None:
                sample["error"] = "workload exit status %s; stderr: %s" % (rc, err.strip()[-800:])
        except BenchError as e:
            sample["error"] = str(e)
        finally:
            if tracer.poll() is None:
                tracer.send_signal(signal.SIGINT)
            try:
                rest, _ = tracer.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                tracer.kill()
                rest, _ = tracer.communicate()
                sample.setdefault("error", "tracer did not stop within 30 s of SIGINT")
            buf += rest or b""
        sample["tracer_rc"] = tracer.returncode
        sample["stats"] = self._read_stats() if stats else None
        if "error" not in sample:
            if tracer.returncode != 0:
                sample["error"] = "tracer exit status %s after SIGINT: %s" % (
                    tracer.returncode, buf.decode(errors="replace").strip()[-800:])
            elif stats and sample["stats"] is None:
                sample["error"] = "tracer wrote no stats file"
        return sample


# ---------------------------------------------------------------- reporting


def fmt_ms(ns):
    if ns is None:
        return "-"
    ms = ns / 1e6
    return "%.0f ms" % ms if ms >= 100 else "%.1f ms" % ms if ms >= 10 else "%.2f ms" % ms


def fmt_num(x, digits=0):
    if x is None:
        return "-"
    if abs(x) >= 1e6:
        return "%.2fM" % (x / 1e6)
    if abs(x) >= 1e4:
        return "%.0fk" % (x / 1e3)
    return ("%%.%df" % digits) % x


def verdict(ok):
    return "OK" if ok else "MISS"


def summarize(workloads, samples, modes):
    """Per workload and mode: medians and paired ratios."""
    summary = {}
    for wl in workloads:
        ws = [s for s in samples if s["workload"] == wl.name]
        reps = sorted({s["rep"] for s in ws})
        base = {s["rep"]: s["wall_ns"] for s in ws if s["mode"] == "untraced" and not s.get("error")}
        per = {}
        for mode in modes:
            ms = [s for s in ws if s["mode"] == mode]
            ok = [s for s in ms if not s.get("error")]
            walls = [s["wall_ns"] for s in ok]
            ratios = [s["wall_ns"] / base[s["rep"]] for s in ok if base.get(s["rep"])]
            q = statistics.quantiles(walls, n=4) if len(walls) >= 2 else None
            d = {
                "iqr_rel": (q[2] - q[0]) / statistics.median(walls) if q else None,
                "runs": len(ms),
                "errors": len(ms) - len(ok),
                "wall_ns": median(walls),
                "outer_ns": median([s["outer_ns"] for s in ok]),
                "ratio": median(ratios),
                "scale": max([s.get("scale", 1) for s in ms] or [1]),
            }
            if mode in ("traced", "traced_y", "nomatch"):
                st = [(s, s["stats"]) for s in ok if s.get("stats")]
                ev = [x["events"] for _, x in st]
                d["events"] = median(ev)
                d["lost_sum"] = sum(max(x.get("lost", 0), x.get("kernel_lost", 0)) for _, x in st)
                d["lost"] = sum(x.get("lost", 0) for _, x in st)
                d["kernel_lost"] = sum(x.get("kernel_lost", 0) for _, x in st)
                d["min_events"] = min(ev) if ev else None
                d["events_per_s"] = median([x["events"] / (s["wall_ns"] / 1e9)
                                            for s, x in st if s["wall_ns"]])
                d["cpu_ns"] = median([x["cpu_user_ns"] + x["cpu_system_ns"] for _, x in st])
                d["cpu_per_event_ns"] = median([(x["cpu_user_ns"] + x["cpu_system_ns"]) / x["events"]
                                                for _, x in st if x["events"]])
                d["wakeups_per_1k"] = median([x["wakeups"] / x["events"] * 1000
                                              for _, x in st if x["events"]])
                d["wakeups"] = median([x["wakeups"] for _, x in st])
                d["timed_polls"] = median([x["timed_polls"] for _, x in st])
                d["peak_rss_kb"] = median([x["peak_rss_kb"] for _, x in st])
                d["private_rss_kb"] = median([x["private_rss_kb"] for _, x in st])
                d["elapsed_ns"] = median([x["elapsed_ns"] for _, x in st])
            per[mode] = d
        summary[wl.name] = {"title": wl.title, "reps": len(reps), "modes": per}
    # Tracer CPU per event net of start-up: subtract the CPU of tracing /bin/true.
    base_cpu = summary.get("true", {}).get("modes", {}).get("traced", {}).get("cpu_ns")
    for name, s in summary.items():
        t = s["modes"].get("traced")
        if t and base_cpu is not None and t.get("cpu_ns") is not None and t.get("events"):
            t["cpu_per_event_net_ns"] = max(0.0, (t["cpu_ns"] - base_cpu) / t["events"])
    return summary


def print_report(workloads, summary, modes, args, warnings):
    out = []
    p = out.append
    p("")
    p("## ai-forensics benchmark (%s, %d CPUs, kernel %s)" % (
        time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), platform.release()))
    p("")
    p("Medians over %s repetitions; modes interleaved per repetition. Wall = the workload"
      " alone (timeit wrapper, tracer start-up excluded); /bin/true row = end-to-end command."
      " Ratio = median of per-repetition mode/untraced. [target]. noise = half the"
      " interquartile range of the untraced runs, relative to their median." % (
          ", ".join(sorted({str(s["reps"]) for s in summary.values()}))))
    p("")
    hdr = "| workload | " + " | ".join(MODE_TITLES[m] for m in modes) + " | noise |"
    p(hdr)
    p("|" + "---|" * (len(modes) + 2))
    for wl in workloads:
        s = summary[wl.name]
        cells = []
        for m in modes:
            d = s["modes"].get(m)
            if not d or d["runs"] == 0:
                cells.append("skipped")
                continue
            if d["wall_ns"] is None:
                cells.append("FAILED (%d/%d)" % (d["errors"], d["runs"]))
                continue
            c = fmt_ms(d["wall_ns"])
            if m != "untraced" and d["ratio"] is not None:
                c += " %.2fx" % d["ratio"]
            tgt = RATIO_TARGETS.get(m, {}).get(wl.name)
            if tgt is not None and d["ratio"] is not None:
                c += " [<=%.2fx %s]" % (tgt, verdict(d["ratio"] <= tgt))
            if wl.name == "true" and m == "traced":
                c += " [<=%.0f ms %s]" % (TRUE_TARGET_MS, verdict(d["wall_ns"] / 1e6 <= TRUE_TARGET_MS))
            if m == "strace" and d["scale"] > 1:
                c += " (1/%d run x%d)" % (d["scale"], d["scale"])
            if d["errors"]:
                c += " (%d failed)" % d["errors"]
            cells.append(c)
        iqr = s["modes"]["untraced"].get("iqr_rel")
        cells.append("-" if iqr is None else "±%.0f%%" % (50 * iqr))
        p("| %s | %s |" % (wl.title, " | ".join(cells)))
    if "strace" in modes and any(summary[w.name]["modes"].get("strace", {}).get("scale", 1) > 1
                                 for w in workloads):
        p("")
        p("strace on the storms runs a 1/%d-size workload; its wall time is scaled up x%d."
          % (args.strace_scale, args.strace_scale))

    if "traced" in modes:
        p("")
        p("### Full capture (traced mode): tracer cost")
        p("")
        p("| workload | events | events/s | lost (sum) | CPU/event | CPU/event excl. start-up |"
          " wakeups/1k ev | timed polls | peak RSS | private RSS | end-to-end wall |")
        p("|---|---|---|---|---|---|---|---|---|---|---|")
        for wl in workloads:
            d = summary[wl.name]["modes"].get("traced")
            if not d or d.get("events") is None:
                continue
            cpu = d["cpu_per_event_ns"]
            net = d.get("cpu_per_event_net_ns")
            wk = d["wakeups_per_1k"]
            judge = d["events"] >= PER_EVENT_MIN_EVENTS
            p("| %s | %s | %s/s | %d %s | %s ns %s | %s | %s %s | %s | %.1f MB | %.1f MB %s | %s |" % (
                wl.name, fmt_num(d["events"]), fmt_num(d["events_per_s"]),
                d["lost_sum"], "" if d["lost_sum"] == 0 else "MISS",
                fmt_num(cpu), "" if cpu is None or not judge else "[%s]" % verdict(cpu <= CPU_PER_EVENT_TARGET_NS),
                "-" if net is None else "%s ns" % fmt_num(net),
                "-" if wk is None else "%.3f" % wk,
                "" if wk is None or not judge else "[%s]" % verdict(wk <= WAKEUPS_PER_1K_TARGET),
                fmt_num(d["timed_polls"]),
                d["peak_rss_kb"] / 1024, d["private_rss_kb"] / 1024,
                "[%s]" % verdict(d["private_rss_kb"] <= PRIVATE_TARGET_KB),
                fmt_ms(d["outer_ns"])))
        p("")
        p("Targets: CPU/event <= %.0f ns; wakeups <= %.0f per 1000 events; 0 lost;"
          " private RSS <= %d MB (per-event targets judged at >= %dk events)."
          " CPU/event = tracer (user+system) CPU over its whole life"
          " / events; 'excl. start-up' subtracts the median CPU of tracing /bin/true."
          " Peak RSS includes the ring buffer pages the tracer has read." % (
              CPU_PER_EVENT_TARGET_NS, WAKEUPS_PER_1K_TARGET, PRIVATE_TARGET_KB // 1024,
              PER_EVENT_MIN_EVENTS // 1000))
    if "floor_record" in modes and "traced" in modes:
        rows = []
        for wl in workloads:
            m = summary[wl.name]["modes"]
            f, t = m.get("floor_record"), m.get("traced")
            if not wl.inner or not f or not t or not f["wall_ns"] or not t["wall_ns"]:
                continue
            per_call = ""
            if wl.min_events:
                per_call = ", +%.0f ns per syscall" % ((t["wall_ns"] - f["wall_ns"]) / wl.min_events)
            rows.append("%s %.2fx%s" % (wl.name, t["wall_ns"] / f["wall_ns"], per_call))
        if rows:
            p("")
            p("Full capture over the minimal record (medians; what the tracer adds to the least"
              " a per-call record with a duration costs here): %s." % "; ".join(rows))
    if "nomatch" in modes:
        nm = [(w.name, summary[w.name]["modes"]["nomatch"]) for w in workloads
              if summary[w.name]["modes"].get("nomatch", {}).get("events") is not None]
        if nm:
            p("")
            p("Filter-not-matching tracer (--comm %s): events %s; tracer CPU %s; timed polls %s." % (
                NOMATCH_COMM,
                ", ".join("%s %d" % (n, d["events"]) for n, d in nm),
                ", ".join("%s %.1f ms" % (n, d["cpu_ns"] / 1e6) for n, d in nm),
                ", ".join("%s %s" % (n, fmt_num(d["timed_polls"])) for n, d in nm)))
    if "ph" in modes:
        rows = []
        for wl in workloads:
            d, u = summary[wl.name]["modes"].get("ph"), summary[wl.name]["modes"].get("untraced")
            if not d or not u or d["wall_ns"] is None or u["wall_ns"] is None:
                continue
            per_call = ""
            if wl.min_events:
                per_call = ", %.0f ns per syscall" % ((d["wall_ns"] - u["wall_ns"]) / wl.min_events)
            rows.append("%s %s (%.2fx%s)" % (wl.name, fmt_ms(d["wall_ns"] - u["wall_ns"]),
                                             d["ratio"] or 0, per_call))
        if rows:
            p("")
            p("pH daemon learning every process, added wall time over untraced: %s."
              " ebpH (2019) added about 360 ns per syscall." % "; ".join(rows))
    if warnings:
        p("")
        p("### Warnings")
        for w in warnings:
            p("- " + w)
    print("\n".join(out), flush=True)


def check_warnings(workloads, summary, samples, extra=""):
    warnings = []
    for wl in workloads:
        for mode, d in summary[wl.name]["modes"].items():
            if d["errors"]:
                errs = [s["error"] for s in samples
                        if s["workload"] == wl.name and s["mode"] == mode and s.get("error")]
                warnings.append("%s/%s: %d of %d runs failed; first: %s" % (
                    wl.name, mode, d["errors"], d["runs"], errs[0][:400]))
        t = summary[wl.name]["modes"].get("traced")
        if t and t.get("lost_sum"):
            warnings.append("WARNING %s: lost events at %s: lost %d, kernel_lost %d"
                            " (summed over repetitions)" % (
                                wl.name, "the default buffer" if "--buffer-size" not in extra
                                else "--trace-args %r" % extra, t["lost"], t["kernel_lost"]))
        if t and t.get("min_events") is not None and t["min_events"] < wl.min_events:
            warnings.append("WARNING %s: a traced run reported %d events, fewer than the %d"
                            " syscalls the workload makes" % (wl.name, t["min_events"], wl.min_events))
        n = summary[wl.name]["modes"].get("nomatch")
        if n and n.get("events"):
            warnings.append("WARNING %s: the non-matching filter captured %s events" % (
                wl.name, n["events"]))
    return warnings


# ---------------------------------------------------------------- main


def git_rev():
    try:
        r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return r.stdout.strip() or None
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 10; 3 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="3 repetitions and no strace on the syscall storms (storm, rw)")
    ap.add_argument("--workloads", help="comma-separated subset of: storm,rw,tar,gcc,python,true")
    ap.add_argument("--modes", help="comma-separated subset of: " + ",".join(MODES))
    ap.add_argument("--no-strace", action="store_true", help="skip strace entirely")
    ap.add_argument("--strace-scale", type=int, default=20,
                    help="strace runs the storms at 1/N size and scales the time (default 20)")
    ap.add_argument("--strace-full", action="store_true", help="strace the full-size storms (minutes)")
    ap.add_argument("--tar-tree", default="/usr/share",
                    help="directory archived by the tar workload (default /usr/share)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "ai-forensics"))
    ap.add_argument("--trace-args", default="",
                    help="extra options for the tracer in the nomatch and traced modes,"
                         " e.g. '--buffer-size 16M'")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"), help="raw results file")
    args = ap.parse_args()
    reps = args.reps if args.reps is not None else (3 if args.quick else 10)
    if reps < 1:
        ap.error("--reps must be at least 1")
    if args.strace_scale < 1:
        ap.error("--strace-scale must be at least 1")

    if os.geteuid() != 0:
        log("bench: needs root (loads BPF programs); run with sudo")
        return 2
    if not os.access(args.binary, os.X_OK):
        log("bench: %s not found; build it with: cargo build --release" % args.binary)
        return 2
    if not os.path.isdir(args.tar_tree):
        log("bench: --tar-tree %s is not a directory" % args.tar_tree)
        return 2
    modes = args.modes.split(",") if args.modes else list(MODES)
    bad = [m for m in modes if m not in MODES]
    if bad:
        log("bench: unknown mode(s) %s (have: %s)" % (",".join(bad), ",".join(MODES)))
        return 2
    if "untraced" not in modes:
        modes.insert(0, "untraced")
    warnings = []
    if args.no_strace and "strace" in modes:
        modes.remove("strace")
    if "strace" in modes and not shutil.which("strace"):
        warnings.append("strace not installed: strace mode skipped")
        modes.remove("strace")

    tmp = tempfile.mkdtemp(prefix="aif-bench-")
    try:
        bins = build_workloads(tmp)
        workloads = make_workloads(bins, tmp, args)
        runner = Runner(args, bins, tmp)
        skip = set()
        if args.quick:
            skip = {("storm", "strace"), ("rw", "strace")}

        log("bench: %d repetitions x %d workloads x modes %s; workloads built in %s" % (
            reps, len(workloads), ",".join(modes), tmp))
        # Warm caches (page cache for tar, gcc, python) without recording.
        for wl in workloads:
            runner.run(wl, "untraced")

        samples = []
        t_start = time.monotonic()
        for rep in range(reps):
            for wl in workloads:
                k = rep % len(modes)
                order = modes[k:] + modes[:k]  # rotate so no mode always runs first
                # Unrecorded settling runs: the previous workload, and strace's
                # long run, leave the caches cold for whatever comes next, and
                # the rotation would always put the same mode after strace.
                runner.run(wl, "untraced")
                for mode in order:
                    if (wl.name, mode) in skip:
                        continue
                    s = runner.run(wl, mode)
                    s.update(rep=rep, workload=wl.name, mode=mode)
                    samples.append(s)
                    if mode == "strace":
                        runner.run(wl, "untraced")
                    if s.get("error"):
                        log("bench: rep %d %s/%s FAILED: %s" % (rep + 1, wl.name, mode, s["error"][:300]))
            log("bench: repetition %d/%d done (%.0f s elapsed)" % (rep + 1, reps, time.monotonic() - t_start))

        summary = summarize(workloads, samples, modes)
        warnings += check_warnings(workloads, summary, samples, args.trace_args)
        print_report(workloads, summary, modes, args, warnings)

        result = {
            "meta": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "kernel": platform.release(),
                "cpus": os.cpu_count(),
                "binary": args.binary,
                "binary_mtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(os.path.getmtime(args.binary))),
                "git": git_rev(),
                "reps": reps,
                "quick": args.quick,
                "modes": modes,
                "strace_scale": args.strace_scale,
                "trace_args": args.trace_args,
                "workloads": {w.name: {"title": w.title, "argv": w.argv,
                                       "strace_argv": (w.scaled[0] if w.scaled else w.argv),
                                       "inner_timing": w.inner} for w in workloads},
                "elapsed_s": time.monotonic() - t_start,
            },
            "summary": summary,
            "warnings": warnings,
            "samples": samples,
        }
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
        log("bench: raw samples written to %s" % args.json)
        failed = sum(1 for s in samples if s.get("error"))
        if failed:
            log("bench: %d runs failed" % failed)
            return 1
        return 0
    except BenchError as e:
        log("bench: error: %s" % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
