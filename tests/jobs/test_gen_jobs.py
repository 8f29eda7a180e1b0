"""--gen-jobs: the sbatch scripts written from conf/cori.cfg, conf/edison.cfg
and conf/local.cfg, their directives, filters, stale scripts, and every bad
value named by file and line with nothing written."""
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from helpers.harness import RELEASE_HARNESS, ROOT
from helpers.jobtools import directives, gen_jobs, local_config

CORI = ROOT / "conf/cori.cfg"
EDISON = ROOT / "conf/edison.cfg"
# Variables the NERSC configs use, set only on the machine or in a job.
NERSC_VARS = ("SCRATCH", "DW_JOB_STRIPED", "USER")


def bare_env():
    return {k: v for k, v in os.environ.items() if k not in NERSC_VARS}


def scripts(out):
    return sorted(p.name for p in out.iterdir())


def test_cori_scripts_carry_the_seeds_directives(tmp_path):
    out = tmp_path / "jobs"
    proc = gen_jobs(CORI, out, env=bare_env())
    assert proc.returncode == 0, proc.stderr
    names = [f"cori-mpi4py-import-{n}-{fs}.sh" for n in (3, 150)
             for fs in ("common", "datawarp", "project", "scratch", "tmpfs", "shifter")]
    assert scripts(out) == sorted(names)
    assert proc.stdout.count("wrote ") == 12
    for name in names:
        script = out / name
        assert stat.S_IMODE(script.stat().st_mode) == 0o755
        check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, f"{name}: {check.stderr}"
        opts, other = directives(script)
        nodes = 3 if "-3-" in name else 150
        assert opts["job-name"] == name[:-3]
        assert opts["nodes"] == str(nodes) and opts["ntasks-per-node"] == "32"
        assert opts["time"] == "00:40:00"
        assert opts["output"] == f"{ROOT}/logs/slurm-{name[:-3]}-%j.out"
        assert (opts["account"], opts["partition"], opts["qos"]) == ("mpccc", "regular", "normal")
        assert opts["licenses"] == "SCRATCH" and opts["constraint"] == "haswell"
        assert opts["mail-type"] == "FAIL"
        dw = [line for line in other if line.startswith("#DW")]
        assert dw == (["#DW jobdw capacity=2TB access_mode=striped"] if "datawarp" in name else [])
        assert f"# mpi4py-import job: machine=cori filesystem={name.split('-')[-1][:-3]} " \
               f"size={'small' if nodes == 3 else 'large'} nodes={nodes} ranks={nodes * 32}" in other
    body = (out / "cori-mpi4py-import-3-datawarp.sh").read_text()
    # Paths stay in the config, expanded on the compute node; the jobs name it.
    assert "DW_JOB_STRIPED" not in body and "$SCRATCH" not in body
    assert f"config='{CORI}'" in body and f"harness='{RELEASE_HARNESS}'" in body
    assert "launch_all=(srun --kill-on-bad-exit=1)" in body and 'SLURM_PMIX_FENCE="${SLURM_PMIX_FENCE:-ring}"' in body and "\n    module load python_base\n" in body
    assert "stage=1" in body and "checks=1" in body
    common = (out / "cori-mpi4py-import-3-common.sh").read_text()
    assert "stage=0" in common and "checks=1" in common
    tmpfs = (out / "cori-mpi4py-import-150-tmpfs.sh").read_text()
    # bcast: the stage step packs its image (packed); the run copies and checks.
    assert "stage=1" in tmpfs and "checks=0" in tmpfs
    assert not any(p.name.startswith(".") for p in out.iterdir())


