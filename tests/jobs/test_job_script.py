"""The generated job scripts on the real parts: the release harness
(build/harness, as deployed), a real mpirun (launcher "mpirun": the script
then runs with bash outside Slurm, SLURM_JOB_ID set by hand) or srun under
the tests' one-node Slurm, and the tests' PostgreSQL. The job log shows the
seed's step order (each step announces itself); each failure has a real
cause and leaves its mark on the row and in the job's exit status; scancel
marks the run; debug tracing, env_setup, log pruning, and paths with quotes
and spaces. tests/jobs/test_jobs_under_slurm.py runs the jobs from
cron-submit to the end."""
import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpers.harness import RELEASE_HARNESS, VENV, harness, sanitizer_clean
from helpers.jobtools import gen_jobs, local_config

pytestmark = pytest.mark.usefixtures("venv", "release_build")

# The small size's 4 tasks a node halved: bash runs mpirun outside Slurm,
# where 2 cores give 2 slots.
RANKS = 2
JOB_ID = "77"
STAGED = '"/tmp/mpi4py-import/scratch/staged-mpi4py-import"'
# Only in the ranks (PMIX_RANK: set by mpirun and by srun's pmix): the
# seed's scale run has no database client settings and no PYTHONPATH.
CLEAN_RUN = ("import os, numpy; 'PMIX_RANK' not in os.environ or "
             "not [v for v in os.environ if v.startswith('PG') or v == 'PYTHONPATH'] or os._exit(9)")


class Job:
    """One generated small job of filesystem FS for machine local, on a
    config derived from conf/local.cfg (launcher mpirun unless given), its
    database initialised; run() runs it with bash, as Slurm would, its
    stdout and stderr into one log."""

    def __init__(self, tmp, db=None, fs="common", conninfo=None, cfg_dir=None, log_dir=None, staged=None,
                 replace=(), gen_env=None, **machine):
        self.tmp, self.db = Path(tmp), db
        self.log_dir = Path(log_dir or self.tmp / "logs")
        self.staged = Path(staged or self.tmp / "scratch" / "staged-mpi4py-import")
        cfg_dir = Path(cfg_dir or self.tmp)
        cfg_dir.mkdir(parents=True, exist_ok=True)
        machine.setdefault("launcher", "mpirun")
        self.config = local_config(
            cfg_dir, conninfo=db.server.conninfo(db.name) if conninfo is None else conninfo, log_dir=self.log_dir,
            replace=[("tasks_per_node = 4;", f"tasks_per_node = {RANKS};"), (STAGED, json.dumps(str(self.staged))),
                     *replace], **machine)
        if db is not None:
            proc = harness("--db-init", "--config", self.config, env=gen_env)
            sanitizer_clean(proc)
            assert proc.returncode == 0, proc.stderr
        proc = gen_jobs(self.config, self.tmp / "jobs", "--machine", "local", "--size", "small", env=gen_env)
        assert proc.returncode == 0, proc.stderr
        self.name = f"local-mpi4py-import-1-{fs}"
        self.script = self.tmp / "jobs" / f"{self.name}.sh"
        self.log = self.log_dir / f"slurm-{self.name}-{JOB_ID}.out"
        self.text = ""

    def run(self, **env):
        with open(self.log, "w") as out:
            proc = subprocess.run(["bash", str(self.script)], stdout=out, stderr=subprocess.STDOUT, cwd=self.tmp,
                                  env={**os.environ, "SLURM_JOB_ID": JOB_ID, **env}, timeout=300)
        self.text = self.log.read_text()
        return proc.returncode

    def steps(self):
        return re.findall(r"^job: step (\w+)$", self.text, flags=re.M)

    def section(self, step):
        """The log from STEP's announcement to the next one."""
        parts = re.split(r"^job: step (\w+)\n", self.text, flags=re.M)
        return dict(zip(parts[1::2], parts[2::2]))[step]

    def rows(self):
        return self.db.psql("SELECT status, ranks, job_id, coalesce(failed_step, ''), "
                            "coalesce(failed_message, ''), coalesce(failed_ranks, -1) FROM results ORDER BY id")

    def result(self, job_id=JOB_ID):
        return json.loads((self.log_dir / f"{self.name}-{job_id}.json").read_text())


def age(paths, days):
    then = time.time() - days * 86400
    for path in paths:
        path.write_text("x")
        os.utime(path, (then, then))


