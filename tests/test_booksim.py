"""fabric against BookSim 2 on the reference configurations: the 8x8 mesh and torus
(tests/data/booksim_uniform_64node.csv, BookSim 2 commit 28f43299; see tests/data/booksim_README.md) and
the 4-ary 3-tree (tests/data/booksim_fattree_k4n3.csv; see tests/data/booksim_fattree_README.md), and
ROMM on the 8x8 mesh (tests/data/booksim_romm_8x8mesh.csv; see tests/data/booksim_romm_README.md).

The default run checks a representative subset (one seed, three loads per curve); ``pytest -m slow``
runs the full comparison of benchmarks/booksim_compare.py: every reference load up to 0.35 (mesh) and
0.45 (torus), and the knee of all four curves.
"""
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import booksim_compare  # noqa: E402

LATENCY_TOLERANCE = 0.05     # mean packet latency within 5% at every load below the knee
ZERO_LOAD_TOLERANCE = 0.03   # and within 3% at 0.01
KNEE_TOLERANCE = 0.03        # saturation knee within 0.03 flits/node/cycle


def check_latency(points):
    assert points
    for p in points:
        tolerance = ZERO_LOAD_TOLERANCE if p["load"] == booksim_compare.ZERO_LOAD else LATENCY_TOLERANCE
        assert p["fabric_latency"] == pytest.approx(p["booksim_latency"], rel=tolerance), p


def test_reference_loads_subset():
    out = booksim_compare.compare(seeds=(1,), with_knee=False, loads=(0.01, 0.1, 0.3))
    check_latency(out["points"])
    assert len(out["points"]) == 12


@pytest.mark.slow
def test_full_booksim_comparison():
    out = booksim_compare.compare()
    check_latency(out["points"])
    for curve, knee in out["knees"].items():
        assert knee["fabric"] == pytest.approx(knee["booksim"], abs=KNEE_TOLERANCE), curve


def test_fat_tree_subset():
    out = booksim_compare.compare(booksim_compare.FAT_TREE_CURVES, seeds=(1,), with_knee=False, loads=(0.01, 0.3, 0.5))
    check_latency(out["points"])
    assert len(out["points"]) == 12


@pytest.mark.slow
def test_full_fat_tree_comparison():
    out = booksim_compare.compare(booksim_compare.FAT_TREE_CURVES)
    check_latency(out["points"])
    for curve, knee in out["knees"].items():
        assert knee["fabric"] == pytest.approx(knee["booksim"], abs=KNEE_TOLERANCE), curve


def test_patterns_at_0_1_on_the_8x8_mesh():
    points = booksim_compare.compare_patterns(seeds=(1,))
    assert len(points) == 14
    for p in points:
        assert p["fabric_latency"] == pytest.approx(p["booksim_latency"], rel=LATENCY_TOLERANCE), p
        assert p["fabric_hops"] == pytest.approx(p["booksim_hops"], rel=0.03), p


THROUGHPUT_TOLERANCE = 0.03     # accepted flits per node per cycle at offered load 1.0


def test_romm_subset():
    """ROMM under uniform and transpose traffic (BookSim's romm_mesh), and the transpose load where
    dimension order already saturates (0.15) but ROMM does not."""
    out = booksim_compare.compare(("romm/1", "romm_transpose/1", "romm_transpose/4"), seeds=(1,), with_knee=False,
                                  loads=(0.1, 0.2))
    check_latency(out["points"])
    assert len(out["points"]) == 6
    points = booksim_compare.compare_throughput(("romm_transpose/1", "dor_transpose/1"), seeds=(1,))
    for p in points:
        assert p["fabric_accepted"] == pytest.approx(p["booksim_accepted"], rel=THROUGHPUT_TOLERANCE), p
    romm, dor = (p["fabric_accepted"] for p in points)
    assert romm > 1.1 * dor            # ROMM's reason to exist: 0.389 against 0.344 in BookSim


@pytest.mark.slow
def test_full_romm_comparison():
    out = booksim_compare.compare(booksim_compare.ROMM_CURVES, with_knee=False)
    check_latency(out["points"])
    for p in booksim_compare.compare_throughput():
        assert p["fabric_accepted"] == pytest.approx(p["booksim_accepted"], rel=THROUGHPUT_TOLERANCE), p


def test_three_islip_iterations_subset():
    """router.alloc_iters = 3 against BookSim's islip(3) allocators (tests/data/booksim_islip3_README.md)."""
    # at 0.4 one iteration is 13% slower in BookSim (55.37 against 48.78): this point fails if the iterations do not
    out = booksim_compare.compare(("islip3/1",), seeds=(1,), with_knee=False, loads=(0.1, 0.3, 0.4))
    out4 = booksim_compare.compare(("islip3/4",), seeds=(1,), with_knee=False, loads=(0.1, 0.3))
    check_latency(out["points"] + out4["points"])
    assert len(out["points"]) == 3 and len(out4["points"]) == 2


@pytest.mark.slow
def test_full_three_islip_iterations_comparison():
    out = booksim_compare.compare(booksim_compare.ISLIP3_CURVES)
    check_latency(out["points"])
    for curve, knee in out["knees"].items():
        assert knee["fabric"] == pytest.approx(knee["booksim"], abs=KNEE_TOLERANCE), curve


def test_internal_speedup_subset():
    """router.internal_speedup = 2.0 against BookSim's internal_speedup=2.0 (tests/data/booksim_speedup2_README.md):
    at 0.1 the speedup takes 12.6 cycles off BookSim's one-step latency (21.21 against 33.81)."""
    out = booksim_compare.compare(booksim_compare.SPEEDUP_CURVES, seeds=(1,), with_knee=False, loads=(0.05, 0.3, 0.45))
    check_latency(out["points"])
    assert len(out["points"]) == 3


@pytest.mark.slow
def test_full_internal_speedup_comparison():
    out = booksim_compare.compare(booksim_compare.SPEEDUP_CURVES)
    check_latency(out["points"])
    for curve, knee in out["knees"].items():
        assert knee["fabric"] == pytest.approx(knee["booksim"], abs=KNEE_TOLERANCE), curve


def test_other_allocators_subset():
    """Separable input-first, wavefront, PIM and max_size as both allocators against BookSim's
    (tests/data/booksim_allocators_README.md): at 0.30 with 1-flit packets BookSim gives 38.2, 46.3, 50.0 and 61.8
    cycles, so a wrong allocator lands on another's curve."""
    out = booksim_compare.compare(("alloc_separable_input_first/1", "alloc_wavefront/1", "alloc_pim/1",
                                   "alloc_max_size/1"), seeds=(1,), with_knee=False, loads=(0.1, 0.3))
    out4 = booksim_compare.compare(("alloc_wavefront/4", "alloc_max_size/4"), seeds=(1,), with_knee=False, loads=(0.25,))
    check_latency(out["points"] + out4["points"])
    assert len(out["points"]) == 8 and len(out4["points"]) == 2


@pytest.mark.slow
def test_full_other_allocators_comparison():
    out = booksim_compare.compare(booksim_compare.ALLOCATOR_CURVES)
    check_latency(out["points"])
    for curve, knee in out["knees"].items():
        assert knee["fabric"] == pytest.approx(knee["booksim"], abs=KNEE_TOLERANCE), curve
