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
