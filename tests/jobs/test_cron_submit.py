"""jobs/cron-submit.sh against the tests' real one-node Slurm: the random
pick among the scripts of the asked size (submitted held, --hold, and read
back from squeue), skipping a name already pending for this user
but not for another, each failure from a real cause (no script of the size,
a job directory the user cannot read, sbatch refusing a job the cluster
cannot run, a controller that does not answer), the one log line and the
exit statuses. jobs/crontab.example's schedule is checked here too."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from helpers.harness import ROOT
from helpers.jobtools import gen_jobs, local_config

CRON_SUBMIT = ROOT / "jobs/cron-submit.sh"
# Job names of this module's own (cronpick-mpi4py-import-...): the jobs of
# tests/jobs/test_jobs_under_slurm.py, named local-..., never meet them in the queue.
MACHINE = "cronpick"
SMALL = {f"{MACHINE}-mpi4py-import-1-{fs}{suite}" for fs in ("common", "scratch", "tmpfs", "bcast", "image")
         for suite in ("", "-mpi4py")}
USER = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
LINE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ cron-submit: "


def write_jobs(tmp, replace=()):
    """The jobs of conf/local.cfg renamed to MACHINE, with a non-job .sh
    beside them that mentions a size."""
    cfg = local_config(tmp, replace=[('name = "local";', f'name = "{MACHINE}";'), *replace])
    out = Path(tmp) / "jobs"
    proc = gen_jobs(cfg, out)
    assert proc.returncode == 0, proc.stderr
    (out / "notes.sh").write_text("#!/bin/bash\n# size=small, but not a generated job\n")
    return out


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory):
    return write_jobs(tmp_path_factory.mktemp("cron"))


def queue(slurm):
    """This module's jobs in the queue: [(id, name, user, state, priority)];
    a held job's priority is 0."""
    proc = slurm.run("squeue", "--noheader", "--format=%i|%j|%u|%T|%Q", check=True)
    jobs = [tuple(line.split("|")) for line in proc.stdout.splitlines()]
    return sorted(j for j in jobs if j[1].startswith(f"{MACHINE}-"))


@pytest.fixture
def cluster(slurm):
    """The Slurm of the session; this module's jobs are cancelled after
    each test, so that none is left for the next."""
    assert queue(slurm) == []
    yield slurm
    ids = [job[0] for job in queue(slurm)]
    if ids:
        slurm.run("scancel", *ids, check=True)


