"""The virtual cluster's scripts end to end, each bringing its own cluster
up and down: `make cluster-demo` (tools/vcluster/demo.sh) on MooseFS,
`make cluster-scaling` (tools/vcluster/scaling.sh) on a short series, and
the sshfs cluster that `--shared sshfs` keeps. After each, nothing of a
cluster is left on the machine (helpers/vcluster.py leftovers())."""
import json
import os
import re
import subprocess

from helpers.harness import ROOT
from helpers.vcluster import VCluster, leftovers

DEMO = ROOT / "tools/vcluster/demo.sh"
SCALING = ROOT / "tools/vcluster/scaling.sh"


def script(path, env, timeout):
    proc = subprocess.run([str(path)], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def test_cluster_demo_runs_every_filesystem_with_server_ops_then_leaves_nothing(tmp_path):
    assert leftovers() == []
    filesystems = subprocess.run([str(DEMO), "--filesystems"], capture_output=True, text=True, cwd=ROOT,
                                 timeout=60).stdout.split()
    assert filesystems == ["common", "scratch", "tmpfs", "bcast", "image"], filesystems
    proc = script(DEMO, {"NODES": "4", "PER_NODE": "2", "DEMO_OUT": str(tmp_path)}, 1200)
    assert "vcluster: 4 nodes up" in proc.stdout and "(moosefs)" in proc.stdout, proc.stdout
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("filesystem "))
    assert "server_ops" in lines[head].split(), lines[head]
    rows = [line.split() for line in lines[head + 1:head + 1 + len(filesystems)]]
    assert [row[0] for row in rows] == filesystems, lines[head:]
    for fs in filesystems:
        r = json.loads((tmp_path / f"{fs}.json").read_text())
        assert (r["nodes"], r["ranks"], r["status"]) == (4, 8, "ok"), (fs, r["status"])
        assert r["server_ops"]["scope"] == "node" and r["server_ops"]["nodes"] == 4, (fs, r["server_ops"])
        assert re.search(rf"^{fs} .* {r['server_ops']['total']} \(", "\n".join(lines), flags=re.M), fs
    assert leftovers() == []


def test_cluster_scaling_short_series_fits_every_filesystem_then_leaves_nothing(tmp_path):
    """1, 2 and 4 nodes, one run each (the full series, 1 to 16 nodes x 3
    runs, is `make cluster-scaling`): every run recorded in the series'
    own PostgreSQL, the page with a fitted curve per filesystem."""
    out = tmp_path / "scaling"
    script(SCALING, {"SCALING_NODES": "1 2 4", "SCALING_RUNS": "1", "SCALING_OUT": str(out)}, 1200)
    assert len(list((out / "json").glob("*-[124]-1.json"))) == 9, sorted(os.listdir(out / "json"))
    page = (out / "report.html").read_text()
    for fs in ("common", "bcast", "image"):
        assert re.search(rf"scaling of vcluster / {fs} / numpy", page), fs
    table = (out / "scaling.txt").read_text()
    fits = re.findall(r"^fit T\(N\) = a \+ b N\^c, (\w+): c = ", table, flags=re.M)
    assert fits == ["common", "bcast", "image"], table
    assert [line.split()[0] for line in table.splitlines()[2:5]] == ["1", "2", "4"], table
    # Every run reached the database: the report's first table has each
    # filesystem at each node count, one ok run.
    report = next(block for block in (out / "report.txt").read_text().split("\n\n")
                  if block.startswith("Runs per setup"))
    setups = re.findall(r"^vcluster +(\w+) +(\d+) +numpy +1 +1 +0 +0 +0 ", report, flags=re.M)
    assert sorted(setups) == sorted((fs, n) for fs in ("common", "bcast", "image") for n in ("1", "2", "4")), report
    assert leftovers() == []


def test_sshfs_cluster_still_runs_the_harness(tmp_path):
    assert leftovers() == []
    vc = VCluster(tmp_path, nodes=2, per_node=2, up_args=("--shared", "sshfs"))
    try:
        vc.up()
        assert vc.env["VCLUSTER_SHARED_KIND"] == "sshfs"
        for node in ("node1", "node2"):
            mountinfo = open(f"/proc/{vc.state['holders'][node]}/mountinfo").read().splitlines()
            types = [line.split(" - ")[1].split()[0] for line in mountinfo if line.split()[4] == "/shared"]
            assert types == ["fuse.sshfs"], (node, types)
        subprocess.run(["cp", "-a", str((ROOT / "build/venv").resolve()), str(vc.export / "venv")], check=True,
                       timeout=300)
        _, r = vc.srun("common", "--no-startup", json_out=tmp_path / "common.json")
        assert (r["nodes"], r["ranks"], r["ok"], r["status"]) == (2, 4, 4, "ok"), r
    finally:
        vc.down()
    assert leftovers() == []
