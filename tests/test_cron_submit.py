"""jobs/cron-submit.sh against stand-ins for squeue and sbatch: the random
pick among scripts of the asked size, skipping a queued name, each failure,
the one log line and the exit statuses. tests/test_jobs.py submits to a
real Slurm; jobs/crontab.example's schedule is checked here too."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from jobtools import gen_jobs, local_config

CRON_SUBMIT = ROOT / "jobs/cron-submit.sh"

SQUEUE = """#!/bin/bash
echo "$*" >>"$STUB_DIR/squeue.args"
[ -z "${STUB_SQUEUE_FAIL:-}" ] || { echo "squeue: error: Unable to contact slurm controller" >&2; exit 1; }
cat "$STUB_DIR/queue" 2>/dev/null
exit 0
"""
SBATCH = """#!/bin/bash
[ -z "${STUB_SBATCH_FAIL:-}" ] || { echo "sbatch: error: Batch job submission failed: Invalid account" >&2; exit 1; }
echo "${@: -1}" >>"$STUB_DIR/submitted"
echo "4242;cluster"
"""


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cron")
    out = tmp / "jobs"
    proc = gen_jobs(local_config(tmp), out)
    assert proc.returncode == 0, proc.stderr
    (out / "notes.sh").write_text("#!/bin/bash\n# size=small, but not a generated job\n")
    return out


@pytest.fixture
def stubs(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, text in (("squeue", SQUEUE), ("sbatch", SBATCH)):
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    return tmp_path


def cron_submit(stubs, *args, **env):
    env = {**os.environ, "PATH": f"{stubs}/bin:{os.environ['PATH']}", "STUB_DIR": str(stubs), **env}
    return subprocess.run([str(CRON_SUBMIT), *map(str, args)], capture_output=True, text=True, timeout=30, env=env)


def submitted(stubs):
    path = stubs / "submitted"
    return path.read_text().splitlines() if path.exists() else []


LINE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ cron-submit: "


def test_submits_one_script_of_the_size_at_random(stubs, jobs_dir):
    for _ in range(24):
        proc = cron_submit(stubs, "--size", "small", "--jobs", jobs_dir)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert re.match(LINE + r"submitted local-mpi4py-import-1-\w+ as job 4242 \(", proc.stdout)
        assert len(proc.stdout.splitlines()) == 1 and proc.stderr == ""
    picked = {Path(p).name for p in submitted(stubs)}
    # 24 draws from 3: all alike has probability 3 / 3**24.
    assert picked <= {f"local-mpi4py-import-1-{fs}.sh" for fs in ("common", "scratch", "tmpfs")}
    assert len(picked) > 1
    args = (stubs / "squeue.args").read_text().splitlines()[0]
    assert "--name local-mpi4py-import-1-" in args and "--states PENDING,CONFIGURING,RUNNING" in args
    assert f"--user {subprocess.run(['id', '-un'], capture_output=True, text=True).stdout.strip()}" in args
    proc = cron_submit(stubs, "--size=large", f"--jobs={jobs_dir}")
    assert proc.returncode == 0 and "local-mpi4py-import-2-" in submitted(stubs)[-1]


def test_skips_a_name_already_queued(stubs, jobs_dir):
    (stubs / "queue").write_text("311\n")
    proc = cron_submit(stubs, "--size", "small", "--jobs", jobs_dir)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert re.match(LINE + r"skipped local-mpi4py-import-1-\w+: job 311 already pending or running$", proc.stdout)
    assert submitted(stubs) == []


@pytest.mark.parametrize("env,size,message", [
    ({"STUB_SBATCH_FAIL": "1"}, "small", r"failed: sbatch \S+: sbatch: error: Batch job submission failed"),
    ({"STUB_SQUEUE_FAIL": "1"}, "small", r"failed: squeue for \S+: squeue: error: Unable to contact"),
    ({}, "huge", r"failed: no job script of size huge in \S+ \(write them with harness --gen-jobs\)"),
], ids=["sbatch", "squeue", "no-script"])
def test_failures(stubs, jobs_dir, env, size, message):
    proc = cron_submit(stubs, "--size", size, "--jobs", jobs_dir, **env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.match(LINE + message, proc.stdout) and len(proc.stdout.splitlines()) == 1, proc.stdout
    assert submitted(stubs) == []


def test_usage(stubs, tmp_path):
    proc = cron_submit(stubs, "--help")
    assert proc.returncode == 0 and "Exit status: 0 submitted, 3 skipped" in proc.stdout
    for args, message in (((), "--size NAME is required"), (("--size",), "--size needs a value"),
                          (("--size", "small", "--bogus"), "unknown argument '--bogus'"),
                          (("--size", "a;b"), "size 'a;b' is not a size name")):
        proc = cron_submit(stubs, *args)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
    proc = cron_submit(stubs, "--size", "small", "--jobs", tmp_path / "none")
    assert proc.returncode == 1 and "failed: no job directory" in proc.stdout


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
