#!/usr/bin/env python3
"""Validates the shipped policy and test files against docs/schema/ with an
independent validator (Python's jsonschema), the way an editor would.

Each shipped file must name its schema on its first line
(`# yaml-language-server: $schema=…`, a path relative to the file), must
match it, and a few seeded mistakes (an unknown key, a missing key, a wrong
hit policy) must not. YAML is read as editors read it (YAML 1.2): dates stay
text. Exit 0 when all holds; 1 with each problem listed.
"""
import copy
import json
import pathlib
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = {
    "policy": json.loads((ROOT / "docs/schema/policy.schema.json").read_text()),
    "test": json.loads((ROOT / "docs/schema/test.schema.json").read_text()),
}


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML without YAML 1.1's timestamps: `2026-07-01` stays a string, as in YAML 1.2."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def errors(kind, document):
    validator = jsonschema.Draft202012Validator(SCHEMAS[kind])
    return sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))


def main():
    problems = []
    for kind in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(SCHEMAS[kind])
    files = [(p, "policy") for p in sorted((ROOT / "policies").glob("*.yaml"))]
    files += [(p, "test") for p in sorted((ROOT / "policies/tests").glob("*.yaml"))]
    for path, kind in files:
        text = path.read_text(encoding="utf-8")
        first = text.split("\n", 1)[0]
        expected = "# yaml-language-server: $schema=" + str(
            pathlib.Path("../" * len(path.parent.relative_to(ROOT).parts)) / f"docs/schema/{kind}.schema.json")
        if first != expected:
            problems.append(f"{path.relative_to(ROOT)}:1: first line should be `{expected}`")
        document = yaml.load(text, Loader=Yaml12Loader)
        for e in errors(kind, document):
            where = "/".join(str(p) for p in e.absolute_path)
            problems.append(f"{path.relative_to(ROOT)}: {where}: {e.message}")

    # Seeded mistakes the schema must flag, on a real policy.
    base = yaml.load((ROOT / "policies/equipment.yaml").read_text(encoding="utf-8"), Loader=Yaml12Loader)
    seeded = []
    d = copy.deepcopy(base)
    d["parameters"]["warranty_months"]["lable"] = d["parameters"]["warranty_months"].pop("label")
    seeded.append(("an unknown key (lable)", d))
    d = copy.deepcopy(base)
    del d["policy"]
    seeded.append(("a missing `policy`", d))
    d = copy.deepcopy(base)
    d["rules"]["maintenance_visits_per_year"]["table"]["hit"] = "firsts"
    seeded.append(("an unknown hit policy", d))
    d = copy.deepcopy(base)
    d["parameters"]["warranty_months"]["label"] = {"zh": "保修期"}
    seeded.append(("a label without `en`", d))
    d = copy.deepcopy(base)
    d["rules"]["Warranty_End"] = d["rules"].pop("warranty_end")
    seeded.append(("a rule name with capitals", d))
    for what, document in seeded:
        if not errors("policy", document):
            problems.append(f"the schema accepts {what}")

    for p in problems:
        print(p)
    print(f"schema: {len(files)} files valid, {len(seeded)} seeded mistakes flagged" if not problems
          else f"schema: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
