#!/usr/bin/env python3
"""`verdict` on Apache Spark: evaluation and audit replay over many cores or machines.

Spark splits the tickets into partitions, each partition is piped through one
`verdict` process (the portable binary and the policies are shipped to the
workers with SparkFiles), and Spark writes or adds up what comes back.

    python integrations/spark/verdict_spark.py eval --policies DIR --input PATH --output DIR
        [--ask NAME]... [--input-format jsonl|parquet [--column NAME]]
        [--output-format jsonl|parquet] [--master URL] [--partitions N] [--binary PATH]
    python integrations/spark/verdict_spark.py diff OLD NEW --input PATH --output DIR
        [--format text|json|markdown] [--witnesses N] [...the same input and Spark options]

`eval` writes what `verdict eval` prints for the same lines, line for line:
JSON Lines part files whose concatenation in name order is the CLI's output,
or a typed Parquet table. `diff` prints (and writes to DIR) the report that
`verdict diff OLD NEW --tickets PATH` prints, with the same numbers, and
DIR/changed holds the lines `--per-ticket` prints. docs/spark.md is the guide.

Exit status, as the CLI's: 0 all answered (eval) or nothing changed (diff),
1 some error line (eval) or something changed (diff), 2 on a usage error,
policies that do not load, or a failed Spark job (the message says why).
"""

import argparse
import collections
import glob
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading

# A line of only spaces, tabs and CRs is blank: `verdict` gives it no output line,
# though it counts in line numbers (docs/cli.md).
BLANK_LINE = r"^[ \t\r]*$"
# Output rows per Arrow batch handed back to Spark.
OUT_BATCH = 8192
# A report keeps this many distinct old → new pairs per decision and this
# many example tickets (Sources/VerdictDiff/Replay.swift); text and Markdown
# show this many pairs (DiffReport.swift).
MAX_PAIRS = 200
MAX_EXAMPLES = 3
PAIRS_SHOWN = 5


class VerdictFailed(RuntimeError):
    """A `verdict` process failed (exit 2 or 3, a signal, or lines lost)."""


class UsageError(Exception):
    pass


# ---------------------------------------------------------------------------
# On the workers: one `verdict` process per partition.


