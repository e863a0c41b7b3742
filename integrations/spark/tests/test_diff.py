"""`verdict_spark.py diff` prints the single-machine report, number for number."""

import json
import os
import shutil
import subprocess

import pytest

import verdict_spark
from conftest import REPO, read_parts

EXAMPLES = os.path.join(REPO, "examples", "tickets.jsonl")


def spark_diff(tmp_path, binary, old, new, tickets, *args, output="out"):
    out = str(tmp_path / output)
    status = verdict_spark.main(["diff", old, new, "--binary", binary, "--input", tickets, "--output", out, *args])
    return status, out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_hostile_corpus_report_equals_the_cli(spark, binary, cli, corpus, policies_pair, tmp_path, capsysbinary):
    """20,000 tickets with hostile lines in 5 partitions: every answered
    ticket changes (more distinct pairs than a report keeps), export tickets
    are answered by another version, material tickets become error lines;
    the report in all three formats, and the changed tickets' lines, are
    the CLI's."""
    old, new = policies_pair
    status, out = spark_diff(tmp_path, binary, old, new, corpus, "--partitions", "5", "--format", "json",
                             "--witnesses", "1")
    assert status == 1
    printed = capsysbinary.readouterr().out
    for fmt, ext in (("json", "json"), ("text", "txt"), ("markdown", "md")):
        code, expected, err = cli.run(["diff", old, new, "--tickets", corpus, "--format", fmt, "--witnesses", "1"])
        assert code == 1, err
        assert read(os.path.join(out, f"report.{ext}")).decode() == expected.decode(), fmt
        if fmt == "json":
            assert printed == expected
            replay = json.loads(expected)["replay"]
    # The corpus reaches every kind of figure.
    assert replay["tickets"] > 20000 and replay["changed_tickets"] > 19000
    assert replay["new_errors"] > 1000 and replay["rerouted"]
    assert replay["decisions"]["response_due"]["other_pairs"] > 0
    assert len(replay["decisions"]["response_due"]["pairs"]) == verdict_spark.MAX_PAIRS
    _, per_ticket, _ = cli.run(["diff", old, new, "--tickets", corpus, "--per-ticket"])
    assert read_parts(os.path.join(out, "changed")) == per_ticket


@pytest.mark.parametrize("partitions", [1, 4])
def test_examples_both_ways_equal_the_cli(spark, binary, cli, policies_pair, tmp_path, partitions):
    """The shipped examples, old → new and new → old (fixed errors, reroutes
    back), with witness tickets: the text report is the CLI's."""
    old, new = policies_pair
    for a, b, name in ((old, new, "forward"), (new, old, "back")):
        status, out = spark_diff(tmp_path, binary, a, b, EXAMPLES, "--partitions", str(partitions),
                                 output=name)
        code, expected, _ = cli.run(["diff", a, b, "--tickets", EXAMPLES])
        assert status == code == 1
        assert read(os.path.join(out, "report.txt")) == expected
        code, expected, _ = cli.run(["diff", a, b, "--tickets", EXAMPLES, "--format", "json"])
        assert read(os.path.join(out, "report.json")) == expected
    assert json.loads(expected)["replay"]["fixed_errors"] > 0


def test_no_change_exits_zero(spark, binary, cli, tmp_path, capsys):
    policies = os.path.join(REPO, "policies")
    status, out = spark_diff(tmp_path, binary, policies, policies, EXAMPLES, "--witnesses", "0")
    code, expected, _ = cli.run(["diff", policies, policies, "--tickets", EXAMPLES, "--witnesses", "0"])
    assert status == code == 0
    assert capsys.readouterr().out == expected.decode()
    assert read_parts(os.path.join(out, "changed")) == b""


def test_policies_that_do_not_load_are_a_usage_error(spark, binary, tmp_path, capsys):
    broken = os.path.join(REPO, "examples", "broken-policies")
    status, _ = spark_diff(tmp_path, binary, os.path.join(REPO, "policies"), broken, EXAMPLES)
    assert status == 2
    assert "[E0407]" in capsys.readouterr().err


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=Auditor", "-c", "user.email=a@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True)


def test_git_revisions_as_the_cli_reads_them(spark, binary, cli, tmp_path, monkeypatch):
    """OLD and NEW as git revisions: the workers get each revision's folder
    (git archive); the report, labels and positions included, is the CLI's."""
    repo = tmp_path / "audit"
    shutil.copytree(os.path.join(REPO, "policies"), repo / "policies")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "2026.1")
    export = (repo / "policies" / "export.yaml").read_text()
    (repo / "policies" / "export.yaml").write_text(export.replace("value: 3\n", "value: 6\n"))
    git(repo, "commit", "-qam", "window 6 months")
    monkeypatch.chdir(repo)
    status, out = spark_diff(tmp_path, binary, "HEAD~1", "HEAD", EXAMPLES, "--witnesses", "0")
    code, expected, _ = cli.run(["diff", "HEAD~1", "HEAD", "--tickets", EXAMPLES, "--witnesses", "0"], cwd=repo)
    assert status == code == 1
    assert read(os.path.join(out, "report.txt")) == expected
    assert b"old HEAD~1:policies/export.yaml:" in expected
