#!/usr/bin/env python3
"""Independent reference oracle for the after-sales policy (verdict golden data).

Written from docs/spec (policy-semantics.md, ticket-contract.md) only, without
looking at the Swift engine or the YAML policies, so that the engine can be
tested against an independent reading of the spec. Written for clarity, not speed.

Usage:
    python3 Tests/Golden/oracle.py < tickets.jsonl > expected.jsonl
    python3 Tests/Golden/oracle.py --self-test

Output, one line per non-blank input line (keys sorted):
    {"answers": {...}, "id": ..., "policy": "domestic"|"export"|"material",
     "undetermined": [sorted decision names]}
or  {"error": true, "id": ...}   for a line that cannot be evaluated.

Three-valued logic: every input is a value or UNKNOWN (missing, null, wrong
type, invalid). `and`/`or` absorb like CEL (False and UNKNOWN = False,
True or UNKNOWN = True); everything else propagates UNKNOWN. A decision whose
value is UNKNOWN is listed in `undetermined` instead of `answers`.
"""

import calendar
import datetime as dt
import json
import re
import sys


# --------------------------------------------------------------------------
# UNKNOWN and three-valued logic
# --------------------------------------------------------------------------

class _Unknown:
    """The single UNKNOWN value."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "UNKNOWN"

    def __bool__(self):  # guard against accidental Python truthiness
        raise TypeError("UNKNOWN has no Python truth value; use AND/OR/NOT")


UNKNOWN = _Unknown()


def is_unknown(x):
    return x is UNKNOWN


def AND(*args):
    """CEL-style: any False -> False; else any UNKNOWN -> UNKNOWN; else True."""
    if any(a is False for a in args):
        return False
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    return True


def OR(*args):
    """CEL-style: any True -> True; else any UNKNOWN -> UNKNOWN; else False."""
    if any(a is True for a in args):
        return True
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    return False


def NOT(a):
    if a is UNKNOWN:
        return UNKNOWN
    return not a


def EQ(a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return a == b


def IN(a, options):
    if a is UNKNOWN:
        return UNKNOWN
    return a in options


def LT(a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return a < b


def GE(a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return a >= b


def IS_NOT_NULL(a):
    if a is UNKNOWN:
        return UNKNOWN
    return a is not None


def make_list(items):
    """items: [(id, condition)]. UNKNOWN if any condition is UNKNOWN,
    else the ids whose condition is True, in order, without duplicates."""
    out = []
    for item_id, cond in items:
        if cond is UNKNOWN:
            return UNKNOWN
        if cond is True and item_id not in out:
            out.append(item_id)
    return out


def NONEMPTY(lst):
    if lst is UNKNOWN:
        return UNKNOWN
    return len(lst) > 0


# --------------------------------------------------------------------------
# Dates and timestamps
# --------------------------------------------------------------------------

def add_months(d, n):
    """Same day n months later, clamped to the end of a shorter month."""
    if d is UNKNOWN:
        return UNKNOWN
    month_index = d.month - 1 + n
    year = d.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(d.day, last))


def minus_days(d, n):
    if d is UNKNOWN:
        return UNKNOWN
    return d - dt.timedelta(days=n)


_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_date(v):
    """A 'YYYY-MM-DD' string naming a real calendar date, else UNKNOWN."""
    if not isinstance(v, str):
        return UNKNOWN
    m = _DATE_RE.match(v)
    if not m:
        return UNKNOWN
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return UNKNOWN


class Timestamp:
    """A local date-time together with the offset text it was written with."""

    def __init__(self, local, offset_text, fraction=""):
        self.local = local            # naive datetime, wall clock in the offset
        self.offset_text = offset_text  # "Z" or "+HH:MM" / "-HH:MM", kept verbatim
        self.fraction = fraction      # fractional seconds digits, trailing zeros removed ("" for none)

    def date(self):
        return self.local.date()

    def plus_hours(self, h):
        # A fixed offset: adding hours to the wall clock is adding them to the instant.
        return Timestamp(self.local + dt.timedelta(hours=h), self.offset_text, self.fraction)

    def format(self):
        frac = "." + self.fraction if self.fraction else ""
        return self.local.strftime("%Y-%m-%dT%H:%M:%S") + frac + self.offset_text


def parse_timestamp(v):
    """RFC 3339 with an explicit offset ('Z' or ±HH:MM), else UNKNOWN.
    Fractional seconds are kept (trailing zeros dropped): no precision is lost."""
    if not isinstance(v, str):
        return UNKNOWN
    m = _TS_RE.match(v)
    if not m:
        return UNKNOWN
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    offset = m.group(8)
    if offset != "Z":
        oh, om = int(offset[1:3]), int(offset[4:6])
        if oh > 23 or om > 59:
            return UNKNOWN
    try:
        local = dt.datetime(y, mo, d, hh, mi, ss)
    except ValueError:  # includes second 60 (leap seconds are not accepted)
        return UNKNOWN
    fraction = (m.group(7) or "").lstrip(".").rstrip("0")
    return Timestamp(local, offset, fraction)


# --------------------------------------------------------------------------
# Reading the ticket
# --------------------------------------------------------------------------

_MISSING = object()

KINDS = ("repair", "installation", "training", "maintenance", "material_issue")
CAUSES = ("manufacturing", "assembly", "material", "outsourced_part", "customer")
QUALITY_CAUSES = ("manufacturing", "assembly", "material", "outsourced_part")


def get(ticket, group, field):
    """Raw value of ticket[group][field]; _MISSING if absent or null at any level."""
    obj = ticket.get(group)
    if not isinstance(obj, dict):
        return _MISSING
    v = obj.get(field, _MISSING)
    if v is None:
        return _MISSING
    return v


def as_int(raw):
    # JSON integer >= 0 only: no bool, no float (3.0 is invalid), no string.
    if raw is _MISSING or isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        return UNKNOWN
    return raw


def as_bool(raw, default=_MISSING):
    if raw is _MISSING:
        return UNKNOWN if default is _MISSING else default
    if isinstance(raw, bool):
        return raw
    return UNKNOWN


def as_enum(raw, options):
    if isinstance(raw, str) and raw in options:
        return raw
    return UNKNOWN


def as_optional_string(raw):
    """fault.repeat_of: a string, or null/missing (default null)."""
    if raw is _MISSING:
        return None
    if isinstance(raw, str):
        return raw
    return UNKNOWN


def read_inputs(ticket):
    fault_raw = ticket.get("fault")
    if fault_raw is None:
        fault_present = False
    elif isinstance(fault_raw, dict):
        fault_present = True
    else:
        fault_present = UNKNOWN  # a non-object fault: cannot tell (see README)
    return {
        "opened_at": parse_timestamp(ticket.get("opened_at", _MISSING)),
        "installed_on": parse_date(get(ticket, "unit", "installed_on")),
        "install_count": as_int(get(ticket, "unit", "install_count")),
        "units_held": as_int(get(ticket, "customer", "units_held")),
        "largest_single_purchase": as_int(get(ticket, "customer", "largest_single_purchase")),
        "maintenance_visits_used": as_int(get(ticket, "customer", "maintenance_visits_used")),
        "installs_received": as_int(get(ticket, "customer", "installs_received")),
        "kind": as_enum(get(ticket, "request", "kind"), KINDS),
        "onsite": as_bool(get(ticket, "request", "onsite")),
        "parts_replaced": as_bool(get(ticket, "request", "parts_replaced"), default=False),
        "fault_present": fault_present,
        "cause": as_enum(get(ticket, "fault", "cause"), CAUSES),
        "remote_resolvable": as_bool(get(ticket, "fault", "remote_resolvable")),
        "major": as_bool(get(ticket, "fault", "major"), default=False),
        "repeat_of": as_optional_string(get(ticket, "fault", "repeat_of")),
    }


# --------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------

PARAMS = {
    "domestic": {"warranty_months": 12, "onsite_window_months": 12, "response_hours": 24,
                 "first_install_needs_no_prior_customer_install": False},
    "export": {"warranty_months": 12, "onsite_window_months": 3, "response_hours": 24,
               "first_install_needs_no_prior_customer_install": True},
}
RESPONSE_HOURS_MATERIAL = 24


def response_due(opened_at, hours):
    if opened_at is UNKNOWN:
        return UNKNOWN
    return opened_at.plus_hours(hours)


def maintenance_tiers(units_held, largest):
    rows = [
        (GE(units_held, 20), 2),
        (OR(GE(units_held, 10), GE(largest, 5)), 1),
        (True, 0),
    ]
    for cond, value in rows:
        if cond is UNKNOWN:
            return UNKNOWN
        if cond is True:
            return value
    raise AssertionError("unreachable")


def evaluate_equipment(x, p):
    D = UNKNOWN if x["opened_at"] is UNKNOWN else x["opened_at"].date()
    I = x["installed_on"]
    kind = x["kind"]
    fp = x["fault_present"]
    cause = x["cause"]

    in_warranty = LT(D, add_months(I, p["warranty_months"]))
    warranty_last_day = minus_days(add_months(I, p["warranty_months"]), 1)
    quality_fault = AND(fp, IN(cause, QUALITY_CAUSES))
    onsite_window_open = LT(D, add_months(I, p["onsite_window_months"]))

    fif_conds = [EQ(kind, "installation"), EQ(x["install_count"], 0)]
    if p["first_install_needs_no_prior_customer_install"]:
        fif_conds.append(EQ(x["installs_received"], 0))
    first_install_free = AND(*fif_conds)

    visits = maintenance_tiers(x["units_held"], x["largest_single_purchase"])

    onsite_covered = AND(
        x["onsite"],
        OR(
            first_install_free,
            AND(EQ(kind, "repair"), quality_fault, in_warranty, onsite_window_open,
                NOT(x["remote_resolvable"])),
            AND(EQ(kind, "maintenance"), LT(x["maintenance_visits_used"], visits)),
        ),
    )
    visit_chargeable = AND(x["onsite"], NOT(onsite_covered))
    parts_chargeable = AND(x["parts_replaced"], NOT(AND(in_warranty, quality_fault)))
    fees = make_list([("parts", parts_chargeable), ("onsite", visit_chargeable)])
    fee_confirmation_required = AND(NOT(in_warranty), NONEMPTY(fees))
    outsourced = AND(fp, EQ(cause, "outsourced_part"))
    required_forms = make_list([
        ("quality_feedback", OR(x["parts_replaced"], x["onsite"])),
        ("service_receipt", x["onsite"]),
        ("satisfaction_survey", x["onsite"]),
        ("training_assessment", IN(kind, ("installation", "training"))),
    ])
    escalations = make_list([
        ("quality", OR(x["major"], outsourced)),
        ("purchasing", outsourced),
        ("rnd", quality_fault),
        ("sales", AND(NOT(in_warranty), NONEMPTY(fees))),
    ])
    repeat_repair = AND(fp, IS_NOT_NULL(x["repeat_of"]))
    alternatives = make_list([
        ("training_at_company", AND(visit_chargeable, IN(kind, ("installation", "training")))),
    ])

    return {
        "in_warranty": in_warranty,
        "warranty_last_day": warranty_last_day,
        "quality_fault": quality_fault,
        "onsite_window_open": onsite_window_open,
        "first_install_free": first_install_free,
        "maintenance_visits_per_year": visits,
        "onsite_covered": onsite_covered,
        "visit_chargeable": visit_chargeable,
        "parts_chargeable": parts_chargeable,
        "fees": fees,
        "fee_confirmation_required": fee_confirmation_required,
        "required_forms": required_forms,
        "escalations": escalations,
        "repeat_repair": repeat_repair,
        "alternatives": alternatives,
        "response_due": response_due(x["opened_at"], p["response_hours"]),
    }


def evaluate_material(x):
    kind = x["kind"]
    if kind is UNKNOWN:
        visit_chargeable = UNKNOWN
    elif kind in ("training", "material_issue"):
        visit_chargeable = False
    elif x["onsite"] is UNKNOWN:
        visit_chargeable = UNKNOWN
    elif x["onsite"] is False:
        visit_chargeable = False  # nobody goes on site: no visit to charge
    else:
        visit_chargeable = UNKNOWN  # an on-site repair/installation/maintenance: no rule of 5.2 covers it
    return {
        "response_due": response_due(x["opened_at"], RESPONSE_HOURS_MATERIAL),
        "visit_chargeable": visit_chargeable,
        "required_forms": make_list([
            ("service_receipt", x["onsite"]),
            ("satisfaction_survey", x["onsite"]),
        ]),
        "escalations": make_list([
            ("rnd", EQ(kind, "material_issue")),
            ("quality", EQ(kind, "material_issue")),
        ]),
    }


def to_json_value(v):
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Timestamp):
        return v.format()
    return v


def evaluate_line(line):
    """One input line (already known non-blank) -> output dict."""
    try:
        ticket = json.loads(line)
    except ValueError:
        return {"id": None, "error": True}
    if not isinstance(ticket, dict):
        return {"id": None, "error": True}
    tid = ticket.get("id")
    market = ticket.get("market")
    product = ticket.get("product")
    if product is None:
        product = "equipment"
    if market not in ("domestic", "export") or product not in ("equipment", "material"):
        return {"id": tid, "error": True}

    x = read_inputs(ticket)
    if product == "material":
        policy, decisions = "material", evaluate_material(x)
    else:
        policy, decisions = market, evaluate_equipment(x, PARAMS[market])

    answers = {k: to_json_value(v) for k, v in decisions.items() if v is not UNKNOWN}
    undetermined = sorted(k for k, v in decisions.items() if v is UNKNOWN)
    return {"id": tid, "policy": policy, "answers": answers, "undetermined": undetermined}


def run(stdin, stdout):
    data = stdin.buffer.read().decode("utf-8")
    if data.startswith("\ufeff"):
        data = data[1:]
    for raw in data.split("\n"):
        line = raw.rstrip("\r")
        if line.strip() == "":
            continue
        out = evaluate_line(line)
        stdout.write(json.dumps(out, sort_keys=True, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------
# Self-test
# --------------------------------------------------------------------------

def self_test():
    D = dt.date
    cases = [
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2023, 11, 30), 3, D(2024, 2, 29)),
        (D(2025, 8, 31), 3, D(2025, 11, 30)),
        (D(2025, 6, 1), 12, D(2026, 6, 1)),
        (D(2025, 10, 31), 3, D(2026, 1, 31)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
    ]
    for d, n, want in cases:
        got = add_months(d, n)
        assert got == want, (d, n, got, want)
    assert add_months(UNKNOWN, 3) is UNKNOWN

    T, F, U = True, False, UNKNOWN
    and_table = {(T, T): T, (T, F): F, (T, U): U, (F, T): F, (F, F): F, (F, U): F,
                 (U, T): U, (U, F): F, (U, U): U}
    or_table = {(T, T): T, (T, F): T, (T, U): T, (F, T): T, (F, F): F, (F, U): U,
                (U, T): T, (U, F): U, (U, U): U}
    for (a, b), want in and_table.items():
        assert AND(a, b) is want, ("and", a, b)
    for (a, b), want in or_table.items():
        assert OR(a, b) is want, ("or", a, b)
    assert NOT(U) is U and NOT(T) is F and NOT(F) is T
    assert LT(U, 1) is U and EQ("a", U) is U and IN(U, ("a",)) is U
    assert make_list([("a", T), ("b", F)]) == ["a"]
    assert make_list([("a", T), ("b", U)]) is U
    assert AND(F, NONEMPTY(U)) is F

    # half-open windows, as in the spec
    r = evaluate_line(json.dumps({"id": "x", "market": "domestic",
                                  "opened_at": "2026-05-31T12:00:00+08:00",
                                  "unit": {"installed_on": "2025-06-01"}}))
    assert r["answers"]["in_warranty"] is True
    assert r["answers"]["warranty_last_day"] == "2026-05-31"
    r = evaluate_line(json.dumps({"id": "x", "market": "domestic",
                                  "opened_at": "2026-06-01T01:00:00+08:00",
                                  "unit": {"installed_on": "2025-06-01"}}))
    assert r["answers"]["in_warranty"] is False
    assert r["answers"]["response_due"] == "2026-06-02T01:00:00+08:00"
    r = evaluate_line(json.dumps({"id": "x", "market": "export",
                                  "opened_at": "2026-02-27T23:00:00Z",
                                  "unit": {"installed_on": "2025-11-30"}}))
    assert r["answers"]["onsite_window_open"] is True
    r = evaluate_line(json.dumps({"id": "x", "market": "export",
                                  "opened_at": "2026-02-28T00:00:00Z",
                                  "unit": {"installed_on": "2025-11-30"}}))
    assert r["answers"]["onsite_window_open"] is False

    # input validation
    assert parse_date("2025-02-30") is UNKNOWN
    assert parse_timestamp("2026-03-14T09:30:00") is UNKNOWN
    assert as_int(3.0) is UNKNOWN and as_int(True) is UNKNOWN and as_int(-1) is UNKNOWN
    assert as_int("3") is UNKNOWN and as_int(0) == 0
    assert evaluate_line("[1]") == {"id": None, "error": True}
    assert evaluate_line('{"id": "m", "market": "mars"}') == {"id": "m", "error": True}
    print("self-test passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    elif sys.argv[1:]:
        sys.stderr.write(__doc__)
        sys.exit(2)
    else:
        run(sys.stdin, sys.stdout)
