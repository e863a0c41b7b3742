#!/usr/bin/env python3
"""Writes the broken-policy corpus under Tests/BrokenPolicies/cases/.

Each case is a small folder: a correct two-file policy set (an abstract
`base.yaml` and the concrete `shop.yaml` that extends it) with one owner
mistake made in it, and `expected`, the diagnostics `verdict check --strict`
must report: `FILE:LINE:COLUMN CODE [text the message contains]`, one per
line; the text is looked for in the message and its help. Positions are
computed here from marker text in the edited file, not taken from verdict;
`CheckCorpusTests` loads every case and compares.

Usage: python3 Tests/BrokenPolicies/make_cases.py [--check]
(--check fails when the folders on disk differ from what this script writes).
"""
import pathlib
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "cases"

BASE = """\
verdict: 1
policy: base
abstract: true
title: {zh: 基础, en: Base}
inputs:
  market: {type: enum, values: [home], label: {zh: 市场, en: Market}}
  opened_at: {type: timestamp, label: {zh: 接到时间, en: Opened at}}
  unit:
    type: object
    label: {zh: 设备, en: Unit}
    fields:
      installed_on: {type: date, label: {zh: 安装日, en: Installed on}}
      count: {type: int, min: 0, label: {zh: 保有量, en: Units held}}
  request:
    type: object
    label: {zh: 请求, en: Request}
    fields:
      kind: {type: enum, values: [repair, training], label: {zh: 类型, en: Kind}}
      onsite: {type: bool, label: {zh: 上门, en: On site}}
  fault:
    type: object
    optional: true
    label: {zh: 故障, en: Fault}
    fields:
      cause: {type: enum, values: [manufacturing, material, customer], label: {zh: 原因, en: Cause}}
catalogs:
  fee_items:
    parts: {label: {zh: 配件费, en: Parts fee}, clause: "7.1"}
    onsite: {label: {zh: 上门费, en: On-site fee}, clause: "7.1"}
parameters:
  warranty_months:
    type: int
    value: 12
    min: 0
    max: 60
    clause: "7.1"
    label: {zh: 保修期（月）, en: Warranty (months)}
  quality_causes:
    type: list
    of: fault.cause
    value: [manufacturing, material]
    clause: "5.1"
    label: {zh: 质量原因, en: Quality causes}
rules:
  ticket_date:
    type: date
    clause: "6.4"
    label: {zh: 接到日期, en: Ticket date}
    expr: date(opened_at)
  in_warranty:
    type: bool
    decision: true
    clause: "7.1"
    label: {zh: 保修期内, en: In warranty}
    expr: ticket_date < unit.installed_on.addMonths(params.warranty_months)
  quality_fault:
    type: bool
    decision: true
    clause: "5.1"
    label: {zh: 质量问题, en: Quality fault}
    expr: fault != null && fault.cause in params.quality_causes
  visits:
    type: int
    decision: true
    clause: "7.4"
    label: {zh: 每年维保次数, en: Visits a year}
    table:
      hit: first
      rows:
        - when: unit.count >= 10
          then: 2
          clause: "7.4"
        - when: unit.count >= 5
          then: 1
          clause: "7.4"
      default:
        then: 0
        clause: "7.4"
  fees:
    type: list
    of: fee_items
    decision: true
    clause: "7.1"
    label: {zh: 费用项目, en: Fee items}
    items:
      - id: onsite
        when: request.kind == 'repair' && request.onsite && !in_warranty
        clause: "7.1"
      - id: parts
        when: "!in_warranty"
        clause: "7.1"
"""

SHOP = """\
verdict: 1
policy: shop
version: "1"
extends: base
applies_to: {market: home}
title: {zh: 商店, en: Shop}
parameters:
  warranty_months:
    value: 24
    clause: "7.2"
"""


class Case:
    def __init__(self, name, what, edits, expected, extra_files=None):
        self.name = name
        self.what = what
        self.edits = edits  # [(file, old, new)]
        self.expected = expected  # [(file, marker, code, text)] marker: str or (str, nth)
        self.extra_files = extra_files or {}


def E(file, marker, code, text=""):
    return (file, marker, code, text)


