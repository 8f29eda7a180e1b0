"""Results in PostgreSQL, end to end against a real server started for the
session (helpers/pgserver.py): schema, reserve, record under mpirun, spool
and exactly-once flush, sweep, mark-failed, concurrency, the figures each
kind puts in its row."""
import json
import os
import shutil
import subprocess
import time

import pytest

from helpers.harness import HARNESS, ROOT, VENV, harness
from helpers.pgserver import write_config
from helpers.results import CHEAP, db_init, ok, report_table, reserve, row, run, spooled

pytestmark = pytest.mark.usefixtures("venv")
def test_db_init_is_idempotent(pgdb):
    first = db_init(pgdb).stdout
    assert "schema version 1 (schema): applied" in first
    assert "schema version 2 (002_suite_profile_bcast): applied" in first
    assert "schema version 3 (003_launch_figures): applied" in first
    assert "schema version 4 (004_bcast_compression): applied" in first
    assert "schema version 5 (005_image): applied" in first
    assert "schema version 6 (006_kind_figures_in_json): applied" in first
    assert "schema version 7 (007_server_ops): applied" in first
    assert "schema version 8 (008_accepted_baselines): applied" in first
    assert "already there" in db_init(pgdb).stdout
    assert pgdb.psql("SELECT version, name FROM schema_migrations ORDER BY 1") == [
        ["1", "schema"], ["2", "002_suite_profile_bcast"], ["3", "003_launch_figures"],
        ["4", "004_bcast_compression"], ["5", "005_image"], ["6", "006_kind_figures_in_json"],
        ["7", "007_server_ops"], ["8", "008_accepted_baselines"]]
    assert pgdb.rows() == "0"


def test_migrations_apply_in_order_and_failures_leave_nothing(pgdb, tmp_path):
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    env = {**os.environ, "HARNESS_SQL_DIR": str(sql)}
    (sql / "migrations/090_add_note.sql").write_text("ALTER TABLE results ADD COLUMN note2 text;\n")
    proc = ok(harness("--db-init", "--config", pgdb.config, env=env))
    assert "version 1 (schema): applied" in proc.stdout and "version 90 (090_add_note): applied" in proc.stdout
    # A failing migration: its first statement is undone, the error names file and line.
    (sql / "migrations/091_broken.sql").write_text("CREATE TABLE half (x int);\n\nSELEC 1;\n")
    proc = ok(harness("--db-init", "--config", pgdb.config, env=env), 5)
    assert "091_broken.sql:3: syntax error" in proc.stderr
    assert pgdb.psql("SELECT max(version) FROM schema_migrations") == [["90"]]
    assert pgdb.psql("SELECT to_regclass('half') IS NULL") == [["t"]]
    # An applied file edited afterwards is refused.
    (sql / "migrations/091_broken.sql").unlink()
    (sql / "migrations/090_add_note.sql").write_text("ALTER TABLE results ADD COLUMN note3 text;\n")
    proc = ok(harness("--db-init", "--config", pgdb.config, env=env), 5)
    assert "090_add_note.sql has changed since it was applied as schema version 90" in proc.stderr


def test_reserve_run_record_ok(pgdb, tmp_path):
    db_init(pgdb)
    rid = reserve(pgdb, "common", "--ranks", "2")
    assert row(pgdb, rid, "status, ranks, elapsed_s IS NULL, import_statement") == ["reserved", "2", "t",
                                                                                    "import numpy"]
    out = tmp_path / "r.json"
    proc = ok(run(pgdb, 2, "--result-id", rid, "--json", out))
    assert f"result recorded in row {rid} (ok)" in proc.stderr
    r = json.loads(out.read_text())
    got = row(pgdb, rid, "status, ranks, nodes, ok_ranks, failed_ranks, timed_out_ranks, elapsed_s, per_rank_min, "
                         "per_rank_median, per_rank_max, startup_median, meta_openat, python_version, numpy_version, "
                         "result_key IS NOT NULL, spooled_because IS NULL, finished_at >= started_at")
    status, ranks, nodes, okr, failed, timed_out = got[:6]
    assert (status, ranks, nodes, okr, failed, timed_out) == ("ok", "2", "1", "2", "0", "0")
    elapsed, pmin, pmed, pmax, st_med, openat = map(float, got[6:12])
    assert elapsed == pytest.approx(r["elapsed_s"]) and pmed == pytest.approx(r["per_rank"]["median"])
    assert 0 < pmin <= pmed <= pmax <= elapsed and 0 < st_med < pmed
    assert openat == r["metadata_ops"]["openat"] > 100
    assert got[12] == r["python_version"] and got[13] == r["numpy_version"]
    assert got[14:] == ["t", "t", "t"]
    # The whole JSON, as written to the file; started_at is the run's.
    assert json.loads(row(pgdb, rid, "result::text")[0]) == r
    assert pgdb.psql("SELECT started_at = :'v2'::timestamptz FROM results WHERE id = :'v1'", rid,
                     r["started_at"]) == [["t"]]
    assert pgdb.rows() == "1" and spooled(pgdb) == []


