"""What reaches the results table, under the real PostgreSQL: never a
--launch-start stamp from after the run's own start (launch_s and
original_s would be negative figures no reader questions)."""
import time

import pytest

from helpers.results import CHEAP, db_init, run, spooled

pytestmark = pytest.mark.usefixtures("venv")


def test_launch_start_after_the_runs_own_start_is_refused(pgdb, tmp_path):
    db_init(pgdb)
    out = tmp_path / "r.json"
    stamp = time.time() + 365 * 86400
    proc = run(pgdb, 2, *CHEAP, "--json", out, "--launch-start", f"{stamp:.6f}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("harness: ")]
    assert len(errors) == 1 and "--launch-start" in errors[0] and "later than this run's start" in errors[0], \
        proc.stderr
    assert not out.exists() and pgdb.rows() == "0" and not spooled(pgdb)
