"""The metadata server's load (server_ops): a filesystem's probe read
before and after each import phase under a real mpirun, its counters'
growth in the JSON and the table; a broken probe costs the figure, not
the run; a probe's keys refused by line."""
import json

import pytest

from helpers.harness import VENV, mpirun, sanitizer_clean

pytestmark = pytest.mark.usefixtures("venv")

CHEAP = ("--child", "/bin/true", "--skip-checks", "--quiet")

# Each reading adds 10 to `lookup` and 1 to `open`, and logs itself.
COUNTER = """#!/bin/sh
f="$(dirname "$0")/count"
n=$(cat "$f" 2>/dev/null || echo 0)
n=$((n + 10))
echo "$n" > "$f"
echo "reading" >> "$f.log"
echo "# a comment the parser skips"
echo "lookup: $n"
echo "open=$((n / 10))"
echo "snapshot_time 1409334367.476229 secs.usecs"
"""


def write_cfg(tmp_path, fs_keys):
    """Machine `local` on the real venv with one in-place filesystem
    `probed` carrying FS_KEYS (libconfig text)."""
    cfg = tmp_path / "probe.cfg"
    cfg.write_text(f'machines = ( {{ name = "local"; venv = "{VENV}"; timeout = 60.0;\n'
                   f'  filesystems = (\n    {{ name = "probed"; kind = "inplace";\n      {fs_keys}\n    }},\n'
                   f'    {{ name = "plain"; kind = "inplace"; }}\n  ); }} );\n')
    return cfg


def counter_probe(tmp_path, body=COUNTER):
    script = tmp_path / "counter.sh"
    script.write_text(body)
    script.chmod(0o755)
    return script


def run(tmp_path, cfg, n, *extra, filesystem="probed"):
    out = tmp_path / f"result-{filesystem}.json"
    proc = mpirun(n, "--config", cfg, "--machine", "local", "--filesystem", filesystem, "--json", out, *extra,
                  timeout=300)
    sanitizer_clean(proc)
    return proc, json.loads(out.read_text()) if out.exists() else None


def readings(tmp_path):
    log = tmp_path / "count.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_probe_counts_each_import_phase_once_per_machine(tmp_path):
    cfg = write_cfg(tmp_path, f'probe = "{counter_probe(tmp_path)}";')
    proc, r = run(tmp_path, cfg, 4, "--repeat", "2")
    assert proc.returncode == 0, proc.stderr
    so = r["server_ops"]
    # One machine, one leader: two readings per import phase, none around the start-up phases.
    assert readings(tmp_path) == 4
    assert so["scope"] == "node" and so["nodes"] == 1
    assert so["counters"] == {"lookup": 20, "open": 2}
    assert so["total"] == 22 and so["reset"] == [] and so["dropped"] == 0
    assert so["per_rank_import"] == pytest.approx(22 / (4 * 2))
    assert r["ok"] == 8 and r["repeats"] == 2   # counts cover every repeat
    line = next(l for l in proc.stdout.splitlines() if l.strip().startswith("server ops"))
    assert "22 over the import phase (node scope, 1 node summed), 2.8 per rank per import: lookup 20 open 2" in line
    assert "warning" not in proc.stderr


def test_pretend_nodes_share_one_reader(tmp_path):
    """--ranks-per-node splits one machine into pretend nodes; its client's
    counters are still the machine's, read once."""
    cfg = write_cfg(tmp_path, f'probe = "{counter_probe(tmp_path)}";')
    proc, r = run(tmp_path, cfg, 4, "--ranks-per-node", "2", *CHEAP)
    assert proc.returncode == 0, proc.stderr
    assert r["nodes"] == 2 and r["server_ops"]["nodes"] == 1 and r["server_ops"]["total"] == 11
    assert readings(tmp_path) == 2


def test_job_scope_and_chosen_counters(tmp_path):
    cfg = write_cfg(tmp_path, f'probe = "{counter_probe(tmp_path)}"; probe_scope = "job";\n'
                              '      probe_counters = ["lookup", "getattr"];')
    proc, r = run(tmp_path, cfg, 2, *CHEAP)
    assert proc.returncode == 0, proc.stderr
    so = r["server_ops"]
    assert so["scope"] == "job" and so["nodes"] == 1
    assert so["counters"] == {"lookup": 10} and so["total"] == 10
    assert so["per_rank_import"] == pytest.approx(5.0)


