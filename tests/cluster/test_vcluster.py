"""The benchmark on a virtual cluster of 4 nodes on this machine
(tools/vcluster/vcluster: namespaces on a bridge, a real Slurm with one
slurmd per node, Open MPI over TCP between the nodes, /shared on MooseFS:
a master, two chunk servers, mfsmount on every node): a cron-submitted 4-node job, bcast to 4 real
nodes, a staged node-local path staged on every node, the slowest host,
metadata operations and import times on the shared mount against local
disk, and a node whose slurmd dies mid-job. One cluster for the module;
root only (namespaces, a bridge, /etc/hosts): tests/conftest.py marks every
test here cluster and root."""
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from helpers.harness import HARNESS, RELEASE_HARNESS, ROOT, harness
from helpers.jobtools import gen_jobs
from helpers.stager import expected, snapshot
from helpers.vcluster import VC_CFG, VCLUSTER, VCluster

NODES = 4
PER_NODE = 2          # ranks per node of the direct srun runs: 8 ranks on 2 cores
BCAST_PATH = "/dev/shm/mpi4py-import/bcast"
TMPFS_PATH = "/dev/shm/mpi4py-import/staged-mpi4py-import"
DELTA_FILE = "share/vcluster-test.txt"   # a file of the source venv the bcast test changes


@pytest.fixture(scope="module")
def vc(tmp_path_factory):
    assert RELEASE_HARNESS.exists() and HARNESS.exists(), "build first: make all asan"
    cluster = VCluster(tmp_path_factory.mktemp("vc"), NODES, PER_NODE)
    try:
        cluster.up()
        # The venv on the shared server (conf/vcluster.cfg's /shared/venv),
        # with a file of the test's own for the bcast deltas.
        shutil.copytree((ROOT / "build/venv").resolve(), cluster.export / "venv", symlinks=True)
        (cluster.export / "venv" / DELTA_FILE).parent.mkdir(parents=True, exist_ok=True)
        (cluster.export / "venv" / DELTA_FILE).write_text("vcluster test\n" * 4000)
        yield cluster
    finally:
        cluster.down()


def test_fifty_launches_in_a_row_none_crashes(vc, tmp_path):
    """Every multi-node launch starts: with the ring fence of Slurm's PMIx
    plugin (mpi.conf PMIxCollFence=ring, as `vcluster up` writes it), no
    rank dies inside MPI_Init; with the default tree fence about 1 launch
    in 13 did (README, "The launch: a crash inside MPI_Init")."""
    assert "PMIxCollFence=ring" in (vc.dir / "slurm/mpi.conf").read_text()
    # Every srun of the cluster's users has a time limit.
    assert vc.env["SLURM_TIMELIMIT"] == "10"
    crashed = []
    for i in range(50):
        proc = vc.run("srun", "--kill-on-bad-exit=1", "-N", NODES, "--ntasks-per-node", PER_NODE, RELEASE_HARNESS,
                      "--config", VC_CFG, "--machine", "vcluster", "--filesystem", "common", "--quiet",
                      "--no-startup", "--skip-checks", "--child", "/bin/true", timeout=120)
        if proc.returncode != 0:
            crashed.append(f"launch {i}: exit {proc.returncode}: {proc.stderr[-1500:]}")
    assert crashed == [], "\n".join(crashed)