def test_edison_scripts_and_filters(tmp_path):
    out = tmp_path / "jobs"
    proc = gen_jobs(EDISON, out, "--machine", "edison", "--size", "large", env=bare_env())
    assert proc.returncode == 0, proc.stderr
    assert scripts(out) == [f"edison-mpi4py-import-200-{fs}.sh" for fs in ("common", "project", "scratch", "tmpfs")]
    opts, other = directives(out / "edison-mpi4py-import-200-scratch.sh")
    assert opts["nodes"] == "200" and opts["ntasks-per-node"] == "24"
    assert "constraint" not in opts and not any(line.startswith("#DW") for line in other)
    proc = gen_jobs(EDISON, out, "--size", "small", env=bare_env())
    assert proc.returncode == 0, proc.stderr
    assert len(scripts(out)) == 8
    assert directives(out / "edison-mpi4py-import-4-common.sh")[0]["ntasks-per-node"] == "24"


def test_local_scripts_default_harness_and_launcher(tmp_path):
    cfg = local_config(tmp_path)
    out = tmp_path / "jobs"
    proc = gen_jobs(cfg, out, "--size", "small")
    assert proc.returncode == 0, proc.stderr
    # One script per suite the machine carries: the first keeps the seed's name.
    assert scripts(out) == sorted(f"local-mpi4py-import-1-{fs}{suite}.sh" for fs in ("common", "scratch", "tmpfs", "bcast",
                                                                                   "image")
                                  for suite in ("", "-mpi4py"))
    body = (out / "local-mpi4py-import-1-common.sh").read_text()
    assert f"harness='{RELEASE_HARNESS}'" in body and "ranks='4'" in body
    assert "suite='numpy'" in body and "suite_args=(--suite \"$suite\")" in body
    assert "suite='mpi4py'" in (out / "local-mpi4py-import-1-common-mpi4py.sh").read_text()
    assert subprocess.run(["bash", "-n", str(out / "local-mpi4py-import-1-common-mpi4py.sh")]).returncode == 0
    assert (tmp_path / "logs").is_dir()   # sbatch cannot create it
    # Without a harness key the jobs run the binary that wrote them.
    cfg = local_config(tmp_path, name="nokey.cfg")
    cfg.write_text("\n".join(l for l in cfg.read_text().splitlines() if not l.startswith("    harness = ")))
    proc = gen_jobs(cfg, out, "--size", "small", harness_bin=RELEASE_HARNESS)
    assert proc.returncode == 0, proc.stderr
    assert f"harness='{RELEASE_HARNESS}'" in (out / "local-mpi4py-import-1-common.sh").read_text()
    cfg = local_config(tmp_path, name="mpirun.cfg", launcher="mpirun")
    assert gen_jobs(cfg, out, "--size", "small").returncode == 0
    assert 'launch_all=(mpirun -n "$ranks")' in (out / "local-mpi4py-import-1-common.sh").read_text()


def test_stale_scripts_are_removed(tmp_path):
    out = tmp_path / "jobs"
    cfg = local_config(tmp_path)
    assert gen_jobs(cfg, out).returncode == 0
    assert len(scripts(out)) == 20   # 2 sizes x 5 filesystems x 2 suites
    (out / "mine.sh").write_text("#!/bin/bash\necho not generated\n")
    text = cfg.read_text()
    assert text.count("name = \"tmpfs\"") == 1
    fewer = tmp_path / "fewer.cfg"
    # tmpfs is not the last filesystem: its line goes, the list stays valid.
    fewer.write_text("\n".join(line for line in text.splitlines() if 'name = "tmpfs"' not in line))
    # With --size, only that size's stale scripts go.
    proc = gen_jobs(fewer, out, "--size", "small")
    assert proc.returncode == 0, proc.stderr
    assert "removed " in proc.stdout and "local-mpi4py-import-1-tmpfs.sh" in proc.stdout
    assert "local-mpi4py-import-1-tmpfs-mpi4py.sh" in proc.stdout
    assert "local-mpi4py-import-2-tmpfs.sh" in scripts(out)
    proc = gen_jobs(fewer, out)
    assert proc.returncode == 0, proc.stderr
    assert scripts(out) == sorted(["mine.sh"] + [f"local-mpi4py-import-{n}-{fs}{suite}.sh" for n in (1, 2)
                                                 for fs in ("common", "scratch", "bcast", "image")
                                                 for suite in ("", "-mpi4py")])


