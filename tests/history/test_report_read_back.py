"""What the report reads back and trusts, against a real PostgreSQL: the
output of otava (anything but the shape it was asked for is an error,
never "no change"), strings from the database on a terminal (control
characters escaped) and figures that are not finite numbers (skipped and
counted, never printed as bare NaN tokens or drawn at -nan)."""
import json
import os
import re

import pytest

from helpers.harness import harness
from helpers.results import db_init, ok

RUNS = 30


def fill(db, machine="local", filesystem="common", suite="numpy"):
    """RUNS ok runs of one setup, one every 6 hours, about 0.2 s each."""
    db.psql(f"""INSERT INTO results (status, machine, filesystem, ranks, import_statement, suite, started_at, elapsed_s)
        SELECT 'ok', :'v1', :'v2', 4, 'import numpy', :'v3',
               date_trunc('hour', now()) - interval '6 hours' * ({RUNS} - i), 0.2 + 0.001 * (i % 7)
        FROM generate_series(1, {RUNS}) i""", machine, filesystem, suite)


def fake_otava(tmp_path, output):
    path = tmp_path / "otava"
    path.write_text(f"#!/bin/sh\nprintf '%s' '{output}'\n")
    path.chmod(0o755)
    return {**os.environ, "HARNESS_OTAVA": str(path)}


@pytest.mark.parametrize("output, why", [
    ("", "no result for local / common / 4 ranks / numpy (test s0)"),
    ("{}\\n", "no result for local / common / 4 ranks / numpy (test s0)"),
    ("all is well\\n", "no result for local / common / 4 ranks / numpy (test s0)"),
    ('{"s0": {}}\\n', "s0: not an array of change groups"),
    ('{"s0": [{"time": 1}]}\\n', "s0: a change group without a changes array"),
    ('{"s7": []}\\n', "s7: a test that was not asked for"),
], ids=["nothing", "empty-object", "garbage", "not-an-array", "no-changes", "unknown-test"])
def test_otava_output_of_the_wrong_shape_is_an_error_never_no_change(pgdb, tmp_path, output, why):
    db_init(pgdb)
    fill(pgdb)
    env = fake_otava(tmp_path, output)
    for extra in ((), ("--fail-on-regression", "1.2")):
        proc = ok(harness("--report", "--config", pgdb.config, "--out", tmp_path / "r", *extra, env=env), 4)
        assert "Change points (" not in proc.stdout, proc.stdout
        assert proc.stderr == ("harness: report: otava's output is not what otava analyze --output json prints: "
                               f"{why}\n"), proc.stderr
