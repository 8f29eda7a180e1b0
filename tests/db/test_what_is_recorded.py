"""What reaches the results table, under the real PostgreSQL: never a
--launch-start stamp from after the run's own start (launch_s and
original_s would be negative figures no reader questions); and what a
flush does with a spooled file it could never send (set aside, and on
with the others)."""
import json
import time

import pytest

from helpers.harness import VENV, harness
from helpers.pgserver import write_config
from helpers.results import CHEAP, db_init, ok, run, spooled

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


def test_a_malformed_spool_key_is_set_aside_and_the_flush_goes_on(pgdb, tmp_path):
    """A key of a UUID's length that is no UUID would fail the send on
    every flush (and was kept, stopping the flush there): it is set aside
    before anything is sent, and the good results after it still land."""
    db_init(pgdb)
    down = write_config(tmp_path / "down.cfg", "host=/nonexistent port=1", pgdb.spool, VENV)
    for _ in range(3):
        ok(run(pgdb, 1, *CHEAP, config=down))
    good = spooled(pgdb)
    env = json.loads(good[0].read_text())
    env["key"] = "x" * 36
    bad = pgdb.spool / "result-0000-malformed.json"    # sorted first: tried before the good ones
    bad.write_text(json.dumps(env))
    proc = ok(harness("--flush-spool", "--config", pgdb.config), 1)
    assert "3 sent, 0 already recorded, 0 kept, 1 set aside" in proc.stdout, proc.stdout + proc.stderr
    assert pgdb.rows() == "3" and spooled(pgdb) == []
    reason = (pgdb.spool / "rejected" / (bad.name + ".reason")).read_text()
    assert reason == f"{bad}: not a spooled result: its key is not a UUID\n"


@pytest.mark.parametrize("token, key", [("NaN", "elapsed_s"), ("1e999", "per_rank.median")])
def test_a_non_finite_figure_is_never_recorded_and_the_reason_names_it(pgdb, tmp_path, token, key):
    db_init(pgdb)
    down = write_config(tmp_path / "down.cfg", "host=/nonexistent port=1", pgdb.spool, VENV)
    ok(run(pgdb, 1, *CHEAP, config=down))
    [spool] = spooled(pgdb)
    text = spool.read_text()
    field = '"median":' if key == "per_rank.median" else '"elapsed_s":'
    assert field in text
    spool.write_text(text.replace(field, f'{field} {token}, "was":', 1))
    proc = ok(harness("--flush-spool", "--config", pgdb.config), 1)
    assert "0 sent, 0 already recorded, 0 kept, 1 set aside" in proc.stdout
    assert pgdb.rows() == "0" and spooled(pgdb) == []
    kept = json.loads((pgdb.spool / "rejected" / spool.name).read_text(), parse_constant=str)
    assert kept["rejected_because"] == f"the result's {key} is not a finite number: refused"
