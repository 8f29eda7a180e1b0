#!/usr/bin/env python3
"""bench/first_copy_compare.py DIR NODES RUNS: the first-copy bench's
verdicts (bench/first_copy_bench.sh) from the files its runs left in DIR:
the harness's JSON per method, node count and run (METHOD-N-K.json), and
for python-mpi-bcast (pmb) its own timing (`bcast -t`, pmb-N-K.out: "Time :
S in total", MPI_Init excluded as the harness's staging excludes it) plus
the harness's JSON of the import from pmb's copy (pmb-import-N-K.json).
Medians over the K runs; one line per ratio with its target and PASS or
FAIL; exit 1 when a target fails. Without pmb's files the pmb ratios are
skipped and said so."""
import json
import re
import statistics
import sys
from pathlib import Path

# (label, numerator, denominator, max ratio or None for a reported one)
TARGETS = [
    ("cold: image broadcast vs pmb", "imagebc-cold", "pmb-cold", 0.3),
    ("cold: image broadcast vs image from the shared mount", "imagebc-cold", "image-cold", 1.0),
    ("cold: bcast first copy vs pmb", "bcast-cold", "pmb-cold", 1.0),
    ("cold: image from the shared mount vs pmb", "image-cold", "pmb-cold", None),
    ("warm: bcast vs pmb", "bcast-warm", "pmb-warm", 0.45),
    ("warm: image broadcast vs pmb", "imagebc-warm", "pmb-warm", None),
]


def pmb_total(path):
    """pmb's own staging time: its `Time : S in total` line."""
    m = re.search(r"^Time : (\S+) in total", Path(path).read_text(), flags=re.M)
    if not m:
        raise ValueError(f"{path}: no 'Time : S in total' line (run pmb's bcast with -t)")
    return float(m.group(1))


def first_import(out, method, n, k):
    """Time to first import of one run: the harness's own figure, or for
    pmb its staging plus the import from its copy timed by the harness."""
    if method.startswith("pmb-"):
        base = f"pmb-{method[4:]}-{n}-{k}"
        imp = json.loads((out / f"pmb-import-{method[4:]}-{n}-{k}.json").read_text())
        return pmb_total(out / f"{base}.out") + imp["elapsed_s"]
    return json.loads((out / f"{method}-{n}-{k}.json").read_text())["time_to_first_import_s"]


def shared_read(out, method, n, k):
    st = json.loads((out / f"{method}-{n}-{k}.json").read_text()).get("staging") or {}
    return st.get("shared_bytes_read")


def have(out, method, n, runs):
    stem = f"pmb-{method[4:]}" if method.startswith("pmb-") else method
    return all((out / f"{stem}-{n}-{k}.{'out' if method.startswith('pmb-') else 'json'}").exists()
               for k in range(1, runs + 1))


def main(out, nodes, runs):
    out, runs, failed = Path(out), int(runs), 0
    for n in [int(x) for x in nodes.split()]:
        med = {}
        print(f"  {n} nodes x 1 rank, medians of {runs}, time to first import (staging + import):")
        for label, num, den, target in TARGETS:
            if not (have(out, num, n, runs) and have(out, den, n, runs)):
                print(f"    {label:56s} skipped: no runs of {num if not have(out, num, n, runs) else den}")
                continue
            for m in (num, den):
                med.setdefault(m, statistics.median(first_import(out, m, n, k) for k in range(1, runs + 1)))
            ratio = med[num] / med[den]
            verdict = "reported" if target is None else (
                f"target <= {target:.2f}  " + ("PASS" if ratio <= target else "FAIL"))
            failed += target is not None and ratio > target
            print(f"    {label:56s} {med[num]:7.3f} s / {med[den]:7.3f} s = {ratio:6.3f}x  ({verdict})")
        read = [shared_read(out, "imagebc-cold", n, k) for k in range(1, runs + 1) if have(out, "imagebc-cold", n, 1)]
        if read and None not in read:
            print(f"    {'cold: image broadcast, bytes read from the shared mount':56s} "
                  f"{statistics.median(read):12.0f} B")
    reads = {}
    for n in [int(x) for x in nodes.split()]:
        if have(out, "imagebc-cold", n, runs):
            reads[n] = statistics.median(shared_read(out, "imagebc-cold", n, k) or 0 for k in range(1, runs + 1))
    if len(reads) >= 2:
        lo, hi = min(reads), max(reads)
        grows = reads[hi] > 1.05 * reads[lo]
        failed += grows
        print(f"  image broadcast, bytes read from the shared mount per job: {reads[lo]:.0f} at {lo} nodes, "
              f"{reads[hi]:.0f} at {hi} (target: no growth)  {'FAIL' if grows else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: first_copy_compare.py DIR NODES RUNS")
    sys.exit(main(*sys.argv[1:]))
