#!/usr/bin/env python3
"""Edits a policy every second while bench/serve.sh loads the server.

Usage: serve_editor.py PORT DIR SECONDS SHIPPED EDITED BROKEN DIGEST_SHIPPED DIGEST_EDITED
Alternates two valid versions of export.yaml (written atomically, as editors
do: a new file renamed over the old) and, every fifth second, a broken one.
After each write it polls GET /v1/policies until the edit shows (the new
export digest, or for the broken one a reload error with the old digest
still in force) and records how long that took. Prints one summary line;
exits 1 if a broken edit was ever in force or an edit took more than a
second to show.
"""
import json
import os
import sys
import time
import urllib.request


def policies(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/policies", timeout=5) as r:
        return json.load(r)


def export_digest(listing):
    return next(p["digest"] for p in listing["policies"] if p["name"] == "export")


def main():
    port, folder, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    texts = {name: open(path).read() for name, path in zip(("shipped", "edited", "broken"), sys.argv[4:7])}
    digests = {"shipped": sys.argv[7], "edited": sys.argv[8]}
    target = os.path.join(folder, "export.yaml")
    in_force = "shipped"
    seen, broken_seen, violations, timeouts, late = [], [], 0, 0, 0
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < seconds - 0.5:
        tick = start + i + 1
        broken = i % 5 == 4
        version = "broken" if broken else ("edited" if in_force == "shipped" else "shipped")
        tmp = target + ".tmp"
        with open(tmp, "w") as f:
            f.write(texts[version])
        os.rename(tmp, target)
        wrote = time.monotonic()
        shown = False
        while time.monotonic() - wrote < 2.0:
            listing = policies(port)
            if broken:
                if listing["last_reload_error"] is not None:
                    shown = True
                    if export_digest(listing) != digests[in_force]:
                        violations += 1
            elif export_digest(listing) == digests[version] and listing["last_reload_error"] is None:
                shown = True
            if shown:
                took = time.monotonic() - wrote
                (broken_seen if broken else seen).append(took)
                late += took > 1.0
                break
            time.sleep(0.01)
        if not shown:
            timeouts += 1
        if not broken:
            in_force = version
        i += 1
        time.sleep(max(0.0, tick - time.monotonic()))
    seen.sort()
    broken_seen.sort()
    def ms(xs, q):
        return 1000 * xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
    print(f"edits={i} good={len(seen)} broken={len(broken_seen)} over_1s={late} not_shown_within_2s={timeouts} "
          f"broken_in_force={violations} reload_p50_ms={ms(seen, 0.5):.0f} reload_max_ms={ms(seen, 1.0):.0f} "
          f"error_shown_max_ms={ms(broken_seen, 1.0):.0f}")
    return 1 if violations or timeouts or late else 0


if __name__ == "__main__":
    sys.exit(main())
