"""Shared fixtures: one local[2] Spark session for the whole run, the verdict
binary, the CLI as reference, and the hostile ticket corpus."""

import os
import random
import shutil
import subprocess
import sys

import pytest

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "integrations", "spark"))

import verdict_spark  # noqa: E402


def binary_path():
    """VERDICT_BINARY, else the portable build, else the debug build."""
    for candidate in (os.environ.get("VERDICT_BINARY"), os.path.join(REPO, "dist", "verdict"),
                      os.path.join(REPO, ".build", "debug", "verdict")):
        if candidate and os.path.isfile(candidate):
            return os.path.abspath(candidate)
    raise RuntimeError("no verdict binary: run `bash scripts/build-portable.sh` (or `swift build`) first,"
                       " or set VERDICT_BINARY")


@pytest.fixture(scope="session")
def binary():
    return binary_path()


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    s = (SparkSession.builder.master("local[2]").appName("verdict-spark-tests")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.memory", "2g")
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


class CLI:
    """The plain command line, the reference every Spark result is held to."""

    def __init__(self, binary):
        self.binary = binary

    def run(self, args, stdin=None, cwd=REPO):
        p = subprocess.run([self.binary] + args, input=stdin, capture_output=True, cwd=cwd)
        return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="session")
def cli(binary):
    return CLI(binary)


def read_parts(folder):
    """The part files of a Spark text output, concatenated in name order."""
    out = b""
    for name in sorted(os.listdir(folder)):
        if name.startswith("part-"):
            with open(os.path.join(folder, name), "rb") as f:
                out += f.read()
    return out


def ticket(i, market="export", **extra):
    t = ('{"id":"H-%d","market":"%s","opened_at":"2026-03-14T09:30:00+08:00","unit":{"installed_on":"2025-12-01",'
         '"install_count":1},"request":{"kind":"repair","onsite":true},"fault":{"cause":"manufacturing",'
         '"remote_resolvable":false}' % (i, market))
    for k, v in extra.items():
        t += ',"%s":%s' % (k, v)
    return (t + "}").encode()


# Lines the CLI's framing rules (docs/cli.md) treat specially, and lines that
# are errors; each must come out exactly as the CLI prints it.
HOSTILE = [
    b"", b"   ", b"\t \t", b"\r", b"not json", b"[1]", b"{}", b"null", b"\x00", b"\xef\xbb\xbf",
    b'{"id":"T-mars","market":"mars"}',
    b'{"id":"bad-utf8-\xff\xfe","market":"export"}',
    b'{"id":"surrogate-\xed\xa0\x80","market":"export"}',
    b'{"id":"nul-\x00","market":"export"}',
    b"\xef\xbb\xbf" + ticket(1),  # a BOM that is not at the start of the input
    ticket(2) + b"\r",  # CRLF
    ticket(3).replace(b',"market"', b',\r"market"'),  # a lone CR: JSON whitespace, not a line end
    b"[" * 100 + b"]" * 100,  # nesting deeper than 64
    b'{"id":"dup","id":"again","market":"export"}',
    ticket(4).replace(b'"H-4"', b"12345"),  # ids that are not strings
    ticket(5).replace(b'"H-5"', b'{"k":[1,2.50,"\\u00e9"]}'),
    ticket(6, pad='"' + "p" * (1 << 20) + '"'),  # a long line under the limit
    ticket(7).replace(b"2025-12-01", b"2025-02-30"),  # an impossible date: undetermined answers
    '{"id":"中文-Ω","market":"domestic","opened_at":"2026-03-14T09:30:00Z"}'.encode(),
]


def hostile_corpus(n, seed=7, huge=True):
    """`n` generated tickets (bench/gen_tickets.py) with the hostile lines
    mixed in at random places, a BOM at the very start, a line longer than
    the 64 MiB limit (with `huge`), and no line end on the last line."""
    gen = subprocess.run([sys.executable, os.path.join(REPO, "bench", "gen_tickets.py"), str(n)],
                         capture_output=True, check=True).stdout.split(b"\n")[:-1]
    rng = random.Random(seed)
    lines = list(gen)
    extras = HOSTILE * 3
    if huge:
        extras.append(b'{"id":"huge","market":"export","pad":"' + b"x" * (64 << 20) + b'"}')
    for line in extras:
        lines.insert(rng.randrange(len(lines) + 1), line)
    return b"\xef\xbb\xbf" + b"\n".join(lines)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """20,000 generated tickets with hostile lines, as a file."""
    path = tmp_path_factory.mktemp("corpus") / "tickets.jsonl"
    path.write_bytes(hostile_corpus(20000))
    return str(path)


@pytest.fixture(scope="session")
def policies_pair(tmp_path_factory):
    """Shipped policies (old) and a new version that changes many answers:
    reply within 48 hours instead of 24 (a new `response_due` on every
    ticket: more distinct old → new pairs than a report keeps), export
    on-site window 6 months instead of 3, export version 2026.2 (every
    export ticket answered by another version), and no material policy
    (material tickets become error lines)."""
    root = tmp_path_factory.mktemp("policies")
    old = root / "old"
    new = root / "new"
    shutil.copytree(os.path.join(REPO, "policies"), old)
    shutil.copytree(os.path.join(REPO, "policies"), new)
    shutil.rmtree(old / "tests")
    shutil.rmtree(new / "tests")
    base = (new / "base.yaml").read_text()
    assert "    value: 24\n" in base
    (new / "base.yaml").write_text(base.replace("    value: 24\n", "    value: 48\n", 1))
    export = (new / "export.yaml").read_text()
    assert "value: 3\n" in export and 'version: "2026.1"' in export
    (new / "export.yaml").write_text(export.replace("value: 3\n", "value: 6\n").replace(
        'version: "2026.1"', 'version: "2026.2"'))
    (new / "material.yaml").unlink()
    return str(old), str(new)
