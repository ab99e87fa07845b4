"""Turns bench/results/<run>/ (JMH JSON, baselines.jsonl, zombies.json, run.json) into RESULTS.md
and SVG charts. Standard library only: the charts are drawn as plain SVG (bench/charts.py)."""
import json
import os
import platform
import statistics
import sys
import time

from charts import bar_chart, line_chart

out = sys.argv[1]


def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else []


# JMH method -> (label, group). Groups: spawn (create+reap /bin/true), fork (create+reap, no exec).
LABELS = {
    "daemonkitSpawnWaitFor": ("daemonkit spawn + waitFor", "spawn"),
    "daemonkitSpawnOnExit": ("daemonkit spawn + onExit (reaper thread)", "spawn"),
    "processBuilderDefault": ("ProcessBuilder (JDK default)", "spawn"),
    "processBuilderVfork": ("ProcessBuilder VFORK", "spawn"),
    "processBuilderFork": ("ProcessBuilder FORK", "spawn"),
    "nuProcess": ("NuProcess 3.0.0", "spawn"),
    "jnrPosixSpawnp": ("jnr-posix 3.1.20 posix_spawnp", "spawn"),
    "ztExec": ("zt-exec 1.12", "spawn"),
    "daemonkitForkExit": ("daemonkit forkExit (vfork-style clone, fn=_exit)", "fork"),
    "cloneCopyingPageTables": ("clone fn=_exit, no CLONE_VM (copies page tables)", "fork"),
    "rawForkWithWatchdog": ("raw FFM fork()+_exit (unsafe)", "fork"),
}
BASELINE_GROUP = {
    "C posix_spawn, daemonkit's work": "spawn",
    "C posix_spawn": "spawn",
    "C vfork+exec": "spawn",
    "Python os.posix_spawn": "spawn",
    "C vfork+_exit": "fork",
    "C fork+_exit": "fork",
}
PEERS = ["processBuilderDefault", "processBuilderVfork", "processBuilderFork", "nuProcess", "jnrPosixSpawnp", "ztExec"]


def num(v):
    """A float, or None for JMH's "NaN" (no error estimate with fewer than 3 iterations)."""
    try:
        f = float(v)
        return None if f != f else f
    except (TypeError, ValueError):
        return None


def name(b):
    return b["benchmark"].rsplit(".", 1)[1]


rows = {}
for b in load("jmh-methods.json") + load("jmh-latency.json"):
    r = rows.setdefault(name(b), {})
    pm = b["primaryMetric"]
    if b["mode"] == "thrpt":
        r["ops"] = pm["score"]
        r["err"] = num(pm["scoreError"])
        r["n"] = len([x for fork in pm.get("rawData", []) for x in fork])
        sec = b.get("secondaryMetrics", {})
        if "hung" in sec:
            r["hung"] = sec["hung"]["score"]
            r["forks"] = sec["forks"]["score"]
    elif b["mode"] == "sample":
        pc = pm["scorePercentiles"]
        r["p50"] = pc["50.0"] * 1e6
        r["p99"] = pc["99.0"] * 1e6

# Baselines: one JSON line per round; several rounds of a method are averaged.
rounds = {}
bp = os.path.join(out, "baselines.jsonl")
if os.path.exists(bp):
    for line in open(bp):
        if line.strip():
            b = json.loads(line)
            rounds.setdefault(b["method"], []).append(b)
base = {}
for m, rs in rounds.items():
    ops = [x["ops_per_s"] for x in rs]
    base[m] = {"ops": statistics.mean(ops), "lo": min(ops), "hi": max(ops), "rounds": len(rs),
               "secs": rs[0]["seconds"], "p50": statistics.median(x["p50_us"] for x in rs),
               "p99": statistics.median(x["p99_us"] for x in rs)}

run = load("run.json") or {}


def machine():
    """Where the numbers come from: the report runs right after the benchmarks, on the same machine."""
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    methods = load("jmh-methods.json")
    jdk = "?"
    if methods:
        jdk = "%s %s (%s)" % (methods[0].get("vmName", ""), methods[0].get("jdkVersion", ""), methods[0].get("vmVersion", ""))
    src = os.path.join(out, "jmh-methods.json")
    when = run.get("started") or (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(src)))
                                  if os.path.exists(src) else "?")
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else "libc ?"
    return "%s; %s, %d CPUs; Linux %s; %s; %s" % (when, cpu, os.cpu_count(), platform.release(), libc, jdk)