CASES = [
    # --- YAML as typed -------------------------------------------------
    Case("tab-indent", "a tab indents a key", [("base.yaml", "    value: 12\n", "\tvalue: 12\n")],
         [E("base.yaml", "\tvalue: 12", "E0105", "a tab indents this line")]),
    Case("key-indented-too-far", "a key one space deeper than its siblings",
         [("base.yaml", "    min: 0\n    max: 60\n", "    min: 0\n     max: 60\n")],
         [E("base.yaml", "max: 60", "E0105", "`max:` is indented deeper than `min:`")]),
    Case("key-indented-too-little", "a key between two levels of indentation",
         [("base.yaml", "    min: 0\n    max: 60\n", "    min: 0\n   max: 60\n")],
         [E("base.yaml", "max: 60", "E0105", "`max:` is indented 3 spaces")]),
    Case("key-dedented-to-parent", "a key at its parent's level, with its siblings below it deeper",
         [("base.yaml", "    type: int\n    value: 12\n", "    type: int\n  value: 12\n")],
         [E("base.yaml", "value: 12", "E0105", "`value:` is indented 2 spaces, less than `type:`")]),
    Case("children-not-indented", "`label:` left empty, its `zh:` and `en:` at its level",
         [("base.yaml", "    label: {zh: 保修期（月）, en: Warranty (months)}\n",
           "    label:\n    zh: 保修期（月）\n    en: Warranty (months)\n")],
         [E("base.yaml", ("label:\n    zh", 0), "E0202", "`label:` is empty, and `zh:`, `en:` below it")]),
    Case("unclosed-quote-in-flow", "a quote opened in a label and never closed",
         [("base.yaml", "label: {zh: 保修期（月）, en: Warranty (months)}", "label: {zh: 保修期（月）, en: \"Warranty (months)}")],
         [E("base.yaml", "\"Warranty (months)}", "E0105", "this quote is not closed on its line")]),
    Case("unclosed-quote-in-expr", "an expression whose opening quote is never closed",
         [("base.yaml", "    expr: date(opened_at)\n", "    expr: \"date(opened_at)\n")],
         [E("base.yaml", "\"date(opened_at)", "E0105", "this quote is not closed on its line")]),
    Case("text-after-quoted-value", "a quote closed too early in a list",
         [("shop.yaml", "    clause: \"7.2\"\n", "    clause: [\"7.2, \"7.1\"]\n")],
         [E("shop.yaml", ("7.1\"]", 0), "E0105", "text follows the quoted value")]),
    Case("duplicate-key", "a key written twice in one mapping",
         [("base.yaml", "    value: 12\n    min: 0\n", "    value: 12\n    value: 18\n    min: 0\n")],
         [E("base.yaml", "value: 18", "E0106")]),
    Case("custom-tag", "a value starting with `!`, read by YAML as a tag",
         [("base.yaml", "        when: \"!in_warranty\"\n", "        when: !in_warranty\n")],
         [E("base.yaml", "!in_warranty", "E0107")]),
    Case("empty-file", "a policy file with nothing in it", [], [E("empty.yaml", None, "E0104")],
         extra_files={"empty.yaml": ""}),

    # --- the format --------------------------------------------------------
    Case("misspelt-key-lable", "`lable:` for `label:` (ranked with the keys of a parameter)",
         [("base.yaml", "    label: {zh: 保修期（月）, en: Warranty (months)}\n", "    lable: {zh: 保修期（月）, en: Warranty (months)}\n")],
         [E("base.yaml", "lable:", "E0201", "unknown key `lable`")]),
    Case("misspelt-key-decison", "`decison:` for `decision:` in a rule",
         [("base.yaml", "    decision: true\n    clause: \"5.1\"\n", "    decison: true\n    clause: \"5.1\"\n")],
         [E("base.yaml", "decison:", "E0201", "unknown key `decison`")]),
    Case("missing-clause", "a rule without `clause`",
         [("base.yaml", "    clause: \"6.4\"\n", "")],
         [E("base.yaml", "ticket_date:\n", "E0402", "needs `clause`")]),
    Case("missing-label", "a rule without `label`",
         [("base.yaml", "    label: {zh: 接到日期, en: Ticket date}\n", "")],
         [E("base.yaml", "ticket_date:\n", "E0403", "needs `label`")]),
    Case("label-without-en", "a label with only Chinese text",
         [("base.yaml", "label: {zh: 接到日期, en: Ticket date}", "label: {zh: 接到日期}")],
         [E("base.yaml", "{zh: 接到日期}", "E0203", "needs `en`")]),
    Case("unknown-type", "`type: integer` for `type: int`",
         [("base.yaml", "    type: int\n    value: 12\n", "    type: integer\n    value: 12\n")],
         [E("base.yaml", "integer", "E0206", "unknown type `integer`")]),
    Case("enum-without-values", "an enum input without `values`",
         [("base.yaml", "kind: {type: enum, values: [repair, training],", "kind: {type: enum,")],
         [E("base.yaml", ("enum,", 0), "E0203", "needs `values`")]),
    Case("unknown-hit-policy", "`hit: firsts`",
         [("base.yaml", "hit: first", "hit: firsts")],
         [E("base.yaml", "firsts", "E0205", "unknown hit policy")]),
    Case("item-without-id", "an item of a list rule without `id`",
         [("base.yaml", "      - id: parts\n        when:", "      - when:")],
         [E("base.yaml", ("- when: \"!in_warranty\"", 2), "E0203", "needs `id`")]),
    Case("format-version", "`verdict: 2`, a format this version does not read",
         [("shop.yaml", "verdict: 1", "verdict: 2")],
         [E("shop.yaml", ("verdict: 2", 9), "E0209", "unsupported format version 2")]),
    Case("name-with-capitals", "a rule named with capitals",
         [("base.yaml", "  quality_fault:\n", "  QualityFault:\n")],
         [E("base.yaml", "QualityFault:", "E0204", "not a valid name")]),

    # --- inheritance and selection ----------------------------------------
    Case("unknown-base", "`extends:` names a policy that does not exist",
         [("shop.yaml", "extends: base", "extends: bsae")],
         [E("shop.yaml", "bsae", "E0302", "bsae")]),
    Case("override-of-missing-name", "`warranty_month:` overrides nothing: no type, and the inherited name is one slip away",
         [("shop.yaml", "  warranty_months:\n", "  warranty_month:\n")],
         [E("shop.yaml", "warranty_month:", "E0401", "warranty_month")]),
    Case("misspelt-override-with-type", "a misspelt override that declares a type: a new parameter nothing uses",
         [("shop.yaml", "  warranty_months:\n    value: 24\n", "  warranty_month:\n    type: int\n    value: 24\n    label: {zh: 保修期, en: Warranty}\n")],
         [E("shop.yaml", "warranty_month:", "W0805", "the inherited `warranty_months` keeps its value")]),
    Case("selector-unknown-input", "`applies_to` names an input that does not exist",
         [("shop.yaml", "applies_to: {market: home}", "applies_to: {markt: home}")],
         [E("shop.yaml", "markt", "E0309", "markt")]),
    Case("selector-value-undeclared", "`applies_to` names a market the input does not declare",
         [("shop.yaml", "applies_to: {market: home}", "applies_to: {market: hmoe}")],
         [E("shop.yaml", "hmoe", "E0311", "hmoe")]),
    Case("market-without-policy", "a market added to the input that no policy answers",
         [("base.yaml", "values: [home]", "values: [home, eu]")],
         [E("base.yaml", "market: {", "W0806", "market `eu`")]),
    Case("missing-applies-to", "a concrete policy without `applies_to`",
         [("shop.yaml", "applies_to: {market: home}\n", "")],
         [E("shop.yaml", "shop", "E0306")]),

    # --- values --------------------------------------------------------------
    Case("parameter-above-max", "a parameter above its declared maximum",
         [("shop.yaml", "    value: 24\n", "    value: 61\n")],
         [E("shop.yaml", "61", "E0407", "above its maximum 60")]),
    Case("parameter-not-a-number", "`twelve` for a whole number",
         [("shop.yaml", "    value: 24\n", "    value: twelve\n")],
         [E("shop.yaml", "twelve", "E0406", "must be a whole number (int), not `twelve`")]),
    Case("parameter-quoted-number", "a quoted number, which YAML reads as text",
         [("shop.yaml", "    value: 24\n", "    value: \"24\"\n")],
         [E("shop.yaml", "\"24\"", "E0406", "is quoted")]),
    Case("list-parameter-misspelt-enum", "`materials` for `material` in a list typed by an input's enum",
         [("base.yaml", "value: [manufacturing, material]", "value: [manufacturing, materials]")],
         [E("base.yaml", "materials", "E0409", "did you mean")]),
    Case("item-not-in-catalogue", "an item whose id the catalogue does not list",
         [("base.yaml", "      - id: parts\n", "      - id: travel\n")],
         [E("base.yaml", "travel", "E0413", "travel")]),

    # --- expressions --------------------------------------------------------
    Case("date-compared-with-number", "a date compared with a number",
         [("base.yaml", "expr: ticket_date < unit.installed_on.addMonths(params.warranty_months)", "expr: ticket_date < 12")],
         [E("base.yaml", "< 12", "E0504", "compares a date with a whole number (int)")]),
    Case("result-type", "a bool rule whose expression gives a date",
         [("base.yaml", "expr: ticket_date < unit.installed_on.addMonths(params.warranty_months)", "expr: unit.installed_on.addMonths(params.warranty_months)")],
         [E("base.yaml", "unit.installed_on.addMonths(params.warranty_months)", "E0505", "gives a date, but true or false (bool) is expected")]),
    Case("undeclared-field", "`unit.instaled_on`",
         [("base.yaml", "< unit.installed_on.addMonths", "< unit.instaled_on.addMonths")],
         [E("base.yaml", "unit.instaled_on", "E0503", "unit.instaled_on")]),
    Case("and-for-ampersands", "`and` for `&&`",
         [("base.yaml", "fault != null && fault.cause", "fault != null and fault.cause")],
         [E("base.yaml", "and fault", "E0501", "unexpected `and`")]),
    Case("not-for-bang", "`not` for `!`",
         [("base.yaml", "when: \"!in_warranty\"", "when: \"not in_warranty\"")],
         [E("base.yaml", "not in_warranty", "E0501", "`not` is not an operator")]),
    Case("single-equals", "`=` for `==`",
         [("base.yaml", "request.kind == 'repair'", "request.kind = 'repair'")],
         [E("base.yaml", "= 'repair'", "E0501", "`=` alone is not an operator")]),
    Case("word-for-number", "`then: two` in a whole-number table",
         [("base.yaml", "          then: 2\n", "          then: two\n")],
         [E("base.yaml", "two", "E0503", "two")]),
    Case("enum-literal-typo", "`'repiar'` is not a value of `request.kind`",
         [("base.yaml", "request.kind == 'repair'", "request.kind == 'repiar'")],
         [E("base.yaml", "'repiar'", "E0506", "repiar")]),
    Case("invalid-date-literal", "`date('2026-02-30')`",
         [("base.yaml", "expr: date(opened_at)", "expr: date('2026-02-30')")],
         [E("base.yaml", "'2026-02-30'", "E0506")]),
    Case("invalid-regex", "a `matches` pattern that is not RE2",
         [("base.yaml", "request.kind == 'repair' &&", "request.kind.matches('(repair') &&")],
         [E("base.yaml", "'(repair'", "E0507")]),
    Case("rule-cycle", "two rules that need each other",
         [("base.yaml", "    expr: date(opened_at)\n", "    expr: \"in_warranty ? date(opened_at) : date(opened_at)\"\n")],
         [E("base.yaml", "ticket_date:\n", "E0601", "cycle")]),

    # --- warnings (fail check --strict) --------------------------------------
    Case("unused-input", "a ticket field no rule reads",
         [("base.yaml", "  opened_at:", "  channel: {type: string, optional: true, label: {zh: 渠道, en: Channel}}\n  opened_at:")],
         [E("base.yaml", "channel:", "W0801", "channel")]),
    Case("unused-parameter", "a parameter no rule reads",
         [("base.yaml", "  quality_causes:\n", "  reply_hours: {type: int, value: 24, clause: \"6.4\", label: {zh: 答复时限, en: Reply within}}\n  quality_causes:\n")],
         [E("base.yaml", "reply_hours:", "W0802", "reply_hours")]),
    Case("unused-rule", "a rule no decision needs",
         [("base.yaml", "  in_warranty:\n", "  is_home:\n    type: bool\n    clause: \"3\"\n    label: {zh: 国内, en: Home}\n    expr: market == 'home'\n  in_warranty:\n")],
         [E("base.yaml", "is_home:", "W0803", "is_home")]),
    Case("unused-catalogue-entry", "a fee item no rule lists",
         [("base.yaml", "    onsite: {label: {zh: 上门费", "    travel: {label: {zh: 差旅费, en: Travel}, clause: \"7.1\"}\n    onsite: {label: {zh: 上门费")],
         [E("base.yaml", "travel:", "W0804", "travel")]),
    Case("table-gap", "a table whose `default` was removed",
         [("base.yaml", "      default:\n        then: 0\n        clause: \"7.4\"\n", "")],
         [E("base.yaml", "hit: first", "W0807", "\"count\":0")]),
    Case("masked-row", "a `first` table whose narrower row comes after the wider one",
         [("base.yaml", "unit.count >= 10\n          then: 2", "unit.count >= 5\n          then: 2"),
          ("base.yaml", "unit.count >= 5\n          then: 1", "unit.count >= 10\n          then: 1")],
         [E("base.yaml", "when: unit.count >= 10", "W0808", "rows above it match every ticket it matches")]),
    Case("unique-overlap", "a `unique` table whose rows overlap",
         [("base.yaml", "hit: first", "hit: unique")],
         [E("base.yaml", "when: unit.count >= 5", "W0809", "rows 1 and 2 of `visits` both match")]),
    Case("gap-beside-default", "a gap declared in a table that has a `default`",
         [("base.yaml", "      default:\n        then: 0\n        clause: \"7.4\"\n",
           "      default:\n        then: 0\n        clause: \"7.4\"\n      gaps:\n        - when: unit.count < 5\n          clause: \"7.4\"\n")],
         [E("base.yaml", "when: unit.count < 5", "E0415", "a table with a `default` has no gaps")]),
]