def test_failing_and_hanging_runs_say_what_they_were(pgdb):
    db_init(pgdb)
    failed, hung = reserve(pgdb, "common"), reserve(pgdb, "common")
    ok(run(pgdb, 2, "--result-id", failed, "--import", "import sys; sys.exit(3)", "--quiet"), 1)
    assert row(pgdb, failed, "status, ok_ranks, failed_ranks, timed_out_ranks, first_failure_rank, "
                             "first_failure_exit, elapsed_s IS NOT NULL") == ["failed", "0", "2", "0", "0", "3", "t"]
    assert "sys.exit(3)" in row(pgdb, failed, "result ->> 'import_statement'")[0]
    ok(run(pgdb, 2, "--result-id", hung, "--import", "import time; time.sleep(60)", "--timeout", "1", "--quiet",
           timeout=120), 1)
    assert row(pgdb, hung, "status, timed_out_ranks, failed_ranks") == ["timeout", "2", "0"]


def test_no_database_configured_records_nothing(tmp_path):
    cfg = write_config(tmp_path / "none.cfg", "", tmp_path / "spool", VENV)
    out = tmp_path / "r.json"
    proc = ok(run(None, 1, *CHEAP, "--json", out, config=cfg))
    assert json.loads(out.read_text())["ok"] == 1 and "import" in proc.stdout
    assert not (tmp_path / "spool").exists() and "recorded" not in proc.stderr


def test_pg_environment_used_without_conninfo(pgdb, tmp_path):
    db_init(pgdb)
    cfg = write_config(tmp_path / "env.cfg", "", tmp_path / "spool", VENV)
    env = {**os.environ, **pgdb.server.env(pgdb.name)}
    proc = ok(harness("--reserve", "--config", cfg, "--machine", "local", "--filesystem", "common", env=env))
    rid = int(proc.stdout)
    ok(run(None, 1, *CHEAP, "--result-id", rid, config=cfg, env=env))
    assert row(pgdb, rid, "status") == ["ok"]
    # Without the environment the same config cannot reach it, and says where the settings came from.
    proc = ok(harness("--reserve", "--config", cfg, "--machine", "local", "--filesystem", "common",
                      env={**os.environ, "PGHOST": "/nonexistent"}), 5)
    assert "has no database.conninfo; the PG* environment was used" in proc.stderr


def test_database_down_spools_then_flush_exactly_once(pg, pgdb, tmp_path):
    db_init(pgdb)
    rid = reserve(pgdb)
    pg.stop()
    try:
        proc = ok(run(pgdb, 2, *CHEAP, "--result-id", rid))
        assert "the result was not recorded: cannot connect to the database" in proc.stderr
        assert "--flush-spool --config" in proc.stderr
        ok(run(pgdb, 1, *CHEAP))                       # a run with no reserved row
        files = spooled(pgdb)
        assert len(files) == 2
        proc = ok(harness("--flush-spool", "--config", pgdb.config), 5)   # still down: kept
        assert "cannot connect" in proc.stderr and spooled(pgdb) == files
    finally:
        pg.start()
    saved = {f: f.read_bytes() for f in files}
    assert "2 sent, 0 already recorded" in ok(harness("--flush-spool", "--config", pgdb.config)).stdout
    assert spooled(pgdb) == []
    assert row(pgdb, rid, "status, ok_ranks, spooled_because LIKE 'cannot connect%'") == ["ok", "2", "t"]
    assert pgdb.rows() == "2"
    assert "0 sent, 0 already recorded" in ok(harness("--flush-spool", "--config", pgdb.config)).stdout
    # A crash between the insert and removing the file: the file is back.
    for f, data in saved.items():
        f.write_bytes(data)
    assert "0 sent, 2 already recorded" in ok(harness("--flush-spool", "--config", pgdb.config)).stdout
    assert spooled(pgdb) == [] and pgdb.rows() == "2"
    assert pgdb.psql("SELECT count(DISTINCT result_key) FROM results WHERE status = 'ok'") == [["2"]]