def fmt_err(r):
    err = r.get("err")
    if err is None or not r.get("ops"):
        return "", ""
    pct = 100 * err / r["ops"]
    return "%.0f" % err, ("**%.0f%%**" if pct > 10 else "%.0f%%") % pct


def table(group):
    md = ["| method | ops/s | ± (99.9%) | ± % | p50 µs | p99 µs | notes |", "|---|---:|---:|---:|---:|---:|---|"]
    for key, (label, g) in LABELS.items():
        if g != group or key not in rows or "ops" not in rows[key]:
            continue
        r = rows[key]
        note = "%d iterations" % r["n"] if r.get("n") else ""
        if "hung" in r:
            note = "hung children killed by the 2 s watchdog: %d of %d forks" % (round(r["hung"]), round(r["forks"]))
        e, pct = fmt_err(r)
        md.append("| %s | %.0f | %s | %s | %s | %s | %s |" % (label, r["ops"], e, pct,
                  "%.0f" % r["p50"] if "p50" in r else "", "%.0f" % r["p99"] if "p99" in r else "", note))
    for m, g in BASELINE_GROUP.items():
        if g == group and m in base:
            b = base[m]
            spread = "; rounds %.0f–%.0f" % (b["lo"], b["hi"]) if b["rounds"] > 1 else ""
            md.append("| %s | %.0f |  |  | %.0f | %.0f | outside the JVM, %d × %.0f s%s |" % (
                m, b["ops"], b["p50"], b["p99"], b["rounds"], b["secs"], spread))
    return md


def ops_of(key):
    if key in rows and "ops" in rows[key]:
        return rows[key]["ops"]
    if key in base:
        return base[key]["ops"]
    return None


def label_of(key):
    return LABELS[key][0] if key in LABELS else key


def ratios(subject, others, targets):
    s = ops_of(subject)
    if not s:
        return []
    md = ["| %s against | its ops/s | ratio | goal |" % label_of(subject), "|---|---:|---:|---|"]
    for o in others:
        v = ops_of(o)
        if not v:
            continue
        ratio = s / v
        goal = targets.get(o)
        verdict = "" if goal is None else ("≥ %.2f: %s" % (goal, "met" if ratio >= goal else "**not met**"))
        md.append("| %s | %.0f | %.2f | %s |" % (label_of(o), v, ratio, verdict))
    return md


md = ["# Benchmark results", ""]
md.append("Measured %s." % machine())
if run:
    md.append("Run mode `%s`; load average before the run: %s, after: %s (1/5/15 min; 2 cores: anything "
              "near or above 1 means other work shared the machine)." % (
                  run.get("mode", "?"), run.get("loadavg_before", "?"), " ".join(open("/proc/loadavg").read().split()[:3])))
md.append("")
md.append("Every row creates a child and reaps it before the next; stdio is /dev/null for the Java rows and "
          "`C posix_spawn, daemonkit's work`. ops/s: JMH throughput mode (mean over all iterations of all "
          "forks), ± its 99.9% confidence interval (**bold** above 10% of the score); p50/p99 from JMH "
          "sample mode. Generated by `bench/run` from the JSON files next to this one.")
md.append("")
md.append("## Spawn + reap `/bin/true`")
md.append("")
md.append("![spawn](throughput.svg)")
md.append("")
md += table("spawn")
md.append("")
md += ratios("daemonkitSpawnWaitFor",
             ["C posix_spawn, daemonkit's work", "C posix_spawn", "C vfork+exec", "Python os.posix_spawn"] + PEERS,
             {"C posix_spawn, daemonkit's work": 0.95, **{p: 1.0 for p in PEERS}})
md.append("")
md.append("## Fork + reap (the child only exits)")
md.append("")
md.append("![fork](fork.svg)")
md.append("")
md += table("fork")
md.append("")
md += ratios("daemonkitForkExit", ["C fork+_exit", "C vfork+_exit", "cloneCopyingPageTables", "rawForkWithWatchdog"],
             {"C fork+_exit": 1.0, "C vfork+_exit": 0.8})