def piped(batches, argv, first_line, labels=(), expected_lines=None):
    """Pipes the lines of one partition through one `verdict` process and
    yields, as they come, chunks (global line numbers, output lines): the
    lines it printed (bytes, without line end), each with the number of the
    input line it answers.

    `batches` yields Arrow record batches whose first column holds the lines
    as bytes, without line end (a null is the JSON `null`). Blank lines are
    not sent, since the CLI gives them no output line, but they are counted;
    every other line must get exactly one output line, in order, which is
    what lets the line number be attached by position. `first_line` is the
    global number of the partition's first line. Lines are sifted, joined
    and split in batches by Arrow and bytes methods, not one by one.

    The exit status must be 0 or 1. Anything else (2: the policies do not
    load; 3: reading or writing failed; a signal), or a count of output
    lines that differs from the lines sent, raises VerdictFailed with what
    the process printed on stderr, which fails the Spark task. `labels`
    (path on this worker, name the user knows) are put back in that message.
    `expected_lines` is how many lines the count before the job found in
    this partition: another number means the input was split otherwise, and
    the line numbers would be wrong.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sent = collections.deque()  # per batch written: the numbers of its lines sent (appended before writing)
    feed_error = []
    stderr_chunks = []
    null = pa.scalar(b"null", pa.binary())
    newline = pa.scalar(b"\n", pa.binary())

    def feed():
        number = first_line
        try:
            # A blank first line: `verdict` skips a byte order mark at the
            # very start of its input only, and this partition's first line
            # is not the start of the file (the reader already skipped the
            # file's own BOM).
            proc.stdin.write(b"\n")
            for batch in batches:
                lines = batch.column(0)
                n = len(lines)
                if lines.null_count:
                    lines = pc.fill_null(lines, null)
                keep = pc.invert(pc.match_substring_regex(lines, BLANK_LINE))
                if pc.all(keep).as_py():
                    numbers = range(number, number + n)
                else:
                    lines = pc.filter(lines, keep)
                    numbers = [number + int(k) for k in pc.indices_nonzero(keep).to_numpy()]
                number += n
                if not len(lines):
                    continue
                sent.append(numbers)
                if pc.sum(pc.binary_length(lines)).as_py() < 1 << 30:
                    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines),
                                            newline)
                    proc.stdin.write(joined[0].as_py() + b"\n")
                else:  # too long for one Arrow value
                    for line in lines.to_pylist():
                        proc.stdin.write(line + b"\n")
            proc.stdin.close()
            if expected_lines is not None and number - first_line != expected_lines:
                raise VerdictFailed(f"this partition has {number - first_line} lines, but {expected_lines} were"
                                    " counted in it before: the input changed or was split otherwise")
        except BrokenPipeError:
            pass  # verdict stopped reading: its status and stderr say why
        except BaseException as e:  # reading the partition failed: stop verdict
            feed_error.append(e)
            proc.kill()

    def drain_stderr():
        stderr_chunks.append(proc.stderr.read())

    feeder = threading.Thread(target=feed, daemon=True)
    drainer = threading.Thread(target=drain_stderr, daemon=True)
    feeder.start()
    drainer.start()
    current, at = range(0), 0  # the batch whose lines are being answered
    extra = 0  # output lines with no input line left
    try:
        rest = b""
        while True:
            chunk = proc.stdout.read1(1 << 20)
            if not chunk:
                break
            end = chunk.rfind(b"\n")
            if end < 0:
                rest += chunk
                continue
            texts = (rest + chunk[:end]).split(b"\n")
            rest = chunk[end + 1:]
            numbers = []
            while len(numbers) < len(texts):
                if at == len(current):
                    if not sent:
                        break
                    current, at = sent.popleft(), 0
                take = min(len(texts) - len(numbers), len(current) - at)
                numbers.extend(current[at:at + take])
                at += take
            if len(numbers) < len(texts):
                extra += len(texts) - len(numbers)
                texts = texts[:len(numbers)]
            if texts:
                yield numbers, texts
        if rest:
            extra += 1  # a last line cut short
        status = proc.wait()
    finally:
        if proc.poll() is None:  # the task was cancelled, or failed downstream
            proc.kill()
            proc.wait()
    feeder.join()
    drainer.join()
    if feed_error:
        raise feed_error[0]
    stderr = b"".join(stderr_chunks).decode("utf-8", "replace").strip() or "(nothing on stderr)"
    command = " ".join(argv)
    for path, label in labels:
        stderr = stderr.replace(path, label)
        command = command.replace(path, label)
    missing = len(current) - at + sum(len(numbers) for numbers in sent)
    if status not in (0, 1):
        how = f"status {status}" if status > 0 else f"signal {-status}"
        raise VerdictFailed(f"`{command}` exited with {how}: {stderr}")
    if missing or extra:
        raise VerdictFailed(
            f"`{command}` gave {missing} answer line(s) too few and {extra} too many"
            f" (exit status {status}): {stderr}")


def with_line_number(text, number):
    """An error or per-ticket line `{"line":N,...}` with N set to `number`."""
    if text.startswith(b'{"line":'):
        return b'{"line":%d' % number + text[text.index(b",", 8):]
    return text


def shipped(name):
    """The path of a file or folder shipped with SparkFiles, on this worker."""
    from pyspark import SparkFiles

    path = SparkFiles.get(name)
    if os.path.isfile(path) and not os.access(path, os.X_OK):
        os.chmod(path, 0o755)
    return path


def this_partition(offsets):
    """This task's partition, the global number of its first line, and how
    many lines the count found in it."""
    from pyspark import TaskContext

    pid = TaskContext.get().partitionId()
    return pid, offsets[pid] + 1, offsets[pid + 1] - offsets[pid]


def eval_task(binary, policies, ask, offsets, figures):
    """mapInArrow function of `eval`: rows (line, answer). `policies` is
    (name shipped, folder as the user named it)."""

    def task(batches):
        import pyarrow as pa

        pid, first, count = this_partition(offsets)
        labels = [(shipped(binary), "verdict"), (shipped(policies[0]), policies[1])]
        # One core a task: Spark runs a task per core.
        argv = [labels[0][0], "eval", "--policies", labels[1][0], "--jobs", "1"]
        for name in ask:
            argv += ["--ask", name]
        counts = {"tickets": 0, "errors": 0}
        lines, answers = [], []
        for numbers, texts in piped(batches, argv, first, labels, count):
            counts["tickets"] += len(texts)
            for k, text in enumerate(texts):
                if text.startswith(b'{"line":'):
                    counts["errors"] += 1
                    texts[k] = with_line_number(text, numbers[k])
            lines += numbers
            answers += texts
            if len(lines) >= OUT_BATCH:
                yield pa.RecordBatch.from_arrays([pa.array(lines, pa.int64()), pa.array(answers, pa.binary())],
                                                 ["line", "answer"])
                lines, answers = [], []
        if lines:
            yield pa.RecordBatch.from_arrays([pa.array(lines, pa.int64()), pa.array(answers, pa.binary())],
                                             ["line", "answer"])
        # Keyed by partition, so a task run twice counts once.
        figures.add({pid: counts})

    return task


DIFF_ROW = "line long, text binary, decision string, pair string, n long"


def diff_task(binary, old, new, offsets, figures):
    """mapInArrow function of `diff`. Rows: each changed ticket's per-ticket
    line (line, text), and the partition's old → new pairs with their counts
    and first line (line, decision, pair, n), added up by Spark; the other
    figures of the partition go to the `figures` accumulator."""

    def task(batches):
        import pyarrow as pa

        pid, first, count = this_partition(offsets)
        labels = [(shipped(binary), "verdict"), (shipped(old[0]), old[1]), (shipped(new[0]), new[1])]
        argv = [labels[0][0], "diff", labels[1][0], labels[2][0],
                "--tickets", "-", "--per-ticket", "--all-tickets", "--jobs", "1"]
        part = PartialReplay()
        cols = ([], [], [], [], [])

        def batch():
            arrays = [pa.array(cols[0], pa.int64()), pa.array(cols[1], pa.binary()), pa.array(cols[2], pa.string()),
                      pa.array(cols[3], pa.string()), pa.array(cols[4], pa.int64())]
            for c in cols:
                c.clear()
            return pa.RecordBatch.from_arrays(arrays, ["line", "text", "decision", "pair", "n"])

        for numbers, texts in piped(batches, argv, first, labels, count):
            for number, text in zip(numbers, texts):
                if part.add(number, text):
                    for c, v in zip(cols, (number, with_line_number(text, number), None, None, None)):
                        c.append(v)
            if len(cols[0]) >= OUT_BATCH:
                yield batch()
        for (decision, pair), (n, first_seen) in part.pairs.items():
            for c, v in zip(cols, (first_seen, None, decision, pair, n)):
                c.append(v)
            if len(cols[0]) >= OUT_BATCH:
                yield batch()
        if cols[0]:
            yield batch()
        figures.add({pid: part.figures()})

    return task


# ---------------------------------------------------------------------------
# Adding up a replay from `verdict diff --per-ticket --all-tickets` lines.

_decode = json.JSONDecoder().raw_decode


def _expect(s, i, literal):
    if not s.startswith(literal, i):
        raise VerdictFailed(f"unexpected per-ticket line (at {i}, expected {literal!r}): {s[:300]}")
    return i + len(literal)


def _field(s, i, literal):
    """`literal` at i, then a JSON value: (the value, its text, where it ends)."""
    j = _expect(s, i, literal)
    value, end = _decode(s, j)
    return value, s[j:end], end


def parse_ticket_line(s):
    """A per-ticket line, keeping the JSON text of each value as written:
    (line, id, id text, old side, new side, [(decision, old text, new text,
    explained_by)]). The line's layout is fixed (Replay.swift writes it)."""
    line, _, i = _field(s, 0, '{"line":')
    ident, id_text, i = _field(s, i, ',"id":')
    old, _, i = _field(s, i, ',"old":')
    new, _, i = _field(s, i, ',"new":')
    i = _expect(s, i, ',"changed":{')
    changed = []
    more = not s.startswith("}", i)
    while more:
        name, _, i = _field(s, i, "")
        _, old_text, i = _field(s, i, ':{"old":')
        _, new_text, i = _field(s, i, ',"new":')
        explained, _, i = _field(s, i, ',"explained_by":')
        i = _expect(s, i, "}")
        changed.append((name, old_text, new_text, explained))
        more = s.startswith(",", i)
        if more:
            i += 1
    i = _expect(s, i, "}}")
    if i != len(s):
        raise VerdictFailed(f"unexpected per-ticket line (trailing text): {s[:300]}")
    return line, ident, id_text, old, new, changed


