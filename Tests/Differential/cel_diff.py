#!/usr/bin/env python3
"""Differential test of verdict's CEL against Google's CEL (cel-expr-python,
the C++ implementation's Python runtime) over generated expressions.

Generates N well-typed expressions (a fixed seed, so a run is repeatable)
over the same variables on both sides, evaluates each with both, and
compares values (exactly; doubles bit for bit; map entries as sets) and
whether each is an error. Divergences that are known and justified are
listed in KNOWN, each with its reason; any other divergence fails.

Usage: cel_diff.py VERDICT_FUZZ_BINARY [N] [SEED]
Exit: 0 when every expression agrees or diverges as KNOWN says; 1 otherwise;
77 when cel-expr-python is not installed (the caller decides).
"""
import json
import math
import random
import subprocess
import sys

try:
    import cel_expr_python.cel as cel
except ImportError:
    print("cel_diff: cel-expr-python is not installed", file=sys.stderr)
    sys.exit(77)

VARS = {"x": 7, "y": 2.5, "s": "repair", "b": True, "tags": ["a", "b", "c"], "m": {"k": 1}}
TYPES = {
    "x": cel.Type.INT, "y": cel.Type.DOUBLE, "s": cel.Type.STRING, "b": cel.Type.BOOL,
    "tags": cel.Type.List(cel.Type.STRING), "m": cel.Type.Map(cel.Type.STRING, cel.Type.INT),
}

# Known divergences: (a predicate on the expression text, the reason). Each is
# a choice verdict makes on purpose or a gap of the reference; none is a bug.
KNOWN = [
    (lambda e, ours, theirs: "invalid" in theirs and "invalid" not in ours and "[]" in e,
     "an empty list literal: verdict types `[]` as a list of dyn and keeps dyn when joining it with "
     "another list (`[] + [1]`), so a comparison with it is checked when it runs; cel-cpp infers "
     "list(int) and refuses a comparison with list(string) before evaluating"),
]


class Gen:
    def __init__(self, rng):
        self.r = rng
        self.names = iter(f"v{i}" for i in range(10**6))

    def pick(self, *xs):
        return self.r.choice(xs)

    def int_(self, d):
        if d <= 0 or self.r.random() < 0.3:
            return self.pick("0", "1", "2", "7", "-3", "x", "100", "9223372036854775807", "-9223372036854775807", "42")
        k = self.r.randrange(8)
        if k == 0:
            return f"({self.int_(d-1)} {self.pick('+', '-', '*')} {self.int_(d-1)})"
        if k == 1:
            return f"({self.int_(d-1)} {self.pick('/', '%')} {self.int_(d-1)})"
        if k == 2:
            return f"size({self.pick(self.list_(d-1), self.str_(d-1))})"
        if k == 3:
            return f"({self.bool_(d-1)} ? {self.int_(d-1)} : {self.int_(d-1)})"
        if k == 4:
            return f"-{self.int_(d-1)}"
        if k == 5:
            return f"int({self.pick(self.double_(d-1), self.int_(d-1))})"
        if k == 6:
            return f"{self.list_int(d-1)}[{self.pick('0', '1', '2', '5', '-1')}]"
        return f"m['k']"

    def double_(self, d):
        if d <= 0 or self.r.random() < 0.3:
            return self.pick("0.0", "2.5", "y", "-1.25", "1e10", "0.1", "3.0")
        k = self.r.randrange(4)
        if k == 0:
            return f"({self.double_(d-1)} {self.pick('+', '-', '*', '/')} {self.double_(d-1)})"
        if k == 1:
            return f"double({self.int_(d-1)})"
        if k == 2:
            return f"({self.bool_(d-1)} ? {self.double_(d-1)} : {self.double_(d-1)})"
        return f"-{self.double_(d-1)}"

    def str_(self, d):
        if d <= 0 or self.r.random() < 0.3:
            return self.pick("''", "'a'", "s", "'repair'", "'日本'", "\"b\\\"c\"", "'re'")
        k = self.r.randrange(3)
        if k == 0:
            return f"({self.str_(d-1)} + {self.str_(d-1)})"
        if k == 1:
            return f"string({self.pick(self.int_(d-1), self.bool_(d-1))})"
        return f"({self.bool_(d-1)} ? {self.str_(d-1)} : {self.str_(d-1)})"

    def list_int(self, d):
        n = self.r.randrange(4)
        return "[" + ", ".join(self.int_(d-1) for _ in range(n)) + "]"

    def list_(self, d):
        if d <= 0 or self.r.random() < 0.3:
            return self.pick("tags", "[]", "[1, 2, 3]", "['a', 'b']")
        k = self.r.randrange(4)
        if k == 0:
            return self.list_int(d)
        if k == 1:
            v = next(self.names)
            return f"[1, 2, 3].map({v}, {v} * {self.int_(d-1)})"
        if k == 2:
            v = next(self.names)
            return f"tags.filter({v}, {v} != {self.str_(d-1)})"
        return f"({self.list_int(d-1)} + {self.list_int(d-1)})"

    def bool_(self, d):
        if d <= 0 or self.r.random() < 0.2:
            return self.pick("true", "false", "b")
        k = self.r.randrange(13)
        if k == 11:
            return self.pick("has(m.k)", "has(m.z)", "('k' in m)", "('z' in m)", "({'a': 1, 'b': 2}.size() == 2)")
        if k == 12:
            return f"({{'a': {self.int_(d-1)}, 'b': {self.int_(d-1)}}} == {{'b': {self.int_(d-1)}, 'a': {self.int_(d-1)}}})"
        if k == 0:
            return f"({self.int_(d-1)} {self.pick('<', '<=', '>', '>=', '==', '!=')} {self.int_(d-1)})"
        if k == 1:
            return f"({self.double_(d-1)} {self.pick('<', '<=', '>', '>=', '==', '!=')} {self.double_(d-1)})"
        if k == 2:
            return f"({self.str_(d-1)} {self.pick('<', '>', '==', '!=')} {self.str_(d-1)})"
        if k == 3:
            return f"({self.bool_(d-1)} {self.pick('&&', '||')} {self.bool_(d-1)})"
        if k == 4:
            return f"!{self.bool_(d-1)}"
        if k == 5:
            return f"{self.str_(d-1)}.{self.pick('startsWith', 'endsWith', 'contains')}({self.str_(d-1)})"
        if k == 6:
            return f"({self.int_(d-1)} in {self.list_int(d-1)})"
        if k == 7:
            v = next(self.names)
            return f"{self.pick('tags', '[1, 2, 3]', '[]')}.{self.pick('all', 'exists', 'exists_one')}({v}, {v} == {v})"
        if k == 8:
            v = next(self.names)
            return f"[1, 2, 3].{self.pick('all', 'exists', 'exists_one')}({v}, {v} > {self.int_(d-1)})"
        if k == 9:
            return f"({self.list_(d-1)} == {self.list_(d-1)})"
        return f"{self.str_(d-1)}.matches({self.pick(repr('^r'), repr('a+'), repr('[0-9]'), repr(''))})"

    def any_(self, d):
        return self.pick(self.int_, self.double_, self.str_, self.bool_, self.list_)(d)


