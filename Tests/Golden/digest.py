#!/usr/bin/env python3
"""Recompute verdict's policy digests from the YAML files, independently of the Swift code.

    python3 Tests/Golden/digest.py [POLICIES_DIR]        # prints "name sha256:…" per concrete policy
    python3 Tests/Golden/digest.py --canonical NAME DIR  # prints the canonical encoding of one policy

What is hashed is docs/digest.md's canonical structure of each concrete policy (its
`extends` chain merged, values typed by their declarations, expressions with layout
collapsed), serialised as RFC 8785 (JCS) JSON, then SHA-256. Needs PyYAML. Written from
docs/digest.md alone; an auditor's script needs no more than this.
"""
import hashlib
import json
import math
import os
import sys

import yaml  # PyYAML; BaseLoader reads every scalar as text, so typing follows the declarations


# ---------------------------------------------------------------- reading and merging


def load(directory):
    """Policies by name; a name with several versions maps to a list of them."""
    docs = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                doc = yaml.load(f, Loader=yaml.BaseLoader)
            docs.setdefault(doc["policy"], []).append(doc)
    return docs


def chain(docs, leaf):
    """The documents from the root base down to `leaf` (a base has one version)."""
    out = [leaf]
    while "extends" in out[-1]:
        out.append(docs[out[-1]["extends"]][0])
    return list(reversed(out))


def merged(docs, leaf):
    """The effective policy: bases first, each descendant overriding by name."""
    inputs, params, rules, catalogs = {}, {}, {}, {}
    for d in chain(docs, leaf):
        for k, v in (d.get("inputs") or {}).items():
            inputs.setdefault(k, v)
        for k, v in (d.get("parameters") or {}).items():
            p = params.setdefault(k, {})
            if "type" in v:  # `of` goes with `type`
                p.pop("of", None)
            p.update(v)
        for k, v in (d.get("rules") or {}).items():
            r = rules.setdefault(k, {})
            if "type" in v:
                r.pop("of", None)
            if any(b in v for b in ("expr", "table", "items")):
                for b in ("expr", "table", "items"):
                    r.pop(b, None)
            r.update(v)
        for k, v in (d.get("catalogs") or {}).items():
            c = catalogs.setdefault(k, {})
            c.update(v)
    return inputs, params, rules, catalogs


# ---------------------------------------------------------------- typing values


SCALARS = ("bool", "int", "double", "string", "date", "timestamp")


def to_int(text):
    t = text.strip()
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    if t.startswith("0x"):
        return sign * int(t[2:], 16)
    if t.startswith("0o"):
        return sign * int(t[2:], 8)
    return sign * int(t, 10)


def typed(value, vtype):
    if isinstance(vtype, dict):
        if "enum" in vtype or "enum_of" in vtype:
            return value
        inner = vtype.get("list", "string")  # {"list": T} or {"ids_of": C}
        return [typed(v, inner) for v in value]
    if vtype == "bool":
        return value in ("true", "True", "TRUE")
    if vtype == "int":
        return to_int(value)
    if vtype == "double":
        return float(value)
    if vtype in ("string", "date"):
        return value
    if vtype == "timestamp":
        raise NotImplementedError("timestamp values: not used by these policies")
    raise ValueError(vtype)


def value_type(node, inputs_by_path):
    t = node["type"]
    if t in SCALARS:
        return t
    if t == "enum":
        return {"enum": list(node["values"])}
    of = node["of"]
    if of in SCALARS:
        return {"list": of}
    declared = inputs_by_path.get(of)
    if isinstance(declared, dict) and declared.get("type") == "enum":
        return {"list": {"enum_of": of}}  # an enum input's values
    return {"ids_of": of}  # a catalogue's ids


def input_paths(fields, prefix=""):
    """Every declared input by dotted path."""
    out = {}
    for name, node in fields.items():
        out[prefix + name] = node
        if isinstance(node, dict) and node.get("type") == "object":
            out.update(input_paths(node["fields"], prefix + name + "."))
    return out


def clause(c):
    return [c] if isinstance(c, str) else list(c)


def label(l):
    return {"zh": l["zh"], "en": l["en"]}


def input_type(node):
    if isinstance(node, str):
        return node
    t = node["type"]
    if t == "enum":
        return {"enum": list(node["values"])}
    if t == "object":
        return {"object": inputs(node["fields"])}
    if t == "list":
        return {"list": input_type(node["of"])}
    return t


def default_type(t):
    if isinstance(t, dict):
        if "enum" in t:
            return "string"
        if "list" in t:
            return {"list": default_type(t["list"])}
    return t


def inputs(fields):
    out = {}
    for name, node in fields.items():
        t = input_type(node)
        o = {"type": t, "optional": False}
        if isinstance(node, dict):
            o["optional"] = node.get("optional", "false") in ("true", "True", "TRUE")
            if "default" in node:
                o["default"] = typed(node["default"], default_type(t))
            for k in ("min", "max", "max_items"):
                if k in node:
                    o[k] = to_int(node[k])
            if "label" in node:
                o["label"] = label(node["label"])
        out[name] = o
    return out


# ---------------------------------------------------------------- expressions


