"""The report people act on, against a real PostgreSQL filled with 60 days
of synthetic history: change points found by the real otava (from
build/tools-venv), --fail-on-regression, the HTML page rendered by headless
Chromium, the scaling fit's extrapolation, and the jsonl export."""
import json
import os
import struct
import zlib
from datetime import datetime, timezone

import pytest

from helpers.browser import chromium, console_clean
from helpers.harness import ROOT, harness
from helpers.results import ok

OTAVA = ROOT / "build/tools-venv/bin/otava"
FILESYSTEMS = ("project", "scratch", "tmpfs")
SIZES = (96, 4800)
BASE_S = {96: 0.2, 4800: 7.0}
STEP_RUN = 160             # run index (every 6 hours) of the first slower run: day 40
RUNS = 240                 # 60 days
EXTRA_SIZES = (384, 1536)  # project only: with 96 and 4800, a scaling curve


def _fill(db):
    """3 filesystems x 2 sizes every 6 hours for 60 days, +/-5% spread; a
    +50% step in scratch at 4800 ranks from run 160 on; every 23rd run of
    tmpfs/96 failed, every 31st of project/4800 lost, every 29th of
    scratch/96 timed out; 20 runs each at two more sizes on project."""
    db.psql(f"""
        CREATE TEMP TABLE grid AS SELECT date_trunc('hour', now()) - interval '6 hours' * ({RUNS - 1} - i) AS at, i
            FROM generate_series(0, {RUNS - 1}) i;
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, suite, started_at, elapsed_s)
        SELECT CASE WHEN fs = 'tmpfs' AND r = 96 AND i % 23 = 5 THEN 'failed'
                    WHEN fs = 'scratch' AND r = 96 AND i % 29 = 7 THEN 'timeout' ELSE 'ok' END,
               'local', fs, r, 'import numpy', 'numpy', at,
               CASE WHEN r = 96 THEN {BASE_S[96]} ELSE {BASE_S[4800]} END
                 * (1 + 0.1 * (((i * 7919 + r + length(fs) * 131) % 101) / 100.0 - 0.5))
                 * CASE WHEN fs = 'scratch' AND r = 4800 AND i >= {STEP_RUN} THEN 1.5 ELSE 1 END
        FROM grid, unnest(ARRAY{list(FILESYSTEMS)}) fs, unnest(ARRAY{list(SIZES)}) r
        WHERE NOT (fs = 'project' AND r = 4800 AND i % 31 = 3);
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, suite, reserved_at)
        SELECT 'lost', 'local', 'project', 4800, 'import numpy', 'numpy', at FROM grid WHERE i % 31 = 3;
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, suite, started_at, elapsed_s)
        SELECT 'ok', 'local', 'project', r, 'import numpy', 'numpy', at,
               0.1 + 0.0005 * r * (1 + 0.1 * (((i * 7919 + r) % 101) / 100.0 - 0.5))
        FROM grid, unnest(ARRAY{list(EXTRA_SIZES)}) r WHERE i >= {RUNS - 20};
        -- A run in progress is not a result.
        INSERT INTO results (status, machine, filesystem, ranks, import_statement, suite)
        VALUES ('reserved', 'local', 'scratch', 96, 'import numpy', 'numpy');
    """)
    return db.psql(f"SELECT extract(epoch FROM date_trunc('hour', now()) - interval '6 hours' * ({RUNS - 1} - {STEP_RUN}))")[0][0]


def _config_with_sizes(db, tmp_path):
    """The test config, its machine given sizes up to 300 x 32 = 9600 ranks."""
    text = db.config.read_text()
    anchor = 'suites = ["numpy", "mpi4py"];'
    assert anchor in text
    cfg = tmp_path / "sized.cfg"
    cfg.write_text(text.replace(anchor, anchor + '\n    sizes = ( { name = "small"; nodes = 3; tasks_per_node = 32; '
                                "time = \"00:10:00\"; },\n      { name = \"full\"; nodes = 300; tasks_per_node = 32; "
                                "time = \"00:40:00\"; } );"))
    return cfg