def test_database_down_and_spool_unwritable_is_exit_5(tmp_path):
    (tmp_path / "afile").write_text("x")
    cfg = write_config(tmp_path / "d.cfg", "host=/nonexistent port=1", tmp_path / "afile/spool", VENV)
    out = tmp_path / "r.json"
    proc = ok(run(None, 1, *CHEAP, "--json", out, config=cfg), 5)
    assert "the result was not recorded (cannot connect to the database" in proc.stderr
    assert "could not be spooled either: spool directory: cannot open the target directory" in proc.stderr
    assert json.loads(out.read_text())["ok"] == 1     # the JSON file is still there


def test_two_flushes_at_once_make_one_row_each(pgdb, tmp_path):
    db_init(pgdb)
    down = write_config(tmp_path / "down.cfg", "host=/nonexistent port=1 connect_timeout=1", pgdb.spool, VENV)
    for _ in range(4):
        ok(run(pgdb, 1, *CHEAP, config=down))
    assert len(spooled(pgdb)) == 4
    cmd = [str(HARNESS), "--flush-spool", "--config", str(pgdb.config)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, out + err
    assert pgdb.rows() == "4" and spooled(pgdb) == []


def test_bad_spool_file_is_named_and_others_still_sent(pgdb, tmp_path):
    db_init(pgdb)
    down = write_config(tmp_path / "down.cfg", "host=/nonexistent port=1", pgdb.spool, VENV)
    ok(run(pgdb, 1, *CHEAP, config=down))
    bad = pgdb.spool / "result-0bad.json"
    bad.write_text("{ truncated")
    # Set aside with its reason (exit 1: a person has to look), never retried.
    proc = ok(harness("--flush-spool", "--config", pgdb.config), 1)
    assert "1 sent, 0 already recorded, 0 kept, 1 set aside" in proc.stdout
    assert f"{bad}: not a spooled result" in proc.stderr
    assert pgdb.rows() == "1" and spooled(pgdb) == []
    assert (pgdb.spool / "rejected/result-0bad.json").read_text() == "{ truncated"
    assert f"{bad}: not a spooled result" in (pgdb.spool / "rejected/result-0bad.json.reason").read_text()


def test_quotes_reach_the_row_verbatim_and_never_a_name(pgdb, tmp_path):
    """Quotes in a value go to the database as data (parameterized queries);
    in a name, which becomes job and file names, they are refused at load."""
    name = "o'brien\"; DROP TABLE results; --"
    cfg = write_config(tmp_path / "q.cfg", pgdb.server.conninfo(pgdb.name), pgdb.spool, VENV,
                       filesystems=("common", name))
    proc = harness("--reserve", "--config", cfg, "--machine", "local", "--filesystem", name)
    assert proc.returncode == 2 and f"{cfg}:" in proc.stderr and "filesystem" in proc.stderr, proc.stderr
    db_init(pgdb)
    stmt = f"import json; s = {name!r}"
    proc = ok(harness("--reserve", "--config", pgdb.config, "--machine", "local", "--filesystem", "common",
                      "--import", stmt))
    rid = int(proc.stdout)
    ok(run(pgdb, 1, "--skip-checks", "--no-startup", "--quiet", "--result-id", rid, "--import", stmt))
    assert row(pgdb, rid, "import_statement, status, result ->> 'import_statement'") == [stmt, "ok", stmt]
    assert pgdb.rows() == "1"


def test_eight_recorders_at_once_all_land(pgdb):
    db_init(pgdb)
    ids = [reserve(pgdb) for _ in range(4)]
    base = ["mpirun", "--oversubscribe", "-n", "1", str(HARNESS), "--config", str(pgdb.config), "--machine", "local",
            "--filesystem", "common", *CHEAP]
    cmds = [base + ["--result-id", str(i)] for i in ids] + [base] * 4
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, out + err
        assert "ERROR: AddressSanitizer" not in err and "runtime error:" not in err
    assert pgdb.psql("SELECT count(*), count(DISTINCT result_key) FROM results WHERE status = 'ok'") == [["8", "8"]]
    assert pgdb.rows() == "8" and spooled(pgdb) == []
    assert {int(r[0]) for r in pgdb.psql("SELECT id FROM results WHERE reserved_at < finished_at")} >= set(ids)


def test_sweep_marks_old_reservations_lost(pgdb, tmp_path):
    cfg = write_config(tmp_path / "s.cfg", pgdb.server.conninfo(pgdb.name), pgdb.spool, VENV, lost_after_hours=1)
    db_init(pgdb)
    old, new, done = reserve(pgdb), reserve(pgdb), reserve(pgdb)
    ok(run(pgdb, 1, *CHEAP, "--result-id", done))
    pgdb.psql("UPDATE results SET reserved_at = now() - interval '2 hours' WHERE id IN (:'v1', :'v2')", old, done)
    assert "1 reserved row older than 1 hours marked lost" in ok(harness("--sweep", "--config", cfg)).stdout
    assert [row(pgdb, i, "status")[0] for i in (old, new, done)] == ["lost", "reserved", "ok"]
    assert "0 reserved rows" in ok(harness("--sweep", "--config", cfg)).stdout
    # A result that arrives after all still lands in its row.
    ok(run(pgdb, 1, *CHEAP, "--result-id", old))
    assert row(pgdb, old, "status") == ["ok"]


def test_mark_failed_closes_reserved_rows_only(pgdb):
    db_init(pgdb)
    rid, done = reserve(pgdb), reserve(pgdb)
    ok(harness("--mark-failed", "--config", pgdb.config, "--result-id", rid, "--step", "stage", "--message",
               "rsync: No space left on device"))
    assert row(pgdb, rid, "status, failed_step, failed_message, finished_at IS NOT NULL") == [
        "failed", "stage", "rsync: No space left on device", "t"]
    proc = ok(harness("--mark-failed", "--config", pgdb.config, "--result-id", rid, "--step", "run"))
    assert "is 'failed' already: left as it is" in proc.stderr
    assert row(pgdb, rid, "failed_step") == ["stage"]
    ok(run(pgdb, 1, *CHEAP, "--result-id", done))
    proc = ok(harness("--mark-failed", "--config", pgdb.config, "--result-id", done, "--step", "run"))
    assert "is 'ok' already" in proc.stderr and row(pgdb, done, "status, failed_step") == ["ok", ""]
    proc = ok(harness("--mark-failed", "--config", pgdb.config, "--result-id", "999999", "--step", "run"), 2)
    assert "there is no result row 999999" in proc.stderr


def test_wrong_result_row_is_rejected_at_once_with_the_reason(pgdb, tmp_path):
    """A refusal that can never pass is exit 5 now, the result kept in
    spool/rejected/ with the reason inside, not spooled to fail every flush."""
    cfg = write_config(tmp_path / "w.cfg", pgdb.server.conninfo(pgdb.name), pgdb.spool, VENV,
                       filesystems=("common", "scratch"))
    db_init(pgdb)
    rid, done = reserve(pgdb, "common"), reserve(pgdb, "common")
    proc = ok(run(pgdb, 1, *CHEAP, "--result-id", rid, filesystem="scratch", config=cfg), 5)
    why = f"result row {rid} was reserved for machine 'local', filesystem 'common', not for 'local', 'scratch'"
    assert f"the database refused the result for good: {why}; it is kept in {pgdb.spool}/rejected/" in proc.stderr
    proc = ok(run(pgdb, 1, *CHEAP, "--result-id", "999999", config=cfg), 5)
    assert "there is no result row 999999" in proc.stderr
    ok(run(pgdb, 1, *CHEAP, "--result-id", done, config=cfg))
    proc = ok(run(pgdb, 1, *CHEAP, "--result-id", done, config=cfg), 5)
    assert f"result row {done} already holds the result of another run" in proc.stderr
    assert row(pgdb, rid, "status") == ["reserved"] and spooled(pgdb) == []
    kept = [json.loads(p.read_text()) for p in sorted((pgdb.spool / "rejected").iterdir())]
    assert len(kept) == 3 and all(k["result"]["status"] == "ok" and k["rejected_because"] for k in kept)
    assert any(why in k["rejected_because"] for k in kept)
    assert "0 sent, 0 already recorded, 0 kept, 0 set aside" in ok(
        harness("--flush-spool", "--config", pgdb.config)).stdout


def test_database_errors_are_one_clear_line(pgdb, tmp_path):
    proc = ok(harness("--reserve", "--config", pgdb.config, "--machine", "local", "--filesystem", "common"), 5)
    assert "run harness --db-init" in proc.stderr and "SQLSTATE 42P01" in proc.stderr
    assert proc.stderr.count("\n") == 1
    proc = ok(harness("--reserve", "--config", pgdb.config, "--machine", "local", "--filesystem", "nope"), 2)
    assert "has no filesystem 'nope'" in proc.stderr
    cfg = write_config(tmp_path / "pw.cfg", "host=/tmp password=hunter2", tmp_path / "spool", VENV)
    proc = ok(harness("--sweep", "--config", cfg), 2)
    assert f"{cfg}:1: database.conninfo holds a password" in proc.stderr


def test_suites_and_import_profiles_are_recorded_and_reported(pgdb, tmp_path):
    db_init(pgdb)
    rid = reserve(pgdb, "common", "--suite", "mpi4py", "--ranks", "2")
    assert row(pgdb, rid, "suite, import_statement LIKE '%from mpi4py import MPI'") == ["mpi4py", "t"]
    ok(run(pgdb, 2, "--result-id", rid, "--suite", "mpi4py", "--quiet"))
    # Without a reservation the run makes its own row; profiled.
    ok(run(pgdb, 2, "--quiet", "--profile-imports"))
    got = pgdb.psql("SELECT suite, status, import_profile IS NOT NULL, "
                    "jsonb_array_length(coalesce(import_profile -> 'modules', '[]')) FROM results ORDER BY id")
    assert got == [["mpi4py", "ok", "f", "0"], ["numpy", "ok", "t", "20"]]
    proc = ok(harness("--report", "--config", pgdb.config, "--out", tmp_path / "r"))
    setups = {(r["filesystem"], r["suite"]): r["runs"] for r in report_table(proc.stdout, "Runs per setup")}
    assert setups == {("common", "mpi4py"): "1", ("common", "numpy"): "1"}
    modules = report_table(proc.stdout, "Costliest modules of profiled runs")
    assert len(modules) == 10 and {m["suite"] for m in modules} == {"numpy"}
    assert any(m["module"].startswith("numpy") for m in modules)
    assert all(float(m["self_us"]) > 0 for m in modules)


def test_bcast_figures_reach_the_row(pgdb, tmp_path):
    db_init(pgdb)
    node_dir = tmp_path / "node-local"
    text = pgdb.config.read_text()
    old = '{ name = "common"; kind = "inplace"; }'
    assert old in text
    cfg = tmp_path / "bcast.cfg"
    cfg.write_text(text.replace(old, old + f',\n      {{ name = "bcast"; kind = "bcast"; path = "{node_dir}"; }}'))
    out = tmp_path / "r.json"
    ok(run(pgdb, 2, "--ranks-per-node", "1", "--quiet", "--json", out, filesystem="bcast", config=cfg))
    r = json.loads(out.read_text())
    got = pgdb.psql("SELECT status, fs_kind, nodes, staging_kind, staging_bytes_sent, time_to_first_import_s, "
                    "staging_seconds FROM results")
    # The kind's own figures are in the stored JSON, not in columns of their own.
    assert pgdb.psql("SELECT result #>> '{staging,bcast,bytes_compressed}' FROM results") == [
        [str(r["staging"]["bcast"]["bytes_compressed"])]]
    # So is what crossed: no column either.
    crossed = ("shared_bytes_read", "shared_files_opened", "bytes_between_nodes")
    assert pgdb.psql("SELECT " + ", ".join(f"result #>> '{{staging,{k}}}'" for k in crossed) + " FROM results") == [
        [str(r["staging"][k]) for k in crossed]]
    assert r["staging"]["shared_bytes_read"] > 10_000_000 and r["staging"]["bytes_between_nodes"] > 10_000_000
    assert len(got) == 1
    status, kind, nodes, skind, sent, first, secs = got[0]
    assert (status, kind, nodes, skind) == ("ok", "bcast", "2", "bcast")
    assert int(sent) == r["staging"]["bytes_sent"] > 10_000_000
    assert float(first) == pytest.approx(r["time_to_first_import_s"])
    assert float(first) == pytest.approx(float(secs) + r["elapsed_s"], rel=1e-6)


def test_launch_figures_continue_the_original_series(pgdb, tmp_path):
    """--launch-start 5 s ago: launch_s covers those 5 s, original_s adds the
    import phase; both reach the row. Without the option they are null."""
    db_init(pgdb)
    out = tmp_path / "r.json"
    ok(run(pgdb, 2, "--quiet", "--json", out, "--launch-start", f"{time.time() - 5:.6f}"))
    r = json.loads(out.read_text())
    assert 5 <= r["launch_s"] < 120
    # What holds whatever the barrier's skew between ranks: each rank's
    # import ends after it began, and began after the launch.
    assert r["original_s"] > r["launch_s"] and r["original_s"] >= r["elapsed_s"]
    # The harness's own wall time holds checks, warm-up and both phases.
    assert r["harness_wall_s"] > r["elapsed_s"] + r["startup"]["elapsed_s"]
    assert r["harness_wall_s"] > r["time_to_first_import_s"]
    got = pgdb.psql("SELECT launch_s, original_s, harness_wall_s FROM results")
    assert [float(v) for v in got[0]] == pytest.approx([r["launch_s"], r["original_s"], r["harness_wall_s"]])
    proc = ok(run(pgdb, 2, "--json", out, *CHEAP))
    r = json.loads(out.read_text())
    assert r["launch_s"] is None and r["original_s"] is None and "launch " not in proc.stdout
    assert pgdb.psql("SELECT count(*) FROM results WHERE launch_s IS NULL AND original_s IS NULL "
                     "AND harness_wall_s > 0") == [["1"]]
    bad = harness("--config", pgdb.config, "--machine", "local", "--filesystem", "common", "--launch-start", "12")
    assert bad.returncode == 2 and "--launch-start '12' is not a Unix time in seconds" in bad.stderr


def test_staged_figures_reach_the_row(pgdb, tmp_path):
    """A staged run's row says 'staged', with the stager's counts."""
    db_init(pgdb)
    text = pgdb.config.read_text()
    old = '{ name = "common"; kind = "inplace"; }'
    assert old in text
    cfg = tmp_path / "staged.cfg"
    staged = tmp_path / "staged"   # not inside the f-string: nested quotes need Python 3.12
    cfg.write_text(text.replace(old, old + f',\n      {{ name = "scratch"; kind = "staged"; path = "{staged}"; }}'))
    out = tmp_path / "r.json"
    ok(run(pgdb, 2, "--quiet", "--json", out, filesystem="scratch", config=cfg))
    r = json.loads(out.read_text())
    st = r["staging"]
    assert r["status"] == "ok" and st["kind"] == "staged" and st["leaders"] == 1
    assert st["entries"] == st["up_to_date"] + st["copied"] + st["delta_updated"]
    got = pgdb.psql("SELECT status, fs_kind, staging_kind, staging_entries, staging_copied, staging_bytes_sent "
                    "FROM results")
    assert got == [["ok", "staged", "staged", str(st["entries"]), str(st["copied"]), str(st["bytes_sent"])]]
    assert st["copied"] > 1000 and st["bytes_sent"] == st["literal_bytes"] > 10_000_000


def test_server_ops_reach_the_row(pgdb, tmp_path):
    """The probe's total in its column, the per-counter detail in the stored
    JSON; NULL without a probe and when the probe failed (its reason kept)."""
    db_init(pgdb)
    probe = tmp_path / "probe.sh"
    probe.write_text('#!/bin/sh\nf="$(dirname "$0")/n"\nn=$(($(cat "$f" 2>/dev/null || echo 0) + 7))\n'
                     'echo $n > "$f"\necho "fuse_ops.lookup.master: $((n * 3))"\necho "fuse_ops.getattr: $n"\n')
    probe.chmod(0o755)
    text = pgdb.config.read_text()
    old = '{ name = "common"; kind = "inplace"; }'
    cfg = tmp_path / "probe.cfg"
    cfg.write_text(text.replace(old, old + f',\n      {{ name = "probed"; kind = "inplace"; probe = "{probe}"; }}'
                                f',\n      {{ name = "broken"; kind = "inplace"; probe = "exit 4"; }}'))
    for fs in ("probed", "broken", "common"):
        ok(run(pgdb, 2, *CHEAP, filesystem=fs, config=cfg))
    got = pgdb.psql("SELECT filesystem, server_ops_total, result #>> '{server_ops,counters,fuse_ops.getattr}', "
                    "result #>> '{server_ops,per_rank_import}', result #>> '{server_ops,error}' "
                    "FROM results ORDER BY id")
    assert got[0] == ["probed", "28", "7", "14.0", ""]   # 3 x 7 lookups + 7 getattrs, over 2 ranks
    assert got[1][:4] == ["broken", "", "", ""] and got[1][4].startswith("on ")
    assert got[1][4].endswith("the probe exited 4 (nothing on stderr)")
    assert got[2] == ["common", "", "", "", ""]
