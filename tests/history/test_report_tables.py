"""The report's tables and plots (harness --report, make report) over a
history of known runs inserted into a real PostgreSQL."""
import os
import subprocess

import pytest

from helpers.harness import ROOT, harness
from helpers.results import db_init, ok, report_table

pytestmark = pytest.mark.usefixtures("venv")


def _insert_history(db):
    """Two setups with known elapsed times at known hours, plus rows that
    must be counted but not measured, and one outside the window."""
    db.psql("""
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, started_at, elapsed_s)
        SELECT 'ok', 'cori', fs, 4, 'import numpy',
               date_trunc('day', now() - interval '1 day') - (d || ' days')::interval + (h || ' hours')::interval,
               CASE fs WHEN 'scratch' THEN 1.0 ELSE 10.0 END + d + h / 100.0
        FROM unnest(ARRAY['scratch', 'o''b"; x']) fs, generate_series(0, 9) d, unnest(ARRAY[3, 15]) h;
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, reserved_at)
        VALUES ('lost', 'cori', 'scratch', 4, 'import numpy', now() - interval '3 days'),
               ('failed', 'cori', 'scratch', 4, 'import numpy', now() - interval '3 days');
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, started_at, elapsed_s)
        VALUES ('ok', 'cori', 'scratch', 4, 'import numpy', now() - interval '61 days', 999);
    """)


def test_report_tables_and_plots(pgdb, tmp_path):
    db_init(pgdb)
    _insert_history(pgdb)
    out = tmp_path / "report"
    proc = ok(harness("--report", "--config", pgdb.config, "--days", "60", "--out", out))
    summary = {r["filesystem"]: r for r in report_table(proc.stdout, "Runs per setup")}
    s = summary["scratch"]
    assert (s["runs"], s["ok"], s["failed"], s["lost"]) == ("22", "20", "1", "1")
    values = sorted(1.0 + d + h / 100.0 for d in range(10) for h in (3, 15))
    assert float(s["median_s"]) == pytest.approx((values[9] + values[10]) / 2, abs=1e-3)
    assert float(s["p90_s"]) == pytest.approx(values[17] + 0.1 * (values[18] - values[17]), abs=1e-3)
    assert float(s["min_s"]) == pytest.approx(1.03) and float(s["max_s"]) == pytest.approx(10.15)
    q = summary["o'b\"; x"]
    assert (q["runs"], q["ok"]) == ("20", "20")
    hours = [r for r in report_table(proc.stdout, "The same by hour of day") if r["filesystem"] == "scratch"]
    by_hour = {r["hour_utc"]: r["ok"] for r in hours}
    assert by_hour["3"] == "10" and by_hour["15"] == "10"
    for name in ("elapsed", "by_hour"):
        png, svg = out / f"{name}.png", out / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10000
        assert "<svg" in svg.read_text() and "o'b&quot;; x" in svg.read_text().replace('"', "&quot;")
    # The running median: the 9-run window over scratch's 20 points, in time order.
    block = (out / "elapsed.dat").read_text().split("\n\n\n")[1].strip().splitlines()[1:]
    assert len(block) == 20
    assert float(block[-1].split()[2]) == pytest.approx(sorted(float(l.split()[1]) for l in block[-9:])[4])


def test_report_on_empty_database(pgdb, tmp_path):
    db_init(pgdb)
    proc = ok(harness("--report", "--config", pgdb.config, "--out", tmp_path / "r"))
    assert "no ok runs in the last 60 days: no plots" in proc.stdout
    assert not (tmp_path / "r/elapsed.png").exists()


def test_make_report_uses_the_config(pgdb):
    db_init(pgdb)
    _insert_history(pgdb)
    proc = subprocess.run(["make", "-s", "report", f"CONFIG={pgdb.config}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Runs per setup" in proc.stdout and (ROOT / "build/report/elapsed.png").stat().st_size > 0


def test_report_server_ops_columns(pgdb, tmp_path):
    """The server's load per setup: absent while no run had a probe, then
    the median over ok runs of the total and of the per-rank figure."""
    db_init(pgdb)
    _insert_history(pgdb)
    env = {**os.environ, "HARNESS_OTAVA": str(tmp_path / "no-otava")}
    plain = ok(harness("--report", "--html", "--config", pgdb.config, "--out", tmp_path / "a", env=env))
    assert "server_ops" not in report_table(plain.stdout, "Runs per setup")[0]
    assert "<th>server_ops" not in (tmp_path / "a/report.html").read_text()
    pgdb.psql("""
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, started_at, elapsed_s,
                             server_ops_total, result)
        SELECT 'ok', 'cori', 'probed', 4, 'import numpy', now() - (d || ' hours')::interval, 2.0,
               t, jsonb_build_object('server_ops', jsonb_build_object('total', t, 'per_rank_import', t / 4.0))
        FROM unnest(ARRAY[400, 800, 1200]) WITH ORDINALITY AS x(t, d);
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, started_at, elapsed_s, result)
        VALUES ('ok', 'cori', 'probed', 4, 'import numpy', now() - interval '5 hours', 2.0,
                '{"server_ops": {"error": "on node1: the probe exited 1"}}');
    """)
    proc = ok(harness("--report", "--html", "--config", pgdb.config, "--out", tmp_path / "b", env=env))
    summary = {r["filesystem"]: r for r in report_table(proc.stdout, "Runs per setup")}
    assert summary["probed"]["server_ops"] == "800" and summary["probed"]["server_ops_per_rank"] == "200.0"
    assert summary["probed"]["runs"] == "4"
    assert summary["scratch"]["server_ops"] == "-"
    html = (tmp_path / "b/report.html").read_text()
    assert "<th>server_ops</th>" in html and "<th>server_ops_per_rank</th>" in html
    assert 'id="server-ops"' in html and '<td class="num">800</td>' in html