def test_real_import_with_a_probe(tmp_path):
    cfg = write_cfg(tmp_path, f'probe = "{counter_probe(tmp_path)}";')
    proc, r = run(tmp_path, cfg, 2, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert r["ok"] == 2 and r["metadata_ops"]["total"] > 0
    assert r["server_ops"]["total"] == 11
    # The set-up checks read nothing: only the import phase is bracketed.
    assert readings(tmp_path) == 2


def test_a_counter_that_went_backwards_is_left_out(tmp_path):
    body = COUNTER.replace('echo "lookup: $n"', 'echo "lookup: $((1000 - n))"')
    cfg = write_cfg(tmp_path, f'probe = "{counter_probe(tmp_path, body)}";')
    proc, r = run(tmp_path, cfg, 2, *CHEAP)
    assert proc.returncode == 0, proc.stderr
    so = r["server_ops"]
    assert so["reset"] == ["lookup"] and so["total"] == 1
    assert "lookup 0 (reset, not counted)" in proc.stdout


def test_no_probe_no_server_ops(tmp_path):
    cfg = write_cfg(tmp_path, "")
    proc, r = run(tmp_path, cfg, 2, *CHEAP, filesystem="plain")
    assert proc.returncode == 0, proc.stderr
    assert "server_ops" not in r
    assert "server ops" not in proc.stdout


@pytest.mark.parametrize("keys,reason", [
    ('probe = "echo broken >&2; exit 1";', "the probe exited 1 (broken)"),
    ('probe = "/nonexistent/probe-tool";', "the probe exited 127 ("),
    ('probe = "sleep 30"; probe_timeout = 0.5;', "the probe did not finish in 0.5 s and was killed"),
    ('probe = "echo no counters here";', "the probe printed no counters"),
    ('probe = "echo other: 5"; probe_counters = ["lookup"];', "the probe printed no counter of probe_counters"),
], ids=["exit-1", "missing-command", "timeout", "no-counters", "none-chosen"])
def test_a_broken_probe_costs_the_figure_not_the_run(tmp_path, keys, reason):
    cfg = write_cfg(tmp_path, keys)
    proc, r = run(tmp_path, cfg, 2, *CHEAP)
    assert proc.returncode == 0, proc.stderr
    assert r["status"] == "ok" and r["ok"] == 2
    assert list(r["server_ops"]) == ["error"] and reason in r["server_ops"]["error"]
    assert r["server_ops"]["error"].startswith("on ")
    assert proc.stderr.count("harness: warning: server ops unavailable: ") == 1
    assert "server ops    unavailable (on " in proc.stdout


@pytest.mark.parametrize("keys,line,message", [
    ('probe = "x"; probe_scope = "rack";', 4, "filesystem 'probed': probe_scope 'rack' is not one of node, job"),
    ('probe = " ";', 4, "filesystem 'probed': 'probe' is empty"),
    ('probe = 3;', 4, "'probe' must be a string"),
    ('probe = "x";\n      probe_counters = ["ok", "a b"];', 5,
     "filesystem 'probed': probe counter 'a b' is not a counter name"),
    ('probe = "x";\n      probe_counters = ["a", "a"];', 5, "filesystem 'probed': probe counter 'a' is listed twice"),
    ('probe = "x";\n      probe_counters = [];', 5, "'probe_counters' is empty"),
    ('probe = "x";\n      probe_timeout = 0;', 5, "'probe_timeout' must be at least 0.001"),
    ('probe_scope = "job";', 4, "filesystem 'probed': 'probe_scope' is set but 'probe' is not"),
    ('prob = "x";', 4, "prob"),
], ids=["scope", "empty", "type", "name", "twice", "no-counters", "timeout", "orphan", "typo"])
def test_bad_probe_settings_are_refused_by_line(tmp_path, keys, line, message):
    cfg = write_cfg(tmp_path, keys)
    proc = mpirun(2, "--config", cfg, "--machine", "local", "--filesystem", "probed", *CHEAP, timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.startswith("harness: ")]   # one, not one per rank
    assert len(lines) == 1 and lines[0].startswith(f"harness: {cfg}:{line}: ") and message in lines[0], proc.stderr


def test_a_probes_stderr_reaches_the_terminal_printable(tmp_path):
    script = counter_probe(tmp_path, "#!/bin/sh\nprintf 'bad \\033]0;owned\\007 news\\n' >&2\nexit 2\n")
    cfg = write_cfg(tmp_path, f'probe = "{script}";')
    proc, r = run(tmp_path, cfg, 2, *CHEAP)
    assert proc.returncode == 0, proc.stderr
    warning = next(l for l in proc.stderr.splitlines() if l.startswith("harness: warning: server ops"))
    assert warning.endswith("the probe exited 2 (bad \\x1b]0;owned\\x07 news)")
    assert "\x1b" in r["server_ops"]["error"]   # the JSON keeps the text, escaped as JSON
