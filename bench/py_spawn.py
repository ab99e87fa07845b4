"""Python's os.posix_spawn + waitpid loop on /bin/true: the scripting-language reference point."""
import json
import os
import sys
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
lat = []
start = time.monotonic()
end = start + seconds
while time.monotonic() < end:
    t0 = time.monotonic()
    pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
    os.waitpid(pid, 0)
    lat.append((time.monotonic() - t0) * 1e6)
took = time.monotonic() - start
lat.sort()
print(json.dumps({"method": "Python os.posix_spawn", "ops": len(lat), "seconds": round(took, 3),
                  "ops_per_s": round(len(lat) / took, 1), "p50_us": round(lat[len(lat) // 2], 1),
                  "p99_us": round(lat[int(len(lat) * 0.99)], 1)}))
