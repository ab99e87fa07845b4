#!/usr/bin/env python3
"""Start-up and footprint of the daemonkit CLI, against a hello-world `java -jar` (issue 16).

Every short command runs through ./daemonkit (the README's entry point), alternating with the
hello-world baseline run for run, so that load changes hit all of them alike; the table gives the
median wall time, the median CPU time (user+sys of the command and its children, steadier than
wall time on a shared machine) and the ratio to hello world. Then the long-running JVMs idle and
their RSS and thread count are read from /proc.

  bench/startup.py [--runs N] [--idle S] [--out DIR]      (bench/run calls it)

Writes DIR/startup.json and DIR/STARTUP.md and prints the tables. No assertion: a benchmark.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "daemonkit")

HELLO = 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n'
IDLE = ('public class Idle { public static void main(String[] a) throws Exception {'
        ' System.out.println("idle"); Thread.sleep(3_600_000); } }\n')


def java_home():
    if os.environ.get("JAVA_HOME") and os.path.exists(os.path.join(os.environ["JAVA_HOME"], "bin", "javac")):
        return os.environ["JAVA_HOME"]
    out = subprocess.run(["sh", "-c", '. "$1/.mvn/find-jdk.sh" && daemonkit_find_jdk && echo "$JAVA_HOME"', "sh", ROOT],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def build_jar(jdk, tmp, name, source):
    """javac + jar of one class with a Main-Class manifest: the baseline is built here, not downloaded."""
    src = os.path.join(tmp, name + ".java")
    with open(src, "w") as f:
        f.write(source)
    subprocess.run([os.path.join(jdk, "bin", "javac"), "-d", tmp, src], check=True)
    jar = os.path.join(tmp, name.lower() + ".jar")
    subprocess.run([os.path.join(jdk, "bin", "jar"), "cfe", jar, name, "-C", tmp, name + ".class"], check=True)
    return jar


def timed(argv, env=None):
    """Runs argv to completion; returns (wall seconds, cpu seconds, exit code, stderr bytes)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, p.returncode, err.read()


def read_pid(path, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise RuntimeError("no pid in " + path)


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    kib = lambda k: int(fields.get(k, "0 kB").split()[0])
    names = []
    for t in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return {"rss_kib": kib("VmRSS"), "anon_kib": kib("RssAnon"), "file_kib": kib("RssFile"),
            "threads": int(fields.get("Threads", "0")), "thread_names": names}


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(), "load": os.getloadavg()}


def jdk_version(jdk):
    out = subprocess.run([os.path.join(jdk, "bin", "java"), "-version"], capture_output=True, text=True)
    lines = out.stderr.strip().splitlines()
    return lines[-1] if lines else "unknown"


