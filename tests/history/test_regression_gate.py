"""The regression gate compares levels, not steps, against a real
PostgreSQL and the real otava: a staircase of two steps each under the
ratio, a single step, a recovery, an accepted baseline and noise alone,
60 days of a run every 6 hours with +-8% spread."""
import re

import pytest

from helpers.harness import ROOT, harness
from helpers.results import ok

OTAVA = ROOT / "build/tools-venv/bin/otava"
RUNS = 240                 # 60 days, every 6 hours


@pytest.fixture
def otava():
    assert OTAVA.exists(), "build the tools venv first: make tools"


def fill(db, filesystem, factor_sql, first=0, last=RUNS - 1, base=2.0, ranks=96):
    """Runs FIRST..LAST of FILESYSTEM: BASE seconds x +-8% x FACTOR_SQL (an
    expression of the run index i), run i at (RUNS - 1 - i) x 6 hours ago."""
    db.psql(f"""
        INSERT INTO results (status, machine, filesystem, fs_kind, ranks, import_statement, suite, started_at,
                             elapsed_s)
        SELECT 'ok', 'local', '{filesystem}', 'inplace', {ranks}, 'import numpy', 'numpy',
               date_trunc('hour', now()) - interval '6 hours' * ({RUNS - 1} - i),
               {base} * (1 + 0.16 * (((i * 7919 + length('{filesystem}') * 131) % 101) / 100.0 - 0.5)) * ({factor_sql})
        FROM generate_series({first}, {last}) i""")


def run_at(db, i):
    """Run I's date, as --baseline takes it."""
    return db.psql(f"SELECT to_char(date_trunc('hour', now()) - interval '6 hours' * ({RUNS - 1} - {i}), "
                   "'YYYY-MM-DD\"T\"HH24:MI')")[0][0]


def report(db, tmp_path, *extra, status=0):
    return ok(harness("--report", "--config", db.config, "--out", tmp_path / "r", *extra), status)


def changes(stdout, filesystem):
    """The ratios of FILESYSTEM's change points in the change-point table."""
    block = stdout.split("Change points (", 1)[1].split("\n\n", 1)[0]
    return [float(line.split()[-2]) for line in block.splitlines()[2:] if f"/ {filesystem} /" in line]


def regression(stdout, filesystem):
    """FILESYSTEM's regression line, or None."""
    lines = [line for line in stdout.splitlines() if line.startswith(f"regression: local / {filesystem} / ")]
    assert len(lines) <= 1, stdout
    return lines[0] if lines else None


def ratio_of(line):
    return float(re.search(r": ([0-9.]+)x slower", line).group(1))


def test_staircase_of_two_small_steps_fails_the_gate(pgdb, tmp_path, otava):
    ok(harness("--db-init", "--config", pgdb.config))
    # x1.15 at run 120 (30 days ago), x1.15 again at run 180 (15 days ago): 1.32 in all.
    fill(pgdb, "stairs", "CASE WHEN i >= 180 THEN 1.3225 WHEN i >= 120 THEN 1.15 ELSE 1 END")
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2", status=1)
    steps = changes(proc.stdout, "stairs")
    # Otava sees two steps, each under the ratio: the latest alone would pass.
    assert len(steps) == 2 and all(1.1 < r < 1.2 for r in steps), proc.stdout
    line = regression(proc.stdout, "stairs")
    assert line and ratio_of(line) == pytest.approx(1.3225, rel=0.04), proc.stdout
    assert "the level before the window's earliest change point" in line
    assert line.count(" x1.1") == 2      # both change points between the levels are named
    assert re.search(r"now [0-9.]+ s \(median of \d+ runs since \d{4}-\d\d-\d\d", line)
    # Against the level of 20 days ago (after the first step) it is 1.15x: under 1.2.
    report(pgdb, tmp_path, "--fail-on-regression", "1.2", "--baseline", run_at(pgdb, 160))
    # Against 50 days ago: the whole staircase.
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2", "--baseline", run_at(pgdb, 40), status=1)
    line = regression(proc.stdout, "stairs")
    assert "the level at --baseline" in line and ratio_of(line) == pytest.approx(1.3225, rel=0.04)


