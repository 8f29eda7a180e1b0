"""Trees and stages of the stager's tests (tests/kinds/, tests/security/,
tests/cluster/): a private config of staged filesystems, harness
--stage-only through it, a crafted tree, a fake venv, and snapshots of a
tree to compare a copy with its source."""
import hashlib
import json
import os
import shutil
import stat
import uuid
from pathlib import Path

from helpers.harness import harness, sanitizer_clean

STAGE_FILES = (".mpi4py-import-stage.lock", ".mpi4py-import-stage.manifest", ".mpi4py-import-stage.marker")
TMP_PREFIX = ".~stage-"


def staged_config(path, source, targets):
    """A private config: machine 'local', one staged filesystem per TARGETS item."""
    fs = ",\n".join(f'  {{ name = "{name}"; kind = "staged"; path = "{target}"; }}'
                    for name, target in targets.items())
    path.write_text(f'machines = ({{ name = "local"; venv = "{source}"; filesystems = (\n{fs},\n'
                    f'  {{ name = "common"; kind = "inplace"; }}); }});\n')
    return path


class Stager:
    """harness --stage-only from SOURCE into TARGET through a private config."""

    def __init__(self, tmp_path, source, target, config_dir=None):
        self.source, self.target = Path(source), Path(target)
        self.json = tmp_path / f"stage-{uuid.uuid4().hex}.json"
        self.config = staged_config((config_dir or tmp_path) / f"stage-{uuid.uuid4().hex}.cfg", source,
                                   {"t": target})

    def args(self, *extra):
        return ["--stage-only", "--config", self.config, "--machine", "local", "--filesystem", "t",
                "--json", self.json, *extra]

    def run(self, *extra, expect=0, **kw):
        """Stages; returns (proc, staging dict or None)."""
        if self.json.exists():
            self.json.unlink()
        proc = harness(*self.args(*extra), **kw)
        sanitizer_clean(proc)
        assert proc.returncode == expect, proc.stdout + proc.stderr
        return proc, json.loads(self.json.read_text()) if expect == 0 else None


def snapshot(root):
    """Every entry below ROOT but *.pyc and the stager's own files:
    relative path -> (type, mode, mtime_ns, content digest or link target)."""
    root = Path(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if name.endswith(".pyc") or (p.parent == root and name in STAGE_FILES):
                continue
            st = os.lstat(p)
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                what = hashlib.sha256(p.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                what = os.readlink(p)
            else:
                what = None
            out[str(p.relative_to(root))] = (kind, stat.S_IMODE(st.st_mode), st.st_mtime_ns, what)
    return out


def leftovers(root):
    return [str(Path(d) / n) for d, dirs, files in os.walk(root) for n in dirs + files if n.startswith(TMP_PREFIX)]


def make_tree(root):
    """Directories (one read-only), files of several modes and sizes and
    mtimes, symlinks (relative, absolute, dangling, to a directory),
    bytecode beside the sources and in __pycache__."""
    (root / "pkg/sub/deeper").mkdir(parents=True)
    (root / "pkg/__pycache__").mkdir()
    (root / "ro").mkdir()
    (root / "pkg/__init__.py").write_text("x = 1\n")
    (root / "pkg/__pycache__/__init__.cpython-311.pyc").write_bytes(b"\x00bytecode")
    (root / "pkg/legacy.pyc").write_bytes(b"\x00old bytecode")
    (root / "pkg/sub/data.bin").write_bytes(os.urandom(300_000))
    (root / "pkg/sub/deeper/empty").write_bytes(b"")
    (root / "tool.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "tool.sh").chmod(0o755)
    (root / "secret").write_text("mode 600\n")
    (root / "secret").chmod(0o600)
    (root / "ro/readme").write_text("in a read-only directory\n")
    (root / "ro/readme").chmod(0o444)
    (root / "ro").chmod(0o555)
    (root / "link-rel").symlink_to("pkg/__init__.py")
    (root / "link-abs").symlink_to("/etc/hostname")
    (root / "link-dangling").symlink_to("no/such/file")
    (root / "link-dir").symlink_to("pkg")
    os.utime(root / "pkg/sub/data.bin", ns=(1_600_000_000_123_456_789, 1_500_000_000_987_654_321))
    os.utime(root / "link-rel", ns=(1_400_000_000_000_000_001, 1_400_000_000_000_000_001), follow_symlinks=False)
    os.utime(root / "pkg/sub", ns=(1_300_000_000_000_000_000, 1_300_000_000_000_000_000))


def remove_tree(root):
    """shutil.rmtree of a tree that may hold read-only directories (make_tree's
    ro/): each is made writable first, which only root can do without."""
    for dirpath, _, _ in os.walk(root):   # top-down, never into a symlink
        os.chmod(dirpath, 0o700)
    shutil.rmtree(root)


def expected(source):
    return {k: v for k, v in snapshot(source).items() if not k.endswith(".pyc")}


def fake_venv(root, built_at):
    """The files of a venv that name its place, built at BUILT_AT."""
    (root / "bin").mkdir(parents=True)
    (root / "bin/activate").write_text(f'deactivate () {{ unset VIRTUAL_ENV; }}\nVIRTUAL_ENV="{built_at}"\n'
                                       'export VIRTUAL_ENV\nPATH="$VIRTUAL_ENV/bin:$PATH"\n')
    (root / "bin/activate.csh").write_text(f'setenv VIRTUAL_ENV "{built_at}"\n')
    (root / "bin/activate.fish").write_text(f'set -gx VIRTUAL_ENV "{built_at}"\n')
    (root / "pyvenv.cfg").write_text(f"home = /usr/bin\ncommand = /usr/bin/python3 -m venv {built_at}\n")
    (root / "bin/pip").write_text(f"#!{built_at}/bin/python3\nimport sys  # {built_at} stays\n")
    (root / "bin/here").write_text(f"#!{root}/bin/python3\n")  # names the source's own place
    (root / "bin/system").write_text("#!/usr/bin/python3\n")
    (root / "bin/python3").write_bytes(b"\x7fELF" + f"{built_at}".encode() + b"\x00" * 100)
    for f in (root / "bin").iterdir():
        f.chmod(0o755)

