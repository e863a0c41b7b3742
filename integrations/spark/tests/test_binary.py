"""The portable binary (scripts/build-portable.sh) runs without a Swift toolchain."""

import os
import re
import subprocess

import pytest

from conftest import REPO

# What every Linux machine with glibc has (and every JVM loads).
ALLOWED = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
           "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def needed(binary):
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    # A static executable (the release build on Linux) needs no library: ldd says so and exits 1.
    if "not a dynamic executable" in p.stdout + p.stderr:
        return set()
    assert p.returncode == 0, p.stderr
    return {os.path.basename(re.split(r"\s+", line.strip())[0]) for line in p.stdout.splitlines() if line.strip()}


def test_the_binary_needs_only_glibc_and_libgcc(binary):
    libs = needed(binary)
    if any("swift" in lib for lib in libs):
        if os.environ.get("VERDICT_REQUIRE_PORTABLE"):
            pytest.fail(f"{binary} is not the portable build: it needs {sorted(libs)}")
        pytest.skip(f"{binary} is a development build (links the Swift runtime): "
                    "build dist/verdict with scripts/build-portable.sh")
    assert libs <= ALLOWED, sorted(libs - ALLOWED)


def test_the_binary_answers_without_the_toolchain(binary, tmp_path):
    """No Swift on PATH, no library path, another working directory."""
    if any("swift" in lib for lib in needed(binary)) and not os.environ.get("VERDICT_REQUIRE_PORTABLE"):
        pytest.skip("a development build needs the toolchain's libraries")
    with open(os.path.join(REPO, "examples", "tickets.jsonl"), "rb") as f:
        tickets = f.read()
    p = subprocess.run([binary, "eval", "--policies", os.path.join(REPO, "policies")], input=tickets,
                       capture_output=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 1
    with open(os.path.join(REPO, "examples", "answers.jsonl"), "rb") as f:
        assert p.stdout == f.read()
