"""Headless Chromium over a report page: its DOM as the browser built it,
or a screenshot, with the browser's console on stderr."""
import os
import shutil
import subprocess


def chromium(page, *args, height=2200):
    exe = shutil.which("chromium")
    assert exe, "chromium is missing: jobs/install-deps.sh --test"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
           "--hide-scrollbars", f"--window-size=1500,{height}", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(page.parent)})


def console_clean(proc):
    """No console error and no uncaught exception in Chromium's log."""
    for line in proc.stderr.splitlines():
        assert "CONSOLE" not in line or "ERROR" not in line.upper(), line
        assert "Uncaught" not in line, line
