#!/usr/bin/env python3
"""Deterministic generator of golden test tickets (no randomness).

    python3 Tests/Golden/make_cases.py             > Tests/Golden/spec-cases.jsonl
    python3 Tests/Golden/make_cases.py --examples  > examples/tickets.jsonl

Each ticket is a base ticket with a few fields overridden (deep merge; DEL
removes a field). Ids say what each case is about: "dom-..." domestic,
"exp-..." export, "mat-..." material, "err-..." lines that must be errors.
A few raw (non-ticket) lines are emitted verbatim for the error cases.
"""

import copy
import json
import sys

DEL = object()  # marker: remove this field


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if v is DEL:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def ordered(t):
    """Field order id, market, product, opened_at, unit, customer, request, fault, rest."""
    order = ["id", "market", "product", "opened_at", "unit", "customer", "request", "fault"]
    out = {k: t[k] for k in order if k in t}
    out.update({k: v for k, v in t.items() if k not in out})
    return out


# A repair of a manufacturing fault, in warranty and inside both on-site windows.
BASE = {
    "id": None,
    "market": "domestic",
    "product": "equipment",
    "opened_at": "2025-08-14T09:30:00+08:00",
    "unit": {"serial": "XT-5X-00123", "model": "XT-5X", "installed_on": "2025-06-01",
             "install_count": 1},
    "customer": {"id": "C-001", "units_held": 12, "largest_single_purchase": 3,
                 "maintenance_visits_used": 0, "installs_received": 1},
    "request": {"kind": "repair", "onsite": True, "parts_replaced": True},
    "fault": {"cause": "manufacturing", "remote_resolvable": False, "major": False,
              "repeat_of": None},
}

MAINT = {"request": {"kind": "maintenance", "onsite": True, "parts_replaced": False},
         "fault": DEL}
INSTALL = {"request": {"kind": "installation", "onsite": True, "parts_replaced": False},
           "fault": DEL}
TRAINING = {"request": {"kind": "training", "onsite": True, "parts_replaced": False},
            "fault": DEL}

MARKETS = [("dom", "domestic"), ("exp", "export")]


def at(date, time="10:00:00", offset="+08:00"):
    return f"{date}T{time}{offset}"


