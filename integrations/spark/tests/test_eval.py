"""`verdict_spark.py eval` gives exactly the CLI's answers."""

import datetime
import json
import os
import shutil
import stat

import pytest

import verdict_spark
from conftest import REPO, read_parts, ticket

EXAMPLES = os.path.join(REPO, "examples", "tickets.jsonl")
POLICIES = os.path.join(REPO, "policies")


def spark_eval(tmp_path, binary, *args, output="out"):
    out = str(tmp_path / output)
    status = verdict_spark.main(["eval", "--binary", binary, "--output", out, *args])
    return status, out


def test_examples_equal_the_shipped_answers(spark, binary, tmp_path):
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", EXAMPLES)
    # One example names an unknown market on purpose: an error line, exit 1, as the CLI.
    assert status == 1
    with open(os.path.join(REPO, "examples", "answers.jsonl"), "rb") as f:
        assert read_parts(out) == f.read()


def test_hostile_corpus_equals_the_cli_line_for_line(spark, binary, cli, corpus, tmp_path):
    """20,000 tickets with blank lines, invalid JSON and UTF-8, NUL bytes,
    BOMs, CR and CRLF, deep nesting, odd ids, a 1 MiB line and a line over
    the 64 MiB limit, cut into 7 partitions so that many of them fall on
    partition edges: every line gets what the CLI prints for it."""
    with open(corpus, "rb") as f:
        code, expected, err = cli.run(["eval", "--policies", POLICIES], stdin=f.read())
    assert code == 1 and err == b""
    assert b'"error":"line is longer than 67108864 bytes"' in expected
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", corpus, "--partitions", "7")
    assert status == 1
    got = read_parts(out)
    assert got.count(b"\n") == expected.count(b"\n")
    assert got == expected
    assert len([n for n in os.listdir(out) if n.startswith("part-")]) > 1


@pytest.mark.parametrize("partitions", [1, 3, 40])
def test_ask_and_partitioning_change_nothing_but_the_decisions(spark, binary, cli, tmp_path, partitions):
    """Splits fall anywhere in a line, in a CRLF, or on a line end."""
    data = open(EXAMPLES, "rb").read() + b"\n\n" + b"".join(
        ticket(i) + (b"\r\n" if i % 3 else b"\n") + (b"\n" if i % 7 == 0 else b"") for i in range(200))
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    ask = ["--ask", "visit_chargeable", "--ask", "fees", "--ask", "in_warranty"]
    _, expected, _ = cli.run(["eval", "--policies", POLICIES] + ask, stdin=data)
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", str(path),
                             "--partitions", str(partitions), *ask)
    assert status == 1
    assert read_parts(out) == expected


def test_a_folder_of_files_is_read_in_name_order(spark, binary, cli, tmp_path):
    """Spark packs the files of one read into partitions by size; the files
    of a folder are read one by one, so the answers keep the names' order."""
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [ticket(i, pad='"' + "p" * (5000 if i % 3 == 0 else 10) + '"') for i in range(60)]
    chunks = [lines[0:10], lines[10:40], lines[40:41], lines[41:60]]
    for k, chunk in enumerate(chunks):
        (folder / f"part-{k:02d}.jsonl").write_bytes(b"\n".join(chunk) + b"\n")
    (folder / "_SUCCESS").write_bytes(b"")
    _, expected, _ = cli.run(["eval", "--policies", POLICIES, "--ask", "visit_chargeable"],
                             stdin=b"\n".join(lines) + b"\n")
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", str(folder),
                             "--ask", "visit_chargeable")
    assert status == 0
    assert read_parts(out) == expected


