"""Shared fixtures: the repo root, golden-file updating, and a helper that builds small specs."""
from pathlib import Path

import os

import pytest
from hypothesis import settings

# The property tests draw the same examples on every run, so CI is repeatable (a failure shows up on
# every machine, not one run in ten); HYPOTHESIS_PROFILE=explore draws new ones each time.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/*.json from the current output (review the diff)")


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


@pytest.fixture
def root():
    return ROOT


def make_spec(kind="mesh", dims=(8, 8), rate=0.1, size=1, warmup=1000, measure=3000, drain=10000, seed=1,
              latency=1, vcs=4, buffer=8, concentration=1, allow_self=True, **sections):
    """A spec dict for tests; ``sections`` are merged in, e.g. router={"routing_delay": 2}."""
    spec = {
        "topology": {"kind": kind, "dims": list(dims), "concentration": concentration},
        "router": {"vcs": vcs, "vc_buffer": buffer},
        "link": {"latency": latency},
        "traffic": {"injection_rate": rate, "packet_size": size, "allow_self": allow_self},
        "sim": {"warmup_cycles": warmup, "measure_cycles": measure, "drain_cycles": drain, "seed": seed},
    }
    for section, values in sections.items():
        spec.setdefault(section, {}).update(values)
    return spec