def test_cluster_nodes_namespaces_and_shared_mount(vc):
    assert vc.node_states() == [x for k in range(1, NODES + 1) for x in (f"node{k}", "idle")]
    proc = vc.run("srun", "-N", NODES, "--ntasks-per-node", 1, "sh", "-c",
                  "echo $(hostname) $(ip -4 -o addr show eth0 | awk '{print $4}') "
                  "$(ip route | wc -l) $(stat -f -c %T /dev/shm) $(stat -f -c %T /shared)")
    assert proc.returncode == 0, proc.stderr
    # Each node: its name, its address, one route (the bridge's subnet), a
    # tmpfs of its own and the FUSE (MooseFS) mount.
    assert sorted(proc.stdout.splitlines()) == [f"node{k} 198.18.0.{10 + k}/24 1 tmpfs fuseblk"
                                                for k in range(1, NODES + 1)], proc.stdout + proc.stderr
    # /dev/shm is each node's own.
    (vc.node_root("node1") / "dev/shm/vc-mark").write_text("1")
    assert not (vc.node_root("node2") / "dev/shm/vc-mark").exists()
    (vc.node_root("node1") / "dev/shm/vc-mark").unlink()
    # /shared is one MooseFS: mounted from the master on the bridge on
    # every node, its two chunk servers connected, what one node writes the
    # others read, and each client's counters in its hidden .stats.
    port = vc.state["mfs_port"]
    for k in range(1, NODES + 1):
        assert mount_sources(vc, f"node{k}", "/shared") == {"/shared": f"mfs#198.18.0.1:{port}"}, k
    servers = vc.run("mfscli", "-H", "198.18.0.1", "-P", port, "-SCS", "-p", "-s", "|", timeout=30).stdout
    assert len([line for line in servers.splitlines() if line.startswith("chunk servers")]) == 2, servers
    (vc.node_root("node1") / "shared/vc-mark").write_text("from node1")
    assert (vc.node_root("node4") / "shared/vc-mark").read_text() == "from node1"
    assert (vc.export / "vc-mark").read_text() == "from node1"
    (vc.export / "vc-mark").unlink()
    stats = (vc.node_root("node2") / "shared/.stats").read_text()
    assert re.search(r"^fuse_ops\.lookup\.master: \d+$", stats, flags=re.M), stats[:500]
    assert re.search(r"^master\.packets_sent: \d+$", stats, flags=re.M), stats[:500]


def vc_config(tmp, conninfo="", log_dir=None):
    """conf/vcluster.cfg with this test's database, spool and log directory
    and absolute paths; every substitution must match."""
    text = VC_CFG.read_text()
    for old, new in (('conninfo = "";', f'conninfo = "{conninfo}";'),
                     ('"../build/spool"', f'"{tmp}/spool"'),
                     ('"../build/vcluster-logs"', f'"{log_dir or tmp / "logs"}"'),
                     ('"../build/harness"', f'"{RELEASE_HARNESS}"')):
        assert old in text, f"conf/vcluster.cfg no longer holds {old}"
        text = text.replace(old, new)
    path = Path(tmp) / "vcluster.cfg"
    path.write_text(text)
    return path


def results(pg, db):
    return pg.psql("SELECT status, ranks, nodes, job_id, coalesce(failed_step, ''), coalesce(failed_message, ''), "
                   "slowest_host FROM results ORDER BY id", db)


def test_cron_submitted_four_node_job_completes_with_an_ok_row(vc, pg, tmp_path):
    db = f"vc{os.getpid()}a"
    cfg = vc_config(tmp_path, pg.createdb(db))
    proc = harness("--db-init", "--config", cfg)
    assert proc.returncode == 0, proc.stderr
    jobs = tmp_path / "jobs"
    proc = gen_jobs(cfg, jobs, "--machine", "vcluster", "--size", "large")
    assert proc.returncode == 0, proc.stderr
    name = f"vcluster-mpi4py-import-{NODES}-common"
    for script in jobs.iterdir():
        if script.name != f"{name}.sh":
            script.unlink()
    # The PostgreSQL listens on a unix socket under /tmp: the nodes share
    # the root filesystem (only their mount namespaces differ), so the
    # socket is reachable from every node.
    proc = vc.run(VCLUSTER, "exec", "--dir", vc.dir, "node3", "psql", "-X", "-At", "-h", pg.socket_dir, "-p",
                  pg.port, "-U", "postgres", "-d", db, "-c", "SELECT 1")
    assert proc.stdout.strip() == "1", proc.stderr
    submit = vc.run(ROOT / "jobs/cron-submit.sh", "--size", "large", "--jobs", jobs, timeout=60)
    assert submit.returncode == 0, submit.stdout + submit.stderr
    job_id = re.search(rf"submitted {name} as job (\d+)", submit.stdout).group(1)
    fields = vc.wait_job(job_id)
    log_path = tmp_path / "logs" / f"slurm-{name}-{job_id}.out"
    log = log_path.read_text() if log_path.exists() else "(no log)"
    assert fields["JobState"] == "COMPLETED" and fields["ExitCode"] == "0:0", log + vc.log("slurmctld")
    rows = results(pg, db)
    assert len(rows) == 1, (rows, log)
    status, ranks, nodes, row_job, step, message, slowest = rows[0]
    assert (status, ranks, nodes, row_job, step) == ("ok", str(NODES * 4), str(NODES), job_id, ""), log
    assert re.fullmatch(r"node[1-4]", slowest), rows