def test_single_step_fails_and_is_named_with_both_levels(pgdb, tmp_path, otava):
    ok(harness("--db-init", "--config", pgdb.config))
    fill(pgdb, "step", "CASE WHEN i >= 140 THEN 1.4 ELSE 1 END")
    fill(pgdb, "flat", "1")
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2", status=1)
    line = regression(proc.stdout, "step")
    assert line and ratio_of(line) == pytest.approx(1.4, rel=0.04), proc.stdout
    now, base = map(float, re.search(r"now ([0-9.]+) s .* against ([0-9.]+) s", line).groups())
    assert now == pytest.approx(2.8, rel=0.04) and base == pytest.approx(2.0, rel=0.04)
    assert regression(proc.stdout, "flat") is None
    assert proc.stdout.startswith("Verdict, last 60 days\n")
    assert "  Regressions (current level against its baseline, more than 1.20x): 1\n" in proc.stdout
    report(pgdb, tmp_path, "--fail-on-regression", "1.5")


def test_recovery_passes(pgdb, tmp_path, otava):
    ok(harness("--db-init", "--config", pgdb.config))
    # 40% slower from run 100 to 159, then back.
    fill(pgdb, "dip", "CASE WHEN i >= 100 AND i < 160 THEN 1.4 ELSE 1 END")
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2")
    steps = changes(proc.stdout, "dip")
    assert len(steps) == 2 and steps[0] > 1.3 and steps[1] < 0.8, proc.stdout
    assert regression(proc.stdout, "dip") is None


def test_accepted_baseline_stops_the_alarm_until_the_next_slowdown(pgdb, tmp_path, otava):
    ok(harness("--db-init", "--config", pgdb.config))
    fill(pgdb, "known", "CASE WHEN i >= 140 THEN 1.4 ELSE 1 END", last=199)
    fill(pgdb, "other", "CASE WHEN i >= 140 THEN 1.4 ELSE 1 END", last=199)
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2", status=1)
    assert regression(proc.stdout, "known") and regression(proc.stdout, "other")
    # Accepted for one filesystem only: stored in the database.
    proc = report(pgdb, tmp_path, "--accept-baseline", "--filesystem", "known")
    accepted = re.search(r"accepted baseline: local / known / 96 ranks / numpy: ([0-9.]+) s", proc.stdout)
    assert accepted and float(accepted.group(1)) == pytest.approx(2.8, rel=0.04), proc.stdout
    stored = pgdb.psql("SELECT filesystem, ranks, suite, level_s FROM accepted_baselines")
    assert len(stored) == 1 and stored[0][:3] == ["known", "96", "numpy"]
    assert float(stored[0][3]) == pytest.approx(float(accepted.group(1)), abs=0.001)
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2", status=1)
    assert regression(proc.stdout, "known") is None and regression(proc.stdout, "other")
    # The next slowdown (x1.3 more from run 200) alarms against the accepted level.
    fill(pgdb, "known", "1.4 * 1.3", first=200)
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.2", status=1)
    line = regression(proc.stdout, "known")
    assert line and "the baseline accepted with --accept-baseline" in line, proc.stdout
    assert ratio_of(line) == pytest.approx(1.3, rel=0.05)


def test_noise_without_a_step_passes(pgdb, tmp_path, otava):
    ok(harness("--db-init", "--config", pgdb.config))
    for fs in ("quiet", "calm"):
        fill(pgdb, fs, "1")
    proc = report(pgdb, tmp_path, "--fail-on-regression", "1.1")
    assert "regression:" not in proc.stdout
    assert "  Regressions (current level against its baseline, more than 1.10x): 0\n" in proc.stdout


def test_baseline_and_accept_refusals(pgdb, tmp_path):
    ok(harness("--db-init", "--config", pgdb.config))
    proc = ok(harness("--report", "--config", pgdb.config, "--baseline", "last month"), 2)
    assert "--baseline 'last month' is not a UTC date" in proc.stderr
    proc = ok(harness("--report", "--config", pgdb.config, "--baseline", "2026-01-01", "--accept-baseline"), 2)
    assert "not with --baseline DATE" in proc.stderr
    proc = ok(harness("--sweep", "--config", pgdb.config, "--accept-baseline"), 2)
    assert "go with --report" in proc.stderr