def collapse(src):
    """Outside string literals, comments and whitespace runs become one space; none at the ends."""
    out, pending, i, n = [], False, 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t\n\r\f":
            pending, i = True, i + 1
            continue
        if src.startswith("//", i):
            while i < n and src[i] != "\n":
                i += 1
            pending = True
            continue
        if pending and out:
            out.append(" ")
        pending = False
        if c not in "'\"":
            out.append(c)
            i += 1
            continue
        prev = "".join(out[-2:])
        raw = prev[-1:] in ("r", "R") or (len(prev) == 2 and prev[0] in "rR" and prev[1] in "bB")
        quote = src[i : i + 3] if src.startswith(c * 3, i) else c
        j = i + len(quote)
        while j < n:
            if not raw and src[j] == "\\":
                j += 2
                continue
            if src.startswith(quote, j):
                j += len(quote)
                break
            j += 1
        out.append(src[i:j])
        i = j
    return "".join(out)


# ---------------------------------------------------------------- the canonical structure


def canonical(docs, leaf):
    ins, params, rules, catalogs = merged(docs, leaf)
    policy = {
        "format": 1,
        "name": leaf["policy"],
        "applies_to": {k: ([v] if isinstance(v, str) else list(v)) for k, v in leaf["applies_to"].items()},
        "inputs": inputs(ins),
        "parameters": {},
        "rules": [],
        "catalogs": {},
    }
    if "title" in leaf:
        policy["title"] = label(leaf["title"])
    if "version" in leaf:
        policy["version"] = leaf["version"]
    dated_by = [d["dated_by"] for d in chain(docs, leaf) if "dated_by" in d]
    if "effective_from" in leaf:
        policy["effective_from"] = leaf["effective_from"]
    if "effective_from" in leaf or dated_by:
        policy["dated_by"] = dated_by[-1] if dated_by else "opened_at"
    sections = [d["sections"] for d in chain(docs, leaf) if "sections" in d]
    if sections:
        policy["sections"] = clause(sections[-1])
    paths = input_paths(ins)
    for pname, p in params.items():
        vt = value_type(p, paths)
        o = {"type": vt, "value": typed(p["value"], vt), "clause": clause(p["clause"]), "label": label(p["label"])}
        for k in ("min", "max"):
            if k in p:
                o[k] = float(p[k])
        policy["parameters"][pname] = o
    for rname, r in rules.items():
        o = {
            "name": rname,
            "type": value_type(r, paths),
            "decision": r.get("decision", "false") in ("true", "True", "TRUE"),
            "clause": clause(r["clause"]),
            "label": label(r["label"]),
        }
        if "expr" in r:
            o["expr"] = collapse(r["expr"])
        elif "table" in r:
            t = r["table"]
            table = {"hit": t.get("hit", "first"), "rows": [row(x) for x in t["rows"]]}
            if "default" in t:
                table["default"] = row(t["default"])
            o["table"] = table
        else:
            items = []
            for it in r["items"]:
                item = {"id": it["id"], "when": collapse(it["when"]), "clause": clause(it["clause"])}
                if "label" in it:
                    item["label"] = label(it["label"])
                items.append(item)
            o["items"] = items
        policy["rules"].append(o)
    for cname, entries in catalogs.items():
        c = {}
        for eid, e in entries.items():
            o = {"label": label(e["label"]), "clause": clause(e["clause"])}
            if "amount" in e:
                o["amount"] = float(e["amount"])
            if "currency" in e:
                o["currency"] = e["currency"]
            c[eid] = o
        policy["catalogs"][cname] = c
    return policy


def row(r):
    o = {"then": collapse(r["then"]), "clause": clause(r["clause"])}
    if "when" in r:
        o["when"] = collapse(r["when"])
    if "label" in r:
        o["label"] = label(r["label"])
    return o


# ---------------------------------------------------------------- RFC 8785 (JCS)


def es_number(x):
    """A finite double as ECMAScript prints it: shortest round-trip digits."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    digits, exp = repr(abs(x)), 0
    if "e" in digits:
        digits, e = digits.split("e")
        exp = int(e)
    whole, _, frac = digits.partition(".")
    ds = (whole + frac).lstrip("0")
    point = len(whole) + exp - (len(whole + frac) - len((whole + frac).lstrip("0")))
    ds = ds.rstrip("0")
    k = len(ds)
    if k <= point <= 21:
        return sign + ds + "0" * (point - k)
    if 0 < point <= 21:
        return sign + ds[:point] + "." + ds[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + ds
    e = point - 1
    return sign + ds[0] + ("." + ds[1:] if k > 1 else "") + "e" + ("-" if e < 0 else "+") + str(abs(e))


def jcs(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return json.dumps(str(v)) if abs(v) > 2**53 - 1 else str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(v)
        return es_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v[k]) for k in keys) + "}"
    raise TypeError(type(v))


def digest(docs, leaf):
    return "sha256:" + hashlib.sha256(jcs(canonical(docs, leaf)).encode("utf-8")).hexdigest()


def concrete(docs):
    """Every concrete policy version, by name and then by the day it takes effect."""
    out = []
    for name in sorted(docs):
        for d in docs[name]:
            if "applies_to" in d and d.get("abstract", "false") != "true":
                out.append(d)
    return sorted(out, key=lambda d: (d["policy"], d.get("effective_from", "")))


def main(argv):
    if len(argv) >= 2 and argv[1] == "--canonical":
        docs = load(argv[3] if len(argv) > 3 else "policies")
        for d in concrete(docs):
            if d["policy"] == argv[2]:
                sys.stdout.write(jcs(canonical(docs, d)) + "\n")
        return 0
    docs = load(argv[1] if len(argv) > 1 else "policies")
    for d in concrete(docs):
        print(d["policy"], digest(docs, d))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
