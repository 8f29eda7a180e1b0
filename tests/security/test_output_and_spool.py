"""Output and spool directories, and what is read back, against a hostile
local user (`nobody`): the spool sends only this user's own files from a
directory no other user can write; --report --out writes no file through a
link another user planted."""
import json
import os
import uuid

from helpers.harness import VENV, harness
from helpers.hostile import NOBODY, as_nobody
from helpers.pgserver import write_config
from helpers.results import CHEAP, db_init, ok, run, spooled


def forged_result(path):
    """A spool file nobody writes: a perfect result, 1 ms, for a machine of its own."""
    as_nobody("sh", "-c", 'cat > "$1"', "sh", path, input=json.dumps({
        "spool_format": 1, "key": str(uuid.uuid4()), "result_id": None, "finished_at": "2026-01-01T00:00:00Z",
        "spooled_because": "forged", "result": {"machine": "forged", "filesystem": "common", "status": "ok",
                                                 "elapsed_s": 0.001, "ranks": 4, "ok": 4}}))


def spool_in_shm(db, tmp_path, shm):
    """DB's config with its spool in /dev/shm, where nobody can reach it; the
    config of a run that spools there (its database down)."""
    text = db.config.read_text().replace(str(db.spool), str(shm))
    db.config.write_text(text)
    db.spool = shm
    return write_config(tmp_path / "down.cfg", "host=/nonexistent port=1", shm, VENV)


def test_a_spool_directory_others_can_write_is_refused_and_nothing_sent(pgdb, tmp_path, shm):
    db_init(pgdb)
    spool_in_shm(pgdb, tmp_path, shm)
    shm.mkdir()
    shm.chmod(0o1777)     # even sticky: its entries are whoever's wrote them
    forged = shm / "result-forged.json"
    forged_result(forged)
    proc = ok(harness("--flush-spool", "--config", pgdb.config), 3)
    assert proc.stderr == (f"harness: spool directory: refusing the target {shm}: it is writable by other "
                           "users (mode 1777)\n"), proc.stderr
    assert pgdb.rows() == "0" and forged.exists()


def test_a_file_another_user_owns_in_the_spool_is_set_aside_never_sent(pgdb, tmp_path, shm):
    """The directory is this user's alone, yet holds a file of nobody's (made
    while it was open to others, or moved in by root): not sent, set aside
    with its reason, and this user's own result beside it still sent."""
    db_init(pgdb)
    down = spool_in_shm(pgdb, tmp_path, shm)
    ok(run(pgdb, 1, *CHEAP, config=down))
    mine = spooled(pgdb)
    pgdb.spool.chmod(0o1777)
    forged = pgdb.spool / "result-0-forged.json"
    forged_result(forged)
    pgdb.spool.chmod(0o700)
    proc = ok(harness("--flush-spool", "--config", pgdb.config), 1)
    assert "1 sent, 0 already recorded, 0 kept, 1 set aside" in proc.stdout, proc.stdout + proc.stderr
    assert pgdb.psql("SELECT machine FROM results") == [["local"]] and spooled(pgdb) == []
    reason = (pgdb.spool / "rejected" / (forged.name + ".reason")).read_text()
    assert reason == (f"{forged}: not a spooled result of this user: owned by uid {NOBODY}, "
                      f"not {os.geteuid()}\n")
    assert len(mine) == 1


REPORT_FILES = ("elapsed.svg", "elapsed.png", "by_hour.svg", "by_hour.png", "elapsed.dat", "by_hour.dat",
                "report.gp", "report.html", "results.jsonl")


def plant_links(directory, victim_dir):
    """nobody's symlinks at every name the report writes, each to a file of root's."""
    victims = {}
    for name in REPORT_FILES:
        victim = victim_dir / f"victim-{name}"
        victim.write_text("root's file\n")
        victims[name] = victim
        as_nobody("ln", "-s", victim, directory / name)
    return victims


def report_data(db):
    """Thirty ok runs of one setup: every plot has points."""
    db.psql("""INSERT INTO results (status, machine, filesystem, ranks, import_statement, suite, started_at, elapsed_s)
        SELECT 'ok', 'local', 'common', 4, 'import numpy', 'numpy', now() - interval '6 hours' * i, 0.2 + 0.001 * i
        FROM generate_series(1, 30) i""")


def test_report_out_in_another_users_directory_is_refused(pgdb, shm, victim_dir):
    db_init(pgdb)
    report_data(pgdb)
    as_nobody("mkdir", shm)
    victims = plant_links(shm, victim_dir)
    proc = ok(harness("--report", "--html", "--config", pgdb.config, "--out", shm), 3)
    assert proc.stderr == (f"harness: report directory: refusing the target {shm}: it is owned by nobody "
                           f"(uid {NOBODY}), not by root (uid 0)\n"), proc.stderr
    assert all(v.read_text() == "root's file\n" for v in victims.values())


def test_report_out_never_writes_through_a_link(pgdb, tmp_path, shm, victim_dir):
    """The directory is ours, yet holds nobody's links at the report's names
    (planted while it was open to others): each is replaced by the report's
    own file, and no file it points at is written."""
    db_init(pgdb)
    report_data(pgdb)
    shm.mkdir(mode=0o755)
    shm.chmod(0o1777)
    victims = plant_links(shm, victim_dir)
    shm.chmod(0o755)
    env = {**os.environ, "HARNESS_OTAVA": str(tmp_path / "no-otava")}
    ok(harness("--report", "--html", "--config", pgdb.config, "--out", shm, env=env))
    ok(harness("--report", "--format", "jsonl", "--config", pgdb.config, "--out", shm, env=env))
    assert all(v.read_text() == "root's file\n" for v in victims.values())
    for name in REPORT_FILES:
        path = shm / name
        assert not path.is_symlink() and path.is_file() and path.stat().st_uid == 0, name
        assert path.stat().st_size > 0, name
    assert (shm / "report.gp").read_text().count("set output 'elapsed.svg'") == 1
    assert sorted(p.name for p in shm.iterdir()) == sorted(REPORT_FILES)   # no private directory left