md.append("")

heap = load("jmh-heap.json")
if heap:
    md.append("## Heap scaling (ops/s with that much heap allocated and touched)")
    md.append("")
    sizes = sorted({int(b["params"]["heapMiB"]) for b in heap})
    md.append("| method | " + " | ".join("%d MiB" % s for s in sizes) + " | lowest / highest |")
    md.append("|---|" + "---:|" * (len(sizes) + 1))
    by = {}
    for b in heap:
        by.setdefault(name(b), {})[int(b["params"]["heapMiB"])] = b["primaryMetric"]["score"]
    hp = os.path.join(out, "baselines-heap.jsonl")
    if os.path.exists(hp):
        for line in open(hp):
            if line.strip():
                c = json.loads(line)
                if int(c["touched_mib"]) in sizes:
                    by.setdefault(c["method"], {})[int(c["touched_mib"])] = c["ops_per_s"]
    for key, vals in by.items():
        flat = min(vals.values()) / max(vals.values()) if max(vals.values()) else 0
        md.append("| %s | " % label_of(key) + " | ".join("%.0f" % vals.get(s, 0) for s in sizes) + " | %.2f |" % flat)
    md.append("")
    md.append("Goal for daemonkit forkExit: flat within 10% (lowest / highest ≥ 0.90). The C rows touch the same "
              "amount of malloc'ed memory before their loop: how much the kernel itself slows down with a big "
              "address space.")
    md.append("")
    series = [(label_of(k), [(s, v[s]) for s in sizes if s in v]) for k, v in by.items()]
    line_chart(series, "create + reap ops/s against touched heap (MiB), log scale", os.path.join(out, "heap.svg"))
    md.append("![heap](heap.svg)")
    md.append("")

threads = load("jmh-threads.json")
if threads:
    md.append("## Two creating threads (ops/s, both threads together)")
    md.append("")
    md.append("| method | 1 thread | 2 threads |")
    md.append("|---|---:|---:|")
    for b in threads:
        one = rows.get(name(b), {}).get("ops", 0)
        md.append("| %s | %.0f | %.0f |" % (label_of(name(b)), one, b["primaryMetric"]["score"]))
    md.append("")

zp = os.path.join(out, "zombies.json")
z = json.load(open(zp)) if os.path.exists(zp) else None
if z and "fence" not in z:
    z = None  # written by an older ZombieExperiment: regenerate with bench/run
if z:
    f = z["fence"]
    mem = z["kernel_memory_per_zombie"]
    md.append("## Zombie accumulation (%s = %d)" % (f["kind"], f["max"]))
    md.append("")
    md.append("- fence: %s = %d at `%s`; %d task(s) inside before%s, so room for %d zombies" % (
        f["kind"], f["max"], f["where"], f["tasks_before"],
        " (only the experiment's thread: cgroup v1)" if f["thread_only"] else "", f["room"]))
    md.append("- zombies accumulated before the kernel refused: **%d** (%s) in %.0f ms (%.0f/s), refused with **%s** from %s: %s" % (
        z["zombies"], "exactly the room the limit left" if z["exact"] else "NOT the room the limit left",
        z["create_ms"], z["creates_per_s"], z["refused"]["errno"], z["refused"]["call"], z["refused"]["limit"]))
    md.append("- kernel memory per zombie: **%.2f KiB** unreclaimable slab (Slab %.2f KiB, KernelStack %.2f KiB; "
              "/proc/meminfo deltas at the limit); after reaping %.2f KiB per zombie is still held" % (
                  mem["sunreclaim_kib"], mem["slab_kib"], mem["kernel_stack_kib"], mem["sunreclaim_kib_after_reap"]))
    if mem["caches"]:
        md.append("- slab caches that grew (/proc/slabinfo, objects × KiB per zombie): " + ", ".join(
            "%s %.2f × %.2f" % (c["cache"], c["objects"], c["kib"] / c["objects"]) for c in mem["caches"])
            + "; %.2f KiB in all" % mem["caches_kib"])
    md.append("- reaping all %d with waitpid: %.1f ms (%.2f µs each); zombies left: **%d**" % (
        z["reaped"], z["reap_ms"], z["reap_us_per_zombie"], z["zombies_left"]))
    for k, a in z["auto_reap"].items():
        md.append("- SIGCHLD %s: %d children (twice the room), zombies left: **%d**, EAGAIN retries while"
                  " children were still exiting: %d" % (k, a["children"], a["zombies_left"], a["eagain_retries"]))
    md.append("")
    md.append("Time to create one more child as zombies pile up:")
    md.append("")
    md.append("| zombies already there | mean µs | p50 µs | p99 µs | max µs | ms since the first |")
    md.append("|---:|---:|---:|---:|---:|---:|")
    for c in z["curve"]:
        md.append("| %d–%d | %.1f | %.1f | %.1f | %.1f | %.0f |" % (
            c["zombies_before"], c["zombies_before"] + c["count"] - 1, c["mean_us"], c["p50_us"], c["p99_us"],
            c["max_us"], c["elapsed_ms"]))
    md.append("")
