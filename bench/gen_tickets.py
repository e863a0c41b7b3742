#!/usr/bin/env python3
"""Deterministic ticket generator for benchmarks: N varied tickets as JSON Lines.

Usage: python3 bench/gen_tickets.py N > tickets.jsonl
The mix covers both markets, materials, every request kind, faults and a few
missing fields, so the benchmark exercises the same paths real traffic does.
"""
import json
import random
import sys

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rng = random.Random(20261129)
    kinds = ["repair", "installation", "training", "maintenance"]
    causes = ["manufacturing", "assembly", "material", "outsourced_part", "customer"]
    out = sys.stdout
    for i in range(n):
        market = rng.choice(["domestic", "export"])
        product = "material" if rng.random() < 0.1 else "equipment"
        y, m, d = rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)
        oy, om, od = 2026, rng.randint(1, 12), rng.randint(1, 28)
        t = {
            "id": f"B-{i:07d}",
            "market": market,
            "product": product,
            "opened_at": f"{oy}-{om:02d}-{od:02d}T{rng.randint(0,23):02d}:30:00+08:00",
            "unit": {"serial": f"XT-{i}", "model": "XT-5X", "installed_on": f"{y}-{m:02d}-{d:02d}",
                     "install_count": rng.randint(0, 2)},
            "customer": {"id": f"C-{i % 997}", "units_held": rng.randint(0, 30),
                         "largest_single_purchase": rng.randint(0, 8),
                         "maintenance_visits_used": rng.randint(0, 2), "installs_received": rng.randint(0, 2)},
            "request": {"kind": "material_issue" if product == "material" and rng.random() < 0.5 else rng.choice(kinds),
                        "onsite": rng.random() < 0.7, "parts_replaced": rng.random() < 0.4},
        }
        if rng.random() < 0.8:
            t["fault"] = {"cause": rng.choice(causes), "remote_resolvable": rng.random() < 0.3,
                          "major": rng.random() < 0.05, "repeat_of": None}
        if rng.random() < 0.03:
            del t["unit"]["installed_on"]
        out.write(json.dumps(t, separators=(",", ":")) + "\n")

if __name__ == "__main__":
    main()
