"""A throwaway single-node Slurm for the job tests: munged with its own key
and socket, slurmctld and slurmd on localhost, all under one temp dir.

The settings are the ones found to work on Debian 12 as root (see the
shared README): no cgroup.conf, proctrack/linuxproc, task/none, pmix as the
default MPI plugin (srun then launches Open MPI programs). Ports are picked
free at start, so two test runs on one machine do not meet. Every daemon is
stopped by the pid it wrote, never by name. Tests take it from the `slurm`
fixture of tests/conftest.py (as root: SlurmUser is root).
"""
import os
import random
import re
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

DAEMON_START_TIMEOUT = 30


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _running(pid):
    """True while PID exists and is not a zombie (an exited daemon whose
    parent, often pid 1 in a container, has not reaped it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(what, predicate, timeout, dump):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"slurm test cluster: {what} not ready after {timeout} s\n{dump()}")


class SlurmCluster:
    """start() brings the cluster up, stop() takes it down; env holds what
    a client needs (SLURM_CONF)."""

    def __init__(self, base, cpus=16):
        self.base = Path(base)
        self.cpus = cpus
        self.conf = self.base / "slurm.conf"
        self.munge_socket = self.base / "munge" / "munge.socket"
        self.pidfiles = {name: self.base / f"{name}.pid" for name in ("munged", "slurmctld", "slurmd")}
        self.logfiles = {name: self.base / f"{name}.log" for name in ("munged", "slurmctld", "slurmd")}
        self.jobcomp = self.base / "jobcomp.txt"
        self.env = {"SLURM_CONF": str(self.conf)}

    def _write_conf(self):
        b = self.base
        for d in ("state", "spool", "munge"):
            (b / d).mkdir(parents=True, exist_ok=True)
        # A job id of its own: srun's PMIx directories under /tmp are named
        # by job id, and two test clusters at once would share them.
        # Memory below what slurmd detects, or the node is drained as "Low
        # RealMemory". More CPUs than the machine has (config_overrides lets
        # slurmd take them): the local sizes ask 4 and 16 tasks a node, which
        # sbatch refuses on 2 CPUs even with --overcommit. KillWait: the
        # time a cancelled job's TERM trap has to mark its row before KILL,
        # on a busy machine. EnforcePartLimits: a job the partition cannot
        # hold is refused at submission, as sites do, not left pending.
        self.conf.write_text(f"""\
ClusterName=mpi4pytest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={self.munge_socket}
CredType=cred/munge
StateSaveLocation={b}/state
SlurmdSpoolDir={b}/spool
SlurmctldPidFile={self.pidfiles["slurmctld"]}
SlurmdPidFile={self.pidfiles["slurmd"]}
SlurmctldLogFile={self.logfiles["slurmctld"]}
SlurmdLogFile={self.logfiles["slurmd"]}
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=pmix
ReturnToService=2
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={self.jobcomp}
MinJobAge=3600
FirstJobId={random.randint(1000, 999999)}
KillWait=15
EnforcePartLimits=ALL
NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory=500 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")

    def _start_munged(self):
        key = self.base / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.base.joinpath("munge").chmod(0o700)
        subprocess.run(["munged", "--force", f"--key-file={key}", f"--socket={self.munge_socket}",
                        f"--pid-file={self.pidfiles['munged']}", f"--log-file={self.logfiles['munged']}",
                        f"--seed-file={self.base / 'munge' / 'munge.seed'}"], check=True,
                       capture_output=True, timeout=30)
        _wait_for("munged", self.munge_socket.exists, DAEMON_START_TIMEOUT, self.dump)

    def start(self):
        self._write_conf()
        self._start_munged()
        env = {**os.environ, **self.env}
        subprocess.run(["slurmctld", "-c", "-f", str(self.conf)], check=True, env=env, timeout=30)
        subprocess.run(["slurmd", "-N", "localhost", "-f", str(self.conf)], check=True, env=env, timeout=30)
        _wait_for("the node", lambda: self.node_state().startswith("idle"), DAEMON_START_TIMEOUT, self.dump)
        return self

    def run(self, *cmd, check=False, timeout=60, env=None):
        """A Slurm client command against this cluster."""
        return subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {}), **self.env}, check=check)

    def node_state(self):
        proc = self.run("sinfo", "--noheader", "--Node", "--format=%T", timeout=20)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def job(self, job_id):
        """scontrol show job ID as a dict ({} once Slurm has forgotten it)."""
        proc = self.run("scontrol", "show", "job", "--oneliner", job_id)
        if proc.returncode != 0:
            return {}
        return dict(re.findall(r"(\w+)=(\S*)", proc.stdout))

    def wait_job(self, job_id, timeout=120, states=("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
                                                    "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE")):
        """Waits for the job to reach one of STATES; returns its fields."""
        fields = {}

        def reached():
            nonlocal fields
            fields = self.job(job_id)
            return fields.get("JobState") in states

        _wait_for(f"job {job_id} (state {fields.get('JobState')})", reached, timeout, self.dump)
        return fields

    def dump(self):
        """The daemons' logs, for a failing test's message."""
        parts = []
        for name, path in self.logfiles.items():
            text = path.read_text(errors="replace") if path.exists() else "(no log)"
            parts.append(f"--- {name} log (last 40 lines) ---\n" + "\n".join(text.splitlines()[-40:]))
        return "\n".join(parts)

    def stop(self):
        # slurmd first: it reports to slurmctld; munged last: both use it.
        for name in ("slurmd", "slurmctld", "munged"):
            pidfile = self.pidfiles[name]
            try:
                pid = int(pidfile.read_text().split()[0])
            except (FileNotFoundError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 15
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _running(pid):
                os.kill(pid, 9)


@contextmanager
def running_cluster(base):
    """A SlurmCluster started under BASE, its SLURM_CONF exported while the
    block runs; stopped at the end."""
    cluster = SlurmCluster(base)
    old = os.environ.get("SLURM_CONF")
    try:
        cluster.start()
        os.environ["SLURM_CONF"] = str(cluster.conf)
        yield cluster
    finally:
        cluster.stop()
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old
