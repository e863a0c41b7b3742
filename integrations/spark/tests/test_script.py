"""The script as a user runs it: its own process and its own Spark, where
the functions it sends to the workers must travel as they do there."""

import os
import subprocess
import sys

from conftest import REPO, read_parts

SCRIPT = os.path.join(REPO, "integrations", "spark", "verdict_spark.py")
EXAMPLES = os.path.join(REPO, "examples", "tickets.jsonl")


def script(binary, *args):
    return subprocess.run([sys.executable, SCRIPT, *args, "--binary", binary, "--master", "local[2]"],
                          capture_output=True, cwd=REPO)


def test_eval_and_diff_as_a_script(binary, cli, policies_pair, tmp_path):
    run = script(binary, "eval", "--policies", "policies", "--input", EXAMPLES, "--output", str(tmp_path / "eval"))
    assert run.returncode == 1, run.stderr.decode()[-3000:]
    assert read_parts(str(tmp_path / "eval")) == open(os.path.join(REPO, "examples", "answers.jsonl"), "rb").read()
    assert b"32 lines in 1 partition: 31 answered, 1 error line" in run.stderr

    old, new = policies_pair
    run = script(binary, "diff", old, new, "--input", EXAMPLES, "--output", str(tmp_path / "diff"))
    _, expected, _ = cli.run(["diff", old, new, "--tickets", EXAMPLES])
    assert run.returncode == 1, run.stderr.decode()[-3000:]
    assert run.stdout == expected