def parse_sides(tail):
    """`,"old":{…},"new":{…},"changed":{}}` → (old, new)."""
    old, _, i = _field(tail, 0, ',"old":')
    new, _, i = _field(tail, i, ',"new":')
    if tail[i:] != ',"changed":{}}':
        raise VerdictFailed(f"unexpected per-ticket line: …{tail[:300]}")
    return old, new


def render_outcome(text):
    """A side of an old → new pair as the report writes it."""
    if text == "null":
        return "absent"
    if text.startswith('{"undetermined":'):
        return "undetermined"
    return text


def identity(side):
    """`export 2026.2`, or the name alone (PolicyIdentity.description)."""
    return side["name"] + (" " + side["version"] if "version" in side else "")


class PartialReplay:
    """What one partition's per-ticket lines add to the report: every figure
    but the old → new pairs in `figures()`, and the pairs (with counts and
    first line) in `pairs`."""

    def __init__(self):
        self.tickets = 0
        self.changed_tickets = 0
        self.new_errors = 0
        self.fixed_errors = 0
        self.rerouted = collections.Counter()
        # decision → [changed, examples [(line, label)], explained_by Counter, unexplained], in first-seen order
        self.decisions = {}
        self.pairs = {}  # (decision, pair) → [count, first line]
        self.sides = {}  # the text of an unchanged line from `,"old":` on → (old, new)

    def count_sides(self, old, new):
        old_error, new_error = "error" in old, "error" in new
        if old_error and not new_error:
            self.fixed_errors += 1
        elif new_error and not old_error:
            self.new_errors += 1
        if not old_error and not new_error and (old["name"], old.get("version")) != (new["name"], new.get("version")):
            self.rerouted[identity(old) + " → " + identity(new)] += 1

    def add(self, number, raw):
        """Adds one line; True when the ticket was answered differently."""
        self.tickets += 1
        if raw.endswith(b',"changed":{}}'):
            # Unchanged, the common case: only the two sides count, and they
            # are few. The last `,"old":` is the key: an id may hold that
            # text, but what follows the key cannot.
            tail = raw[raw.rindex(b',"old":'):]
            sides = self.sides.get(tail)
            if sides is None:
                sides = parse_sides(tail.decode("utf-8"))
                if len(self.sides) < 10000:
                    self.sides[tail] = sides
            self.count_sides(*sides)
            return False
        _, ident, id_text, old, new, changed = parse_ticket_line(raw.decode("utf-8"))
        self.count_sides(old, new)
        if not changed:
            return False
        self.changed_tickets += 1
        if isinstance(ident, str):
            label = ident
        elif ident is not None:
            label = id_text
        else:
            label = f"line {number}"
        for name, old_text, new_text, explained in changed:
            d = self.decisions.get(name)
            if d is None:
                d = self.decisions[name] = [0, [], collections.Counter(), 0]
            d[0] += 1
            if len(d[1]) < MAX_EXAMPLES:
                d[1].append(label)
            if explained:
                d[2].update(explained)
            else:
                d[3] += 1
            key = (name, render_outcome(old_text) + " → " + render_outcome(new_text))
            seen = self.pairs.get(key)
            if seen is None:
                self.pairs[key] = [1, number]
            else:
                seen[0] += 1
        return True

    def figures(self):
        return {
            "tickets": self.tickets, "changed_tickets": self.changed_tickets,
            "new_errors": self.new_errors, "fixed_errors": self.fixed_errors,
            "rerouted": dict(self.rerouted),
            "decisions": [(name, d[0], d[1], dict(d[2]), d[3]) for name, d in self.decisions.items()],
        }