else:
    md.append("## Zombie accumulation")
    md.append("")
    md.append("Not run here (it needs a pids cgroup of its own or RLIMIT_NPROC as a non-root user; see the run's output).")
    md.append("")


def chart_items(group):
    items = [(label, rows[k]["ops"]) for k, (label, g) in LABELS.items() if g == group and "ops" in rows.get(k, {})]
    items += [(m, base[m]["ops"]) for m, g in BASELINE_GROUP.items() if g == group and m in base]
    return items


if chart_items("spawn"):
    bar_chart(chart_items("spawn"), "spawn + reap /bin/true (ops/s, higher is better)", os.path.join(out, "throughput.svg"))
if chart_items("fork"):
    bar_chart(chart_items("fork"), "fork + reap, child only exits (ops/s, higher is better)", os.path.join(out, "fork.svg"))

if z and z["curve"]:
    pts = z["curve"]
    w, h, m = 720, 340, 64
    mx_x = max(p["zombies_before"] + p["count"] for p in pts) or 1
    # p50 and mean: the p99 of a loaded 2-core box is scheduling noise (it is in the table).
    mx_y = max(p["mean_us"] for p in pts) * 1.15 or 1

    def xy(p, key):
        return (m + (w - 2 * m) * (p["zombies_before"] + p["count"] / 2) / mx_x, h - m - (h - 2 * m) * p[key] / mx_y)

    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="14" font-weight="bold">time to create a child vs zombies already there'
         ' (%s = %d)</text>' % (z["fence"]["kind"], z["fence"]["max"]),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (m, h - m, w - m, h - m),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (m, m, m, h - m),
         '<text x="%d" y="%d" text-anchor="middle">zombies accumulated (%d in %.0f ms, refused with %s)</text>' % (
             w / 2, h - 24, z["zombies"], z["create_ms"], z["refused"]["errno"]),
         '<text x="%d" y="%d" text-anchor="end">%d</text>' % (w - m, h - m + 14, mx_x),
         '<text x="%d" y="%d">0</text>' % (m, h - m + 14),
         '<text x="%d" y="%d" text-anchor="end">%.0f</text>' % (m - 4, m + 4, mx_y),
         '<text x="%d" y="%d" text-anchor="end">0</text>' % (m - 4, h - m + 4),
         '<text x="16" y="%d" transform="rotate(-90 16 %d)" text-anchor="middle">µs per child</text>' % (h / 2, h / 2)]
    for key, color, label in (("mean_us", "#f6ad55", "mean"), ("p50_us", "#2b6cb0", "p50")):
        coords = [xy(p, key) for p in pts]
        s.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
            color, " ".join("%.1f,%.1f" % c for c in coords)))
        s.append('<text x="%.1f" y="%.1f" fill="%s">%s</text>' % (coords[-1][0] + 4, coords[-1][1], color, label))
    for p in pts[:: max(1, len(pts) // 8)]:
        x, y = xy(p, "p50_us")
        s.append('<text x="%.1f" y="%.1f" font-size="10" fill="#2b6cb0">%.0f</text>' % (x, y - 6, p["p50_us"]))
    s.append("</svg>")
    open(os.path.join(out, "zombies.svg"), "w").write("\n".join(s))
    md.append("![zombies](zombies.svg)")
    md.append("")

open(os.path.join(out, "RESULTS.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
