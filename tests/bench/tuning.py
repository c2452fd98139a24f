#!/usr/bin/env python3
"""tuning.py: a coopmat tuning table (plug-in/engine/gpu/tuning.h) from a
bench-ops sweep (its --json rows "coopmat/0", "coopmat/1", ...: each bench
in each block shape).

For every bench a tuning rule covers (its "op": gemm or conv), the block
that ran it fastest; the rules switch blocks halfway (geometrically)
between neighbouring benches' output counts, and benches with equal counts
take the block with the least total time relative to each one's best.
The table names the device and driver the sweep ran on (bench-ops
writes both), which is what a committed table is matched by.
Usage: tuning.py OPS_JSON > table.json"""
import json
import math
import re
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    report = json.load(open(sys.argv[1]))
    rows = report["rows"]
    times = {}                                  # (op, outputs, bench) -> {block: ms}
    for r in rows:
        m = re.fullmatch(r"coopmat/(\d+)", r.get("kernels", ""))
        if m and "op" in r:
            key = (r["op"], int(r["outputs"]), r["name"])
            times.setdefault(key, {})[int(m.group(1))] = r["ms"]
    rules = []
    for op in ("gemm", "conv"):
        by_outputs = {}
        for (o, outputs, name), t in times.items():
            if o == op:
                by_outputs.setdefault(outputs, []).append(t)
        previous, chosen = None, None
        for outputs in sorted(by_outputs):
            benches = by_outputs[outputs]
            blocks = set.intersection(*(set(t) for t in benches))
            best = min(blocks, key=lambda b: sum(t[b] / min(t.values()) for t in benches))
            if best != chosen:
                start = 0 if previous is None else int(math.sqrt(previous * outputs))
                rules.append({"op": op, "outputs": start, "block": best})
                chosen = best
            previous = outputs
    table = {"device": report["device"], "driver": report["driver"],
             "comment": "measured by tests/bench/tuning.py from bench-ops",
             "coopmat": rules}
    json.dump(table, sys.stdout, indent=2)
    print()


main()
