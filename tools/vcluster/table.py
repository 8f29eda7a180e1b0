#!/usr/bin/env python3
"""tools/vcluster/table.py RESULT.json...: one comparison table of harness
results (make cluster-demo, bench/vcluster_bench.sh): per filesystem the
elapsed time, the per-rank median and max, the slowest host, the time to
first import, the metadata server's operations during the import phase
(server_ops: total, and per rank and import) and the staging."""
import json
import sys


def staging(r):
    st = r.get("staging")
    if not st:
        return "-"
    if st.get("kind") == "bcast":
        return (f"bcast {st['seconds']:.2f} s to {st['leaders']} nodes, {st['copied']} copied, "
                f"{st['delta_updated']} deltas")
    if st.get("kind") == "image":
        im = st["image"]
        return (f"image {'built' if im['built'] else 'checked'}, {st['leaders']} mounts "
                f"({im['mount_with']}), {st['seconds']:.2f} s")
    return (f"{st['seconds']:.2f} s, {st.get('leaders', 1)} cop{'y' if st.get('leaders', 1) == 1 else 'ies'}, "
            f"{st['copied']} copied, {st['up_to_date']} up to date")


def server_ops(r):
    so = r.get("server_ops")
    if not so:
        return "-"
    if "error" in so:
        return "probe failed"
    return f"{so['total']} ({so['per_rank_import']:.0f}/rank)"


def main(paths):
    head = ("filesystem", "kind", "ranks", "nodes", "elapsed", "median", "max", "slowest", "1st import", "server_ops", "staging")
    rows = []
    for path in paths:
        r = json.load(open(path))
        pr = r["per_rank"]
        slow = r["slowest"]
        rows.append((r["filesystem"], r["fs_kind"], str(r["ranks"]), str(r["nodes"]), f"{r['elapsed_s']:.3f}",
                     f"{pr['median']:.3f}", f"{pr['max']:.3f}", f"{slow['host']} ({slow['rank']})",
                     f"{r['time_to_first_import_s']:.3f}", server_ops(r), staging(r)))
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    for row in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print("seconds; elapsed: first barrier to last; median, max: per rank; 1st import: staging + elapsed;\n"
          "server_ops: the shared filesystem's metadata server's operations during the import phase")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: table.py RESULT.json...")
    main(sys.argv[1:])
