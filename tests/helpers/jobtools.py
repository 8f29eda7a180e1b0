"""Helpers of the job tests: configs derived from the shipped conf/local.cfg,
--gen-jobs runs, and the directives of a generated script."""
import re
from pathlib import Path

from helpers.harness import HARNESS, ROOT, harness, sanitizer_clean


def local_config(tmp, name="local.cfg", conninfo="", log_dir=None, harness_bin=None, replace=(), **machine):
    """conf/local.cfg rewritten into TMP: paths made absolute, the given
    database (spool in TMP), log_dir and harness, and MACHINE keys (import,
    launcher, debug, env_setup, ...) replaced or added. Every substitution
    must match, so a change of local.cfg shows here rather than passing unseen.
    REPLACE: more (old, new) text replacements."""
    text = (ROOT / "conf/local.cfg").read_text()
    for old, new in replace:
        assert old in text, f"conf/local.cfg no longer holds {old!r}"
        text = text.replace(old, new)

    def sub(pattern, repl):
        nonlocal text
        text, n = re.subn(pattern, lambda m: repl, text, count=1, flags=re.M)
        assert n == 1, f"conf/local.cfg no longer matches {pattern!r}"

    text = text.replace('"../build/', f'"{ROOT}/build/')
    sub(r'^\s*conninfo = ".*";', f'  conninfo = {_cfg_value(conninfo)};')
    sub(r'^\s*spool_dir = ".*";', f'  spool_dir = {_cfg_value(str(Path(tmp) / "spool"))};')
    sub(r'^\s*log_dir = ".*";', f'      log_dir = {_cfg_value(str(log_dir or Path(tmp) / "logs"))};')
    if harness_bin is not None:
        sub(r'^\s*harness = ".*";', f'    harness = "{harness_bin}";')
    # Machine keys within the machines block: `import` also names suites' statements.
    head, machines = text.split("\nmachines = (", 1)
    for key, value in machine.items():
        line = f"    {key} = {_cfg_value(value)};"
        if re.search(rf"^\s*{key} = ", machines, flags=re.M):
            machines, n = re.subn(rf"^\s*{key} = .*;.*$", lambda m: line, machines, count=1, flags=re.M)
        else:
            machines, n = re.subn(r'^(\s*name = "local";)$', lambda m: f'    name = "local";\n{line}', machines,
                                  count=1, flags=re.M)
        assert n == 1, f"conf/local.cfg's machine no longer takes {key}"
    text = head + "\nmachines = (" + machines
    path = Path(tmp) / name
    path.write_text(text)
    return path


def _cfg_value(value):
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cfg_value(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def gen_jobs(config, out, *args, harness_bin=HARNESS, env=None):
    proc = harness("--gen-jobs", "--config", config, "--out", out, *args, harness_bin=harness_bin, env=env)
    sanitizer_clean(proc)
    return proc


def directives(script):
    """The #SBATCH options of SCRIPT as a dict, and its other # lines
    above the first command."""
    opts, other = {}, []
    for line in Path(script).read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        m = re.match(r"#SBATCH --([\w-]+)=(.*)$", line)
        if m:
            opts[m.group(1)] = m.group(2)
        else:
            other.append(line)
    return opts, other
