"""shellcheck over every shell file of the project and over generated job
scripts (the body in jobs/job-body.sh with the settings --gen-jobs writes
above it), so the job's shell is checked where it runs."""
import shutil
import subprocess

import pytest

from helpers.harness import ROOT
from helpers.jobtools import gen_jobs

SHELL_FILES = sorted([*ROOT.glob("jobs/*.sh"), *ROOT.glob("bench/*.sh"), *ROOT.glob("tools/*/*.sh"),
                      ROOT / "tests/run.sh", ROOT / ".ci/run", ROOT / "harness/jobgen/embed_body.sh"])


def shellcheck(*paths):
    assert shutil.which("shellcheck"), "shellcheck is missing: jobs/install-deps.sh --test installs it"
    # Every severity down to info (SC2086, an unquoted expansion, is info);
    # SC2317 sees functions called only from traps as unreachable.
    # -x from the top of the checkout: the bench scripts source bench/lib.sh.
    return subprocess.run(["shellcheck", "-x", "-S", "info", "-e", "SC2317", *map(str, paths)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize("path", SHELL_FILES, ids=[str(p.relative_to(ROOT)) for p in SHELL_FILES])
def test_project_shell_files(path):
    proc = shellcheck(path)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("cfg", ["cori.cfg", "edison.cfg"])
def test_generated_job_scripts(tmp_path, cfg):
    out = tmp_path / "jobs"
    proc = gen_jobs(ROOT / "conf" / cfg, out)
    assert proc.returncode == 0, proc.stderr
    scripts = sorted(out.glob("*.sh"))
    assert scripts
    proc = shellcheck(*scripts)
    assert proc.returncode == 0, proc.stdout


def test_shellcheck_finds_a_fault(tmp_path):
    """The check can fail: an unquoted expansion in a copy of the body."""
    bad = tmp_path / "bad.sh"
    bad.write_text((ROOT / "jobs/job-body.sh").read_text() + 'rm -f $step_err\n')
    proc = shellcheck(bad)
    assert proc.returncode != 0 and "SC2086" in proc.stdout