def cron_submit(*args, **env):
    return subprocess.run([str(CRON_SUBMIT), *map(str, args)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def one_line(proc, pattern):
    """The match of PATTERN on cron-submit's one line of output."""
    assert proc.stderr == "" and len(proc.stdout.splitlines()) == 1, proc.stdout + proc.stderr
    m = re.match(LINE + pattern, proc.stdout)
    assert m, proc.stdout
    return m


def test_submits_one_script_of_the_size_at_random(cluster, jobs_dir):
    submitted, skipped = {}, []
    for _ in range(16):
        proc = cron_submit("--size", "small", "--jobs", jobs_dir, "--hold")
        if proc.returncode == 0:
            m = one_line(proc, r"submitted (\S+) as job (\d+) held \((.*)\)$")
            assert m.group(1) not in submitted
            submitted[m.group(1)] = m.group(2)
            assert m.group(3) == f"{jobs_dir}/{m.group(1)}.sh"
        else:
            assert proc.returncode == 3, proc.stdout + proc.stderr
            m = one_line(proc, r"skipped (\S+): job (\d+) already pending or running$")
            skipped.append((m.group(1), m.group(2)))
    # 16 draws from 8 scripts: all alike has probability 8 / 8**16.
    assert set(submitted) <= SMALL and len(submitted) > 1, submitted
    # A name drawn again was skipped, naming the job it found.
    assert all(submitted[name] == job_id for name, job_id in skipped) and len(skipped) == 16 - len(submitted)
    assert queue(cluster) == sorted((job_id, name, USER, "PENDING", "0")
                                    for name, job_id in submitted.items())
    name = min(submitted)
    job = cluster.job(submitted[name])
    assert (job["JobName"], job["Command"]) == (name, f"{jobs_dir}/{name}.sh")


def test_skips_a_name_pending_for_this_user_only(cluster, jobs_dir, tmp_path):
    # One script, so that every run picks it.
    name = f"{MACHINE}-mpi4py-import-1-common"
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    shutil.copy(jobs_dir / f"{name}.sh", jobs)
    # Another user's job of that name is theirs, not a reason to skip.
    other = cluster.run("sbatch", "--parsable", "--uid=nobody", "--hold", f"--job-name={name}",
                        "--output=/dev/null", "--wrap=true")
    assert other.returncode == 0, other.stderr
    other_id = other.stdout.strip()
    m = one_line(cron_submit("--size", "small", "--jobs", jobs, "--hold"), rf"submitted {name} as job (\d+) held ")
    mine = m.group(1)
    proc = cron_submit("--size", "small", "--jobs", jobs, "--hold")
    assert proc.returncode == 3
    one_line(proc, rf"skipped {name}: job {mine} already pending or running$")
    assert [(j[0], j[2]) for j in queue(cluster)] == sorted([(mine, USER), (other_id, "nobody")])


def test_sbatch_refusal_fails_with_its_reason(cluster, jobs_dir, tmp_path):
    # The large jobs ask 2 nodes of a one-node cluster (which, as sites
    # do, enforces its partition's limits at submission).
    proc = cron_submit("--size", "large", "--jobs", jobs_dir, "--hold")
    assert proc.returncode == 1
    one_line(proc, rf"failed: sbatch {jobs_dir}/{MACHINE}-mpi4py-import-2-[\w-]+\.sh: sbatch: error: Batch job "
                   r"submission failed: Node count specification invalid$")
    # A partition the cluster does not have.
    jobs = write_jobs(tmp_path, replace=[("log_max_age_days = 30.0;",
                                          'log_max_age_days = 30.0; partition = "nosuch";')])
    proc = cron_submit("--size", "small", "--jobs", jobs, "--hold")
    assert proc.returncode == 1
    one_line(proc, r"failed: sbatch \S+\.sh: sbatch: error: Batch job submission failed: "
                   r"Invalid partition name specified$")
    assert queue(cluster) == []


def dead_controller_conf(slurm, path):
    """The cluster's slurm.conf with the controller where none listens;
    MessageTimeout=2 bounds the clients' retries (about 1 s, not 9)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = re.sub(r"^SlurmctldPort=\d+$", f"SlurmctldPort={port}", slurm.conf.read_text(), flags=re.M)
    path.write_text(text + "MessageTimeout=2\n")
    return path


def test_unreachable_controller_fails_without_submitting(cluster, jobs_dir, tmp_path):
    conf = dead_controller_conf(cluster, tmp_path / "slurm.conf")
    proc = cron_submit("--size", "small", "--jobs", jobs_dir, "--hold", SLURM_CONF=str(conf))
    assert proc.returncode == 1
    one_line(proc, rf"failed: squeue for {MACHINE}-mpi4py-import-1-[\w-]+: slurm_load_jobs error: "
                   r"Unable to contact slurm controller \(connect failure\)$")
    assert queue(cluster) == []


@pytest.mark.root  # runuser
def test_no_script_or_no_readable_directory(jobs_dir, tmp_path):
    proc = cron_submit("--size", "huge", "--jobs", jobs_dir)
    assert proc.returncode == 1
    one_line(proc, rf"failed: no job script of size huge in {jobs_dir} \(write them with harness --gen-jobs\)$")
    proc = cron_submit("--size", "small", "--jobs", tmp_path / "none")
    assert proc.returncode == 1
    one_line(proc, rf"failed: no job directory {tmp_path}/none \(write it with harness --gen-jobs\)$")
    # Cron runs as a user, whom permissions bind (root they do not): a
    # directory of scripts that user cannot list.
    base = Path(tempfile.mkdtemp(prefix="mpi4py-import-cron-"))
    try:
        base.chmod(0o755)
        script = shutil.copy(CRON_SUBMIT, base)
        jobs = base / "jobs"
        shutil.copytree(jobs_dir, jobs)
        jobs.chmod(0o700)
        proc = subprocess.run(["runuser", "-u", "nobody", "--", script, "--size", "small", "--jobs", jobs],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        one_line(proc, rf"failed: cannot read job directory {jobs} \(permission denied for nobody\)$")
    finally:
        shutil.rmtree(base)


def test_usage(tmp_path):
    proc = cron_submit("--help")
    assert proc.returncode == 0 and "Exit status: 0 submitted, 3 skipped" in proc.stdout and "--hold" in proc.stdout
    for args, message in (((), "--size NAME is required"), (("--size",), "--size needs a value"),
                          (("--size", "small", "--bogus"), "unknown argument '--bogus'"),
                          (("--size", "a;b"), "size 'a;b' is not a size name")):
        proc = cron_submit(*args)
        assert proc.returncode == 2 and proc.stderr.startswith(f"cron-submit: {message}\nUsage:"), \
            (args, proc.stderr)
        assert proc.stdout == ""


def test_crontab_example_schedule():
    entries = []
    for line in (ROOT / "jobs/crontab.example").read_text().splitlines():
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line):
            minute, hour, dom, month, dow, command = line.split(None, 5)
            entries.append(((minute, hour, dom, month, dow), command))
    by_what = {what: sched for sched, cmd in entries
               for what in ("--size small", "--size large", "--sweep", "--flush-spool") if what in cmd}
    assert by_what["--size small"][1] == "*/6" and by_what["--size small"][2:] == ("*", "*", "*")
    assert by_what["--size large"][0].isdigit() and by_what["--size large"][1].isdigit()
    assert by_what["--size large"][2:] == ("*", "*", "*")
    assert len(by_what) == 4 and len(entries) == 4
    for _, cmd in entries:
        assert "jobs/cron-submit.sh" in cmd or "build/harness" in cmd
