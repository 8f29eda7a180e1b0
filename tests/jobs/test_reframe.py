"""The ReFrame check (jobs/reframe/) under the real ReFrame of
build/tools-venv, against the tests' own Slurm (the squeue backend, srun):
on the local:slurm entry of the shipped references it passes on the common
and tmpfs filesystems and its perflog has one line per performance
variable holding the figure of the harness's JSON; an impossible reference
is a performance failure; an import that fails, or one that outlives the
timeout, is a sanity failure with the harness's message; a fault in the
references file stops the run naming it."""
import json
import os
import re
import subprocess

import pytest

from helpers.harness import RELEASE_HARNESS, ROOT
from helpers.jobtools import local_config

REFRAME = ROOT / "build/tools-venv/bin/reframe"
SETTINGS = ROOT / "jobs/reframe/settings.py"
CHECK = ROOT / "jobs/reframe/mpi4py_import.py"
pytestmark = pytest.mark.usefixtures("venv", "release_build")

# The harness's JSON figure of each performance variable (as the results
# table's columns read it).
JSON_FIGURES = {
    "elapsed_s": ("elapsed_s",),
    "per_rank_median": ("per_rank", "median"),
    "per_rank_max": ("per_rank", "max"),
    "startup_median": ("startup", "median"),
    "time_to_first_import_s": ("time_to_first_import_s",),
    "staging_seconds": ("staging", "seconds"),
    "meta_total": ("metadata_ops", "total"),
    "meta_enoent": ("metadata_ops", "enoent"),
}


@pytest.fixture(scope="module", autouse=True)
def built():
    assert REFRAME.exists(), "build the tools venv first: make tools"


def reframe(tmp_path, references=None, timeout=600):
    """ReFrame on the check, system local:slurm, everything it writes under
    TMP_PATH; REFERENCES: a references file instead of the shipped one."""
    env = {**os.environ}
    env.pop("MPI4PY_IMPORT_REFERENCES", None)
    if references is not None:
        env["MPI4PY_IMPORT_REFERENCES"] = str(references)
    cmd = [REFRAME, "-C", SETTINGS, "-c", CHECK, "--system", "local:slurm", "--prefix", tmp_path / "rfm",
           "--perflogdir", tmp_path / "perflogs", "--report-file", tmp_path / "report.json", "--nocolor",
           "--warn-as-error", "-r"]
    return subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=tmp_path)


def perflog(tmp_path):
    """The perflog's lines as dicts of its header's columns."""
    path = tmp_path / "perflogs/local/slurm/Mpi4pyImportCheck.log"
    lines = path.read_text().splitlines()
    header = lines[0].split("|")
    rows = [dict(zip(header, line.split("|"), strict=True)) for line in lines[1:]]
    assert rows, path
    return rows


def results(tmp_path, stage="output"):
    """The harness's JSON of each test case, by filesystem (ReFrame keeps
    result.json in the output directory; a failed case's stays staged)."""
    found = {}
    for path in (tmp_path / "rfm" / stage / "local/slurm/builtin").glob("*/result.json"):
        result = json.loads(path.read_text())
        found[result["filesystem"]] = result
    return found


def figure(result, keys):
    for key in keys:
        result = result[key]
    return result


def references_file(tmp_path, config, filesystems=("common",), extra=""):
    path = tmp_path / "references.toml"
    path.write_text(f"""\
["local:slurm"]
config = "{config}"
machine = "local"
harness = "{RELEASE_HARNESS}"
filesystems = {json.dumps(list(filesystems))}
tasks_per_node = 2
time_limit = "5m"
{extra}""")
    return path