def test_steps_run_in_the_seeds_order(tmp_path, pgdb):
    job = Job(tmp_path, pgdb, fs="scratch", log_max_age_days=1, **{"import": CLEAN_RUN})
    logs = job.log_dir
    old = [logs / "slurm-local-mpi4py-import-1-scratch-5.out", logs / "local-mpi4py-import-1-common-5.json"]
    kept = [logs / "slurm-local-mpi4py-import-1-scratch-6.out", logs / "notes.txt"]
    age(old + kept[1:], 2)
    age(kept[:1], 0)
    status = job.run(PGHOST="/db-client/socket", PGDATABASE="client", PYTHONPATH="/db-client/site-packages")
    assert status == 0, job.text
    assert job.steps() == ["setup", "stage", "checks", "reserve", "run", "record"], job.text
    # Old logs go first, before any step; other files stay.
    head = job.text.split("job: step setup\n")[0]
    assert all(f"job: pruned old log {p}" in head for p in old), job.text
    assert not any(p.exists() for p in old) and all(p.exists() for p in kept)
    # Each step's own output follows its announcement.
    assert re.search(r"^  staging       staged, \d+ entries to 1 copy: 0 up to date, \d+ copied", job.section("stage"), re.M)
    assert f"check: python {job.staged}/bin/python (" in job.section("checks")
    assert re.search(rf"^mpi4py-import: .* on local/scratch \(staged\), {RANKS} ranks on 1 node$",
                     job.section("run"), re.M)
    assert re.search(r"harness: result recorded in row \d+ \(ok\)", job.section("run"))
    assert re.search(r"^spool \S+: 0 sent, 0 already recorded, 0 kept, 0 set aside$", job.section("record"), re.M)
    [row] = job.rows()
    assert row == ["ok", str(RANKS), JOB_ID, "", "", "0"], job.text
    assert re.search(r"^job: done, result row \d+$", job.text, re.M)
    result = job.result()
    assert (result["venv"], result["ranks"], result["job_id"]) == (str(job.staged), RANKS, JOB_ID)
    assert (job.staged / "bin/python").exists()
    assert "\n+ " not in job.text   # no tracing without debug


def test_log_max_age_0_keeps_every_log(tmp_path, pgdb):
    job = Job(tmp_path, pgdb, log_max_age_days=0)
    ancient = [job.log_dir / "slurm-local-mpi4py-import-1-common-1.out",
               job.log_dir / "local-mpi4py-import-1-common-1.json"]
    age(ancient, 3650)
    assert job.run() == 0, job.text
    assert all(p.exists() for p in ancient) and "pruned" not in job.text


def test_in_place_job_with_debug_and_env_setup(tmp_path, pgdb):
    # The venv's path comes from a variable env_setup exports, as a module
    # load would: every step reads the config, so every step needs it.
    setup = [f"export MPI4PY_TEST_VENV={VENV}", "echo \"set up: it's done\""]
    job = Job(tmp_path, pgdb, debug=1, env_setup=setup,
              replace=[('venv = "../build/venv";', 'venv = "${MPI4PY_TEST_VENV}";')],
              gen_env={**os.environ, "MPI4PY_TEST_VENV": "/set/by/env_setup/in/the/job"})
    assert job.run() == 0, job.text
    assert job.steps() == ["setup", "checks", "reserve", "run", "record"], job.text
    assert "set up: it's done" in job.section("setup")
    # set -x from the end of setup on; `module list` only where a module
    # command exists (none here), never a "command not found".
    assert re.search(r"^\+ run_step checks ", job.section("setup"), re.M), job.text
    assert "+ scale_run" in job.section("run") and "not found" not in job.text
    result = job.result()
    assert (result["venv"], result["fs_kind"], result["staging"]) == (str(VENV.resolve()), "inplace", None)
    # The script stamps the launch: the original series' figures exist.
    assert 0 < result["launch_s"] < result["original_s"] < 300, result
    assert [r[0] for r in job.rows()] == ["ok"]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FAILURES = [
    # (step, Job arguments, exit status, steps announced)
    ("setup", {"env_setup": ["source /no/such/python_base/env.sh"]}, 1, ["setup"]),
    ("stage", {"fs": "scratch", "staged": "BLOCKER/staged-mpi4py-import"}, 4, ["setup", "stage"]),
    ("checks", {"import": "import no_such_module_xyz"}, 3, ["setup", "checks"]),
]


