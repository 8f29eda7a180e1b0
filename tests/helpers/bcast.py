"""Runs of the bcast kind through a private config, on pretend nodes
(--ranks-per-node): tests/kinds/ and tests/security/."""
import json
from pathlib import Path

from helpers.harness import mpirun, sanitizer_clean, stage_only


def bcast_config(path, source, local):
    """A private config: machine 'local', one bcast filesystem 'b' into LOCAL-node<k>."""
    path.write_text(f'machines = ({{ name = "local"; venv = "{source}"; filesystems = (\n'
                    f'  {{ name = "b"; kind = "bcast"; path = "{local}"; }}); }});\n')
    return path


class Bcast:
    """Runs of the harness on a bcast filesystem LOCAL from SOURCE, as
    N ranks in pretend nodes of PER ranks each."""

    def __init__(self, tmp_path, source, n=4, per=2):
        self.source, self.n, self.per = Path(source), n, per
        self.local = tmp_path / "local"
        self.json = tmp_path / "result.json"
        self.config = bcast_config(tmp_path / "bcast.cfg", source, self.local)

    def set_cleanup(self, cleanup):
        """The filesystem's `cleanup` setting in its config."""
        text = self.config.read_text().replace('kind = "bcast";', f'kind = "bcast"; cleanup = "{cleanup}";')
        self.config.write_text(text)

    def set_packed(self, image):
        """The filesystem's `packed` setting: the venv's squashfs image IMAGE."""
        self.packed = Path(image)
        text = self.config.read_text().replace('kind = "bcast";', f'kind = "bcast"; packed = "{image}";')
        self.config.write_text(text)

    def stage(self, expect=0):
        """The prep step (--stage-only, one process): (proc, its staging JSON)."""
        return stage_only(self.config, "b", self.json.with_suffix(".stage.json"), expect)

    def node(self, k):
        return Path(f"{self.local}-node{k}")

    def run(self, *extra, expect=0, timeout=300):
        """One run; returns (proc, result dict or None)."""
        if self.json.exists():
            self.json.unlink()
        proc = mpirun(self.n, "--config", self.config, "--machine", "local", "--filesystem", "b",
                      "--ranks-per-node", self.per, "--no-startup", "--json", self.json, *extra, timeout=timeout)
        sanitizer_clean(proc)
        assert proc.returncode == expect, proc.stdout + proc.stderr
        return proc, json.loads(self.json.read_text()) if expect == 0 else None

    def cheap(self, expect=0):
        """A run that times /bin/true: the broadcast is what is tested."""
        return self.run("--child", "/bin/true", "--skip-checks", expect=expect)