BAD = [
    # (what to change in local.cfg, expected message part, line of the value)
    (('{ name = "common";  kind = "inplace"; }', '{ name = "com mon";  kind = "inplace"; }'),
     "filesystem name 'com mon' cannot name a job", 'name = "com mon"'),
    (('{ name = "common";  kind = "inplace"; }',
      '{ name = "common";  kind = "inplace"; directives = ["srun hostname"]; }'),
     "filesystem directives line 'srun hostname' must be one line starting with '#'", 'directives = '),
    (('log_max_age_days = 30.0;', 'log_max_age_days = 30.0; account = "a b";'),
     "slurm account 'a b' cannot go on an #SBATCH line", 'slurm = {'),
    (('nodes = 2; tasks_per_node = 8;', 'nodes = 1; tasks_per_node = 8;'),
     "sizes 'small' and 'large' both have 1 nodes", 'name = "large"'),
    (('time = "00:10:00"', 'time = "10 min"'), "time '10 min' cannot go on an #SBATCH line", 'name = "small"'),
    (('log_max_age_days = 30.0;', 'log_max_age_days = 99999.0;'), "'log_max_age_days' must be at most 36500",
     'log_max_age_days = 99999.0'),
    # A newline in a size name once wrote a line of its own into the script.
    (('{ name = "small"; nodes = 1;', '{ name = "small\\ntouch /tmp/mpi4py-import-injected"; nodes = 1;'),
     "size name 'small\\ntouch /tmp/mpi4py-import-injected' cannot name a job or a file", 'name = "small'),
    (('{ name = "common";  kind = "inplace"; }', '{ name = "common\\n#SBATCH --x=1";  kind = "inplace"; }'),
     "filesystem name 'common\\n#SBATCH --x=1' cannot name a job or a file", 'name = "common'),
    (('    launcher = "srun";', '    launcher = "srun"; env_setup = ["module load a\\nmodule load b"];'),
     "env_setup entry 1 must be one non-empty line", 'name = "local"'),
]


@pytest.mark.parametrize("change,message,line_of", BAD,
                         ids=["fs-name", "directive", "account", "sizes", "time", "log-age", "size-newline",
                              "fs-newline", "env-setup"])
def test_bad_values_are_named_and_nothing_is_written(tmp_path, change, message, line_of):
    cfg = local_config(tmp_path)
    text = cfg.read_text()
    assert change[0] in text
    text = text.replace(change[0], change[1])
    cfg.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if line_of in l)
    if line_of == 'name = "local"':   # the machine's group opens the line before
        line -= 1
    out = tmp_path / "jobs"
    proc = gen_jobs(cfg, out)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"harness: {cfg}:{line}: ") and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() or scripts(out) == []


