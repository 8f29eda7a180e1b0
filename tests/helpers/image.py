"""Runs of the image kind through a private config, on pretend nodes
(--ranks-per-node), and what /proc/self/mountinfo says is mounted:
tests/kinds/ and tests/security/."""
import json
import re
import subprocess
from pathlib import Path

from helpers.harness import HARNESS, mpirun, sanitizer_clean, stage_only


def mounts():
    """Every mount point of this process's view, mountinfo's escapes (a
    space is \\040) undone."""
    with open("/proc/self/mountinfo") as f:
        return [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4]) for line in f]


def mounted(path):
    return str(path) in mounts()


class Image:
    def __init__(self, tmp_path, source, image=None, mount=None, extra="", name="image.cfg"):
        self.image = image or tmp_path / "img/venv.sqfs"
        self.mount = mount or tmp_path / "mnt"
        self.json = tmp_path / f"{name}.json"
        self.config = tmp_path / name
        self.config.write_text(f'machines = ({{ name = "local"; venv = "{source}"; filesystems = (\n'
                               f'  {{ name = "img"; kind = "image"; path = "{self.image}"; '
                               f'mount = "{self.mount}"; {extra} }}); }});\n')

    def args(self, *extra, per=2):
        per_node = ["--ranks-per-node", per] if per else []
        return ["--config", self.config, "--machine", "local", "--filesystem", "img", *per_node,
                "--no-startup", "--json", self.json, *extra]

    def run(self, *extra, expect=0, n=4, per=2):
        if self.json.exists():
            self.json.unlink()
        proc = mpirun(n, *self.args(*extra, per=per))
        sanitizer_clean(proc)
        assert proc.returncode == expect, proc.stdout + proc.stderr
        return proc, json.loads(self.json.read_text()) if expect == 0 else None

    def start(self, *extra, n=4, per=2):
        """A run in the background (its own session, to be killed whole)."""
        cmd = ["mpirun", "--oversubscribe", "-n", str(n), str(HARNESS), *map(str, self.args(*extra, per=per))]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)

    def node(self, k):
        return Path(f"{self.mount}-node{k}")

    def copy(self, k):
        """Node K's own copy of the image (deliver = "bcast")."""
        return Path(f"{self.node(k)}-image/venv.sqfs")

    def stage(self, expect=0):
        """The prep step (--stage-only, one process): (proc, its staging JSON)."""
        return stage_only(self.config, "img", self.json.with_suffix(".stage.json"), expect)