class Replay:
    """The replay part of a report, added up from the partitions' figures
    (in partition order, which is input order) and the pairs."""

    def __init__(self):
        self.tickets = self.changed_tickets = self.new_errors = self.fixed_errors = 0
        self.rerouted = collections.Counter()
        self.order = []  # decisions in first-seen order
        self.decisions = {}  # name → dict

    def merge(self, f):
        self.tickets += f["tickets"]
        self.changed_tickets += f["changed_tickets"]
        self.new_errors += f["new_errors"]
        self.fixed_errors += f["fixed_errors"]
        self.rerouted.update(f["rerouted"])
        for name, changed, examples, explained, unexplained in f["decisions"]:
            d = self.decisions.get(name)
            if d is None:
                self.order.append(name)
                d = self.decisions[name] = {"changed": 0, "examples": [], "explained_by": collections.Counter(),
                                            "unexplained": 0, "pairs": {}, "other_pairs": 0}
            d["changed"] += changed
            d["examples"].extend(examples[:MAX_EXAMPLES - len(d["examples"])])
            d["explained_by"].update({int(k): v for k, v in explained.items()})
            d["unexplained"] += unexplained

    def set_pairs(self, kept, others):
        """`kept`: (decision, pair, count) of the first MAX_PAIRS distinct pairs
        of each decision; `others`: decision → count of the rest."""
        for decision, pair, n in kept:
            self.decisions[decision]["pairs"][pair] = n
        for decision, n in others.items():
            self.decisions[decision]["other_pairs"] = n


# The report's renderings of a replay (DiffReport.swift: replayJSON,
# replayText, markdown), for the numbered changes of the diff.


def _json_string(s):
    return json.dumps(s, ensure_ascii=False)


def _desc(pairs):
    """Pairs (key, count) by count, most first, then by key (DiffReport's order)."""
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))


def replay_json(r, changes):
    out = ['{"tickets":%d,"changed_tickets":%d,"new_errors":%d,"fixed_errors":%d,"rerouted":{'
           % (r.tickets, r.changed_tickets, r.new_errors, r.fixed_errors)]
    out.append(",".join(f"{_json_string(k)}:{v}" for k, v in sorted(r.rerouted.items())))
    out.append('},"decisions":{')
    entries = []
    for name in r.order:
        d = r.decisions[name]
        pairs = ",".join(f"{_json_string(k)}:{v}" for k, v in sorted(d["pairs"].items()))
        examples = ",".join(_json_string(e) for e in d["examples"])
        explained = ",".join(
            f"{_json_string(changes[i][0] + ': ' + changes[i][1] + changes[i][2])}:{n}"
            for i, n in sorted(d["explained_by"].items()) if i < len(changes))
        entries.append(f'{_json_string(name)}:{{"changed":{d["changed"]},"pairs":{{{pairs}}},'
                       f'"other_pairs":{d["other_pairs"]},"examples":[{examples}],'
                       f'"explained_by":{{{explained}}},"unexplained":{d["unexplained"]}}}')
    out.append(",".join(entries))
    out.append("}}")
    return "".join(out)


def _plural(n, one, many):
    return one if n == 1 else many


def replay_text(r, changes, label):
    out = f"replay of {r.tickets} ticket{_plural(r.tickets, '', 's')}" + (f" ({label})" if label else "") + ":\n"
    out += f"  {r.changed_tickets} answered differently"
    out += f"; {sum(r.rerouted.values())} answered by another policy or version"
    out += f"; {r.new_errors} new error line{_plural(r.new_errors, '', 's')}, {r.fixed_errors} fixed\n"
    for k, v in sorted(r.rerouted.items()):
        out += f"  rerouted: {k}: {v}\n"
    for name in r.order:
        d = r.decisions[name]
        out += f"  {name}: {d['changed']} changed\n"
        pairs = _desc(d["pairs"].items())
        for pair, n in pairs[:PAIRS_SHOWN]:
            out += f"      {pair}   {n}\n"
        others = d["other_pairs"] + sum(n for _, n in pairs[PAIRS_SHOWN:])
        if others > 0:
            out += f"      other value pairs   {others}\n"
        out += f"      e.g. {', '.join(d['examples'])}\n"
        for i, n in _desc(d["explained_by"].items()):
            if i < len(changes):
                out += f"      explained by: {changes[i][1]}{changes[i][2]} ({n})\n"
        if d["unexplained"] > 0:
            out += f"      explained by no single change: {d['unexplained']}\n"
    return out


def _cell(s):
    return s.replace("|", "\\|").replace("\n", " ")


