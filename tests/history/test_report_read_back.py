"""What the report reads back and trusts, against a real PostgreSQL: the
output of otava (anything but the shape it was asked for is an error,
never "no change"), strings from the database on a terminal (control
characters escaped) and figures that are not finite numbers (skipped and
counted, never printed as bare NaN tokens or drawn at -nan)."""
import json
import os
import re
import sys

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


FAKE_OTAVA_WITH_A_CHANGE = r'''#!/usr/bin/env python3
"""otava analyze's JSON for s0: one change at its 16th run. Run as the
harness runs otava's python: -I -c CODE DIR P-VALUE MAGNITUDE TESTS..."""
import json, sys
rows = [line.split() for line in open(sys.argv[4] + "/s0.tsv")]
t = int(rows[15][0])
print(json.dumps({"s0": [{"time": t, "changes": [{"metric": "elapsed_s", "time": t, "pvalue": "0.000001"}]}]}))
'''

HOSTILE = {"machine": "m\x1b]0;pwned\x07\x1b[2J", "filesystem": "fs\u009b31m\x7f", "suite": "s\nregression: none"}


def test_database_strings_reach_the_terminal_with_control_characters_escaped(pgdb, tmp_path):
    """Names written into the results by any other client of the database:
    an OSC that sets the terminal's title, a screen clear, a C1 CSI, DEL, a
    newline forging a line of the report. The text report prints them
    escaped; the tables, the change points and the regression line alike."""
    db_init(pgdb)
    fill(pgdb, **HOSTILE)
    pgdb.psql(f"UPDATE results SET elapsed_s = elapsed_s * 2 WHERE started_at > now() - interval '{6 * 14} hours'")
    otava = tmp_path / "otava"
    otava.write_text(FAKE_OTAVA_WITH_A_CHANGE.replace("/usr/bin/env python3", os.path.realpath(sys.executable)))
    otava.chmod(0o755)
    env = {**os.environ, "HARNESS_OTAVA": str(otava)}
    proc = ok(harness("--report", "--config", pgdb.config, "--out", tmp_path / "r", "--fail-on-regression", "1.5",
                      env=env), 1)
    text = proc.stdout + proc.stderr
    for c in "\x1b\x07\x7f\u009b":
        assert c not in text, repr(text)
    label = r"m\x1b]0;pwned\x07\x1b[2J / fs\u009b31m\x7f / 4 ranks / s\x0aregression: none"
    assert text.count(label) == 3, text      # the verdict, the change point's row and the regression line
    assert "regression: " + label + ": 2.0" in text
    assert [line for line in text.splitlines() if line.startswith("regression: ")] == \
        [line for line in text.splitlines() if line.startswith("regression: " + label)]
    assert text.count(r"m\x1b]0;pwned\x07\x1b[2J  ") == 5, text   # the tables' rows: 1 + 4 hours


def test_non_finite_figures_are_skipped_and_counted_never_printed_or_drawn(pgdb, tmp_path):
    """Rows that another client wrote with elapsed_s NaN and Infinity (the
    column takes them): jsonl holds no bare NaN/Infinity token and says how
    many it skipped; the page draws no -nan coordinate and says so too."""
    db_init(pgdb)
    fill(pgdb)
    pgdb.psql("UPDATE results SET elapsed_s = 'NaN' WHERE id = (SELECT min(id) FROM results)")
    pgdb.psql("UPDATE results SET elapsed_s = 'Infinity' WHERE id = (SELECT max(id) FROM results)")
    env = fake_otava(tmp_path, '{"s0": []}\\n')
    proc = ok(harness("--report", "--config", pgdb.config, "--format", "jsonl", env=env))
    lines = proc.stdout.splitlines()
    assert len(lines) == RUNS - 2
    for line in lines:
        record = json.loads(line, parse_constant=lambda c: pytest.fail(f"bare {c} in {line}"))
        assert record["check_perf_ref"] == pytest.approx(0.203, abs=0.004)
    assert "report: 2 runs skipped: elapsed_s is not a finite number (NaN or Infinity)" in proc.stderr
    out = tmp_path / "r"
    proc = ok(harness("--report", "--html", "--config", pgdb.config, "--out", out, env=env))
    assert "2 runs skipped: elapsed_s is not a finite number (NaN or Infinity)" in proc.stdout
    html = (out / "report.html").read_text()
    # No coordinate, path or tooltip number is NaN or infinite.
    bad = re.findall(r'="[-+\d.eE ,MLHVZmlhvz]*(?:nan|inf)', html, flags=re.I)
    assert not bad, bad
    assert 'id="nonfinite">2 runs skipped: elapsed_s is not a finite number (NaN or Infinity).' in html
    summary = proc.stdout.split("Runs per setup", 1)[1].split("\n\n", 1)[0]
    assert "NaN" not in summary and "Infinity" not in summary, summary