def parse_timestamp(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_parquet_in_and_typed_parquet_out(spark, binary, cli, tmp_path):
    """A Parquet table with a JSON column in, a typed table out: each row's
    columns hold what the CLI answers for that ticket."""
    from pyspark.sql import types as T

    tickets = open(EXAMPLES, "rb").read().decode().splitlines()
    tickets.insert(3, None)  # a null value: the JSON null, an error row
    pretty = json.dumps(json.loads(tickets[0]), indent=2)  # one ticket over several lines
    tickets.insert(5, pretty)
    table = str(tmp_path / "tickets.parquet")
    rows = [(i, t) for i, t in enumerate(tickets)]
    (spark.createDataFrame(rows, T.StructType([T.StructField("n", T.LongType()), T.StructField("ticket", T.StringType())]))
     .coalesce(1).write.parquet(table))
    reference = "\n".join("null" if t is None else json.dumps(json.loads(t)) if t == pretty else t
                          for t in tickets) + "\n"
    _, expected, _ = cli.run(["eval", "--policies", POLICIES], stdin=reference.encode())

    # JSON Lines out: the CLI's lines.
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", table,
                             "--input-format", "parquet", "--column", "ticket")
    assert status == 1
    assert read_parts(out) == expected

    # Typed Parquet out.
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", table, "--input-format",
                             "parquet", "--column", "ticket", "--output-format", "parquet", output="typed")
    assert status == 1
    df = spark.read.parquet(out)
    types = dict(df.dtypes)
    assert types["in_warranty"] == "boolean" and types["maintenance_visits_per_year"] == "bigint"
    assert types["warranty_last_day"] == "date" and types["response_due"] == "timestamp"
    assert types["fees"] == "array<string>" and types["undetermined"] == "map<string,string>"
    got = {r["line"]: r for r in df.collect()}
    answers = [json.loads(line) for line in expected.decode().splitlines()]
    assert len(got) == len(answers)
    decisions = [n for n in df.columns if n not in verdict_spark.RESERVED]
    for line_no, a in enumerate(answers, start=1):
        r = got[a.get("line", line_no)]
        assert r["id"] == (a["id"] if isinstance(a["id"], str) or a["id"] is None else json.dumps(a["id"]))
        assert r["error"] == a.get("error")
        if "error" in a:
            assert r["policy"] is None and all(r[d] is None for d in decisions)
            continue
        assert (r["policy"], r["version"], r["digest"]) == (a["policy"]["name"], a["policy"].get("version"),
                                                           a["policy"]["digest"])
        assert (r["undetermined"] or {}) == a.get("undetermined", {})
        for d in decisions:
            v = a["answers"].get(d)
            if d == "warranty_last_day" and v is not None:
                v = datetime.date.fromisoformat(v)
            if d == "response_due" and v is not None:
                assert r[d].replace(tzinfo=datetime.timezone.utc) == parse_timestamp(v)
                continue
            assert r[d] == v, (line_no, d)


def test_a_broken_policy_set_fails_the_job_with_the_policy_error(spark, binary, tmp_path, capsys):
    broken = os.path.join(REPO, "examples", "broken-policies")
    status, _ = spark_eval(tmp_path, binary, "--policies", broken, "--input", EXAMPLES)
    err = capsys.readouterr().err
    assert status == 2
    # The message names the folder as given, not where the worker keeps its copy.
    assert f"the Spark job failed: `verdict eval --policies {broken} --jobs 1` exited with status 2" in err
    assert f"{broken}/equipment.yaml:27:12: error: parameter `remote_support_hours_per_day` is 25" in err
    assert "[E0407]" in err


def test_an_existing_output_folder_is_a_usage_error(spark, binary, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    status, out = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", EXAMPLES)
    assert status == 2
    assert f"`{out}` already exists: name a new output folder, or give --overwrite" in capsys.readouterr().err
    status, _ = spark_eval(tmp_path, binary, "--policies", POLICIES, "--input", EXAMPLES, "--overwrite")
    assert status == 1
    assert read_parts(out) == open(os.path.join(REPO, "examples", "answers.jsonl"), "rb").read()


def fake_binary(tmp_path, script):
    path = tmp_path / "fake-verdict"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_a_verdict_that_fails_fails_the_job_with_its_stderr(spark, tmp_path, capsys):
    broken = fake_binary(tmp_path, "cat > /dev/null; echo 'error: cannot write: disk full' >&2; exit 3\n")
    status, _ = spark_eval(tmp_path, broken, "--policies", POLICIES, "--input", EXAMPLES)
    err = capsys.readouterr().err
    assert status == 2
    assert "exited with status 3: error: cannot write: disk full" in err


def test_a_lost_answer_line_fails_the_job(spark, binary, tmp_path, capsys):
    # A verdict that drops its last answer and exits 0: caught by the count.
    dropping = fake_binary(tmp_path, f'"{binary}" "$@" | sed \'$d\'\n')
    status, _ = spark_eval(tmp_path, dropping, "--policies", POLICIES, "--input", EXAMPLES)
    err = capsys.readouterr().err
    assert status == 2
    assert "gave 1 answer line(s) too few" in err