def replay_markdown(r, changes, label):
    out = f"\n## Effect on {r.tickets} ticket{_plural(r.tickets, '', 's')}" + (f" (`{label}`)" if label else "") + "\n\n"
    out += f"{r.changed_tickets} answered differently, {sum(r.rerouted.values())} by another policy or version, "
    out += f"{r.new_errors} new error lines, {r.fixed_errors} fixed.\n\n"
    if r.decisions:
        out += "| decision | changed | old → new | examples | explained by |\n|---|---|---|---|---|\n"
        for name in r.order:
            d = r.decisions[name]
            ordered = _desc(d["pairs"].items())
            others = d["other_pairs"] + sum(n for _, n in ordered[PAIRS_SHOWN:])
            pairs = [f"{k}: {v}" for k, v in ordered[:PAIRS_SHOWN]] + ([f"others: {others}"] if others > 0 else [])
            explained = [f"{changes[i][1]} ({n})" for i, n in _desc(d["explained_by"].items()) if i < len(changes)]
            out += f"| {name} | {d['changed']} | {_cell('; '.join(pairs))} | "
            out += f"{_cell(', '.join(d['examples']))} | {_cell('; '.join(explained))} |\n"
    return out


# ---------------------------------------------------------------------------
# On the driver.


def run_verdict(binary, args, what):
    """Runs the binary on the driver; its stdout, or UsageError with its stderr."""
    p = subprocess.run([binary] + args, capture_output=True)
    if p.returncode not in (0, 1):
        raise UsageError(f"{what}: `verdict {' '.join(args)}` exited with status {p.returncode}:\n"
                         + p.stderr.decode("utf-8", "replace").rstrip())
    return p.stdout.decode("utf-8")


def default_binary():
    """VERDICT_BINARY, else the portable build (dist/verdict), else `verdict` on PATH."""
    if os.environ.get("VERDICT_BINARY"):
        return os.environ["VERDICT_BINARY"]
    dist = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dist", "verdict")
    if os.path.exists(dist):
        return os.path.normpath(dist)
    return shutil.which("verdict") or dist


def stage(path, kind):
    """A copy of a file or folder under a name that depends on its content,
    for SparkFiles: names must be unique, and a name shipped once must not
    change content within one Spark application."""
    h = hashlib.sha256()
    files = []
    if os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for n in sorted(names):
                files.append(os.path.join(root, n))
    else:
        files = [path]
    for f in files:
        h.update(os.path.relpath(f, path).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    name = f"{kind}-{h.hexdigest()[:16]}"
    root = os.path.join(tempfile.gettempdir(), f"verdict-spark-{os.getuid()}")
    target = os.path.join(root, name)
    if not os.path.exists(target):
        os.makedirs(root, exist_ok=True)
        scratch = tempfile.mkdtemp(dir=root)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(scratch, name))
        else:
            shutil.copy2(path, os.path.join(scratch, name))
            os.chmod(os.path.join(scratch, name), 0o755)
        try:
            os.rename(os.path.join(scratch, name), target)
        except OSError:
            pass  # another run staged the same content first
        shutil.rmtree(scratch, ignore_errors=True)
    return name, target


def ship(spark, path, kind):
    """Ships a file or folder to every worker; the name SparkFiles knows it by."""
    name, staged = stage(path, kind)
    spark.sparkContext.addFile(staged, recursive=os.path.isdir(staged))
    return name


def input_files(spark, path):
    """The files of PATH: itself, or the files of a folder or glob, by name
    (hidden files and Spark's `_` files such as _SUCCESS left out)."""
    fs, p = hadoop_path(spark, path)
    statuses = fs.globStatus(p)
    if statuses is None or len(statuses) == 0:
        raise UsageError(f"no input at `{path}`")
    files = []
    for st in statuses:
        if st.isDirectory():
            for child in fs.listStatus(st.getPath()):
                if child.isFile():
                    files.append(child)
        else:
            files.append(st)
    files = [f for f in files if not f.getPath().getName().startswith(("_", "."))]
    files.sort(key=lambda f: f.getPath().toString())
    if not files:
        raise UsageError(f"no input files at `{path}`")
    return [f.getPath().toString() for f in files], sum(f.getLen() for f in files)


def read_lines(spark, path, fmt, column, partitions):
    """The input as one binary column `line`, in input order: partitions in
    order, rows in order within each. Each file is read on its own and the
    reads are joined in name order, since one read of many files packs them
    into partitions by size, not by name."""
    from pyspark.sql import functions as F

    files, total = input_files(spark, path)
    if partitions:
        # A file is cut into splits of at most this many bytes, one partition
        # each. main() puts the setting back after the command: it must not
        # change between the count and the job.
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(max(1, math.ceil(total / partitions))))
    frames = []
    for f in files:
        if fmt == "jsonl":
            # Lines end at LF only (a lone CR is JSON whitespace, not a line
            # end), and the bytes are kept as they are: the text source keeps
            # a line's bytes unchecked, and the cast to binary keeps them.
            df = spark.read.option("lineSep", "\n").text(f).select(F.col("value").cast("binary").alias("line"))
        else:
            df = spark.read.parquet(f)
            if column not in df.columns:
                raise UsageError(f"`{f}` has no column `{column}` (columns: {', '.join(df.columns)})")
            # One value, one line: a line feed inside a value becomes a
            # carriage return, which JSON reads as the same whitespace (and as
            # the same error inside a string).
            df = df.select(F.translate(F.col(column).cast("string"), "\n", "\r").cast("binary").alias("line"))
        frames.append(df)
    df = frames[0]
    for other in frames[1:]:
        df = df.union(other)
    return df