def plain(v):
    """cel-expr-python's value in verdict's JSON form."""
    t = v.type().name()
    if t == "ERROR" or t == "*error*":
        return {"error": str(v.value())}
    return encode(v.plain_value())


def encode(p):
    if p is None:
        return {"null": None}
    if isinstance(p, bool):
        return {"bool": p}
    if isinstance(p, int):
        return {"int": p}
    if isinstance(p, float):
        if math.isnan(p):
            return {"double": "NaN"}
        if math.isinf(p):
            return {"double": "Infinity" if p > 0 else "-Infinity"}
        return {"double": p}
    if isinstance(p, str):
        return {"string": p}
    if isinstance(p, list):
        return {"list": [encode(x) for x in p]}
    if isinstance(p, dict):
        return {"map": sorted([[encode(k), encode(v)] for k, v in p.items()], key=json.dumps)}
    return {"other": repr(p)}


def same(a, b):
    if "error" in a or "error" in b:
        return ("error" in a) == ("error" in b)
    if "map" in a and "map" in b:
        return sorted(a["map"], key=json.dumps) == sorted(b["map"], key=json.dumps)
    if "list" in a and "list" in b:
        return len(a["list"]) == len(b["list"]) and all(same(x, y) for x, y in zip(a["list"], b["list"]))
    return a == b


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261130
    g = Gen(random.Random(seed))
    exprs = [g.any_(g.r.randrange(1, 5)) for _ in range(n)]
    out = subprocess.run([binary, "values"], input="\n".join(json.dumps(e) for e in exprs) + "\n",
                         capture_output=True, text=True, check=True).stdout.splitlines()
    env = cel.NewEnv(variables=TYPES)
    compared = agreed = known = 0
    failures = []
    skipped = 0
    for e, line in zip(exprs, out):
        ours = json.loads(line)
        try:
            theirs = plain(env.compile(e).eval(data=VARS))
        except Exception as ex:  # the reference does not compile it
            theirs = {"invalid": str(ex).splitlines()[0]}
        if "invalid" in ours and "invalid" in theirs:
            skipped += 1
            continue
        if "invalid" not in ours and "invalid" not in theirs:
            compared += 1
            if same(ours, theirs):
                agreed += 1
                continue
        if any(p(e, ours, theirs) for p, _ in KNOWN):
            known += 1
            continue
        failures.append((e, ours, theirs))
    for e, ours, theirs in failures[:20]:
        print(f"DIFFERS: {e}\n  verdict:   {json.dumps(ours, ensure_ascii=False)}\n  reference: {json.dumps(theirs, ensure_ascii=False)}")
    if known:
        print("known divergences, each justified in KNOWN:")
        for _, reason in KNOWN:
            print(f"  - {reason}")
    print(f"cel_diff: {len(exprs)} expressions, {compared} evaluated by both, {agreed} agree, "
          f"{known} known divergences, {skipped} refused by both, {len(failures)} unexplained")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
