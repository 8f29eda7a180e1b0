"""A generated job script run by bash against a recording stand-in for the
harness (and for srun, mpirun, module): the seed's step order, the clean
environment of the scale run, a failure at each step leaving its mark,
signals, debug tracing, log pruning and quoting. No Slurm, no database:
tests/test_jobs.py runs the real thing."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from jobtools import gen_jobs, local_config

FAKE_HARNESS = r"""#!/bin/bash
# Records each call (mode, arguments, environment) and fails where asked.
mode=run
for a in "$@"; do
    case $a in --stage-only|--checks-only|--reserve|--mark-failed|--flush-spool) mode=${a#--} ;; esac
done
{
    printf '%s' "$mode"
    printf '\x1f%s' "$@"
    printf '\x1fENV PGHOST=%s PYTHONPATH=%s FROM_SETUP=%s\n' "${PGHOST-unset}" "${PYTHONPATH-unset}" \
        "${FROM_SETUP-unset}"
} >>"$FAKE_LOG"
var=FAKE_FAIL_${mode//-/_}
if [ -n "${!var:-}" ]; then
    echo "harness: progress line" >&2
    echo "harness: fake $mode failure" >&2
    exit "${!var}"
fi
[ "$mode" = reserve ] && echo "${FAKE_ROW-42}"
if [ "$mode" = run ] && [ -n "${FAKE_RUN_HANG:-}" ]; then
    touch "$FAKE_LOG.running"
    sleep 60 & wait $!
fi
exit 0
"""

# Launchers: log, drop their own options, run the command once; srun,
# as the real one, adds its own line when a task fails.
STUBS = {
    "srun": 'echo "srun $*" >>"$FAKE_LOG.launch"\n'
            'while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done\n"$@"\nstatus=$?\n'
            '[ $status -eq 0 ] || echo "srun: error: localhost: task 0: Exited with exit code $status" >&2\n'
            'exit $status\n',
    "mpirun": 'echo "mpirun $*" >>"$FAKE_LOG.launch"\n'
              'while [ $# -gt 0 ]; do case $1 in -n) shift 2 ;; -*) shift ;; *) break ;; esac; done\nexec "$@"\n',
    "module": 'echo "module $*" >>"$FAKE_LOG.launch"\n',
}


def executable(path, text):
    path.write_text(text if text.startswith("#!") else "#!/bin/bash\n" + text)
    path.chmod(0o755)
    return path


class Job:
    """One generated script, the stand-ins, and how it ran."""

    def __init__(self, tmp, fs="common", **machine):
        self.tmp = Path(tmp)
        bindir = self.tmp / "bin"
        bindir.mkdir(parents=True, exist_ok=True)
        for name, text in STUBS.items():
            executable(bindir / name, text)
        fake = executable(self.tmp / "fake-harness", FAKE_HARNESS)
        cfg_dir = Path(machine.pop("cfg_dir", self.tmp))
        cfg_dir.mkdir(exist_ok=True)
        self.config = local_config(cfg_dir, harness_bin=fake, log_dir=self.tmp / "logs", **machine)
        proc = gen_jobs(self.config, self.tmp / "jobs", "--size", "small")
        assert proc.returncode == 0, proc.stderr
        self.script = self.tmp / "jobs" / f"local-mpi4py-import-1-{fs}.sh"
        self.log = self.tmp / "calls.log"
        self.env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "FAKE_LOG": str(self.log),
                    "SLURM_JOB_ID": "77", "PGHOST": "/pg-socket", "PYTHONPATH": "/site/db-client"}

    def run(self, **env):
        self.proc = subprocess.run(["bash", str(self.script)], env={**self.env, **env}, capture_output=True,
                                   text=True, timeout=60, cwd=self.tmp)
        return self.proc

    def calls(self):
        """[(mode, args, env)] in call order."""
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            mode, *args, env = line.split("\x1f")
            out.append((mode, args, dict(kv.split("=", 1) for kv in env.split()[1:])))
        return out

    def modes(self):
        return [c[0] for c in self.calls()]

    def launches(self):
        path = Path(f"{self.log}.launch")
        return path.read_text().splitlines() if path.exists() else []

    def marked(self):
        """(step, message) of the --mark-failed call, or None."""
        for mode, args, _ in self.calls():
            if mode == "mark-failed":
                return args[args.index("--step") + 1], args[args.index("--message") + 1], \
                    args[args.index("--result-id") + 1]
        return None


def test_steps_in_the_seeds_order(tmp_path):
    job = Job(tmp_path, fs="scratch")
    proc = job.run()
    assert proc.returncode == 0, proc.stderr
    assert job.modes() == ["stage-only", "checks-only", "reserve", "run", "flush-spool"]
    calls = {mode: (args, env) for mode, args, env in job.calls()}
    target = ["--config", str(job.config), "--machine", "local", "--filesystem", "scratch"]
    for mode in ("stage-only", "checks-only", "run"):
        assert all(a in calls[mode][0] for a in target), calls[mode]
    args, env = calls["run"]
    assert args[args.index("--result-id") + 1] == "42"
    assert args[args.index("--json") + 1] == f"{tmp_path}/logs/local-mpi4py-import-1-scratch-77.json"
    # The scale run without the database client's settings; the others with them.
    assert env == {"PGHOST": "unset", "PYTHONPATH": "unset", "FROM_SETUP": "unset"}
    assert calls["reserve"][1]["PGHOST"] == "/pg-socket" and calls["flush-spool"][1]["PGHOST"] == "/pg-socket"
    assert calls["reserve"][0][calls["reserve"][0].index("--ranks") + 1] == "4"
    # The stager runs as one process, srun only starts the run.
    assert job.launches() == [f"srun {tmp_path}/fake-harness " + " ".join(calls["run"][0])]
    assert "job: done, result row 42" in proc.stdout


def test_in_place_filesystem_is_not_staged_and_mpirun_launches(tmp_path):
    job = Job(tmp_path, launcher="mpirun")
    proc = job.run()
    assert proc.returncode == 0, proc.stderr
    assert job.modes() == ["checks-only", "reserve", "run", "flush-spool"]
    assert job.launches() == [f"mpirun -n 4 {tmp_path}/fake-harness " + " ".join(job.calls()[2][1])]


STEPS = [
    # (step, how to make it fail, exit status, calls before the mark)
    ("setup", {}, 7, ["reserve", "mark-failed"]),
    ("stage", {"FAKE_FAIL_stage_only": "4"}, 4, ["stage-only", "reserve", "mark-failed"]),
    ("checks", {"FAKE_FAIL_checks_only": "3"}, 3, ["stage-only", "checks-only", "reserve", "mark-failed"]),
    ("run", {"FAKE_FAIL_run": "1"}, 1, ["stage-only", "checks-only", "reserve", "run", "mark-failed"]),
    ("record", {"FAKE_FAIL_flush_spool": "5"}, 5,
     ["stage-only", "checks-only", "reserve", "run", "flush-spool", "mark-failed"]),
]


@pytest.mark.parametrize("step,env,status,modes", STEPS, ids=[s[0] for s in STEPS])
def test_a_failing_step_marks_the_row_and_fails_the_job(tmp_path, step, env, status, modes):
    setup = ["export FROM_SETUP=yes", "(exit 7) # a module load that fails"] if step == "setup" else \
        ["export FROM_SETUP=yes"]
    job = Job(tmp_path, fs="scratch", env_setup=setup)
    proc = job.run(**env)
    assert proc.returncode == status, proc.stderr
    assert job.modes() == modes
    marked_step, message, row = job.marked()
    assert (marked_step, row) == (step, "42")
    if step == "setup":
        assert message == "env_setup line 2 failed: (exit 7) # a module load that fails"
    else:
        mode = {"stage": "stage-only", "checks": "checks-only", "record": "flush-spool"}.get(step, step)
        assert message == f"harness: fake {mode} failure"   # the step's last stderr line
    assert f"job: step {step} failed (status {status})" in proc.stderr
    assert "job: done" not in proc.stdout


def test_a_failing_reservation(tmp_path):
    job = Job(tmp_path)
    proc = job.run(FAKE_FAIL_reserve="5")
    assert proc.returncode == 5
    # The job tries once more to leave a mark, then says it could not.
    assert job.modes() == ["checks-only", "reserve", "reserve"]
    assert "no result row could be reserved" in proc.stderr
    proc = job.run(FAKE_ROW="ERROR")
    assert proc.returncode == 5
    assert "--reserve printed 'ERROR', not a row id" in proc.stderr
    proc = job.run(FAKE_FAIL_mark_failed="5", FAKE_FAIL_run="1")
    assert proc.returncode == 1 and "could not mark row 42 failed at step run" in proc.stderr


def test_time_limit_signal_marks_the_run(tmp_path):
    job = Job(tmp_path)
    proc = subprocess.Popen(["bash", str(job.script)], env={**job.env, "FAKE_RUN_HANG": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    running = Path(f"{job.log}.running")
    deadline = time.monotonic() + 30
    while not running.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert running.exists(), proc.communicate()
    os.killpg(proc.pid, signal.SIGTERM)   # as Slurm signals every process of the job
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    step, message, row = job.marked()
    assert (step, row) == ("run", "42") and "terminated by a signal" in message


def test_debug_traces_and_setup_lines_run_first(tmp_path):
    job = Job(tmp_path, debug=1, env_setup=["export FROM_SETUP=yes", 'echo "set up: it\'s done"'])
    proc = job.run()
    assert proc.returncode == 0, proc.stderr
    assert "set up: it's done" in proc.stdout
    assert job.launches()[0] == "module list"
    assert "+ run_step checks " in proc.stderr   # set -x
    assert all(env["FROM_SETUP"] == "yes" for _, _, env in job.calls())
    quiet = Job(tmp_path / "quiet")
    proc = quiet.run()
    assert "+ run_step" not in proc.stderr and "module list" not in quiet.launches()


def test_old_logs_are_pruned(tmp_path):
    job = Job(tmp_path, log_max_age_days=1)
    logs = tmp_path / "logs"
    old = [logs / "slurm-local-mpi4py-import-1-common-5.out", logs / "local-mpi4py-import-1-common-5.json"]
    kept = [logs / "slurm-local-mpi4py-import-1-common-6.out", logs / "notes.txt"]
    for path in old + kept:
        path.write_text("x")
    two_days_ago = time.time() - 2 * 86400
    for path in old + [logs / "notes.txt"]:
        os.utime(path, (two_days_ago, two_days_ago))
    proc = job.run()
    assert proc.returncode == 0, proc.stderr
    assert not any(p.exists() for p in old) and all(p.exists() for p in kept)
    assert f"job: pruned old log {old[0]}" in proc.stderr
    # 0 keeps everything.
    keep = Job(tmp_path / "keep", log_max_age_days=0)
    old_log = tmp_path / "keep" / "logs" / "slurm-local-mpi4py-import-1-common-1.out"
    old_log.write_text("x")
    os.utime(old_log, (0, 0))
    assert keep.run().returncode == 0 and old_log.exists()


def test_paths_with_quotes_and_spaces(tmp_path):
    job = Job(tmp_path, cfg_dir=tmp_path / "it's a dir")
    proc = job.run()
    assert proc.returncode == 0, proc.stderr
    args = job.calls()[0][1]
    assert args[args.index("--config") + 1] == str(tmp_path / "it's a dir" / "local.cfg")
