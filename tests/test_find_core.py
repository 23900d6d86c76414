"""A source checkout (whose fabric/ has no compiled core) uses the core `pip install .` built, only if it
was built from the checkout's cext/ as it is now."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fabric

from conftest import ROOT

IMPORT = "import fabric.build, fabric._core as c; print(c.SOURCE_DIGEST)"


def checkout_copy(where: Path) -> Path:
    """The checkout's fabric/ (without any compiled core) and cext/, as a reader has them."""
    shutil.copytree(ROOT / "fabric", where / "fabric", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    shutil.copytree(ROOT / "cext", where / "cext", ignore=shutil.ignore_patterns("*.c", "*.html"))
    return where


def run_in(where: Path):
    # the built package's folder on the path after the checkout, where site-packages would be
    built = Path(fabric.__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-c", IMPORT], cwd=where, capture_output=True, text=True,
                          env={"PYTHONPATH": f"{where}:{built}", "PATH": ""})


def test_a_checkout_uses_the_core_built_from_its_sources(tmp_path):
    from fabric._find_core import source_digest

    proc = run_in(checkout_copy(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == source_digest(ROOT / "cext")


@pytest.mark.parametrize("source", ["fabric/_core.pyx", "_router.pxd"])
def test_a_checkout_refuses_a_core_built_from_other_sources(tmp_path, source):
    """An edit to the core module or to any of its parts makes the installed core another core's."""
    where = checkout_copy(tmp_path)
    (where / "cext" / source).write_text((where / "cext" / source).read_text() + "# edited\n")
    proc = run_in(where)
    assert proc.returncode != 0
    assert "was built from other sources than" in proc.stderr and "run `pip install .` again" in proc.stderr
