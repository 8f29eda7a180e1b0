"""The set-up scripts: install-deps.sh as root and not, and
build-virtualenv.sh offline from a wheelhouse, twice."""
import os
import subprocess

import pytest

from helpers.harness import ROOT

INSTALL = ROOT / "jobs/install-deps.sh"
BUILD = ROOT / "jobs/build-virtualenv.sh"


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)


def test_install_deps_reports_present_packages():
    proc = run([INSTALL, "--test", "--check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Debian packages present" in proc.stdout


@pytest.mark.root  # runuser
def test_install_deps_not_root_prints_the_command_and_stops():
    env = dict(os.environ, INSTALL_DEPS_EXTRA="mpi4py-import-no-such-package")
    proc = run(["runuser", "-u", "nobody", "--", INSTALL], env=env)
    assert proc.returncode == 1
    assert "apt-get install -y mpi4py-import-no-such-package" in proc.stderr
    assert "as root, run:" in proc.stderr


def test_install_deps_check_names_what_is_missing():
    env = dict(os.environ, INSTALL_DEPS_EXTRA="mpi4py-import-no-such-package")
    proc = run([INSTALL, "--check"], env=env)
    assert proc.returncode == 1 and "missing: mpi4py-import-no-such-package" in proc.stdout


def test_install_deps_rejects_unknown_arguments():
    proc = run([INSTALL, "--frobnicate"])
    assert proc.returncode == 2 and "unknown argument '--frobnicate'" in proc.stderr


# No index at all: pip may only use the wheelhouse.
OFFLINE = dict(os.environ, PIP_INDEX_URL="http://127.0.0.1:9/none", PIP_EXTRA_INDEX_URL="")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """A wheelhouse, made with network access as a centre would on a login node."""
    path = tmp_path_factory.mktemp("wheels")
    got = run(["python3", "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", path, "six"])
    assert got.returncode == 0, got.stderr
    return path


def test_build_virtualenv_offline_from_a_wheelhouse_is_idempotent(tmp_path, wheels):
    dest = tmp_path / "venv"
    env = OFFLINE
    args = [BUILD, "--wheelhouse", wheels, "--packages", "six", "--no-mpi4py", dest]
    first = run(args, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "creating" in first.stdout
    assert "six" in first.stdout and "python  3." in first.stdout
    assert "entries (without *.pyc)" in first.stdout
    assert (dest / "bin/python").exists() and not (dest / "bin/python").is_symlink()
    second = run(args, env=env)
    assert second.returncode == 0, second.stderr
    assert "exists, bringing it up to date" in second.stdout


def test_build_virtualenv_bad_usage(tmp_path):
    proc = run([BUILD])
    assert proc.returncode == 2 and "Usage:" in proc.stderr
    proc = run([BUILD, "--wheelhouse", tmp_path / "nowhere", tmp_path / "v"])
    assert proc.returncode == 1 and "is not a directory" in proc.stderr
    proc = run([BUILD, "--frob", tmp_path / "v"])
    assert proc.returncode == 2 and "unknown option '--frob'" in proc.stderr


def test_build_virtualenv_installs_what_the_machines_suites_need(tmp_path, wheels):
    cfg = tmp_path / "suites.cfg"
    cfg.write_text('suites = ( { name = "six"; import = "import six"; packages = ["six"]; },\n'
                   '  { name = "std"; import = "import json"; packages = []; } );\n'
                   f'machines = ({{ name = "m"; venv = "{tmp_path}/venv"; suites = ["std", "six"];\n'
                   '  filesystems = ({ name = "common"; kind = "inplace"; }); });\n')
    listed = run([ROOT / "build/harness", "--suite-packages", "--config", cfg, "--machine", "m"])
    assert listed.returncode == 0 and listed.stdout == "six\n", listed.stderr
    env = OFFLINE
    proc = run([BUILD, "--wheelhouse", wheels, "--config", cfg, "--machine", "m", "--no-mpi4py", tmp_path / "venv"],
               env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "machine m's suites need: six" in proc.stdout and "six " in proc.stdout
    proc = run([BUILD, "--config", cfg, tmp_path / "v2"])
    assert proc.returncode == 2 and "--config and --machine go together" in proc.stderr


@pytest.mark.root  # runuser
def test_make_test_not_root_stops_before_running_anything():
    """`make test` installs what the tests need as root; as another user
    it prints the exact apt-get command and stops there."""
    env = dict(os.environ, INSTALL_DEPS_EXTRA="mpi4py-import-no-such-package")
    proc = run(["runuser", "-u", "nobody", "--", "make", "--no-print-directory", "-C", ROOT, "test"], env=env)
    assert proc.returncode != 0
    assert "as root, run:  apt-get update && apt-get install -y mpi4py-import-no-such-package" in proc.stderr
    # Nothing after the dependency step ran: no build, no pytest.
    assert proc.stdout.strip().splitlines() == ["jobs/install-deps.sh --test"], proc.stdout
    proc = run(["runuser", "-u", "nobody", "--", INSTALL, "--test", "--check"], env=env)
    assert proc.returncode == 1 and "missing: mpi4py-import-no-such-package" in proc.stdout
