"""bench/first_copy_compare.py, the first-copy bench's verdicts against
python-mpi-bcast: medians over the runs, pmb's own `-t` total plus the
import from its copy, each ratio against its target, the image
broadcast's reads from the shared mount at two node counts, and what it
says when pmb's runs are missing. Inputs in the shapes the harness's JSON
and pmb's `bcast -t` print."""
import json
import subprocess
import sys

from helpers.harness import ROOT

COMPARE = ROOT / "bench/first_copy_compare.py"


def harness_json(path, first_import, shared_read=None, elapsed=None):
    staging = {"seconds": first_import / 2, "shared_bytes_read": shared_read}
    path.write_text(json.dumps({"time_to_first_import_s": first_import, "elapsed_s": elapsed or first_import / 2,
                                "staging": staging}))


def pmb_out(path, total):
    path.write_text(f"Time : 0.01 in init\nTime : {total / 2} in bcast\nTime : {total / 2} in tar\n"
                    f"Time : {total} in total \n")


def fill(d, n, runs=3, pmb=True, imagebc=(0.5, 0.4, 0.6), image=(0.7,) * 3, bcast=(1.5,) * 3, pmb_total=(1.6,) * 3,
         pmb_import=0.4, bcast_warm=(0.5,) * 3, read=26_000_000):
    for k in range(1, runs + 1):
        harness_json(d / f"imagebc-cold-{n}-{k}.json", imagebc[k - 1], shared_read=read)
        harness_json(d / f"imagebc-warm-{n}-{k}.json", 0.3, shared_read=157)
        harness_json(d / f"image-cold-{n}-{k}.json", image[k - 1])
        harness_json(d / f"bcast-cold-{n}-{k}.json", bcast[k - 1])
        harness_json(d / f"bcast-warm-{n}-{k}.json", bcast_warm[k - 1])
        if pmb:
            for when in ("cold", "warm"):
                pmb_out(d / f"pmb-{when}-{n}-{k}.out", pmb_total[k - 1])
                harness_json(d / f"pmb-import-{when}-{n}-{k}.json", 9.9, elapsed=pmb_import)


def compare(d, nodes="4 8", runs=3):
    proc = subprocess.run([sys.executable, str(COMPARE), str(d), nodes, str(runs)], capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def line(out, label):
    return next(x for x in out.splitlines() if label in x)


def test_targets_met_medians_and_pmb_total_plus_its_import(tmp_path):
    fill(tmp_path, 4)
    fill(tmp_path, 8)
    rc, out, err = compare(tmp_path)
    assert rc == 0, out + err
    # imagebc's median 0.5 (of 0.4, 0.5, 0.6); pmb's 1.6 s total + 0.4 s import = 2.0 s.
    assert "0.500 s /   2.000 s =  0.250x  (target <= 0.30  PASS)" in line(out, "cold: image broadcast vs pmb"), out
    assert "1.500 s /   2.000 s =  0.750x  (target <= 1.00  PASS)" in line(out, "cold: bcast first copy vs pmb")
    assert "0.250x  (target <= 0.45  PASS)" in line(out, "warm: bcast vs pmb")
    assert "(reported)" in line(out, "cold: image from the shared mount vs pmb")
    assert "26000000 at 4 nodes, 26000000 at 8 (target: no growth)  PASS" in out


def test_a_missed_target_fails(tmp_path):
    fill(tmp_path, 4, imagebc=(0.9, 0.9, 0.9))
    fill(tmp_path, 8)
    rc, out, _ = compare(tmp_path)
    assert rc == 1
    assert "0.450x  (target <= 0.30  FAIL)" in line(out, "cold: image broadcast vs pmb"), out
    # Slower than the image from the shared mount too (0.9 against 0.7).
    assert "FAIL" in line(out, "cold: image broadcast vs image from the shared mount")


def test_reads_growing_with_the_nodes_fail(tmp_path):
    fill(tmp_path, 4, read=26_000_000)
    fill(tmp_path, 8, read=52_000_000)
    rc, out, _ = compare(tmp_path)
    assert rc == 1 and "(target: no growth)  FAIL" in out, out


def test_without_pmb_its_ratios_are_skipped_and_the_rest_judged(tmp_path):
    fill(tmp_path, 4, pmb=False)
    rc, out, _ = compare(tmp_path, nodes="4")
    assert rc == 0, out
    assert "skipped: no runs of pmb-cold" in line(out, "cold: image broadcast vs pmb")
    assert "PASS" in line(out, "cold: image broadcast vs image from the shared mount")


def test_a_pmb_output_without_its_timing_is_named(tmp_path):
    fill(tmp_path, 4)
    (tmp_path / "pmb-cold-4-2.out").write_text("Packages delivered.\n")
    rc, _, err = compare(tmp_path, nodes="4")
    assert rc != 0 and "pmb-cold-4-2.out: no 'Time : S in total' line" in err, err
