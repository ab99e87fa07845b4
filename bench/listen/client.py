#!/usr/bin/env python3
"""Loopback client loop for the restart measurement: N threads, each request a new connection
(connect, GET /index.html, read to EOF, 10 s timeout). Prints attempted/failed/slowest; a failure
is any error or a non-200 answer. usage: client.py PORT SECONDS [THREADS]"""
import socket, sys, threading, time

port, duration = int(sys.argv[1]), float(sys.argv[2])
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
lock = threading.Lock()
stats = {"ok": 0, "failed": 0, "slowest": 0.0}
errors = {}


def worker():
    end = time.time() + duration
    while time.time() < end:
        t = time.time()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            error = None if data.startswith(b"HTTP/1.1 200") else repr(data[:40])
        except OSError as e:
            error = type(e).__name__
        with lock:
            stats["slowest"] = max(stats["slowest"], time.time() - t)
            if error is None:
                stats["ok"] += 1
            else:
                stats["failed"] += 1
                errors[error] = errors.get(error, 0) + 1


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(f"attempted {stats['ok'] + stats['failed']} failed {stats['failed']} slowest_ms {int(stats['slowest'] * 1000)} {errors}")
