"""The report's verdict comes first, against a real PostgreSQL and the real
otava, and the page is checked as headless Chromium built it: the
regressions the gate fails on with their ratios, per machine and size the
filesystems fastest first with their ratio to the in-place import, the
failed, timed-out and lost runs; change-point labels that do not overlap."""
import re
from html.parser import HTMLParser

import pytest

from helpers.browser import chromium, console_clean
from helpers.harness import ROOT, harness
from helpers.results import ok

OTAVA = ROOT / "build/tools-venv/bin/otava"
RUNS = 240                 # 60 days, every 6 hours
# filesystem, kind, ranks, seconds, time to first import over elapsed, the step's factor (SQL of run i)
SETUPS = [
    ("common", "inplace", 16, 2.0, 1.0, "1"),
    ("bcast", "bcast", 16, 0.5, 1.0, "1"),
    ("scratch", "staged", 16, 1.6, 1.1, "1"),
    ("common", "inplace", 96, 4.0, 1.0, "1"),
    ("bcast", "bcast", 96, 0.8, 1.0, "1"),
    # A staircase 5 days apart: its change points' labels would collide.
    ("scratch", "staged", 96, 2.4, 1.1, "CASE WHEN i >= 200 THEN 1.4 WHEN i >= 180 THEN 1.25 ELSE 1 END"),
]
LABEL_W = 36               # html_panels.c's room for a label


def _fill(db):
    for fs, kind, ranks, base, first, step in SETUPS:
        db.psql(f"""
            INSERT INTO results (status, machine, filesystem, fs_kind, ranks, import_statement, suite, started_at,
                                 elapsed_s, time_to_first_import_s)
            SELECT 'ok', 'local', '{fs}', '{kind}', {ranks}, 'import numpy', 'numpy', at, t, t * {first}
            FROM (SELECT date_trunc('hour', now()) - interval '6 hours' * ({RUNS - 1} - i) AS at,
                         {base} * (1 + 0.16 * (((i * 7919 + {ranks} + length('{fs}') * 131) % 101) / 100.0 - 0.5))
                           * ({step}) AS t FROM generate_series(0, {RUNS - 1}) i) runs""")
    # Failures: common/16 every 23rd run failed, bcast/96 every 29th timed out, scratch/16 every 31st lost.
    db.psql("""
        UPDATE results SET status = 'failed', elapsed_s = NULL
            WHERE filesystem = 'common' AND ranks = 16 AND id % 23 = 0;
        UPDATE results SET status = 'timeout', elapsed_s = NULL
            WHERE filesystem = 'bcast' AND ranks = 96 AND id % 29 = 0;
        UPDATE results SET status = 'lost', elapsed_s = NULL, reserved_at = started_at, started_at = NULL
            WHERE filesystem = 'scratch' AND ranks = 16 AND id % 31 = 0;""")


class _Dom(HTMLParser):
    """Sections, the verdict's tables' rows (their data attributes and cell
    texts) and each over-time panel's change-point labels."""

    def __init__(self):
        super().__init__()
        self.sections, self.tables, self.labels = [], [], {}
        self.row, self.cell, self.panel, self.label = None, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        elif tag == "table" and self.sections[-1:] == ["verdict"]:
            self.tables.append({"class": a.get("class"), "attrs": a, "rows": []})
        elif tag == "tr" and self.tables and self.sections[-1:] == ["verdict"]:
            self.row = {"attrs": a, "cells": []}
            self.tables[-1]["rows"].append(self.row)
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag == "figure" and a.get("class") == "panel":
            self.panel = a["data-setup"]
            self.labels[self.panel] = []
        elif tag == "text" and self.panel and self.label is not None:
            self.labels[self.panel].append((float(a["x"]), float(a["y"]), a["text-anchor"]))
        elif tag == "g" and a.get("class") == "changepoint":
            self.label = True

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row["cells"].append(self.cell)
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "figure":
            self.panel = None
        elif tag == "g":
            self.label = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


@pytest.fixture
def otava():
    assert OTAVA.exists(), "build the tools venv first: make tools"


