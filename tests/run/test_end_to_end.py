"""The harness end to end on the real venv under a real mpirun: results,
failing and hanging children, bad configs, set-up checks."""
import json
import os

import pytest

from helpers.harness import LOCAL_CFG, RELEASE_HARNESS, VENV, harness, mpirun, sanitizer_clean

pytestmark = pytest.mark.usefixtures("venv")


def test_four_ranks_import_numpy(run_json):
    proc, r = run_json(4, "common")
    assert proc.returncode == 0, proc.stderr
    assert r["ranks"] == 4 and r["nodes"] == 1
    assert r["failed"] == 0 and r["timed_out"] == 0 and r["ok"] == 4
    pr = r["per_rank"]
    assert r["elapsed_s"] >= pr["max"] > 0
    assert pr["min"] <= pr["median"] <= pr["p90"] <= pr["p99"] <= pr["max"]
    assert pr["min"] <= pr["mean"] <= pr["max"]
    assert r["metadata_ops"]["openat"] > 100
    assert r["metadata_ops"]["enoent"] > 0
    assert r["metadata_ops"]["total"] >= r["metadata_ops"]["openat"] + r["metadata_ops"]["newfstatat"]
    st = r["startup"]
    assert st["failed"] == 0 and 0 < st["median"] < pr["median"]
    assert r["import_statement"] == "import numpy"
    assert r["python_version"].startswith("3.")
    assert r["numpy_version"] and r["modules"]["numpy"].startswith(str(VENV.resolve()))
    assert r["started_at"].endswith("Z") and r["job_id"] is None
    assert r["machine"] == "local" and r["filesystem"] == "common"
    # The table: both phases, the slowest rank, the import cost.
    assert "import " in proc.stdout and "startup " in proc.stdout
    assert "slowest rank" in proc.stdout and "import cost" in proc.stdout


def test_import_failing_on_every_rank(run_json):
    proc, r = run_json(4, "common", "--import", "import no_such_module_xyz")
    assert proc.returncode == 1
    assert r["failed"] == 4 and r["ok"] == 0 and r["timed_out"] == 0
    assert r["first_failure"]["rank"] == 0 and r["first_failure"]["exit_code"] == 1
    assert "No module named 'no_such_module_xyz'" in r["first_failure"]["stderr"]
    assert "No module named 'no_such_module_xyz'" in proc.stdout
    assert r["startup"]["failed"] == 0


def test_failure_on_one_rank_only(run_json):
    stmt = "import os, sys; sys.exit(3 if os.environ.get('OMPI_COMM_WORLD_RANK') == '2' else 0)"
    proc, r = run_json(4, "common", "--import", stmt)
    assert proc.returncode == 1
    assert r["failed"] == 1 and r["ok"] == 3
    assert r["first_failure"]["rank"] == 2 and r["first_failure"]["exit_code"] == 3


def test_child_past_timeout_is_killed(run_json):
    proc, r = run_json(4, "common", "--import", "import time; time.sleep(120)", "--timeout", "1",
                       timeout=90)
    assert proc.returncode == 1
    assert r["timed_out"] == 4 and r["failed"] == 0
    assert 1.0 <= r["per_rank"]["max"] < 30
    assert proc.stderr.count("still running after 1 s, killed") == 4
    # The set-up checks did not hang on it either.
    assert r["metadata_ops"] is None and "timed out" in r["metadata_ops_unavailable"]