def stop_pid(pid, timeout=15.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="alternating runs per command (>= 10 for results)")
    ap.add_argument("--idle", type=float, default=15.0, help="seconds the long-running JVMs idle before RSS is read")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    jdk = java_home()
    java = os.path.join(jdk, "bin", "java")
    env = dict(os.environ, JAVA_HOME=jdk)
    for v in ("DAEMONKIT_JAVA_OPTS", "DAEMONKIT_AOT", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"):
        env.pop(v, None)
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="daemonkit-startup-")
    started = []  # (pid, how to stop) for clean-up whatever happens
    try:
        hello = build_jar(jdk, tmp, "Hello", HELLO)
        idle = build_jar(jdk, tmp, "Idle", IDLE)
        # The jar and its AOT cache are built now, not inside a timed run.
        for _ in range(2):
            subprocess.run([SCRIPT, "version"], env=env, stdout=subprocess.DEVNULL, check=True)
        jar = os.path.join(ROOT, "target", "daemonkit.jar")
        missing = os.path.join(tmp, "missing.pid")
        sv_pidfile = os.path.join(tmp, "supervisor.pid")
        subprocess.run([SCRIPT, "supervise", "--pidfile", sv_pidfile, "--", "sleep", "3600"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        sv_pid = read_pid(sv_pidfile)
        started.append((sv_pid, "pidfile:" + sv_pidfile))
        start_pidfile = os.path.join(tmp, "started.pid")

        def stop_started():
            subprocess.run([SCRIPT, "stop", "--pidfile", start_pidfile], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        # (label, argv, limit as a multiple of hello world, untimed clean-up after each run)
        cases = [
            ("hello world `java -jar`", [java, "-jar", hello], None, None),
            ("hello world, daemonkit's short-command options",
             [java, "-XX:+UseSerialGC", "-Xint", "-XX:-UsePerfData", "-jar", hello], None, None),
            ("`daemonkit --help`", [SCRIPT, "--help"], 1.5, None),
            ("`daemonkit version`", [SCRIPT, "version"], 1.5, None),
            ("`daemonkit status` (no pidfile)", [SCRIPT, "status", "--pidfile", missing], 1.5, None),
            ("`daemonkit stop` (not running)", [SCRIPT, "stop", "--pidfile", missing], 1.5, None),
            ("`daemonkit reload` (not running)", [SCRIPT, "reload", "--pidfile", missing], 1.5, None),
            ("`daemonkit ctl status` (running supervisor)", [SCRIPT, "ctl", "--pidfile", sv_pidfile, "status"], 1.5, None),
            # The common real case, outside the goal's list: the FFM calls of the lock and pidfd.
            ("`daemonkit status` (running supervisor's pidfile)", [SCRIPT, "status", "--pidfile", sv_pidfile], None, None),
            ("`daemonkit start -- sleep 3600` (its default 1 s alive check)", [SCRIPT, "start", "--pidfile", start_pidfile, "--", "sleep", "3600"],
             3.0, stop_started),
            ("`daemonkit start --grace settled -- sleep 3600` (returns once the program is still)",
             [SCRIPT, "start", "--grace", "settled", "--pidfile", start_pidfile, "--", "sleep", "3600"], None, stop_started),
            ("`daemonkit start --grace 0 -- sleep 3600` (no alive check at all)",
             [SCRIPT, "start", "--grace", "0", "--pidfile", start_pidfile, "--", "sleep", "3600"], None, stop_started),
            ("`java -jar target/daemonkit.jar status` (JVM defaults, no cache)", [java, "-jar", jar, "status", "--pidfile", missing],
             None, None),
            # init's whole life with a command that exits at once: start-up, spawn, reap, exit.
            ("`daemonkit init -- true`", [SCRIPT, "init", "--", "true"], None, None),
            ("`java -jar target/daemonkit.jar init -- true` (starts its JVM again for the signals)",
             [java, "-jar", jar, "init", "--", "true"], None, None),
        ]
        samples = {c[0]: {"wall": [], "cpu": [], "codes": set(), "stderr": b""} for c in cases}
        print(f"== start-up: {args.runs} alternating runs of {len(cases)} commands", flush=True)
        for i in range(args.runs):
            order = cases if i % 2 == 0 else list(reversed(cases))
            for label, argv, _, after in order:
                wall, cpu, code, err = timed(argv, env)
                s = samples[label]
                s["wall"].append(wall)
                s["cpu"].append(cpu)
                s["codes"].add(code)
                if err and not s["stderr"]:
                    s["stderr"] = err[:300]
                if after:
                    after()
        base = statistics.median(samples[cases[0][0]]["wall"])
        base_cpu = statistics.median(samples[cases[0][0]]["cpu"])
        startup = []
        for label, argv, limit, _ in cases:
            s = samples[label]
            wall = statistics.median(s["wall"])
            startup.append({"command": label, "median_ms": round(wall * 1000, 1),
                            "p90_ms": round(sorted(s["wall"])[int(0.9 * (len(s["wall"]) - 1))] * 1000, 1),
                            "cpu_ms": round(statistics.median(s["cpu"]) * 1000, 1),
                            "ratio": round(wall / base, 2), "limit": limit,
                            "cpu_ratio": round(statistics.median(s["cpu"]) / base_cpu, 2),
                            "exit_codes": sorted(s["codes"]), "stderr": s["stderr"].decode("utf-8", "replace")})

        print(f"== footprint: the long-running JVMs idle {args.idle:.0f} s", flush=True)
        listen = "127.0.0.1:0"
        fg = [
            ("hello world idle `java -jar` (reference)", [java, "-jar", idle]),
            ("`daemonkit supervise -- sleep 3600`", [SCRIPT, "supervise", "--", "sleep", "3600"]),
            ("`daemonkit prefork --workers 2` master", [SCRIPT, "prefork", "--workers", "2", "--listen", listen,
                                                        "--", "sleep", "3600"]),
            ("`java -jar target/daemonkit.jar supervise` (JVM defaults)", [java, "-jar", jar, "supervise", "--", "sleep", "3600"]),
            ("`daemonkit init -- sleep 3600`", [SCRIPT, "init", "--", "sleep", "3600"]),
        ]
        procs = []
        for label, argv in fg:
            p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            started.append((p.pid, "popen"))
            procs.append((label, p.pid, p))
        procs.insert(3, ("`daemonkit supervise --pidfile` (daemonized supervisor)", sv_pid, None))
        time.sleep(args.idle)
        footprint = []
        for label, pid, _ in procs:
            reads = []
            for _ in range(3):
                reads.append(proc_status(pid))
                time.sleep(0.5)
            mid = sorted(reads, key=lambda r: r["rss_kib"])[1]
            footprint.append({"process": label, "rss_mib": round(mid["rss_kib"] / 1024, 1),
                              "anon_mib": round(mid["anon_kib"] / 1024, 1), "file_mib": round(mid["file_kib"] / 1024, 1),
                              "threads": mid["threads"], "thread_names": mid["thread_names"]})
        info = machine()
        result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  "jdk": jdk_version(jdk), "machine": info, "runs": args.runs, "idle_seconds": args.idle,
                  "startup": startup, "footprint": footprint}
        with open(os.path.join(args.out, "startup.json"), "w") as f:
            json.dump(result, f, indent=1)
        md = report(result)
        with open(os.path.join(args.out, "STARTUP.md"), "w") as f:
            f.write(md)
        print(md)
    finally:
        for pid, how in reversed(started):
            if how.startswith("pidfile:"):
                subprocess.run([SCRIPT, "stop", "--pidfile", how[len("pidfile:"):]], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            else:
                # Our own child: its session (the JVM and the programs it supervises) goes with it.
                try:
                    os.killpg(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                stop_pid(pid)
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        shutil.rmtree(tmp, ignore_errors=True)


def report(r):
    m = r["machine"]
    lines = ["# Start-up and footprint of the daemonkit CLI", "",
             f"Measured {r['date']}; {m['cpu']}, {m['cpus']} CPUs; Linux {m['kernel']}; {r['jdk']}. "
             f"Load average at the end: {m['load'][0]:.1f} / {m['load'][1]:.1f} / {m['load'][2]:.1f} (1/5/15 min)" +
             (": the machine was shared with other work (other agents' builds and tests), so wall times are "
              "noisy and the ratios only indicative; CPU times are steadier. Rerun on a quiet machine."
              if max(m["load"]) > 0.5 * (m["cpus"] or 1) else ": the machine was otherwise quiet."),
             "", f"Generated by `bench/startup.py` (`bench/run`). Median of {r['runs']} runs, the commands "
             "alternating run for run. Ratio = median wall time / hello world's (the goal is on it); CPU = user+sys "
             "time of the command and its children, CPU ratio likewise.", "",
             "| command | median ms | p90 ms | ratio | goal | CPU ms | CPU ratio | exit | stderr |",
             "|---|---:|---:|---:|---|---:|---:|---|---|"]
    for s in r["startup"]:
        goal = "" if s["limit"] is None else (f"≤ {s['limit']}× " + ("met" if s["ratio"] <= s["limit"] else "missed"))
        err = "clean" if not s["stderr"] else "`" + s["stderr"].splitlines()[0][:60].replace("|", "/") + "`"
        lines.append(f"| {s['command']} | {s['median_ms']} | {s['p90_ms']} | {s['ratio']} | {goal} | {s['cpu_ms']} | "
                     f"{s['cpu_ratio']} | {','.join(map(str, s['exit_codes']))} | {err} |")
    lines += ["", f"Idle footprint after {r['idle_seconds']:.0f} s (median of 3 reads of /proc/PID/status). Goal for "
              "daemonkit's own long-running JVMs: RSS ≤ 50 MiB.", "",
              "| process | RSS MiB | anon MiB | file MiB | threads |", "|---|---:|---:|---:|---:|"]
    for f in r["footprint"]:
        lines.append(f"| {f['process']} | {f['rss_mib']} | {f['anon_mib']} | {f['file_mib']} | {f['threads']} |")
    for f in r["footprint"]:
        if "daemonized" in f["process"]:
            lines += ["", "Threads of the idle daemonized supervisor: " + ", ".join(f["thread_names"]) + "."]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
