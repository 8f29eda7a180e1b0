"""The virtual cluster of tools/vcluster/vcluster for the tests under
tests/cluster/: VCluster drives one (up, down, srun, Slurm's view, a
node's files) and leftovers() lists what a cluster left on the machine."""
import json
import os
import re
import subprocess
import time
from pathlib import Path

from helpers.harness import HARNESS, ROOT, sanitizer_clean

VCLUSTER = ROOT / "tools/vcluster/vcluster"
VC_CFG = ROOT / "conf/vcluster.cfg"
DAEMONS = ("mfsmaster", "mfschunkserver", "mfsmount", "slurmd", "slurmctld", "munged", "sshfs")


class VCluster:
    """The cluster of the module: up() and down() with the script, srun
    and the Slurm clients with its environment, a node's files through
    its holder process (/proc/PID/root sees the node's mounts)."""

    def __init__(self, base, nodes=4, per_node=2, up_args=()):
        self.dir = Path(base) / "cluster"
        self.env = {}
        self.nodes, self.per_node, self.up_args = nodes, per_node, tuple(up_args)

    def script(self, *args, timeout=120):
        proc = subprocess.run([str(VCLUSTER), *map(str, args)], capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    def up(self):
        self.script("up", "--nodes", self.nodes, *self.up_args, "--dir", self.dir)
        out = self.script("env", "--dir", self.dir).stdout
        self.env = dict(re.findall(r"^export (\w+)='(.*)'$", out, flags=re.M))
        self.state = json.loads((self.dir / "vcluster.json").read_text())

    def down(self):
        self.script("down", "--dir", self.dir)

    @property
    def export(self):
        return self.dir / "export"

    def node_root(self, node):
        return Path(f"/proc/{self.state['holders'][node]}/root")

    def run(self, *cmd, timeout=300, env=None):
        return subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **self.env, **(env or {})})

    def srun(self, fs, *extra, nodes=None, per_node=None, harness_bin=HARNESS, config=VC_CFG, json_out,
             expect=0, timeout=600, mpi=None):
        """The harness on NODES x PER_NODE ranks (the cluster's unless
        given); returns (proc, result). Run once: a crash fails the test
        (a rank that dies takes the others down with it,
        --kill-on-bad-exit, instead of leaving them in MPI_Init)."""
        nodes, per_node = nodes or self.nodes, per_node or self.per_node
        cmd = ("srun", "--kill-on-bad-exit=1", *([f"--mpi={mpi}"] if mpi else []), "-N", nodes,
               "--ntasks-per-node", per_node, harness_bin,
               "--config", config, "--machine", "vcluster", "--filesystem", fs, "--quiet", "--json", json_out, *extra)
        proc = self.run(*cmd, timeout=timeout)
        sanitizer_clean(proc)
        # "failed": any non-zero status (srun's own, once it killed the
        # other tasks, is not always the first failing rank's).
        ok = proc.returncode != 0 if expect == "failed" else proc.returncode == expect
        assert ok, proc.stdout + proc.stderr + self.log("slurmctld")
        return proc, json.loads(Path(json_out).read_text()) if expect == 0 else None

    def log(self, name):
        path = self.dir / "slurm" / f"{name}.log"
        return "\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]) if path.exists() else ""

    def job(self, job_id):
        proc = self.run("scontrol", "show", "job", "--oneliner", job_id, timeout=30)
        return dict(re.findall(r"(\w+)=(\S*)", proc.stdout)) if proc.returncode == 0 else {}

    def wait(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"{what}: not after {timeout} s" + self.log("slurmctld"))

    def wait_job(self, job_id, states=("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"), timeout=600):
        return self.wait(f"job {job_id} in {states}",
                         lambda: (lambda f: f if f.get("JobState") in states else None)(self.job(job_id)), timeout)

    def node_states(self):
        return self.run("sinfo", "--noheader", "--Node", "--format=%N %T", timeout=30).stdout.split()




def leftovers():
    """What any virtual cluster left on this machine: its daemons (by
    name, outside this test's own processes), mounts, namespaces, links,
    /etc/hosts lines and live-cluster file. Empty when all is gone."""
    left = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            comm = (p / "comm").read_text().strip()
            state = (p / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if comm in DAEMONS and state != "Z":
            left.append(f"process {p.name} {comm}")
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point, fstype = line.split()[4], line.split(" - ")[1].split()[0]
        if point == "/shared" or fstype in ("fuse.mfs", "fuse.sshfs") or "mfs#" in line:
            left.append(f"mount {point} ({fstype})")
    netns = Path("/var/run/netns")
    left += [f"namespace {ns.name}" for ns in (netns.iterdir() if netns.exists() else []) if ns.name.startswith("vc-")]
    left += [f"link {link.name}" for link in Path("/sys/class/net").iterdir()
             if link.name == "vcbr0" or re.fullmatch(r"vch\d+", link.name)]
    left += [f"/etc/hosts: {line}" for line in Path("/etc/hosts").read_text().splitlines() if line.endswith("# vcluster")]
    left += [path for path in ("/run/vcluster.dir", "/run/vcluster-spool") if Path(path).exists()]
    return left