def test_bad_paths_and_selections(tmp_path):
    out = tmp_path / "jobs"
    cfg = local_config(tmp_path, log_dir="$NO_SUCH_LOG_VAR/logs")
    proc = gen_jobs(cfg, out)
    assert proc.returncode == 2
    assert "log_dir '$NO_SUCH_LOG_VAR/logs' must be an absolute path" in proc.stderr
    # sbatch's file name patterns; white space and quotes it is given quoted
    # (tests/jobs/test_job_script.py submits such a job).
    for bad in ("/tmp/100%", "/tmp/back\\slash"):
        proc = gen_jobs(local_config(tmp_path, log_dir=bad), out)
        assert proc.returncode == 2, proc.stderr
        assert f"log_dir '{bad}' cannot hold '%' or '\\' (sbatch's file name patterns)" in proc.stderr
    assert not Path("/tmp/100%").exists()
    # --out naming a file, not a directory.
    afile = tmp_path / "a-file"
    afile.write_text("")
    proc = gen_jobs(local_config(tmp_path, name="file.cfg"), afile)
    assert proc.returncode == 4 and f"{afile} is not a directory" in proc.stderr
    cfg = local_config(tmp_path, name="nolog.cfg")
    cfg.write_text("\n".join(l for l in cfg.read_text().splitlines() if "log_dir" not in l))
    proc = gen_jobs(cfg, out)
    assert proc.returncode == 2 and "machine 'local': --gen-jobs needs slurm { log_dir" in proc.stderr
    cfg = local_config(tmp_path)
    proc = gen_jobs(cfg, out, "--machine", "cray")
    assert proc.returncode == 2 and "unknown machine 'cray' (this file defines: local)" in proc.stderr
    proc = gen_jobs(cfg, out, "--machine", "local", "--size", "huge")
    assert proc.returncode == 2 and "machine 'local' has no size 'huge' (it has: small, large)" in proc.stderr
    proc = gen_jobs(cfg, out, "--size", "huge")
    assert proc.returncode == 2 and "no machine has size 'huge'" in proc.stderr
    assert not out.exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = gen_jobs(cfg, blocker / "jobs")
    assert proc.returncode == 4 and f"cannot create directory {blocker}/jobs" in proc.stderr
    for bad_harness, message in ((tmp_path / "none", "No such file or directory"), (tmp_path, "not an executable")):
        proc = gen_jobs(local_config(tmp_path, harness_bin=bad_harness), out)
        assert proc.returncode == 2 and f"harness {bad_harness}" in proc.stderr and message in proc.stderr
    sizeless = tmp_path / "sizeless.cfg"
    sizeless.write_text(f'machines = ({{ name = "m"; venv = "{tmp_path}"; filesystems = ();\n'
                        f'  sizes = ({{ name = "small"; nodes = 1; }}); }});\n')
    proc = gen_jobs(sizeless, out, "--machine", "m")
    assert proc.returncode == 2 and "machine 'm' has no sizes or no filesystems" in proc.stderr
    assert "no machine has both sizes and filesystems" in gen_jobs(sizeless, out).stderr
    proc = gen_jobs(tmp_path / "missing.cfg", out)
    assert proc.returncode == 2 and "cannot read config" in proc.stderr


def test_paths_with_quotes_spaces_and_commands_stay_literal(tmp_path):
    """Every value written into a script is quoted: the settings block, run
    by bash, gives back the paths exactly, and the `$(...)` in them runs
    nothing."""
    marker = tmp_path / "PWNED"
    # The config's own path is used as it is; paths inside it expand $VARS,
    # so there white space and quotes are what can occur.
    weird = tmp_path / "a b'c\"d $(touch PWNED) `touch PWNED`"
    weird.mkdir()
    bindir = tmp_path / "bin d'i\"r"
    bindir.mkdir()
    harness_bin = bindir / "harness"
    shutil.copy(RELEASE_HARNESS, harness_bin)   # a link would be resolved
    log_dir = tmp_path / "log s'q\"uote"
    cfg = weird / "local.cfg"
    local_config(tmp_path, harness_bin=str(harness_bin).replace('"', '\\"'), log_dir=str(log_dir)).rename(cfg)
    out = tmp_path / "jobs"
    proc = gen_jobs(cfg, out, "--size", "small")
    assert proc.returncode == 0, proc.stderr
    script = out / "local-mpi4py-import-1-common.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    settings = text[:text.index("job_id=${SLURM_JOB_ID")]
    shown = subprocess.run(["bash", "-c", settings + '\nprintf "%s\\n" "$harness" "$config" "$log_dir" "$job_name"'],
                           capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [str(harness_bin), str(cfg), str(log_dir), "local-mpi4py-import-1-common"]
    assert not marker.exists()
    opts, _ = directives(script)
    assert opts["output"].startswith('"') and "log s'q\\\"uote" in opts["output"]
