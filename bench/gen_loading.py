#!/usr/bin/env python3
"""Writes policy folders that stress loading, one per case of issue #12's
"linear loading" (timed by bench/hardening.sh):

  concrete N     N concrete policies over one base, each for its own market
  overlapping N  N concrete policies that all answer the same tickets
  extends N      a chain of N files, each extending the one before
  rulechain N    one policy whose N rules each read the next
  undeclared N   one policy with N rules, each naming an undeclared input
  catalogue N    one policy with a catalogue of N entries (N=100000: about 16 MB)
  table N        one policy with a decision table of N rows

Usage: python3 bench/gen_loading.py KIND DIR N
"""
import pathlib
import sys

HEAD = """verdict: 1
policy: {name}
"""
LABEL = "label: {zh: 标签, en: Label}"


def base(markets):
    # A text input, not an enum of N values: every policy's digest covers its
    # inputs, so an enum of 10,000 values in each of 10,000 policies would be
    # 10^8 values to hash, whatever the loader does.
    return f"""verdict: 1
policy: base
abstract: true
inputs:
  market: {{type: string, {LABEL}}}
  n: {{type: int, min: 0, {LABEL}}}
  kind: {{type: enum, values: [a, b, c], {LABEL}}}
parameters:
  k: {{type: int, value: 7, clause: "1", {LABEL}}}
rules:
  small:
    type: bool
    decision: true
    clause: "1"
    {LABEL}
    expr: n < params.k
  kind_a:
    type: bool
    decision: true
    clause: "2"
    {LABEL}
    expr: kind == 'a' && small
"""


def concrete(out, n, overlapping=False):
    markets = ["m0"] if overlapping else [f"m{i}" for i in range(n)]
    (out / "base.yaml").write_text(base(markets))
    for i in range(n):
        m = "m0" if overlapping else f"m{i}"
        (out / f"p{i:06}.yaml").write_text(
            f"verdict: 1\npolicy: p{i}\nextends: base\napplies_to: {{market: {m}}}\n")


def extends(out, n):
    (out / "f000000.yaml").write_text(base(["m0"]).replace("policy: base", "policy: f0"))
    for i in range(1, n):
        last = i == n - 1
        text = f"verdict: 1\npolicy: f{i}\nextends: f{i - 1}\n"
        text += "applies_to: {market: m0}\n" if last else "abstract: true\n"
        (out / f"f{i:06}.yaml").write_text(text)


def one_policy(out, rules, extra=""):
    text = f"""verdict: 1
policy: one
applies_to: {{market: m0}}
inputs:
  market: {{type: enum, values: [m0], {LABEL}}}
  n: {{type: int, min: 0, {LABEL}}}
{extra}rules:
"""
    (out / "one.yaml").write_text(text + "".join(rules))


def rule(name, expr, decision=True, type_="bool"):
    return f"""  {name}:
    type: {type_}
    decision: {str(decision).lower()}
    clause: "1"
    {LABEL}
    expr: "{expr}"
"""


def main():
    kind, out, n = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    if kind == "concrete":
        concrete(out, n)
    elif kind == "overlapping":
        concrete(out, n, overlapping=True)
    elif kind == "extends":
        extends(out, n)
    elif kind == "rulechain":
        one_policy(out, [rule(f"r{i}", f"r{i + 1}" if i < n - 1 else "n > 0", decision=i == 0) for i in range(n)])
    elif kind == "undeclared":
        one_policy(out, [rule(f"r{i}", f"missing_{i} > 0") for i in range(n)])
    elif kind == "catalogue":
        entries = "".join(
            f"    e{i}: {{clause: \"{i % 97}.{i % 13}\", label: {{zh: 条目{i}的中文名称, en: Entry number {i} of the catalogue with a long label}}}}\n"
            for i in range(n))
        one_policy(out, [rule("r", "n > 0")], extra="")
        text = (out / "one.yaml").read_text() + "catalogs:\n  forms:\n" + entries
        (out / "one.yaml").write_text(text)
    elif kind == "table":
        rows = "".join(
            f"        - when: n >= {n - j} && n < {n - j + 1}\n          then: {j}\n          clause: \"1\"\n"
            for j in range(n))
        body = f"""  t:
    type: int
    decision: true
    clause: "1"
    {LABEL}
    table:
      hit: first
      rows:
{rows}      default:
        then: -1
        clause: "1"
"""
        one_policy(out, [body])
    else:
        sys.exit(f"unknown kind {kind}")
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"{kind} {n}: {len(list(out.iterdir()))} files, {size / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()