def test_check_passes_and_perflog_holds_the_harness_figures(tmp_path, slurm):
    proc = reframe(tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out + slurm.dump()
    assert re.search(r"\[  PASSED  \] Ran 2/2 test case\(s\) from 2 check\(s\) \(0 failure", out), out
    by_fs = results(tmp_path)
    assert sorted(by_fs) == ["common", "tmpfs"], out
    rows = perflog(tmp_path)
    for fs, result in by_fs.items():
        assert (result["status"], result["ranks"], result["ok"], result["nodes"]) == ("ok", 4, 4, 1)
        lines = [row for row in rows if row["filesystem"] == fs]
        # One line per variable; staging only where the venv was staged.
        expected = set(JSON_FIGURES) - ({"staging_seconds"} if fs == "common" else set())
        assert sorted(row["perf_var"] for row in lines) == sorted(expected), lines
        for row in lines:
            assert float(row["perf_value"]) == figure(result, JSON_FIGURES[row["perf_var"]]), row
            assert (row["system:partition"], row["suite"], row["scale"], row["nodes"], row["ranks"]) == \
                ("local:slurm", "numpy", "1_node", "1", "4"), row
            # The perflog's job id is the result's (the results table's job_id).
            assert row["jobid"] == result["job_id"], row
            assert row["perf_unit"] == ("ops" if row["perf_var"].startswith("meta_") else "s"), row
            # The shipped references hold every variable there is.
            assert row["perf_ref"] not in ("", "0", "null") and row["perf_result"] == "pass", row
            assert row["result"] == "pass", row


def test_an_impossible_reference_is_a_performance_failure(tmp_path, slurm):
    refs = references_file(tmp_path, ROOT / "conf/local.cfg", extra="""\
["local:slurm".references.common]
elapsed_s = { ref = 1e-9, upper = 0.1 }
meta_total = { ref = 1, lower = -0.5, upper = 100000, unit = "ops" }
""")
    proc = reframe(tmp_path, refs)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Ran 1/1 test case(s) from 1 check(s) (1 failure(s)" in out, out + slurm.dump()
    assert "==> test failed during 'performance'" in out, out
    result = results(tmp_path, stage="stage")["common"]
    assert f"failed to meet reference(s): elapsed_s={result['elapsed_s']!r} s, expected 1e-09" in out, out
    rows = {row["perf_var"]: row for row in perflog(tmp_path)}
    assert (rows["elapsed_s"]["perf_result"], rows["elapsed_s"]["result"]) == ("fail", "fail"), rows
    assert float(rows["elapsed_s"]["perf_value"]) == result["elapsed_s"]
    # The reference met is still met: only elapsed_s failed.
    assert rows["meta_total"]["perf_result"] == "pass", rows


@pytest.mark.parametrize("statement, timeout, reason", [
    ("import numpy, mpi4py_import_no_such_module", None,
     r"import phase: 2 failed, 0 timed out; first failure rank 0, exit 1: "
     r"ModuleNotFoundError: No module named 'mpi4py_import_no_such_module'"),
    ("import time; time.sleep(120)", 3,
     r"harness: rank \d on \S+: \S+/build/venv/bin/python still running after 3 s, killed "
     r"\(import phase: 0 failed, 2 timed out; first failure rank 0, exit 137\)"),
], ids=["import-fails", "import-times-out"])
def test_a_failed_rank_is_a_sanity_failure_with_the_harness_message(tmp_path, slurm, statement, timeout, reason):
    config = local_config(tmp_path, replace=[('import = "import numpy";', f'import = "{statement}";')])
    refs = references_file(tmp_path, config, extra=f"timeout = {timeout}\n" if timeout else "")
    proc = reframe(tmp_path, refs)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "==> test failed during 'sanity'" in out, out + slurm.dump()
    assert re.search(r"\* Reason: sanity error: " + reason + "$", out, flags=re.M), out


def test_a_fault_in_the_references_file_stops_the_run_naming_it(tmp_path):
    refs = references_file(tmp_path, ROOT / "conf/local.cfg", extra="""\
["local:slurm".references.common]
elapsed = { ref = 1.0 }
""")
    proc = reframe(tmp_path, refs, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert (f"references error: {refs}: local:slurm.references.common.elapsed: unknown performance variable "
            "(known: elapsed_s, per_rank_median,") in out, out
    assert "Running" not in out, out


def test_a_figure_with_a_reference_that_the_result_lacks_is_a_sanity_failure(tmp_path, slurm):
    """A harness whose result says ok on every rank but holds no figures:
    the reference on elapsed_s must fail the check, not be left unchecked."""
    fake = tmp_path / "fake-harness"
    fake.write_text("#!/bin/sh\n"
                    "while [ $# -gt 0 ]; do [ \"$1\" = --json ] && out=$2; shift; done\n"
                    "[ \"$SLURM_PROCID\" = 0 ] || exit 0\n"
                    "printf '{\"status\": \"ok\", \"ok\": %s, \"failed\": 0, \"timed_out\": 0, \"ranks\": %s}\\n' "
                    "\"$SLURM_NTASKS\" \"$SLURM_NTASKS\" > \"$out\"\n")
    fake.chmod(0o755)
    refs = references_file(tmp_path, ROOT / "conf/local.cfg", extra="""\
["local:slurm".references.common]
elapsed_s = { ref = 0.5, upper = 59.0 }
""")
    refs.write_text(refs.read_text().replace(f'harness = "{RELEASE_HARNESS}"', f'harness = "{fake}"'))
    proc = reframe(tmp_path, refs)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "==> test failed during 'sanity'" in out, out + slurm.dump()
    assert re.search(r"\* Reason: sanity error: the result has no elapsed_s \(elapsed_s\), which "
                     + re.escape(str(refs)) + " holds a reference for$", out, flags=re.M), out