def line_offsets(df):
    """Partition → how many lines come before it (a count of every partition,
    run in the JVM; the entry after the last partition is the total). The
    job after it reads the same files with the same splits (and checks)."""
    from pyspark.sql import functions as F

    counts = dict(df.groupBy(F.spark_partition_id().alias("p")).count().collect())
    n = df.rdd.getNumPartitions()
    offsets, total = {}, 0
    for pid in range(n):
        offsets[pid] = total
        total += counts.get(pid, 0)
    offsets[n] = total
    return offsets, total


class ByPartition:
    """Accumulator of {partition: value}: a task run twice replaces its own entry."""

    def zero(self, value):
        return {}

    def addInPlace(self, a, b):
        a.update(b)
        return a


def session(master, app):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    if os.path.basename(__file__) not in spark.sparkContext._python_includes:
        # The workers import this module by name to run its functions.
        spark.sparkContext.addPyFile(os.path.abspath(__file__))
    return spark


def policy_decisions(binary, policies, ask):
    """The decisions the Parquet table has a column for, with Spark types:
    the --ask ones in that order, or every decision of every policy."""
    listing = run_verdict(binary, ["show", "--policies", policies], "the policies do not load")
    types = {}
    order = []
    for row in listing.splitlines():
        if not row.strip():
            continue
        # `name version from DATE  applies to …  sha256:…`; version and date are optional.
        head = row.split("  ")[0].split(" ")
        spec = head[0] + ("@" + head[1] if len(head) > 1 and head[1] != "from" else "")
        shown = json.loads(run_verdict(binary, ["show", spec, "--policies", policies, "--format", "json"],
                                       "the policies do not load"))
        for rule in shown.get("rules", []):
            if not rule.get("decision"):
                continue
            t = spark_type(rule.get("type", ""))
            name = rule["name"]
            if name not in types:
                order.append(name)
                types[name] = t
            elif types[name] != t:
                types[name] = "string"  # two policies disagree: keep the JSON text
    names = ask or order
    return [(n, types.get(n, "string")) for n in names]


def spark_type(t):
    """A rule type as `verdict show` writes it → a Spark SQL type."""
    simple = {"bool": "boolean", "int": "bigint", "double": "double", "string": "string", "enum": "string",
              "date": "date", "timestamp": "timestamp"}
    if t in simple:
        return simple[t]
    if t.startswith("list of "):
        inner = t[len("list of "):]
        if inner.endswith(" ids"):
            return "array<string>"
        return f"array<{spark_type(inner)}>"
    return "string"


RESERVED = {"line", "id", "policy", "version", "digest", "undetermined", "error"}


def typed_table(answers, decisions):
    """(line, answer) → the typed table: line, id, policy, version, digest,
    one column per decision, undetermined (decision → reason), error."""
    from pyspark.sql import functions as F

    clash = [n for n, _ in decisions if n in RESERVED]
    if clash:
        raise UsageError(f"decision names clash with the table's own columns: {', '.join(clash)}")
    fields = ", ".join(f"`{n}`: {t}" for n, t in decisions)
    schema = (f"id string, error string, policy struct<name: string, version: string, digest: string>, "
              f"answers struct<{fields}>, undetermined map<string, string>")
    parsed = answers.select("line", F.from_json(F.col("answer").cast("string"), schema,
                                                {"mode": "FAILFAST"}).alias("a"))
    return parsed.select(
        "line", F.col("a.id").alias("id"), F.col("a.policy.name").alias("policy"),
        F.col("a.policy.version").alias("version"), F.col("a.policy.digest").alias("digest"),
        *[F.col("a.answers").getField(n).alias(n) for n, _ in decisions],
        F.col("a.undetermined").alias("undetermined"), F.col("a.error").alias("error"))


def hadoop_path(spark, path):
    """(file system, path) of PATH in Hadoop's terms (local, HDFS, S3 …)."""
    p = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p


def check_output(spark, path, overwrite):
    """A UsageError, before any job runs, when the output folder exists and
    --overwrite was not given."""
    fs, p = hadoop_path(spark, path)
    if not overwrite and fs.exists(p):
        raise UsageError(f"`{path}` already exists: name a new output folder, or give --overwrite")


def write_file(spark, path, text):
    """Writes a small file through Hadoop's file system (local, HDFS, S3 …)."""
    fs, p = hadoop_path(spark, path)
    out = fs.create(p, True)
    out.write(bytearray(text.encode("utf-8")))
    out.close()


def job_failure(e):
    """The useful part of a failed job's exception: verdict's message when a
    task raised VerdictFailed, else the first line."""
    text = str(e)
    marker = "VerdictFailed: "
    k = text.find(marker)
    if k >= 0:
        msg = text[k + len(marker):]
        for end in ("\n\tat ", "\n\n", "\nat "):
            cut = msg.find(end)
            if cut >= 0:
                msg = msg[:cut]
        return msg.strip()
    return text.strip().splitlines()[0] if text.strip() else repr(e)


