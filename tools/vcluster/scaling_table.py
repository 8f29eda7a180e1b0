#!/usr/bin/env python3
"""tools/vcluster/scaling_table.py OUT COUNTS FILESYSTEMS RUNS: the scaling
series' table (tools/vcluster/scaling.sh): per node count the median time to
first import of each filesystem over the runs, its ratio to common, the
metadata server's operations per rank, and the exponent c of each
filesystem's fit T(N) = a + b N^c as the report's page states it."""
import html
import json
import re
import statistics
import sys
from pathlib import Path


def load(out, fs, n, runs):
    return [json.loads((out / "json" / f"{fs}-{n}-{k}.json").read_text()) for k in range(1, runs + 1)]


def per_rank_ops(results):
    ops = [r["server_ops"]["per_rank_import"] for r in results if "total" in r.get("server_ops", {})]
    return statistics.median(ops) if ops else None


def exponents(page):
    """{filesystem: (c, sigma)} from the page's scaling panels, in order:
    each panel's title, then its fit's note."""
    text = html.unescape(page)
    found = {}
    for m in re.finditer(r"scaling of [^/<]+ / ([^/<]+) / [^<]+<.*?c = (\S+) ± (\S+?);", text, flags=re.S):
        found[m.group(1).strip()] = (m.group(2), m.group(3))
    return found


def main(out, counts, filesystems, runs):
    out, runs = Path(out), int(runs)
    counts, filesystems = [int(n) for n in counts.split()], filesystems.split()
    head = ["nodes"] + [f"{fs} (s)" for fs in filesystems]
    head += [f"{fs}/common" for fs in filesystems if fs != "common" and "common" in filesystems]
    head += [f"{fs} ops/rank" for fs in filesystems]
    rows = []
    for n in counts:
        med = {fs: statistics.median(r["time_to_first_import_s"] for r in load(out, fs, n, runs)) for fs in filesystems}
        ops = {fs: per_rank_ops(load(out, fs, n, runs)) for fs in filesystems}
        row = [str(n)] + [f"{med[fs]:.3f}" for fs in filesystems]
        row += [f"{med[fs] / med['common']:.2f}" for fs in filesystems if fs != "common" and "common" in filesystems]
        row += ["-" if ops[fs] is None else f"{ops[fs]:.0f}" for fs in filesystems]
        rows.append(row)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    print(f"time to first import, medians of {runs} runs, 1 rank a node; ops/rank: the MooseFS master's")
    for row in [head] + rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    page = out / "report.html"
    fits = exponents(page.read_text()) if page.exists() else {}
    for fs in filesystems:
        c = fits.get(fs)
        print(f"fit T(N) = a + b N^c, {fs}: " + (f"c = {c[0]} ± {c[1]}" if c else "no fit on the page"))
    missing = [fs for fs in filesystems if fs not in fits]
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: scaling_table.py OUT COUNTS FILESYSTEMS RUNS")
    sys.exit(main(*sys.argv[1:]))