def test_verdict_first_on_the_page_in_the_browser_and_on_the_text(pgdb, tmp_path, otava):
    ok(harness("--db-init", "--config", pgdb.config))
    _fill(pgdb)
    out = tmp_path / "report"
    proc = ok(harness("--report", "--html", "--config", pgdb.config, "--out", out, "--fail-on-regression", "1.2"), 1)
    # The text opens with the verdict: the regression, then the rankings fastest first.
    assert proc.stdout.startswith("Verdict, last 60 days\n"), proc.stdout[:2000]
    verdict = proc.stdout.split("\n\n", 1)[0]
    assert re.search(r"local / scratch / 96 ranks / numpy: 1\.[34]\dx slower", verdict), verdict
    at16 = verdict.split("local at 16 ranks, numpy:\n", 1)[1].splitlines()[:3]
    assert [line.split()[1] for line in at16] == ["bcast", "scratch", "common"], verdict
    assert at16[0].endswith("0.25x common"), verdict

    dom = chromium(out / "report.html", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console_clean(dom)
    page = _Dom()
    page.feed(dom.stdout)
    assert page.sections[0] == "verdict", page.sections
    tables = {}
    for t in page.tables:
        tables.setdefault(t["class"], []).append(t)
    # The regressions the gate fails on, with their ratio: the staircase alone.
    (reg,) = tables["regressions"]
    rows = reg["rows"][1:]
    assert len(rows) == 1 and rows[0]["cells"][0] == "local / scratch / 96 ranks / numpy"
    assert float(rows[0]["attrs"]["data-ratio"]) == pytest.approx(1.4, rel=0.05)
    assert rows[0]["cells"][1] == f"{float(rows[0]['attrs']['data-ratio']):.2f}x"
    assert rows[0]["cells"][6].count(" x1.") == 2          # both steps between the levels
    # Per machine and size, fastest first, with the ratio to common's in-place import.
    ranks = [(t["attrs"]["data-ranks"], [(r["attrs"]["data-fs"], float(r["attrs"]["data-ratio"]))
                                         for r in t["rows"][1:]]) for t in tables["ranking"]]
    assert [r for r, _ in ranks] == ["16", "96"]
    expect = {"16": [("bcast", 0.25), ("scratch", 0.88), ("common", 1.0)],
              "96": [("bcast", 0.2), ("scratch", 0.924), ("common", 1.0)]}
    for size, got in ranks:
        assert [fs for fs, _ in got] == [fs for fs, _ in expect[size]], (size, got)
        for (_, ratio), (_, want) in zip(got, expect[size]):
            assert ratio == pytest.approx(want, rel=0.05), (size, got)
    bcast16 = tables["ranking"][0]["rows"][1]["cells"]
    assert bcast16[1:3] == ["bcast", "bcast"] and bcast16[4] == "0.25x common", bcast16
    # The runs that failed, timed out or were lost, by setup, with their counts.
    (fails,) = tables["failures"]
    got = {r["cells"][0]: tuple(map(int, r["cells"][1:4])) for r in fails["rows"][1:]}
    counts = {f"local / {fs} / {r} ranks / numpy": (int(f), int(t), int(lost)) for fs, r, f, t, lost in pgdb.psql(
        "SELECT filesystem, ranks, count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = "
        "'timeout'), count(*) FILTER (WHERE status = 'lost') FROM results GROUP BY 1, 2 "
        "HAVING count(*) FILTER (WHERE status <> 'ok') > 0")}
    assert got == counts and len(got) == 3, (got, counts)
    # Change-point labels: the staircase's two are closer than a label's width, so they sit on two rows.
    labels = page.labels["local / scratch / 96 ranks / numpy"]
    assert len(labels) >= 2, labels
    assert any(abs(a[0] - b[0]) < LABEL_W for a in labels for b in labels if a is not b)
    for panel, marks in page.labels.items():
        for i, a in enumerate(marks):
            for b in marks[i + 1:]:
                assert a[1] != b[1] or abs(a[0] - b[0]) >= LABEL_W, (panel, marks)