def policy_folder(spec, default_path):
    """OLD or NEW as a folder the workers can have: a folder as it is, or a
    git revision's policy folder written out with `git archive`, read as
    `verdict diff` reads it (PolicySource.swift): `REV:PATH` from the
    repository's root (from here when PATH starts with ./ or ../), or `REV`
    with the folder `default_path` (--policies) from here."""
    if os.path.isdir(spec):
        return spec

    def normalize(path):
        parts = []
        for p in path.split("/"):
            if p in ("", "."):
                continue
            if p == ".." and parts:
                parts.pop()
            else:
                parts.append(p)
        return "/".join(parts)

    prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], capture_output=True, text=True).stdout.strip()
    if ":" in spec:
        rev, path = spec.split(":", 1)
        relative = path.startswith(("./", "../")) or path in (".", "..")
        rev, path = rev or "HEAD", normalize(prefix + path if relative else path)
    else:
        rev, path = spec, normalize(prefix + default_path)
    archive = subprocess.run(["git", "archive", "--format=tar", f"{rev}:{path}"], capture_output=True)
    if archive.returncode != 0:
        raise UsageError(f"cannot read `{rev}:{path}` with git: {archive.stderr.decode(errors='replace').strip()}")
    target = tempfile.mkdtemp(prefix="verdict-spark-revision-")
    subprocess.run(["tar", "-x", "-C", target], input=archive.stdout, check=True)
    return target


def ship_side(spark, spec, default_path, kind):
    """Ships OLD or NEW (policy_folder); a revision's folder written out for
    it is removed once shipped, since ship() ships a staged copy."""
    folder = policy_folder(spec, default_path)
    try:
        return ship(spark, folder, kind)
    finally:
        if folder != spec:
            shutil.rmtree(folder, ignore_errors=True)


def cmd_eval(args, spark):
    from pyspark.sql import functions as F

    binary = args.binary
    check_output(spark, args.output, args.overwrite)
    if args.output_format == "parquet":
        decisions = policy_decisions(binary, args.policies, args.ask)
    bin_name = ship(spark, binary, "verdict")
    pol_name = ship(spark, args.policies, "policies")
    lines = read_lines(spark, args.input, args.input_format, args.column, args.partitions)
    offsets, total = line_offsets(lines)
    figures = spark.sparkContext.accumulator({}, ByPartition())
    answers = lines.mapInArrow(eval_task(bin_name, (pol_name, args.policies), list(args.ask), offsets, figures),
                               "line long, answer binary")
    writer_mode = "overwrite" if args.overwrite else "errorifexists"
    if args.output_format == "jsonl":
        answers.select(F.col("answer").cast("string")).write.mode(writer_mode).text(args.output)
    else:
        typed_table(answers, decisions).write.mode(writer_mode).parquet(args.output)
    tickets = sum(c["tickets"] for c in figures.value.values())
    errors = sum(c["errors"] for c in figures.value.values())
    parts = len(offsets) - 1
    print(f"verdict_spark eval: {total} line{_plural(total, '', 's')} in {parts} partition{_plural(parts, '', 's')}:"
          f" {tickets - errors} answered, {errors} error line{_plural(errors, '', 's')} → {args.output}",
          file=sys.stderr)
    return 1 if errors else 0


def cmd_diff(args, spark):
    from pyspark.sql import Window, functions as F

    binary = args.binary
    check_output(spark, args.output, args.overwrite)
    base = ["diff", args.old, args.new] + (["--policies", args.policies] if args.policies else [])
    # The report without tickets: its changes, numbered as the replay credits them.
    changes = []
    for p in json.loads(run_verdict(binary, base + ["--format", "json", "--witnesses", "0"],
                                    "the policies do not load"))["policies"]:
        for c in p["changes"]:
            changes.append((p["name"], c["subject"], " " + c["aspect"] if "aspect" in c else ""))
    bin_name = ship(spark, binary, "verdict")
    old_name = ship_side(spark, args.old, args.policies or "policies", "old-policies")
    new_name = ship_side(spark, args.new, args.policies or "policies", "new-policies")
    lines = read_lines(spark, args.input, args.input_format, args.column, args.partitions)
    offsets, _ = line_offsets(lines)
    figures = spark.sparkContext.accumulator({}, ByPartition())
    rows = lines.mapInArrow(diff_task(bin_name, (old_name, args.old), (new_name, args.new), offsets, figures),
                            DIFF_ROW)
    rows = rows.persist()
    try:
        writer_mode = "overwrite" if args.overwrite else "errorifexists"
        changed_dir = args.output.rstrip("/") + "/changed"
        rows.where(F.col("text").isNotNull()).select(F.col("text").cast("string")).write.mode(writer_mode).text(
            changed_dir)
        # The first MAX_PAIRS distinct pairs of each decision in input order
        # (by the first line each pair is on), and the count of the rest.
        pairs = (rows.where(F.col("pair").isNotNull()).groupBy("decision", "pair")
                 .agg(F.sum("n").alias("n"), F.min("line").alias("first"))
                 .withColumn("rank", F.row_number().over(Window.partitionBy("decision").orderBy("first"))))
        kept = [(r.decision, r.pair, r.n) for r in pairs.where(F.col("rank") <= MAX_PAIRS).collect()]
        others = {r.decision: r.n for r in pairs.where(F.col("rank") > MAX_PAIRS).groupBy("decision")
                  .agg(F.sum("n").alias("n")).collect()}
    finally:
        rows.unpersist()
    replay = Replay()
    for pid in sorted(figures.value):
        replay.merge(figures.value[pid])
    replay.set_pairs(kept, others)

    # The report: the CLI's, without tickets, with the replay put where the
    # CLI puts it (after the changes, before the witnesses).
    label = args.input
    reports = {}
    for fmt in ("text", "json", "markdown"):
        plain = run_verdict(binary, base + ["--format", fmt, "--witnesses", "0"], "diff")
        full = plain if args.witnesses == 0 else run_verdict(
            binary, base + ["--format", fmt, "--witnesses", str(args.witnesses)], "diff")
        if fmt == "json":
            head = plain[:-2]  # without the closing "}\n"
            witnesses = full[len(head):]
            reports[fmt] = head + ',"replay":' + replay_json(replay, changes) + witnesses
        elif fmt == "text":
            reports[fmt] = plain + "\n" + replay_text(replay, changes, label) + full[len(plain):]
        else:
            reports[fmt] = plain + replay_markdown(replay, changes, label) + full[len(plain):]
    for fmt, ext in (("text", "txt"), ("json", "json"), ("markdown", "md")):
        write_file(spark, f"{args.output.rstrip('/')}/report.{ext}", reports[fmt])
    sys.stdout.write(reports[args.format])
    sys.stdout.flush()
    semantic = json.loads(reports["json"])["changed"]
    return 1 if semantic or replay.changed_tickets else 0