@pytest.mark.parametrize("step,kw,status,steps", FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failing_step_marks_the_row_and_fails_the_job(tmp_path, pgdb, step, kw, status, steps):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file, where staging wants a directory\n")
    if "staged" in kw:
        kw = {**kw, "staged": kw["staged"].replace("BLOCKER", str(blocker))}
    job = Job(tmp_path, pgdb, **kw)
    assert job.run() == status, job.text
    assert job.steps() == steps, job.text
    [row] = job.rows()
    assert row[:4] == ["failed", str(RANKS), JOB_ID, step], job.text
    message = row[4]
    if step == "setup":
        assert message == "env_setup line 1 failed: source /no/such/python_base/env.sh"
        assert "No such file or directory" in job.text
    elif step == "stage":
        assert message.startswith("harness: ") and str(blocker) in message and "Not a directory" in message
    else:
        assert "No module named 'no_such_module_xyz'" in message
    assert f"job: step {step} failed (status {status}): {message}" in job.text
    assert "job: done" not in job.text


def test_an_unreachable_database_fails_the_reservation(tmp_path):
    # Nothing listens on the port: no row, and the job says it could not
    # leave one.
    job = Job(tmp_path, conninfo=f"host=127.0.0.1 port={closed_port()} dbname=results connect_timeout=5")
    assert job.run() == 5, job.text
    assert job.steps() == ["setup", "checks", "reserve"], job.text
    assert re.search(r"^job: step reserve failed \(status 5\): harness: .*Connection refused", job.text, re.M), \
        job.text
    assert "job: no result row could be reserved to record the failure" in job.text
    assert "job: done" not in job.text


RUN_FAILURES = [
    # (how rank 1's import ends, its statement, machine keys, the row's status)
    ("fails", "os._exit(3)", {}, "failed"),
    # The harness's timeout kills it. Once: the -X importtime phase after the
    # timed one runs the statement again. The timeout also bounds the set-up
    # checks under strace, hence not less on a busy machine.
    ("times out", "os.path.exists(SLEPT) or (open(SLEPT, 'w').close(), time.sleep(300))", {"timeout": 10.0},
     "timeout"),
]


@pytest.mark.parametrize("how,action,machine,row_status", RUN_FAILURES, ids=[f[0] for f in RUN_FAILURES])
def test_a_failing_rank_fails_the_run(tmp_path, pgdb, how, action, machine, row_status):
    # The set-up checks (one process, no rank) pass; rank 1's import does not.
    action = action.replace("SLEPT", repr(str(tmp_path / "slept")))
    stmt = f"import os, time, numpy; os.environ.get('PMIX_RANK') != '1' or {action}"
    job = Job(tmp_path, pgdb, **machine, **{"import": stmt})
    assert job.run() == 1, job.text
    assert job.steps() == ["setup", "checks", "reserve", "run"], job.text
    # The run recorded its result, rank 1 counted; the job's mark leaves it.
    [row] = job.rows()
    assert row[:3] == [row_status, str(RANKS), JOB_ID], job.text
    assert re.search(r"^job: step run failed \(status 1\): ", job.text, re.M)
    assert re.search(rf"harness: result row \d+ is '{row_status}' already: left as it is", job.text)
    result = job.result()
    assert (result["ok"], result["failed"], result["timed_out"]) == \
        ((1, 1, 0) if row_status == "failed" else (1, 0, 1)), result


STOP_DB = """\
import os, signal, time
pidfile = {pidfile!r}
# Rank 0, once: the database goes away between the reservation and the record.
if os.environ.get('PMIX_RANK') == '0' and os.path.exists(pidfile):
    os.kill(int(open(pidfile).readline()), signal.SIGINT)
    deadline = time.monotonic() + 60
    while os.path.exists(pidfile) and time.monotonic() < deadline:
        time.sleep(0.05)
"""


@pytest.fixture
def restart_pg(pg):
    """Starts the session's server again if a test stopped it."""
    yield pg
    if not (pg.data / "postmaster.pid").exists():
        pg.start()


def test_database_gone_before_the_record(tmp_path, pgdb, restart_pg):
    stopper = tmp_path / "stop_db.py"
    stopper.write_text(STOP_DB.format(pidfile=str(restart_pg.data / "postmaster.pid")))
    job = Job(tmp_path, pgdb, **{"import": f"import numpy; exec(open({str(stopper)!r}).read())"})
    assert job.run() == 5, job.text
    assert job.steps() == ["setup", "checks", "reserve", "run", "record"], job.text
    # The run kept its result in the spool; the record step could not send
    # it, nor could the job mark the row.
    assert "harness: warning: the result was not recorded" in job.section("run")
    assert re.search(r"^job: step record failed \(status 5\): harness: ", job.text, re.M), job.text
    assert re.search(r"^job: could not mark row \d+ failed at step record$", job.text, re.M)
    restart_pg.start()
    [row] = job.rows()
    assert row[:4] == ["reserved", str(RANKS), JOB_ID, ""], job.text   # the seed's placeholder stays
    # Nothing was lost: the spool holds the result for the next flush.
    proc = harness("--flush-spool", "--config", job.config, harness_bin=RELEASE_HARNESS)
    assert proc.returncode == 0 and ": 1 sent, 0 already recorded, 0 kept, 0 set aside" in proc.stdout, proc.stderr
    assert [r[0] for r in job.rows()] == ["ok"]


def wait_for(what, predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.1)


SIGNALS = [
    # scancel as a user types it: Slurm calls the job CANCELLED whatever
    # its script then does. TERM to the script and every step, the job
    # left to end by itself, as at the time limit: its exit status shows.
    ("scancel", [], "CANCELLED", None),
    ("term", ["--signal=TERM", "--full"], "FAILED", "143:0"),
]


@pytest.mark.parametrize("how,args,state,exit_code", SIGNALS, ids=[s[0] for s in SIGNALS])
def test_a_signal_marks_the_run_and_fails_the_job(tmp_path, slurm, pgdb, how, args, state, exit_code):
    # Under the real Slurm with srun; rank 1's import (in the timed phase:
    # rank 0 runs the set-up checks) says it started, then sleeps.
    started = tmp_path / "import-started"
    stmt = (f"import os, time, numpy; os.environ.get('PMIX_RANK') != '1' or "
            f"(open({str(started)!r}, 'w').close(), time.sleep(300))")
    job = Job(tmp_path, pgdb, launcher="srun", **{"import": stmt})
    proc = slurm.run("sbatch", "--parsable", job.script)
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip()
    log = job.log_dir / f"slurm-{job.name}-{job_id}.out"
    wait_for("import in the run", started.exists)
    slurm.run("scancel", *args, job_id, check=True)
    fields = slurm.wait_job(job_id)
    wait_for("the mark", lambda: "job: step run failed" in log.read_text() and job.rows()[0][0] != "reserved",
             timeout=30)
    text = log.read_text()
    assert fields["JobState"] == state, text
    assert exit_code is None or fields["ExitCode"] == exit_code, (fields, text)
    # The run's progress so far is in the log, then the failure.
    run = text.split("job: step run\n")[1]
    assert run.index("harness: timing import os, time, numpy") < \
        run.index("job: step run failed (status 143): terminated by a signal (time limit or scancel)"), text
    [row] = job.rows()
    assert row[:5] == ["failed", str(RANKS), job_id, "run", "terminated by a signal (time limit or scancel)"], text


def test_paths_with_quotes_and_spaces_under_slurm(tmp_path, slurm, pgdb):
    weird = "it's a \"job\" dir #1"
    job = Job(tmp_path, pgdb, launcher="srun", cfg_dir=tmp_path / f"config {weird}",
              log_dir=tmp_path / f"logs {weird}")
    directive = next(l for l in job.script.read_text().splitlines() if l.startswith("#SBATCH --output="))
    assert directive == f'#SBATCH --output="{tmp_path}/logs it\'s a \\"job\\" dir #1/slurm-{job.name}-%j.out"'
    proc = slurm.run("sbatch", "--parsable", job.script)
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip()
    fields = slurm.wait_job(job_id)
    log = job.log_dir / f"slurm-{job.name}-{job_id}.out"
    assert log.exists(), (list(tmp_path.iterdir()), slurm.dump())
    text = log.read_text()
    assert (fields["JobState"], fields["ExitCode"]) == ("COMPLETED", "0:0"), text
    [row] = job.rows()
    assert row[:3] == ["ok", str(RANKS), job_id], text
    assert job.result(job_id)["ranks"] == RANKS