def position(text, marker, after=0):
    """1-based line and column (in characters) of `marker` in `text`; `marker`
    may be (text, n): the occurrence starting at the n-th character of it."""
    offset = 0
    if isinstance(marker, tuple):
        marker, offset = marker
    i = text.index(marker, after) + offset
    line = text.count("\n", 0, i) + 1
    column = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, column


def build(case):
    files = {"base.yaml": BASE, "shop.yaml": SHOP}
    anchors = {}
    for file, old, new in case.edits:
        text = files[file]
        if text.count(old) != 1:
            raise SystemExit(f"{case.name}: `{old}` occurs {text.count(old)} times in {file}")
        anchors.setdefault(file, text.index(old))
        files[file] = text.replace(old, new)
    files.update(case.extra_files)
    lines = [f"# {case.what}"]
    for file, marker, code, text in case.expected:
        if marker is None:
            lines.append(f"{file}:0:0 {code} {text}".rstrip())
            continue
        # The marker is looked for from the first edit on (or from the start).
        start = 0
        content = files[file]
        raw = marker[0] if isinstance(marker, tuple) else marker
        if anchors.get(file) is not None and raw in content[anchors[file]:]:
            start = anchors[file]
        line, column = position(content, marker, start)
        lines.append(f"{file}:{line}:{column} {code} {text}".rstrip())
    files["expected"] = "\n".join(lines) + "\n"
    return files


def main():
    check = "--check" in sys.argv
    wanted = {}
    for n, case in enumerate(CASES, 1):
        wanted[f"{n:02d}-{case.name}"] = build(case)
    if check:
        stale = []
        on_disk = {p.name for p in OUT.iterdir()} if OUT.exists() else set()
        if on_disk != set(wanted):
            stale.append(f"case folders differ: {sorted(on_disk ^ set(wanted))}")
        for name, files in wanted.items():
            for fname, content in files.items():
                p = OUT / name / fname
                if not p.exists() or p.read_text(encoding="utf-8") != content:
                    stale.append(str(p.relative_to(HERE)))
        if stale:
            print("broken-policy corpus out of date (run python3 Tests/BrokenPolicies/make_cases.py):")
            for s in stale:
                print("  " + s)
            return 1
        print(f"broken-policy corpus: {len(wanted)} cases up to date")
        return 0
    if OUT.exists():
        shutil.rmtree(OUT)
    for name, files in wanted.items():
        (OUT / name).mkdir(parents=True)
        for fname, content in files.items():
            (OUT / name / fname).write_text(content, encoding="utf-8")
    print(f"wrote {len(wanted)} cases to {OUT.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
