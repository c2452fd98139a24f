#!/usr/bin/env python3
"""Which tests the sanitizer suite can leave out without losing a line.

The sanitizer suite (packaging/sanitize.sh) only finds a memory error, a
leak or undefined behaviour in C code of ours that some test runs; the GPU
work lavapipe does for a test is not instrumented.  This script runs every
test of a coverage build (meson setup BUILD -Db_coverage=true) alone,
records which lines of plug-in/ and ui/ it executes, and then, from the
test that costs most under the sanitizers down, marks a test as covered
when every line it executes is executed by the tests still kept.  Only
tests that cost at least MIN_COST seconds there are candidates (a cheap
test stays: it may reach the same lines with other data), and never the
fault walks, which exist to run the error paths under the sanitizers.

  tests/sanitizer-coverage.py BUILD [SANITIZER-TESTLOG.json] [--reuse]

SANITIZER-TESTLOG.json is a sanitizer build's meson-logs/testlog.json, for
each test's cost there (without it: the coverage build's own times).  The
lines of each test are kept in BUILD/meson-logs/lines-by-test.json;
--reuse reads them from there instead of running the tests again.
Prints each covered test with its cost; those belong in the `host-covered`
suite (tests/meson.build).  Cancelling tests reach other lines from run to
run, so every test runs RUNS times: a candidate's lines are all those it
ran in any run, a kept test's only those it ran in every run.
"""
import glob
import json
import os
import subprocess
import sys
import time

MIN_COST = 10.0
RUNS = 2


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def lines_of(build, source_root):
    """Executed (file, line) pairs of our sources, from every .gcda."""
    covered = set()
    gcdas = glob.glob(os.path.join(build, "**", "*.gcda"), recursive=True)
    by_dir = {}
    for g in gcdas:
        by_dir.setdefault(os.path.dirname(g), []).append(g)
    for d, files in by_dir.items():
        out = run(["gcov", "--json-format", "--stdout"] + files, cwd=d).stdout
        for doc in out.splitlines():
            doc = doc.strip()
            if not doc:
                continue
            doc = json.loads(doc)
            for f in doc["files"]:
                path = os.path.normpath(os.path.join(doc["current_working_directory"], f["file"]))
                rel = os.path.relpath(path, source_root)
                if not (rel.startswith("plug-in/") or rel.startswith("ui/")):
                    continue
                for ln in f["lines"]:
                    if ln["count"] > 0:
                        covered.add((rel, ln["line_number"]))
    return covered


def main():
    args = [a for a in sys.argv[1:] if a != "--reuse"]
    build = os.path.abspath(args[0])
    source_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    saved = os.path.join(build, "meson-logs", "lines-by-test.json")
    costs = {}
    if len(args) > 1:
        for line in open(args[1]):
            r = json.loads(line)
            costs[r["name"]] = r["duration"]
    if "--reuse" in sys.argv:
        data = json.load(open(saved))
        per_test = {n: set(map(tuple, v)) for n, v in data["lines"].items()}
        reliable = {n: set(map(tuple, v)) for n, v in data["reliable"].items()}
        for n, t in data["times"].items():
            costs.setdefault(n, t)
        names = list(per_test)
    else:
        names = [n for n in run(["meson", "test", "-C", build, "--list"]).stdout.splitlines()
                 if n.startswith("semantic-edit:")]
        per_test, reliable, times = {}, {}, {}
        for name in names:
            short = name.split(" / ", 1)[1]
            runs = []
            for _ in range(RUNS):
                for g in glob.glob(os.path.join(build, "**", "*.gcda"), recursive=True):
                    os.remove(g)
                start = time.monotonic()
                r = subprocess.run(["meson", "test", "-C", build, "--no-rebuild", "--num-processes", "1", short],
                                   text=True, capture_output=True)
                times[name] = time.monotonic() - start
                if r.returncode != 0:
                    print(f"{name}: failed in the coverage build", file=sys.stderr)
                runs.append(lines_of(build, source_root))
            per_test[name] = set().union(*runs)
            reliable[name] = set.intersection(*runs)
            costs.setdefault(name, times[name])
            print(f"{times[name]:7.1f} s {len(per_test[name]):6d} lines ({len(per_test[name]) - len(reliable[name])} "
                  f"not in every run)  {name}", file=sys.stderr, flush=True)
        with open(saved, "w") as f:
            json.dump({"times": times, "lines": {n: sorted(v) for n, v in per_test.items()},
                       "reliable": {n: sorted(v) for n, v in reliable.items()}}, f)

    kept = set(names)
    covered = []
    candidates = [n for n in names if costs.get(n, 0) >= MIN_COST and "fault injection" not in n]
    for name in sorted(candidates, key=lambda n: -costs.get(n, 0)):
        others = set()
        for other in kept - {name}:
            others |= reliable[other]
        if per_test[name] and per_test[name] <= others:
            kept.discard(name)
            covered.append(name)
    every = set().union(*per_test.values())
    left_out = set().union(*(per_test[n] for n in covered))
    assert left_out <= set().union(*(reliable[n] for n in kept))
    print(f"{len(every)} lines of plug-in/ and ui/ run by the tests; the {len(covered)} left out run "
          f"{len(left_out)}, every one of them run by the {len(kept)} kept in every run")
    total = 0.0
    for name in covered:
        total += costs.get(name, 0)
        print(f"covered {costs.get(name, 0):7.1f} s  {name}")
    print(f"left out: {len(covered)} tests, {total:.0f} s of sanitizer time")


if __name__ == "__main__":
    main()
