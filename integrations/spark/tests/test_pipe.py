"""The partition pipe and the per-ticket parsing on their own, without Spark."""

import os

import pyarrow as pa
import pytest

import verdict_spark
from conftest import REPO, ticket

POLICIES = os.path.join(REPO, "policies")


def batches(lines, size=3):
    for k in range(0, len(lines), size):
        yield pa.RecordBatch.from_arrays([pa.array(lines[k:k + size], pa.binary())], ["line"])


def run(binary, lines, first=1, **options):
    """(line number, output line) for each output line."""
    chunks = verdict_spark.piped(batches(lines), [binary, "eval", "--policies", POLICIES], first, **options)
    return [(n, t) for numbers, texts in chunks for n, t in zip(numbers, texts)]


def test_blank_lines_are_counted_not_sent(binary):
    got = run(binary, [ticket(1), b"", b" \t\r", ticket(2), None], first=41)
    assert [n for n, _ in got] == [41, 44, 45]
    # Lines that look blank but are not: a NUL, a BOM, invalid UTF-8.
    odd = [b"\x00", b" \x00", b"\xef\xbb\xbf", b"\xff", b"\t\r\r", b""]
    assert [n for n, _ in run(binary, odd, first=1)] == [1, 2, 3, 4]
    # verdict numbers lines within its own input (a blank line first, then
    # the lines sent); the tasks put the global number in (below).
    assert got[2][1] == b'{"line":4,"id":null,"error":"a ticket must be a JSON object, not null"}'


def test_a_bom_on_a_partitions_first_line_is_not_the_start_of_the_input(binary, cli):
    """The CLI skips a byte order mark only at the start of its input; a
    partition that starts with one is in the middle of the file."""
    line = b"\xef\xbb\xbf" + ticket(1)
    (_, text), = run(binary, [line], first=1000)
    _, expected, _ = cli.run(["eval", "--policies", POLICIES], stdin=b"\n" + line + b"\n")
    assert text + b"\n" == expected
    assert b'"error":"invalid JSON at byte 1' in text


def test_error_lines_get_the_global_line_number():
    assert verdict_spark.with_line_number(b'{"line":3,"id":null,"error":"x"}', 123456) == \
        b'{"line":123456,"id":null,"error":"x"}'
    assert verdict_spark.with_line_number(b'{"id":"T","answers":{}}', 9) == b'{"id":"T","answers":{}}'


def test_parse_keeps_each_values_text():
    line = ('{"line":7,"id":{"k":[1,2.50]},"old":{"name":"export","version":"2026.1","digest":"sha256:a"},'
            '"new":{"error":"no policy"},"changed":{"fees":{"old":["onsite"],"new":null,"explained_by":[]},'
            '"in_warranty":{"old":{"undetermined":"x is missing"},"new":1.50e3,"explained_by":[0,2]}}}')
    number, ident, id_text, old, new, changed = verdict_spark.parse_ticket_line(line)
    assert number == 7 and id_text == '{"k":[1,2.50]}' and new == {"error": "no policy"}
    assert changed == [("fees", '["onsite"]', "null", []), ("in_warranty", '{"undetermined":"x is missing"}',
                                                            "1.50e3", [0, 2])]
    with pytest.raises(verdict_spark.VerdictFailed):
        verdict_spark.parse_ticket_line(line[:-1])


def test_a_partial_replay_counts_as_the_report_does():
    part = verdict_spark.PartialReplay()
    side = '{"name":"export","version":"2026.1","digest":"sha256:a"}'
    v2 = '{"name":"export","version":"2026.2","digest":"sha256:b"}'
    lines = [
        '{"line":1,"id":"A","old":%s,"new":%s,"changed":{}}' % (side, v2),
        '{"line":2,"id":null,"old":%s,"new":{"error":"e"},"changed":{"fees":{"old":[],"new":null,"explained_by":[]}}}'
        % side,
        '{"line":3,"id":5,"old":{"error":"e"},"new":%s,"changed":{"fees":{"old":null,"new":[],"explained_by":[1]}}}'
        % side,
        '{"line":4,"id":null,"old":{"error":"e"},"new":{"error":"e"},"changed":{}}',
    ]
    changed = [part.add(10 + k, line.encode()) for k, line in enumerate(lines)]
    assert changed == [False, True, True, False]
    f = part.figures()
    assert (f["tickets"], f["changed_tickets"], f["new_errors"], f["fixed_errors"]) == (4, 2, 1, 1)
    assert f["rerouted"] == {"export 2026.1 → export 2026.2": 1}
    assert f["decisions"] == [("fees", 2, ["line 11", "5"], {1: 1}, 1)]
    assert part.pairs == {("fees", "[] → absent"): [1, 11], ("fees", "absent → []"): [1, 12]}


def test_a_partition_split_otherwise_than_counted_fails(binary):
    """The line numbers rest on the count before the job: a partition that
    holds another number of lines fails its task rather than misnumber."""
    lines = [ticket(1), b"", ticket(2)]
    assert len(run(binary, lines, expected_lines=3)) == 2
    with pytest.raises(verdict_spark.VerdictFailed, match="has 3 lines, but 4 were counted"):
        run(binary, lines, expected_lines=4)