def spec_cases():
    cases = []  # list of dicts, or raw strings for error lines

    def add(tid, market, *overs):
        t = dict(BASE)
        t = merge(t, {"market": market})
        for o in overs:
            t = merge(t, o)
        t["id"] = tid
        cases.append(ordered(t))

    for p, m in MARKETS:
        # --- baseline and each decision true/false -------------------------
        add(f"{p}-baseline-quality-repair-in-warranty", m)
        add(f"{p}-repair-customer-cause-in-warranty", m, {"fault": {"cause": "customer"}})
        add(f"{p}-repair-customer-cause-out-of-warranty", m,
            {"opened_at": at("2026-08-14"), "fault": {"cause": "customer"}})
        add(f"{p}-repair-quality-out-of-warranty", m, {"opened_at": at("2026-08-14")})
        add(f"{p}-repair-quality-out-of-warranty-no-parts", m,
            {"opened_at": at("2026-08-14"), "request": {"parts_replaced": False}})
        add(f"{p}-repair-quality-out-of-warranty-remote-no-parts", m,
            {"opened_at": at("2026-08-14"),
             "request": {"onsite": False, "parts_replaced": False}})
        add(f"{p}-repair-remote-resolvable", m, {"fault": {"remote_resolvable": True}})
        add(f"{p}-repair-onsite-false", m, {"request": {"onsite": False}})
        add(f"{p}-repair-onsite-false-no-parts", m,
            {"request": {"onsite": False, "parts_replaced": False}})
        add(f"{p}-repair-parts-false", m, {"request": {"parts_replaced": False}})
        add(f"{p}-repair-parts-missing-defaults-false", m,
            {"request": {"parts_replaced": DEL}})
        add(f"{p}-repair-parts-null-defaults-false", m,
            {"request": {"parts_replaced": None}})
        add(f"{p}-repair-no-fault", m, {"fault": DEL})
        add(f"{p}-repair-fault-null", m, {"fault": None})
        add(f"{p}-repair-no-fault-out-of-warranty", m,
            {"opened_at": at("2026-08-14"), "fault": DEL})
        # in warranty but after the export 3-month window (domestic still inside)
        add(f"{p}-repair-quality-month-5", m, {"opened_at": at("2025-11-03")})
        add(f"{p}-repair-quality-month-5-no-parts", m,
            {"opened_at": at("2025-11-03"), "request": {"parts_replaced": False}})

        # --- every fault cause, major, repeat_of -----------------------------
        for cause in ["manufacturing", "assembly", "material", "outsourced_part", "customer"]:
            add(f"{p}-cause-{cause.replace('_', '-')}", m, {"fault": {"cause": cause}})
        add(f"{p}-cause-outsourced-part-out-of-warranty", m,
            {"opened_at": at("2026-08-14"), "fault": {"cause": "outsourced_part"}})
        add(f"{p}-major-customer-cause", m, {"fault": {"cause": "customer", "major": True}})
        add(f"{p}-major-manufacturing", m, {"fault": {"major": True}})
        add(f"{p}-major-outsourced-part", m,
            {"fault": {"cause": "outsourced_part", "major": True}})
        add(f"{p}-major-missing-defaults-false", m, {"fault": {"major": DEL}})
        add(f"{p}-repeat-of-earlier-ticket", m, {"fault": {"repeat_of": "T-2025-0042"}})
        add(f"{p}-repeat-of-missing-defaults-null", m, {"fault": {"repeat_of": DEL}})
        add(f"{p}-repeat-of-empty-string", m, {"fault": {"repeat_of": ""}})
        add(f"{p}-fault-only-cause", m,
            {"fault": {"remote_resolvable": DEL, "major": DEL, "repeat_of": DEL}})

        # --- warranty boundary: installed 2025-06-01 -> last day 2026-05-31 ----
        add(f"{p}-warranty-install-day", m, {"opened_at": at("2025-06-01")})
        add(f"{p}-warranty-day-before-last", m, {"opened_at": at("2026-05-30")})
        add(f"{p}-warranty-last-day", m, {"opened_at": at("2026-05-31")})
        add(f"{p}-warranty-first-day-after", m, {"opened_at": at("2026-06-01")})
        add(f"{p}-warranty-last-day-customer-cause", m,
            {"opened_at": at("2026-05-31"), "fault": {"cause": "customer"}})
        add(f"{p}-warranty-first-day-after-customer-cause", m,
            {"opened_at": at("2026-06-01"), "fault": {"cause": "customer"}})

        # --- 3-month window boundary: installed 2025-06-01 -> ends 2025-09-01 --
        add(f"{p}-window-3m-day-before-last", m, {"opened_at": at("2025-08-30")})
        add(f"{p}-window-3m-last-day", m, {"opened_at": at("2025-08-31")})
        add(f"{p}-window-3m-first-day-after", m, {"opened_at": at("2025-09-01")})
        # --- 12-month window boundary (same dates as the warranty) ------------
        add(f"{p}-window-12m-last-day-no-parts", m,
            {"opened_at": at("2026-05-31"), "request": {"parts_replaced": False}})
        add(f"{p}-window-12m-first-day-after-no-parts", m,
            {"opened_at": at("2026-06-01"), "request": {"parts_replaced": False}})

        # --- month-end installs ----------------------------------------------
        month_ends = [
            # (label, installed_on, 12m last day, 12m first after, 3m last day, 3m first after)
            ("jan31", "2025-01-31", "2026-01-30", "2026-01-31", "2025-04-29", "2025-04-30"),
            ("feb29", "2024-02-29", "2025-02-27", "2025-02-28", "2024-05-28", "2024-05-29"),
            ("nov30", "2025-11-30", "2026-11-29", "2026-11-30", "2026-02-27", "2026-02-28"),
            ("nov30-leap", "2023-11-30", "2024-11-29", "2024-11-30", "2024-02-28", "2024-02-29"),
            ("aug31", "2025-08-31", "2026-08-30", "2026-08-31", "2025-11-29", "2025-11-30"),
        ]
        for label, inst, w_last, w_after, n_last, n_after in month_ends:
            u = {"unit": {"installed_on": inst}}
            add(f"{p}-install-{label}-warranty-last-day", m, u, {"opened_at": at(w_last)})
            add(f"{p}-install-{label}-warranty-first-day-after", m, u, {"opened_at": at(w_after)})
            add(f"{p}-install-{label}-window-3m-last-day", m, u, {"opened_at": at(n_last)})
            add(f"{p}-install-{label}-window-3m-first-day-after", m, u,
                {"opened_at": at(n_after)})

        # --- offsets: local date differs from UTC date -----------------------
        add(f"{p}-offset-plus8-early-local-first-day-after", m,
            {"opened_at": "2026-06-01T01:00:00+08:00"})
        add(f"{p}-offset-plus8-late-local-last-day", m,
            {"opened_at": "2026-05-31T23:59:59+08:00"})
        add(f"{p}-offset-minus5-late-evening-last-day", m,
            {"opened_at": "2026-05-31T22:30:00-05:00"})
        add(f"{p}-offset-minus5-first-day-after", m,
            {"opened_at": "2026-06-01T00:00:00-05:00"})
        add(f"{p}-offset-z-last-day", m, {"opened_at": "2026-05-31T23:59:59Z"})
        add(f"{p}-offset-z-first-day-after", m, {"opened_at": "2026-06-01T00:00:00Z"})
        add(f"{p}-offset-plus0545-window-3m-first-day-after", m,
            {"opened_at": "2025-09-01T00:10:00+05:45"})
        add(f"{p}-offset-minus0930-window-3m-last-day", m,
            {"opened_at": "2025-08-31T21:00:00-09:30"})
        add(f"{p}-offset-plus0000-kept", m, {"opened_at": "2025-08-14T09:30:00+00:00"})
        add(f"{p}-response-due-crosses-year", m, {"opened_at": "2025-12-31T10:15:30-05:00"})
        add(f"{p}-response-due-into-leap-day", m,
            {"unit": {"installed_on": "2027-06-01"}, "opened_at": "2028-02-28T18:00:00Z"})
        add(f"{p}-response-due-fraction-seconds-kept", m,
            {"opened_at": "2025-08-14T09:30:00.750+08:00"})

        # --- maintenance tiers ------------------------------------------------
        tiers = [("held9", 9, 0), ("held10", 10, 0), ("held19", 19, 0), ("held20", 20, 0),
                 ("bought4", 3, 4), ("bought5", 3, 5)]
        for label, held, bought in tiers:
            for used in (0, 1, 2):
                add(f"{p}-maint-{label}-used{used}", m, MAINT,
                    {"customer": {"units_held": held, "largest_single_purchase": bought,
                                  "maintenance_visits_used": used}})
        add(f"{p}-maint-held20-bought5-used1", m, MAINT,
            {"customer": {"units_held": 20, "largest_single_purchase": 5,
                          "maintenance_visits_used": 1}})
        add(f"{p}-maint-held0-bought0", m, MAINT,
            {"customer": {"units_held": 0, "largest_single_purchase": 0}})
        add(f"{p}-maint-onsite-false", m, MAINT, {"request": {"onsite": False}})
        add(f"{p}-maint-out-of-warranty-entitled", m, MAINT,
            {"opened_at": at("2026-08-14"), "customer": {"units_held": 20}})
        add(f"{p}-maint-out-of-warranty-not-entitled", m, MAINT,
            {"opened_at": at("2026-08-14"), "customer": {"units_held": 2}})

        # --- installations ----------------------------------------------------
        for ic in (0, 1):
            for ir in (0, 1):
                add(f"{p}-install-count{ic}-received{ir}", m, INSTALL,
                    {"unit": {"install_count": ic}, "customer": {"installs_received": ir}})
        add(f"{p}-install-first-onsite-false", m, INSTALL,
            {"request": {"onsite": False}, "unit": {"install_count": 0},
             "customer": {"installs_received": 0}})
        add(f"{p}-install-second-out-of-warranty", m, INSTALL,
            {"opened_at": at("2026-08-14"), "unit": {"install_count": 2}})
        add(f"{p}-install-first-with-parts", m, INSTALL,
            {"request": {"parts_replaced": True}, "unit": {"install_count": 0},
             "customer": {"installs_received": 0}})

        # --- training ---------------------------------------------------------
        add(f"{p}-training-onsite", m, TRAINING)
        add(f"{p}-training-not-onsite", m, TRAINING, {"request": {"onsite": False}})
        add(f"{p}-training-onsite-out-of-warranty", m, TRAINING, {"opened_at": at("2026-08-14")})
        add(f"{p}-training-onsite-new-unit-not-install", m, TRAINING,
            {"unit": {"install_count": 0}, "customer": {"installs_received": 0}})

        # --- other kinds --------------------------------------------------------
        add(f"{p}-kind-material-issue-equipment", m,
            {"request": {"kind": "material_issue"}})

        # --- missing inputs, where it matters and where it does not ----------
        # installed_on
        add(f"{p}-missing-installed-on-matters", m, {"unit": {"installed_on": DEL}})
        add(f"{p}-missing-installed-on-not-matters", m, TRAINING,
            {"unit": {"installed_on": DEL}})
        # opened_at
        add(f"{p}-missing-opened-at-matters", m, {"opened_at": DEL})
        add(f"{p}-missing-opened-at-not-matters", m, MAINT, {"opened_at": DEL})
        # install_count
        add(f"{p}-missing-install-count-matters", m, INSTALL,
            {"unit": {"install_count": DEL}, "customer": {"installs_received": 0}})
        add(f"{p}-missing-install-count-not-matters", m, {"unit": {"install_count": DEL}})
        # units_held
        add(f"{p}-missing-units-held-matters", m, MAINT, {"customer": {"units_held": DEL}})
        add(f"{p}-missing-units-held-not-matters", m, {"customer": {"units_held": DEL}})
        add(f"{p}-missing-units-held-bought5", m, MAINT,
            {"customer": {"units_held": DEL, "largest_single_purchase": 5}})
        # largest_single_purchase
        add(f"{p}-missing-largest-purchase-matters", m, MAINT,
            {"customer": {"units_held": 3, "largest_single_purchase": DEL}})
        add(f"{p}-missing-largest-purchase-not-matters", m, MAINT,
            {"customer": {"units_held": 25, "largest_single_purchase": DEL}})
        add(f"{p}-missing-largest-purchase-held10", m, MAINT,
            {"customer": {"units_held": 10, "largest_single_purchase": DEL}})
        # maintenance_visits_used
        add(f"{p}-missing-visits-used-matters", m, MAINT,
            {"customer": {"maintenance_visits_used": DEL}})
        add(f"{p}-missing-visits-used-not-matters", m,
            {"customer": {"maintenance_visits_used": DEL}})
        add(f"{p}-missing-visits-used-no-entitlement", m, MAINT,
            {"customer": {"units_held": 1, "maintenance_visits_used": DEL}})
        # installs_received
        add(f"{p}-missing-installs-received-first-install", m, INSTALL,
            {"unit": {"install_count": 0}, "customer": {"installs_received": DEL}})
        add(f"{p}-missing-installs-received-second-install", m, INSTALL,
            {"unit": {"install_count": 1}, "customer": {"installs_received": DEL}})
        # kind
        add(f"{p}-missing-kind-matters", m, {"request": {"kind": DEL}})
        add(f"{p}-missing-kind-not-matters", m,
            {"request": {"kind": DEL, "onsite": False, "parts_replaced": False}})
        # onsite
        add(f"{p}-missing-onsite-matters", m,
            {"opened_at": at("2026-08-14"), "request": {"onsite": DEL}})
        add(f"{p}-missing-onsite-not-matters", m, {"request": {"onsite": DEL}})
        # cause
        add(f"{p}-missing-cause-matters", m, {"fault": {"cause": DEL}})
        add(f"{p}-missing-cause-not-matters", m, MAINT,
            {"fault": {"remote_resolvable": False}})
        # remote_resolvable
        add(f"{p}-missing-remote-resolvable-matters", m, {"fault": {"remote_resolvable": DEL}})
        add(f"{p}-missing-remote-resolvable-customer-cause", m,
            {"fault": {"cause": "customer", "remote_resolvable": DEL}})
        add(f"{p}-missing-remote-resolvable-out-of-window", m,
            {"opened_at": at("2026-08-14"), "fault": {"remote_resolvable": DEL}})
        # whole objects
        add(f"{p}-missing-unit-object", m, {"unit": DEL})
        add(f"{p}-missing-customer-object", m, {"customer": DEL})
        add(f"{p}-missing-request-object", m, {"request": DEL})
        add(f"{p}-missing-product-defaults-equipment", m, {"product": DEL})
        add(f"{p}-null-product-defaults-equipment", m, {"product": None})
        add(f"{p}-null-installed-on", m, {"unit": {"installed_on": None}})

        # --- invalid values -----------------------------------------------------
        add(f"{p}-invalid-install-count-negative", m, INSTALL,
            {"unit": {"install_count": -1}, "customer": {"installs_received": 0}})
        add(f"{p}-invalid-units-held-string", m, MAINT, {"customer": {"units_held": "12"}})
        add(f"{p}-invalid-units-held-fraction", m, MAINT, {"customer": {"units_held": 3.5}})
        add(f"{p}-invalid-units-held-float-integral", m, MAINT,
            {"customer": {"units_held": 12.0}})
        add(f"{p}-invalid-units-held-bool", m, MAINT, {"customer": {"units_held": True}})
        add(f"{p}-invalid-visits-used-negative", m, MAINT,
            {"customer": {"maintenance_visits_used": -2}})
        add(f"{p}-invalid-kind-unknown-enum", m, {"request": {"kind": "upgrade"}})
        add(f"{p}-invalid-kind-wrong-case", m, {"request": {"kind": "Repair"}})
        add(f"{p}-invalid-cause-unknown-enum", m, {"fault": {"cause": "wear"}})
        add(f"{p}-invalid-installed-on-feb30", m, {"unit": {"installed_on": "2025-02-30"}})
        add(f"{p}-invalid-installed-on-feb29-non-leap", m,
            {"unit": {"installed_on": "2025-02-29"}})
        add(f"{p}-invalid-installed-on-timestamp", m,
            {"unit": {"installed_on": "2025-06-01T00:00:00Z"}})
        add(f"{p}-invalid-opened-at-no-offset", m, {"opened_at": "2025-08-14T09:30:00"})
        add(f"{p}-invalid-opened-at-date-only", m, {"opened_at": "2025-08-14"})
        add(f"{p}-invalid-opened-at-hour-25", m, {"opened_at": "2025-08-14T25:00:00+08:00"})
        add(f"{p}-invalid-onsite-string", m, {"request": {"onsite": "yes"}})
        add(f"{p}-invalid-parts-replaced-number", m, {"request": {"parts_replaced": 1}})
        add(f"{p}-invalid-parts-replaced-number-out-of-warranty", m,
            {"opened_at": at("2026-08-14"), "request": {"parts_replaced": 1}})
        add(f"{p}-invalid-remote-resolvable-number", m, {"fault": {"remote_resolvable": 0}})
        add(f"{p}-invalid-major-string", m, {"fault": {"major": "true"}})
        add(f"{p}-invalid-major-string-customer-cause", m,
            {"fault": {"major": "true", "cause": "customer"}})
        add(f"{p}-invalid-repeat-of-number", m, {"fault": {"repeat_of": 42}})
        add(f"{p}-extra-fields-ignored", m,
            {"agent": "ACME", "unit": {"firmware": "1.2.3"}, "request": {"note": "noise"}})

    # --- material tickets ------------------------------------------------------
    MAT = {"product": "material", "unit": DEL, "fault": DEL,
           "customer": {"id": "C-900"}}
    for p, m in MARKETS:
        for kind in ["training", "material_issue", "repair", "installation", "maintenance"]:
            for onsite in (True, False):
                add(f"mat-{p}-{kind.replace('_', '-')}-onsite-{str(onsite).lower()}", m, MAT,
                    {"request": {"kind": kind, "onsite": onsite, "parts_replaced": False}})
    add("mat-dom-missing-kind", "domestic", MAT, {"request": {"kind": DEL, "onsite": True}})
    add("mat-exp-invalid-kind", "export", MAT, {"request": {"kind": "refund", "onsite": False}})
    add("mat-dom-missing-onsite", "domestic", MAT,
        {"request": {"kind": "material_issue", "onsite": DEL}})
    add("mat-dom-missing-opened-at", "domestic", MAT, {"opened_at": DEL,
        "request": {"kind": "training", "onsite": True}})
    add("mat-exp-offset-minus5-response-due", "export", MAT,
        {"opened_at": "2026-02-28T23:30:00-05:00",
         "request": {"kind": "material_issue", "onsite": False}})
    add("mat-dom-equipment-fields-ignored", "domestic", {"product": "material"},
        {"request": {"kind": "material_issue", "onsite": True, "parts_replaced": True}})
    add("mat-dom-missing-request-object", "domestic", MAT, {"request": DEL})

    # --- lines that are errors ---------------------------------------------------
    add("err-unknown-market", "mars")
    add("err-market-wrong-case", "Domestic")
    add("err-market-null", None)
    add("err-missing-market", "domestic", {"market": DEL})
    add("err-unknown-product", "domestic", {"product": "software"})
    add("err-product-number", "export", {"product": 3})
    add("err-unknown-market-material", "mars", {"product": "material"})
    cases.append('["not", "an", "object"]')
    cases.append('"just a string"')
    cases.append('{"id": "err-truncated-json", "market": "domestic"')
    return cases


