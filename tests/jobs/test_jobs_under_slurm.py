"""The jobs end to end under a real single-node Slurm and a real PostgreSQL:
the generated local small job submitted by jobs/cron-submit.sh runs to
COMPLETED and leaves an ok row; a second submission while it is pending is
skipped; a job whose import fails, or whose run fails on one rank, leaves a
failed row and a non-zero job exit."""
import json
import re
import subprocess

import pytest

from helpers.harness import ROOT, harness, sanitizer_clean
from helpers.jobtools import gen_jobs, local_config

CRON_SUBMIT = ROOT / "jobs/cron-submit.sh"
pytestmark = pytest.mark.usefixtures("venv", "release_build")


def setup_jobs(tmp_path, pgdb, keep="common", replace=(), **machine):
    """A config for PGDB derived from conf/local.cfg, its schema, and the
    small job of filesystem KEEP alone in the jobs directory (the staged
    ones share paths with other tests)."""
    cfg = local_config(tmp_path, conninfo=pgdb.server.conninfo(pgdb.name), replace=replace, **machine)
    proc = harness("--db-init", "--config", cfg)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    jobs = tmp_path / "jobs"
    proc = gen_jobs(cfg, jobs, "--machine", "local", "--size", "small")
    assert proc.returncode == 0, proc.stderr
    for script in jobs.iterdir():
        if not script.name.endswith(f"-{keep}.sh"):
            script.unlink()
    return cfg, jobs


def cron_submit(jobs, *args):
    return subprocess.run([str(CRON_SUBMIT), "--size", "small", "--jobs", str(jobs), *args], capture_output=True,
                          text=True, timeout=60)


def rows(pgdb):
    return pgdb.psql("SELECT id, status, ranks, job_id, coalesce(failed_step, ''), coalesce(failed_message, ''), "
                     "coalesce(failed_ranks, -1) FROM results ORDER BY id")


def job_log(tmp_path, name, job_id):
    path = tmp_path / "logs" / f"slurm-{name}-{job_id}.out"
    return path.read_text() if path.exists() else f"(no job log {path})"


def test_cron_submitted_job_completes_with_an_ok_row(tmp_path, slurm, pgdb):
    _, jobs = setup_jobs(tmp_path, pgdb)
    name = "local-mpi4py-import-1-common"
    # Held, the job stays pending while the second submission looks.
    first = cron_submit(jobs, "--hold")
    assert first.returncode == 0, first.stdout + first.stderr
    m = re.search(rf"cron-submit: submitted {name} as job (\d+) held ", first.stdout)
    assert m, first.stdout
    job_id = m.group(1)
    held = slurm.job(job_id)
    assert (held["JobState"], held["Priority"]) == ("PENDING", "0"), held
    second = cron_submit(jobs)
    assert second.returncode == 3, second.stdout + second.stderr
    assert f"skipped {name}: job {job_id} already pending or running" in second.stdout
    slurm.run("scontrol", "release", job_id, check=True)
    fields = slurm.wait_job(job_id)
    log = job_log(tmp_path, name, job_id)
    assert fields["JobState"] == "COMPLETED" and fields["ExitCode"] == "0:0", log + slurm.dump()
    assert rows(pgdb) == [[rows(pgdb)[0][0], "ok", "4", job_id, "", "", "0"]], log
    result = json.loads((tmp_path / "logs" / f"{name}-{job_id}.json").read_text())
    assert result["ranks"] == 4 and result["job_id"] == job_id and result["ok"] == 4
    assert f"job: done, result row {rows(pgdb)[0][0]}" in log


def run_job(tmp_path, slurm, pgdb, fs="common", **setup):
    """Generates the small job of FS, submits it with sbatch and waits for
    its end; returns (job id, its Slurm fields, its log, the one row)."""
    _, jobs = setup_jobs(tmp_path, pgdb, keep=fs, **setup)
    name = f"local-mpi4py-import-1-{fs}"
    proc = slurm.run("sbatch", "--parsable", jobs / f"{name}.sh")
    assert proc.returncode == 0, proc.stderr
    job_id = proc.stdout.strip().split(";")[0]
    fields = slurm.wait_job(job_id)
    log = job_log(tmp_path, name, job_id)
    found = rows(pgdb)
    assert len(found) == 1, (found, log)
    return job_id, fields, log, found[0]


def test_job_whose_import_fails_leaves_a_failed_row(tmp_path, slurm, pgdb):
    job_id, fields, log, row = run_job(tmp_path, slurm, pgdb, **{"import": "import no_such_module_xyz"})
    # The checks stop the job before the scale run: exit 3, the set-up status.
    assert fields["JobState"] == "FAILED" and fields["ExitCode"] == "3:0", log
    assert row[1:5] == ["failed", "4", job_id, "checks"], log
    assert "No module named 'no_such_module_xyz'" in row[5]


def test_job_whose_run_fails_on_one_rank_under_mpirun(tmp_path, slurm, pgdb):
    # The set-up check (one process, no rank) passes; rank 2 fails in the run.
    stmt = "import os; os.environ.get('PMIX_RANK') != '2' or os._exit(3)"
    job_id, fields, log, row = run_job(tmp_path, slurm, pgdb, launcher="mpirun", **{"import": stmt})
    assert fields["JobState"] == "FAILED" and fields["ExitCode"] == "1:0", log
    # The run recorded its result (one failed rank); the job's mark leaves it so.
    assert row[1:4] == ["failed", "4", job_id] and row[6] == "1", log
    assert "job: step run failed (status 1)" in log


def test_staged_filesystem_job_stages_then_runs(tmp_path, slurm, pgdb):
    # The scratch filesystem, staged into this test's directory.
    target = tmp_path / "scratch" / "staged-mpi4py-import"
    job_id, fields, log, row = run_job(
        tmp_path, slurm, pgdb, fs="scratch",
        replace=[('"/tmp/mpi4py-import/scratch/staged-mpi4py-import"', f'"{target}"')])
    assert fields["JobState"] == "COMPLETED" and fields["ExitCode"] == "0:0", log
    assert row[1:5] == ["ok", "4", job_id, ""], log
    assert (target / "bin/python").exists()
    result = json.loads((tmp_path / "logs" / f"local-mpi4py-import-1-scratch-{job_id}.json").read_text())
    assert result["venv"] == str(target) and result["filesystem"] == "scratch"
