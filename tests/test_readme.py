"""Every `sh` and `python` block of the README runs as written, from the repository root (a copy of it,
so the files the examples write land there), with the installed `fabric` command and package.

Left out, each for a reason the test states: `pip install ...` (CI has just installed the package the
same way; the rest of the line runs), the Dask block (it starts a scheduler and workers that run until
stopped; tests/test_sweep.py runs a real scheduler on loopback), and a line that needs a tool the
machine lacks (jq, valgrind). The blocks that take minutes (benchmarks, the BookSim comparison, the
15,000-endpoint examples) run under `pytest -m slow`.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.S | re.M)
SLOW = ("python benchmarks/", "torus25x25x24", "clos15488", "hyperx8x8x8x8", "dragonfly16512")


def blocks():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for number, match in enumerate(BLOCK.finditer(text)):
        kind, body = match.groups()
        line = text[: match.start()].count("\n") + 1
        marks = [pytest.mark.slow] if any(word in body for word in SLOW) else []
        out.append(pytest.param(kind, body, id=f"line{line}-{kind}", marks=marks))
    return out


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A copy of the repository (its history too, which benchmarks/ab.py reads; not its build products)."""
    where = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "*.so", ".pytest_cache",
                                    ".hypothesis", "*.c")
    for item in ROOT.iterdir():
        if item.name == "build":
            continue
        if item.is_dir():
            shutil.copytree(item, where / item.name, ignore=ignore)
        else:
            shutil.copy2(item, where / item.name)
    return where


def commands(body: str) -> list:
    """The block's commands: continued lines joined, comments and blank lines dropped."""
    joined = body.replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def environment():
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)            # the venv's `fabric` and `python`
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.parametrize("kind, body", blocks())
def test_readme_block_runs_as_written(checkout, kind, body):
    if "dask scheduler" in body:
        pytest.skip("starts a Dask scheduler and workers that run until stopped (tests/test_sweep.py runs one)")
    if kind == "python":
        proc = subprocess.run([sys.executable, "-c", body], cwd=checkout, env=environment(), capture_output=True,
                              text=True, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return
    for command in commands(body):
        if command.startswith("pip install"):
            rest = command.partition("&&")[2].strip()
            if not rest:
                continue
            command = rest
        needs = {"jq": "jq", "instructions.py": "valgrind"}
        missing = [tool for word, tool in needs.items() if word in command and shutil.which(tool) is None]
        if missing:
            continue
        if command == "pytest":
            continue                    # the suite this test is part of
        proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=checkout, env=environment(),
                              capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, f"{command}\n{proc.stderr[-3000:]}"
