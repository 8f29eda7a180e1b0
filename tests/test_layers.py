"""The source tree keeps its layers: tools/check-layers finds no include
of a folder above the including one, and no kind named outside its file."""
import re
import subprocess

from helpers.harness import ROOT


def test_folders_include_only_the_layers_below_them():
    proc = subprocess.run([str(ROOT / "tools/check-layers")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 against the order" in proc.stdout


def test_no_generic_file_names_a_kind():
    kinds = re.compile(r'\bfs_kind_(inplace|staged|bcast|image)\b|"(inplace|staged|bcast|image)"')
    own = re.compile(r"harness/fs/fs_(inplace|staged|bcast|image)[a-z_]*\.[ch]$|harness/fs/fs_kinds\.c$")
    named = []
    for path in sorted((ROOT / "harness").rglob("*.[ch]")):
        rel = str(path.relative_to(ROOT))
        if own.search(rel):
            continue
        named += [f"{rel}: {m.group(0)}" for m in kinds.finditer(path.read_text())]
    assert named == []