def examples():
    """Hand-picked, one per case a new user would want to see."""
    E = []

    def ex(tid, market, *overs):
        t = merge(BASE, {"market": market})
        for o in overs:
            t = merge(t, o)
        t["id"] = tid
        # examples stay short: drop descriptive-only fields
        t["unit"].pop("serial", None) if isinstance(t.get("unit"), dict) else None
        t["unit"].pop("model", None) if isinstance(t.get("unit"), dict) else None
        if isinstance(t.get("customer"), dict):
            t["customer"].pop("id", None)
        # show the defaults at work: major defaults to false, repeat_of to null
        if isinstance(t.get("fault"), dict):
            if t["fault"].get("major") is False:
                del t["fault"]["major"]
            if "repeat_of" in t["fault"] and t["fault"]["repeat_of"] is None:
                del t["fault"]["repeat_of"]
        E.append(ordered(t))

    ex("dom-repair-quality-in-warranty-covered", "domestic")
    ex("exp-repair-quality-after-3m-window-visit-charged", "export",
       {"opened_at": "2025-11-03T10:00:00+01:00"})
    ex("dom-repair-quality-after-3m-still-covered", "domestic",
       {"opened_at": "2025-11-03T10:00:00+08:00"})
    ex("dom-repair-customer-cause-in-warranty", "domestic", {"fault": {"cause": "customer"}})
    ex("dom-repair-out-of-warranty-fees-confirmed", "domestic",
       {"opened_at": "2026-08-14T10:00:00+08:00"})
    ex("dom-warranty-last-day", "domestic", {"opened_at": "2026-05-31T17:00:00+08:00"})
    ex("dom-warranty-first-day-after", "domestic", {"opened_at": "2026-06-01T09:00:00+08:00"})
    ex("dom-offset-local-date-counts", "domestic", {"opened_at": "2026-06-01T01:00:00+08:00"})
    ex("exp-offset-minus5-late-evening-last-day", "export",
       {"opened_at": "2026-05-31T22:30:00-05:00"})
    ex("exp-install-nov30-window-3m-last-day", "export",
       {"unit": {"installed_on": "2025-11-30"}, "opened_at": "2026-02-27T10:00:00Z"})
    ex("exp-install-nov30-window-3m-first-day-after", "export",
       {"unit": {"installed_on": "2025-11-30"}, "opened_at": "2026-02-28T10:00:00Z"})
    ex("dom-install-feb29-warranty-first-day-after", "domestic",
       {"unit": {"installed_on": "2024-02-29"}, "opened_at": "2025-02-28T10:00:00+08:00"})
    ex("exp-repair-remote-resolvable", "export", {"opened_at": "2025-07-02T10:00:00Z",
       "fault": {"remote_resolvable": True}, "request": {"parts_replaced": False}})
    ex("exp-outsourced-part-major", "export", {"opened_at": "2025-07-02T10:00:00Z",
       "fault": {"cause": "outsourced_part", "major": True}})
    ex("dom-repeat-repair", "domestic", {"fault": {"repeat_of": "T-2025-0042"}})
    ex("dom-first-installation-free", "domestic", INSTALL,
       {"unit": {"install_count": 0}, "customer": {"installs_received": 3}})
    ex("exp-first-installation-for-agent-free", "export", INSTALL,
       {"opened_at": "2025-06-01T10:00:00Z",
        "unit": {"install_count": 0}, "customer": {"installs_received": 0}})
    ex("exp-agent-second-installation-charged", "export", INSTALL,
       {"opened_at": "2025-06-01T10:00:00Z",
        "unit": {"install_count": 0}, "customer": {"installs_received": 1}})
    ex("dom-training-onsite-charged", "domestic", TRAINING)
    ex("dom-maintenance-10-units-first-visit-free", "domestic", MAINT,
       {"customer": {"units_held": 10, "largest_single_purchase": 2,
                     "maintenance_visits_used": 0}})
    ex("dom-maintenance-10-units-second-visit-charged", "domestic", MAINT,
       {"customer": {"units_held": 10, "largest_single_purchase": 2,
                     "maintenance_visits_used": 1}})
    ex("exp-maintenance-5-in-one-order", "export", MAINT,
       {"opened_at": "2025-07-02T10:00:00Z",
        "customer": {"units_held": 6, "largest_single_purchase": 5,
                     "maintenance_visits_used": 0}})
    ex("exp-maintenance-20-units-two-visits", "export", MAINT,
       {"opened_at": "2025-07-02T10:00:00Z",
        "customer": {"units_held": 20, "largest_single_purchase": 1,
                     "maintenance_visits_used": 1}})
    ex("dom-remote-only-no-forms", "domestic",
       {"request": {"onsite": False, "parts_replaced": False},
        "fault": {"remote_resolvable": True}})
    ex("dom-no-fault-onsite-repair", "domestic", {"fault": None,
       "request": {"parts_replaced": False}})
    ex("dom-missing-remote-resolvable", "domestic",
       {"fault": {"remote_resolvable": None}})
    ex("exp-missing-installed-on", "export",
       {"opened_at": "2025-07-02T10:00:00Z", "unit": {"installed_on": DEL}})
    ex("dom-invalid-installed-on-feb30", "domestic",
       {"unit": {"installed_on": "2025-02-30"}})
    MAT = {"product": "material", "unit": DEL, "fault": DEL, "customer": DEL}
    ex("mat-material-issue-onsite", "domestic", MAT,
       {"request": {"kind": "material_issue", "onsite": True, "parts_replaced": False}})
    ex("mat-training-remote", "export", MAT,
       {"opened_at": "2025-07-02T10:00:00Z",
        "request": {"kind": "training", "onsite": False, "parts_replaced": False}})
    ex("mat-repair-kind-undetermined", "domestic", MAT,
       {"request": {"kind": "repair", "onsite": True, "parts_replaced": False}})
    ex("err-unknown-market", "mars")
    return E


def main():
    cases = examples() if sys.argv[1:] == ["--examples"] else spec_cases()
    ids = [c["id"] for c in cases if isinstance(c, dict)]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, dupes
    for c in cases:
        if isinstance(c, str):
            sys.stdout.write(c + "\n")
        else:
            sys.stdout.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