def parser():
    p = argparse.ArgumentParser(prog="verdict_spark.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def common(s):
        s.add_argument("--input", required=True, help="JSON Lines file, folder or glob (or a Parquet table)")
        s.add_argument("--output", required=True, help="output folder (local, hdfs://, s3a:// …)")
        s.add_argument("--input-format", choices=["jsonl", "parquet"], default="jsonl")
        s.add_argument("--column", help="with --input-format parquet: the column that holds each ticket's JSON")
        s.add_argument("--master", help="Spark master URL (default: Spark's, local[*] outside spark-submit)")
        s.add_argument("--partitions", type=int, help="cut the input into about this many partitions")
        s.add_argument("--binary", default=default_binary(),
                       help="the verdict binary to ship (default: $VERDICT_BINARY, dist/verdict, verdict on PATH)")
        s.add_argument("--overwrite", action="store_true", help="replace the output folder if it exists")

    e = sub.add_parser("eval", help="answer every ticket, as `verdict eval`")
    e.add_argument("--policies", default="policies", help="the policy folder (default ./policies)")
    e.add_argument("--ask", action="append", default=[], metavar="NAME", help="answer only this decision (repeat)")
    e.add_argument("--output-format", choices=["jsonl", "parquet"], default="jsonl")
    common(e)

    d = sub.add_parser("diff", help="replay every ticket through two policy versions, as `verdict diff --tickets`")
    d.add_argument("old", help="the old side: a policy folder, a git revision, or REV:PATH")
    d.add_argument("new", help="the new side, as OLD")
    d.add_argument("--policies", help="the policy folder inside a revision (default ./policies)")
    d.add_argument("--format", choices=["text", "json", "markdown"], default="text", help="the report printed")
    d.add_argument("--witnesses", type=int, default=3, help="witness tickets per differing decision (0: none)")
    common(d)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.input_format == "parquet" and not args.column:
        print("verdict_spark: --input-format parquet needs --column NAME", file=sys.stderr)
        return 2
    if args.partitions is not None and args.partitions < 1:
        print("verdict_spark: --partitions must be 1 or more", file=sys.stderr)
        return 2
    if not os.path.isfile(args.binary):
        print(f"verdict_spark: no verdict binary at `{args.binary}`: build one with"
              f" `bash scripts/build-portable.sh` or name it with --binary", file=sys.stderr)
        return 2
    try:
        spark = session(args.master, f"verdict {args.command}")
    except Exception as e:  # no Java, a bad master URL …
        print(f"verdict_spark: Spark did not start: {e}", file=sys.stderr)
        return 2
    split = spark.conf.get("spark.sql.files.maxPartitionBytes", None)
    try:
        return cmd_eval(args, spark) if args.command == "eval" else cmd_diff(args, spark)
    except UsageError as e:
        print(f"verdict_spark: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        if type(e).__name__ in ("Py4JJavaError", "PythonException", "SparkException", "VerdictFailed") \
                or "VerdictFailed" in str(e):
            print(f"verdict_spark: the Spark job failed: {job_failure(e)}", file=sys.stderr)
            return 2
        if type(e).__module__.startswith(("pyspark", "py4j")):  # an input Spark cannot read …
            print(f"verdict_spark: {job_failure(e)}", file=sys.stderr)
            return 2
        raise
    finally:
        if split is None:
            spark.conf.unset("spark.sql.files.maxPartitionBytes")
        else:
            spark.conf.set("spark.sql.files.maxPartitionBytes", split)


if __name__ == "__main__":
    # Run as a script, hand over to this file imported under its own name:
    # the functions Spark sends to the workers are then found there by name
    # (the file is shipped with addPyFile), not pickled by value.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import verdict_spark

    try:
        sys.exit(verdict_spark.main())
    except Exception:  # a bug: Python's own exit status, 1, would read as "error lines"
        import traceback

        traceback.print_exc()
        sys.exit(2)
