#!/usr/bin/env python3
"""Writes a large policy folder for timing `verdict check` (loading):
RULES rules, of which TABLES are decision tables with ROWS rows each
(default 10,000 rules and 5,000 tables of 10 rows: 50,000 rows), over a
few inputs, every rule a decision so that none is unused. Every condition
is different (its constants depend on the rule), so nothing is shared.

Usage: python3 bench/gen_policy.py DIR [RULES] [TABLES] [ROWS]
"""
import pathlib
import sys


def main():
    out = pathlib.Path(sys.argv[1])
    rules = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    tables = int(sys.argv[3]) if len(sys.argv) > 3 else 5_000
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "verdict: 1",
        "policy: big",
        'version: "1"',
        "applies_to: {market: home}",
        "title: {zh: 大, en: Big}",
        "inputs:",
        "  market: {type: enum, values: [home], label: {zh: 市场, en: Market}}",
        "  n: {type: int, min: 0, label: {zh: 数, en: Number}}",
        "  m: {type: int, min: 0, label: {zh: 数二, en: Other number}}",
        "  kind: {type: enum, values: [a, b, c, d], label: {zh: 类, en: Kind}}",
        "  flag: {type: bool, label: {zh: 旗, en: Flag}}",
        "  day: {type: date, label: {zh: 日, en: Day}}",
        "parameters:",
        '  k: {type: int, value: 7, clause: "1", label: {zh: 参, en: K}}',
        "rules:",
    ]
    for i in range(rules):
        lines += [f"  r{i}:", "    type: int", "    decision: true", f'    clause: "{i % 90 + 1}.{i % 7}"',
                  f"    label: {{zh: 规则{i}, en: Rule {i}}}"]
        if i < tables:
            lines += ["    table:", "      hit: first", "      rows:"]
            for j in range(rows):
                lines += [f"        - when: n >= {(rows - j) * 10 + i} && kind != '{'abcd'[j % 4]}'",
                          f"          then: {j}", f'          clause: "{j + 1}"']
            lines += ["      default:", "        then: -1", '        clause: "1"']
        else:
            prev = f"r{i - tables}" if i >= tables else "0"
            lines += [f"    expr: \"flag ? {prev} + n * {i % 13} : m - params.k + day.year()\""]
    (out / "big.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out / 'big.yaml'}: {rules} rules, {tables} tables of {rows} rows ({tables * rows} rows)")


if __name__ == "__main__":
    main()
