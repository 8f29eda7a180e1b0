"""Steps of the database tests (tests/db/, tests/history/): the harness's
database modes and runs against a `pgdb` (helpers/pgserver.py), each
checked for sanitizer reports and its exit status, and the rows they left."""
import re

from helpers.harness import harness, mpirun, sanitizer_clean

CHEAP = ("--child", "/bin/true", "--skip-checks", "--quiet")


def ok(proc, status=0):
    sanitizer_clean(proc)
    assert proc.returncode == status, proc.stdout + proc.stderr
    return proc


def db_init(db):
    return ok(harness("--db-init", "--config", db.config))


def reserve(db, filesystem="common", *extra):
    proc = ok(harness("--reserve", "--config", db.config, "--machine", "local", "--filesystem", filesystem, *extra))
    assert proc.stdout.strip().isdigit(), proc.stdout   # only the id: job scripts capture it
    return int(proc.stdout)


def run(db, n, *extra, filesystem="common", config=None, **kw):
    return mpirun(n, "--config", config or db.config, "--machine", "local", "--filesystem", filesystem, *extra, **kw)


def row(db, rid, cols):
    rows = db.psql(f"SELECT {cols} FROM results WHERE id = :'v1'", rid)
    assert len(rows) == 1
    return rows[0]


def spooled(db):
    return sorted(db.spool.glob("result-*.json")) if db.spool.exists() else []


def report_table(text, title):
    """The rows of the table under TITLE, as dicts: columns are two or more spaces apart."""
    block = text.split(title, 1)[1].split("\n", 1)[1].split("\n\n")[0].splitlines()
    head = block[0].split()
    return [dict(zip(head, re.split(r"\s{2,}", line.strip()))) for line in block[1:]]