def test_sixteen_ranks_on_two_cores(run_json):
    proc, r = run_json(16, "common", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert r["ranks"] == 16 and r["ok"] == 16
    assert r["elapsed_s"] >= r["per_rank"]["max"] > 0


def test_json_to_stdout_keeps_stdout_parseable():
    proc = mpirun(2, "--config", LOCAL_CFG, "--machine", "local", "--filesystem", "common", "--json", "-",
                  "--quiet")
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["ranks"] == 2
    assert "slowest rank" in proc.stderr


def test_release_build(run_json):
    proc, r = run_json(2, "common", "--quiet", harness=RELEASE_HARNESS)
    assert proc.returncode == 0, proc.stderr
    assert r["ok"] == 2


@pytest.mark.parametrize("text,line,what", [
    ('machines = (\n  { name = "x";\n    venv = ; }\n);\n', 3, "syntax error"),
    ('machines = (\n  { name = "local";\n    filesystems = (); }\n);\n', 2, "missing 'venv'"),
])
def test_bad_config_exits_2_on_every_rank(tmp_path, text, line, what):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    proc = mpirun(4, "--config", cfg, "--machine", "local", "--filesystem", "common", timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 2
    assert f"harness: {cfg}:{line}: " in proc.stderr and what in proc.stderr
    assert proc.stderr.count("harness: ") == 1, "one message, not one per rank"


@pytest.mark.parametrize("machine,fs,message", [
    ("edison", "common", "unknown machine 'edison' (this file defines: local)"),
    ("local", "lustre", "machine 'local' has no filesystem 'lustre' (it has: common, scratch, tmpfs, bcast, image)"),
])
def test_unknown_machine_or_filesystem(machine, fs, message):
    proc = mpirun(2, "--config", LOCAL_CFG, "--machine", machine, "--filesystem", fs, timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_missing_config_file():
    proc = mpirun(2, "--config", "/nonexistent/x.cfg", "--machine", "local", "--filesystem", "common",
                  timeout=60)
    assert proc.returncode == 2
    assert "cannot read config /nonexistent/x.cfg: No such file or directory" in proc.stderr


def test_staged_filesystem_with_its_source_venv_missing(tmp_path):
    # A staged run stages first: without a source there is nothing to run.
    cfg = tmp_path / "staged.cfg"
    cfg.write_text(f'machines = ({{ name = "local"; venv = "{tmp_path}/no-venv"; filesystems = (\n'
                   f'  {{ name = "scratch"; kind = "staged"; path = "{tmp_path}/target"; }}); }});\n')
    proc = mpirun(2, "--config", cfg, "--machine", "local", "--filesystem", "scratch", timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 3
    assert proc.stderr.count("harness: ") == 1
    assert f"staging filesystem 'scratch': the source virtualenv {tmp_path}/no-venv does not exist" in proc.stderr
    assert not (tmp_path / "target").exists()


def test_module_resolving_outside_the_venv_fails_fast(tmp_path):
    fake = tmp_path / "elsewhere" / "numpy"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("__version__ = '0.0-fake'\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "elsewhere"))
    proc = mpirun(2, "--config", LOCAL_CFG, "--machine", "local", "--filesystem", "common", env=env,
                  timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 3
    assert str(fake / "__init__.py") in proc.stderr
    assert f"outside the virtualenv being measured ({VENV.resolve()})" in proc.stderr


def test_without_strace_metadata_ops_are_null(tmp_path, run_json):
    # A PATH holding everything of /usr/bin but strace.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in os.listdir("/usr/bin"):
        if name != "strace":
            (bindir / name).symlink_to(f"/usr/bin/{name}")
    env = dict(os.environ, PATH=str(bindir))  # /bin is /usr/bin on Debian 12
    proc, r = run_json(2, "common", "--quiet", env=env)
    assert proc.returncode == 0, proc.stderr
    assert r["metadata_ops"] is None
    assert r["metadata_ops_unavailable"] == "strace is not installed"
    assert "metadata ops  unavailable (strace is not installed)" in proc.stdout


def test_help_and_usage_errors():
    proc = harness("--help")
    assert proc.returncode == 0
    for section in ("SYNOPSIS", "OPTIONS", "EXIT STATUS", "--filesystem", "--timeout"):
        assert section in proc.stdout
    proc = harness("--config", LOCAL_CFG, "--machine", "local")
    assert proc.returncode == 2 and "--filesystem NAME is required" in proc.stderr
    proc = harness("--bogus")
    assert proc.returncode == 2 and "unknown option '--bogus'" in proc.stderr
    proc = harness("--timeout", "soon", "--config", "x", "--machine", "m", "--filesystem", "f")
    assert proc.returncode == 2 and "--timeout 'soon' is not a positive number" in proc.stderr
    assert harness("--version").stdout.startswith("harness ")


@pytest.mark.parametrize("args,message", [
    (("--report", "--days", "100000000"), "--days '100000000' is more than 36500"),
    (("--timeout", "inf"), "--timeout 'inf' is not a positive number"),
    (("--timeout", "1e300"), "--timeout '1e300' is more than 604800 seconds"),
    (("--repeat", "100000"), "--repeat '100000' is more than 10000"),
])
def test_out_of_range_options_are_usage_errors(args, message):
    """Values out of range are refused on the command line, not left to
    fail later in the run."""
    proc = harness(*args, "--config", LOCAL_CFG, "--machine", "local", "--filesystem", "common")
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_single_process_without_mpirun(tmp_path):
    out = tmp_path / "r.json"
    # LeakSanitizer's stop-the-world pass sometimes crashes against the
    # threads of a singleton's Open MPI runtime as they exit; the leak check
    # is made by every mpirun test, memory errors are still checked here.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    proc = harness("--config", LOCAL_CFG, "--machine", "local", "--filesystem", "common", "--json", out,
                   "--quiet", timeout=120, env=env)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["ranks"] == 1


def test_repeat_counts_every_run_and_no_startup_skips_a_phase(run_json):
    proc, r = run_json(2, "common", "--quiet", "--repeat", "3", "--no-startup")
    assert proc.returncode == 0, proc.stderr
    assert r["repeats"] == 3 and r["ok"] == 6 and r["ranks"] == 2
    assert r["startup"] is None
    assert r["per_rank"]["max"] > 0 and r["elapsed_s"] > 0


def test_repeat_failure_on_a_later_rank_names_it(run_json):
    stmt = "import os, sys; sys.exit(5 if os.environ.get('OMPI_COMM_WORLD_RANK') == '1' else 0)"
    proc, r = run_json(2, "common", "--quiet", "--repeat", "2", "--import", stmt)
    assert proc.returncode == 1
    assert r["failed"] == 2 and r["ok"] == 2
    assert r["first_failure"]["rank"] == 1 and r["first_failure"]["exit_code"] == 5


def test_profile_imports_names_numpy_modules_on_every_rank(run_json):
    proc, r = run_json(4, "common", "--quiet", "--profile-imports")
    assert proc.returncode == 0, proc.stderr
    prof = r["import_profile"]
    assert prof["ranks"] == 4 and prof["modules_seen"] > 50
    mods = prof["modules"]
    assert len(mods) == 20
    numpy_mods = [m for m in mods if m["module"] == "numpy" or m["module"].startswith("numpy.")]
    assert numpy_mods, [m["module"] for m in mods]
    for m in numpy_mods:
        assert m["ranks"] == 4
        assert 0 < m["self_us"]["median"] <= m["self_us"]["max"]
        assert m["self_us"]["median"] <= m["cumulative_us"]["max"]
    selfs = [m["self_us"]["median"] for m in mods]
    assert selfs == sorted(selfs, reverse=True)
    assert "import profile (-X importtime" in proc.stdout
    # The headline import phase is not the profiled one.
    assert r["ok"] == 4


def test_suites_choose_the_statement(run_json):
    proc, r = run_json(2, "common", "--quiet", "--no-startup")
    assert r["suite"] == "numpy" and r["import_statement"] == "import numpy"
    proc, r = run_json(2, "common", "--quiet", "--no-startup", "--suite", "mpi4py")
    assert proc.returncode == 0, proc.stderr
    assert r["suite"] == "mpi4py" and r["ok"] == 2 and "from mpi4py import MPI" in r["import_statement"]
    assert r["modules"]["mpi4py"].startswith(str(VENV.resolve()))
    proc, r = run_json(2, "common", "--quiet", "--no-startup", "--import", "import json")
    assert r["suite"] == "custom"


def test_unknown_or_uncarried_suite_is_a_usage_error():
    proc = mpirun(2, "--config", LOCAL_CFG, "--machine", "local", "--filesystem", "common", "--suite", "astropy",
                  timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 2
    assert "machine 'local' does not carry suite 'astropy' (it has: numpy, mpi4py)" in proc.stderr
    proc = harness("--config", LOCAL_CFG, "--machine", "local", "--filesystem", "common", "--suite", "numpy",
                   "--import", "import os")
    assert proc.returncode == 2 and "--import and --suite exclude each other" in proc.stderr


def test_warm_up_writes_bytecode_whatever_the_callers_environment(tmp_path, run_json):
    # A staged copy holds no *.pyc: the run's warm-up must write them, even
    # where the caller's environment says not to write bytecode.
    target = tmp_path / "staged"
    cfg = tmp_path / "staged.cfg"
    cfg.write_text(f'machines = ({{ name = "local"; venv = "{VENV}"; filesystems = (\n'
                   f'  {{ name = "scratch"; kind = "staged"; path = "{target}"; }}); }});\n')
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(tmp_path / "elsewhere"))
    proc, r = run_json(2, "scratch", "--quiet", config=cfg, env=env)
    assert proc.returncode == 0, proc.stderr
    pyc = list((target / "lib").glob("python3*/site-packages/numpy/__pycache__/__init__.cpython-*.pyc"))
    assert len(pyc) == 1
    assert not (tmp_path / "elsewhere").exists()
    assert r["staging"]["copied"] > 1000
