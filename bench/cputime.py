#!/usr/bin/env python3
"""Runs a command and prints "WALL USER SYS" seconds to the file FILE: the
wall-clock time, and the CPU time of the command and of every process it
started, however deep (the JVM that PySpark starts, its Python workers and
the verdict processes they start). Plain `time` misses the processes a
command leaves to exit on their own; this one makes itself their
"subreaper" (Linux), so that they are reaped and counted here.

Usage: python3 bench/cputime.py FILE COMMAND [ARG ...]   (the command's output passes through)
"""
import ctypes
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main():
    out, command = sys.argv[1], sys.argv[2:]
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    start = time.monotonic()
    status = subprocess.call(command)
    while True:  # the descendants left behind, until none is left
        try:
            os.wait()
        except ChildProcessError:
            break
    wall = time.monotonic() - start
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        f.write(f"{wall:.3f} {r.ru_utime:.3f} {r.ru_stime:.3f}\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