def _changes(stdout):
    """The change-point table's rows: (setup, from, before, after, ratio, p)."""
    block = stdout.split("Change points (", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    rows = []
    for line in block[1:]:
        setup, rest = line[:48].strip(), line[48:].split()
        rows.append((setup, " ".join(rest[:3]), *map(float, rest[3:])))
    return rows


def _png_colours(path):
    """Distinct RGB colours of an 8-bit RGB or RGBA PNG (Chromium's screenshots)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, colours = zlib.decompress(idat), width * bpp, bytearray(width * bpp), set()
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 7))
        prev = line
    return colours


@pytest.fixture
def otava():
    assert OTAVA.exists(), "build the tools venv first: make tools"


@pytest.mark.slow
def test_change_points_regression_exit_and_html(pgdb, tmp_path, otava):
    pgdb_init = ok(harness("--db-init", "--config", pgdb.config))
    assert "applied" in pgdb_init.stdout
    step_at = float(_fill(pgdb))
    cfg = _config_with_sizes(pgdb, tmp_path)
    out = tmp_path / "report"
    proc = ok(harness("--report", "--html", "--config", cfg, "--out", out, "--fail-on-regression", "1.2"), 1)
    # The one change: scratch at 4800 ranks, where the step was put, 1.5x.
    changes = _changes(proc.stdout)
    assert len(changes) == 1, proc.stdout
    setup, when, before, after, ratio, pvalue = changes[0]
    assert setup == "local / scratch / 4800 ranks / numpy"
    found = datetime.strptime(when, "%Y-%m-%d %H:%M UTC").replace(tzinfo=timezone.utc).timestamp()
    assert abs(found - step_at) <= 2 * 86400, (when, step_at)
    assert before == pytest.approx(7.0, rel=0.05) and after == pytest.approx(10.5, rel=0.05)
    assert ratio == pytest.approx(1.5, rel=0.05) and pvalue <= 0.001
    assert "regression: local / scratch / 4800 ranks / numpy: 1.5" in proc.stdout
    # 2x is more than the step: nothing to mail.
    quiet = ok(harness("--report", "--config", cfg, "--out", tmp_path / "r2", "--fail-on-regression", "2"))
    assert "regression:" not in quiet.stdout and len(_changes(quiet.stdout)) == 1

    page = out / "report.html"
    html = page.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    # Rendered by a real browser: the DOM it built, its console, a screenshot.
    dom = chromium(page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    setups = 3 * 2 + len(EXTRA_SIZES)
    assert dom.stdout.count('<figure class="panel"') == setups
    assert dom.stdout.count('<figure class="hour-panel"') == setups
    assert dom.stdout.count('class="changepoint"') == 1
    marked = dom.stdout.split('data-setup="local / scratch / 4800 ranks / numpy"', 1)[1].split("</figure>", 1)[0]
    assert 'class="changepoint" data-ratio="1.5' in marked
    assert dom.stdout.count('class="scaling-panel"') == 1   # project: 4 sizes; the others 2
    assert "At 9600 ranks</b> (the largest configured size)" in dom.stdout
    console_clean(dom)
    shot = ROOT / "build/report-screenshot.png"
    shot.unlink(missing_ok=True)
    proc = chromium(page, f"--screenshot={shot}", height=4000)   # the whole page, scaling panel included
    assert shot.exists(), proc.stderr[-2000:]
    assert len(_png_colours(shot)) > 20    # not blank: the series' colours, the marks, text


def test_report_without_otava_says_so_and_fail_on_regression_refuses(pgdb, tmp_path):
    ok(harness("--db-init", "--config", pgdb.config))
    _fill(pgdb)
    env = {**os.environ, "HARNESS_OTAVA": str(tmp_path / "no-otava")}
    proc = ok(harness("--report", "--html", "--config", pgdb.config, "--out", tmp_path / "r", env=env))
    assert "Change points: not looked for: otava is missing: $HARNESS_OTAVA" in proc.stdout
    assert 'id="no-changepoints"' in (tmp_path / "r/report.html").read_text()
    proc = ok(harness("--report", "--config", pgdb.config, "--out", tmp_path / "r", "--fail-on-regression", "1.2",
                      env=env), 3)
    assert "--fail-on-regression: change points need otava, and there is none" in proc.stderr
    assert proc.stderr.count("\n") == 1
    proc = ok(harness("--report", "--config", pgdb.config, "--fail-on-regression", "0.9"), 2)
    assert "--fail-on-regression '0.9' is not a ratio above 1" in proc.stderr
    proc = ok(harness("--report", "--config", pgdb.config, "--format", "xml"), 2)
    assert "--format 'xml': text or jsonl" in proc.stderr


def test_jsonl_one_line_per_result_with_the_rows_values(pgdb, tmp_path):
    ok(harness("--db-init", "--config", pgdb.config))
    _fill(pgdb)
    proc = ok(harness("--report", "--config", pgdb.config, "--format", "jsonl"))
    lines = proc.stdout.splitlines()
    rows = pgdb.psql("SELECT id, machine, filesystem, ranks, status, coalesce(elapsed_s::text, ''), "
                     "to_char(run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                     "FROM results WHERE status <> 'reserved' ORDER BY run_at, id")
    assert len(lines) == len(rows) > 1000
    medians = {(fs, int(r)): float(m) for fs, r, m in pgdb.psql(
        "SELECT filesystem, ranks, percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed_s) FILTER "
        "(WHERE status = 'ok') FROM results GROUP BY 1, 2")}
    for line, (rid, machine, fs, ranks, status, elapsed, at) in zip(lines, rows):
        o = json.loads(line)
        assert o["result_id"] == int(rid) and o["check_system"] == machine and o["check_partition"] == fs
        assert o["check_num_tasks"] == int(ranks) and o["status"] == status
        assert o["check_result"] == ("pass" if status == "ok" else "fail")
        assert o["check_perf_var"] == "elapsed" and o["check_perf_unit"] == "s" and o["check_name"] == "mpi4py_import"
        assert o["check_perf_value"] == (float(elapsed) if elapsed else None)
        assert o["check_perf_ref"] == pytest.approx(medians[(fs, int(ranks))])
        assert o["check_job_completion_time"] == at
    # --out DIR: the same lines in DIR/results.jsonl, nothing on stdout.
    proc = ok(harness("--report", "--config", pgdb.config, "--format", "jsonl", "--out", tmp_path / "j"))
    assert proc.stdout == "" and (tmp_path / "j/results.jsonl").read_text().splitlines() == lines