def node_copy_matches(vc, node, path, source):
    """NODE's copy at PATH holds SOURCE but bytecode; the files naming the
    venv's place (top and bin/ only) name PATH."""
    copy = vc.node_root(node) / path.lstrip("/")
    want, have = expected(source), snapshot(copy)
    # Rank 0 read the source from MooseFS, whose times are whole seconds.
    for snap in (want, have):
        for k, (kind, mode, mtime, what) in list(snap.items()):
            snap[k] = (kind, mode, None if k.endswith("__pycache__") else mtime // 10**9, what)
    assert have.keys() - {".mpi4py-import-stage.node"} == want.keys(), node
    for k in want:
        assert have[k][:3] == want[k][:3], (node, k)
        if have[k][3] != want[k][3]:
            assert "/" not in k or (k.startswith("bin/") and k.count("/") == 1), (node, k)
            assert path in (copy / k).read_text(), (node, k)
    return copy


def test_bcast_to_four_real_nodes_then_only_deltas(vc, tmp_path):
    source = vc.export / "venv"
    _, r = vc.srun("bcast", "--no-startup", json_out=tmp_path / "first.json")
    st = r["staging"]
    assert r["nodes"] == NODES and r["ranks"] == NODES * PER_NODE and r["ok"] == NODES * PER_NODE
    assert st["leaders"] == NODES and st["entries"] == len(expected(source))
    for k in range(1, NODES + 1):
        node_copy_matches(vc, f"node{k}", BCAST_PATH, source)
    # The copies are node-local: the root namespace has none.
    assert not Path(BCAST_PATH).exists() or not (Path(BCAST_PATH) / DELTA_FILE).exists()
    assert re.fullmatch(r"node[1-4]", r["slowest"]["host"])

    # One file changed at the source: the rerun sends it as a delta alone.
    with open(source / DELTA_FILE, "a") as f:
        f.write("one more line\n")
    _, r2 = vc.srun("bcast", "--no-startup", json_out=tmp_path / "second.json")
    st2 = r2["staging"]
    assert st2["leaders"] == NODES and st2["copied"] == 0 and st2["delta_updated"] == 1, st2
    assert st2["up_to_date"] == st2["entries"] - 1 and st2["matched_bytes"] > 0
    assert st2["bytes_sent"] < st["bytes_sent"] / 10, (st, st2)
    for k in range(1, NODES + 1):
        copy = node_copy_matches(vc, f"node{k}", BCAST_PATH, source)
        assert (copy / DELTA_FILE).read_text().endswith("one more line\n")


def test_node_local_staged_path_is_staged_on_every_node(vc, tmp_path):
    _, r = vc.srun("tmpfs", "--no-startup", json_out=tmp_path / "tmpfs.json")
    assert r["ok"] == NODES * PER_NODE and r["nodes"] == NODES
    assert r["staging"]["leaders"] == NODES, r["staging"]
    for k in range(1, NODES + 1):
        node_copy_matches(vc, f"node{k}", TMPFS_PATH, vc.export / "venv")
    # On the shared mount one copy serves every node: only rank 0 stages.
    _, r = vc.srun("scratch", "--no-startup", json_out=tmp_path / "scratch.json")
    assert r["ok"] == NODES * PER_NODE and r["staging"]["leaders"] == 1, r["staging"]


def mount_sources(vc, node, mount):
    """What NODE has mounted at MOUNT or below, as {point: source}."""
    info = (Path(f"/proc/{vc.state['holders'][node]}/mountinfo")).read_text().splitlines()
    return {line.split()[4]: line.split(" - ")[1].split()[1].replace("\\043", "#")
            for line in info if line.split()[4].startswith(mount)}


def mount_types(vc, node, mount):
    """What NODE has mounted at MOUNT or below, as {point: type}."""
    info = (Path(f"/proc/{vc.state['holders'][node]}/mountinfo")).read_text().splitlines()
    return {line.split()[4]: line.split(" - ")[1].split()[0] for line in info if line.split()[4].startswith(mount)}


def test_image_on_four_nodes_by_squashfuse_then_by_loop(vc, tmp_path):
    """The image on the shared server, mounted by each node's leader with
    squashfuse, then with the kernel's loop mount: every rank imports from
    its node's mount, which is gone from every node at the end."""
    text = VC_CFG.read_text()
    old = 'mount = "/dev/shm/mpi4py-import/image-mnt";'
    assert old in text and 'mount_with = "loop";' in text, "conf/vcluster.cfg's image line changed"
    seen = tmp_path / "seen"
    seen.mkdir()
    stmt = (f"import numpy, shutil, socket; shutil.copy('/proc/self/mountinfo', '{seen}/' + socket.gethostname()); "
            "print(numpy.__file__)")
    for how, fstype in (("squashfuse", "fuse.squashfuse"), ("loop", "squashfs")):
        cfg = tmp_path / f"{how}.cfg"
        cfg.write_text(text.replace(old, f'mount = "/dev/shm/mpi4py-import/{how}-mnt";')
                       .replace('mount_with = "loop";', f'mount_with = "{how}";'))
        _, r = vc.srun("image", "--no-startup", "--import", stmt, config=cfg, json_out=tmp_path / f"{how}.json")
        st = r["staging"]
        assert r["ok"] == NODES * PER_NODE and st["leaders"] == NODES and st["image"]["mount_with"] == how, st
        assert how == "squashfuse" or not st["image"]["built"], st
        for k in range(1, NODES + 1):
            mountinfo = (seen / f"node{k}").read_text().splitlines()
            types = {line.split()[4]: line.split(" - ")[1].split()[0] for line in mountinfo}
            assert types.get(f"/dev/shm/mpi4py-import/{how}-mnt") == fstype, (how, k, types)
            assert mount_types(vc, f"node{k}", "/dev/shm/mpi4py-import/") == {}, (how, k)


MPICH_HARNESS = ROOT / "build/mpich/asan/harness"


@pytest.mark.parametrize("fs", ["common", "bcast", "image"])
def test_mpich_build_across_the_nodes_by_srun_pmi2(vc, tmp_path, fs):
    """The second MPI across real (namespace) nodes: the harness built
    against Debian's MPICH, launched by srun through Slurm's PMI2 (MPICH
    speaks no PMIx here); each kind on every node, every rank ok."""
    assert MPICH_HARNESS.exists(), "make MPI=mpich asan"
    _, r = vc.srun(fs, "--no-startup", harness_bin=MPICH_HARNESS, mpi="pmi2", json_out=tmp_path / f"{fs}.json")
    assert (r["nodes"], r["ranks"], r["ok"], r["status"]) == (NODES, NODES * PER_NODE, NODES * PER_NODE, "ok"), r
    assert re.fullmatch(r"node[1-4]", r["slowest"]["host"])
    if fs != "common":
        assert r["staging"]["leaders"] == NODES, r["staging"]


def test_slowest_host_is_the_slow_node(vc, tmp_path):
    # node3 made slow: its ranks' import takes a second longer.
    stmt = "import socket, time, numpy; socket.gethostname() == 'node3' and time.sleep(1.0)"
    _, r = vc.srun("bcast", "--no-startup", "--import", stmt, "--skip-checks", json_out=tmp_path / "slow.json")
    assert r["slowest"]["host"] == "node3" and r["slowest"]["seconds"] >= 1.0, r["slowest"]
    assert r["per_rank"]["max"] >= 1.0 and r["ok"] == NODES * PER_NODE


def test_metadata_ops_equal_on_shared_and_local_and_shared_is_slower(vc, tmp_path):
    # Rank 0's set-up checks count one import's metadata calls with strace.
    _, shared = vc.srun("common", "--no-startup", json_out=tmp_path / "common.json")
    _, local = vc.srun("tmpfs", "--no-startup", json_out=tmp_path / "tmpfs.json")
    assert shared["metadata_ops"] and local["metadata_ops"], (shared.get("metadata_ops_unavailable"),)
    assert shared["metadata_ops"]["total"] == local["metadata_ops"]["total"], (shared["metadata_ops"],
                                                                               local["metadata_ops"])
    assert shared["metadata_ops"]["enoent"] == local["metadata_ops"]["enoent"]
    # Lookups the client does not cache are round trips to the master:
    # slower per rank (1.5-2x with MooseFS's default caches here).
    assert shared["per_rank"]["median"] > 1.2 * local["per_rank"]["median"], (shared["per_rank"],
                                                                              local["per_rank"])


def test_node_whose_slurmd_dies_mid_job_fails_the_job_then_down_up(vc, pg, tmp_path):
    db = f"vc{os.getpid()}b"
    cfg = vc_config(tmp_path, pg.createdb(db))
    text = cfg.read_text().replace('import = "import numpy";',
                                   'import = "import os, time, numpy; \'PMIX_RANK\' in os.environ and time.sleep(120)";')
    cfg.write_text(text)
    assert harness("--db-init", "--config", cfg).returncode == 0
    jobs = tmp_path / "jobs"
    assert gen_jobs(cfg, jobs, "--machine", "vcluster", "--size", "large").returncode == 0
    name = f"vcluster-mpi4py-import-{NODES}-common"
    proc = vc.run("sbatch", "--parsable", jobs / f"{name}.sh", timeout=60)
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip().split(";")[0]
    log_path = tmp_path / "logs" / f"slurm-{name}-{job_id}.out"
    vc.wait("the job's run step", lambda: log_path.exists() and "job: step run" in log_path.read_text(), 300)
    time.sleep(3)   # srun has started the ranks
    slurmd = int((vc.dir / "slurm" / "slurmd-node3.pid").read_text())
    os.kill(slurmd, 9)
    fields = vc.wait_job(job_id, timeout=180)
    log = log_path.read_text()
    assert fields["JobState"] in ("NODE_FAIL", "FAILED", "CANCELLED"), (fields, log)
    rows = results(pg, db)
    assert len(rows) == 1 and rows[0][0] == "failed" and rows[0][4] == "run", (rows, log)
    assert "node3" in vc.run("sinfo", "--noheader", "--states=down", "--format=%N").stdout
    # down + up: the cluster is whole again.
    vc.down()
    vc.up()
    assert vc.node_states() == [x for k in range(1, NODES + 1) for x in (f"node{k}", "idle")]
    proc = vc.run("srun", "-N", NODES, "hostname")
    assert sorted(proc.stdout.split()) == [f"node{k}" for k in range(1, NODES + 1)], proc.stderr


def test_server_ops_grow_with_the_ranks_on_common_and_stay_near_zero_for_bcast_and_image(vc, tmp_path):
    """The master's operations of the import phase, summed over every
    node's /shared/.stats (conf/vcluster.cfg's probe): each rank importing
    from the shared mount adds its lookups, whereas ranks importing from
    their node's copy or image add next to nothing (at most 5% of
    common's, the bench's target)."""
    totals = {}
    for n in (1, 2, 4):
        _, r = vc.srun("common", "--no-startup", "--skip-checks", nodes=n, per_node=1,
                       json_out=tmp_path / f"common-{n}.json")
        so = r["server_ops"]
        assert (so["scope"], so["nodes"]) == ("node", n), so
        assert so["counters"]["fuse_ops.lookup.master"] > 0, so
        totals[n] = so["total"]
    assert 0 < totals[1] < totals[2] < totals[4], totals
    assert totals[4] >= 3 * totals[1], totals
    for fs in ("bcast", "image"):
        # The first run brings the copies and the image up to date; the
        # second is what a cron job on the same nodes sees.
        vc.srun(fs, "--no-startup", "--skip-checks", nodes=4, per_node=1, json_out=tmp_path / f"{fs}-0.json")
        _, r = vc.srun(fs, "--no-startup", "--skip-checks", nodes=4, per_node=1, json_out=tmp_path / f"{fs}.json")
        so = r["server_ops"]
        assert so["nodes"] == 4 and so["total"] <= 0.05 * totals[4], (fs, so, totals)
