"""The hostile local user of the security tests: `nobody`, through
runuser (root only)."""
import subprocess

NOBODY = 65534


def as_nobody(*cmd, check=True, **kw):
    """CMD run as nobody; the CompletedProcess (output captured as text)."""
    return subprocess.run(["runuser", "-u", "nobody", "--", *map(str, cmd)], check=check, capture_output=True,
                          text=True, **kw)


def nobody_copy(src, dst):
    """A copy of SRC at DST that nobody owns, as if nobody had made it."""
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    subprocess.run(["chown", "-Rh", "nobody:nogroup", str(dst)], check=True)
