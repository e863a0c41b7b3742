"""Names the tests a Swift Testing log shows started and never ended.

CI bounds each test run; when one runs past its bound, this says which
tests were still running (a hang), instead of a bare "Terminated".
Usage: python3 .ci/unfinished.py LOG
"""
import re
import sys

started, ended = [], set()
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        m = re.search(r"Test (.+?) started\.$", line.rstrip())
        if m and not m.group(1).startswith("case passing"):  # a case ends with its test
            started.append(m.group(1))
            continue
        m = re.search(r"Test (.+?)(?: with \d+ test cases?)? (?:passed|failed|skipped|recorded)", line)
        if m:
            ended.add(m.group(1))
still = [name for name in dict.fromkeys(started) if name not in ended and name != "run"]
print("tests started and not ended: " + (", ".join(still) if still else "none"))
