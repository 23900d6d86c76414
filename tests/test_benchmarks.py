"""benchmarks/bench.py, the speed benchmark: its JSON rows, --compare and a bad case name (on a tiny
mesh and few cycles, so the figures are not speeds worth reading, only the shape of the report)."""
import json
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def bench(tmp_path, *args):
    return subprocess.run([sys.executable, str(BENCH), "--warmup", "20", "--measure", "80", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_rows_and_compare(tmp_path):
    first = bench(tmp_path, "--cases", "mesh4x4@0.2")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["warmup"], report["measure"], report["packet_size"]) == (20, 80, 1)
    (row,) = report["cases"]
    assert row["case"] == "mesh4x4@0.2" and row["routers"] == 16 and row["cycles"] == 100
    assert row["router_cycles_per_second"] > 0 and row["peak_rss_mb"] > 0
    # the work per router-cycle is the flit-hops over routers x cycles: below one flit per port, and
    # near the offered load times the mean hops of a 4x4 mesh (8/3 between distinct nodes)
    assert 0.2 < row["flit_hops_per_router_cycle"] < 0.2 * 8 / 3 * 1.5
    assert abs(row["ns_per_router_cycle"] * row["router_cycles_per_second"] - 1e9) < 1e9 * 1e-3

    (tmp_path / "old.json").write_text(first.stdout)
    again = bench(tmp_path, "--cases", "mesh4x4@0.2", "--compare", "old.json")
    assert again.returncode == 0, again.stderr
    (row2,) = json.loads(again.stdout)["cases"]
    assert row2["flit_hops_per_router_cycle"] == row["flit_hops_per_router_cycle"]   # same seed, same work
    assert row2["speedup_vs_compare"] == round(
        row2["router_cycles_per_second"] / row["router_cycles_per_second"], 3)


def test_unknown_case_is_refused_before_running(tmp_path):
    done = bench(tmp_path, "--cases", "mesh4x4@0.1,ring7@0.1")
    assert done.returncode != 0
    assert "unknown case 'ring7'" in done.stderr
    assert done.stdout == ""
