"""The package flows one way (the import-linter contract in pyproject.toml): each layer imports only the
layers below it, imports inside functions included. A test that breaks a layer shows the check bites."""
import shutil
import subprocess
import sys
from pathlib import Path

import fabric

from conftest import ROOT

LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; "
        "sys.exit(c.main(standalone_mode=False, args=sys.argv[1:]) or 0)"]


def lint(config: Path, cwd: Path, package_parent: Path):
    return subprocess.run([*LINT, "--config", str(config), "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(package_parent), "PATH": ""})


def test_the_package_keeps_its_layers():
    proc = lint(ROOT / "pyproject.toml", ROOT, Path(fabric.__file__).parent.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KEPT" in proc.stdout


def test_an_import_that_breaks_the_layers_fails_the_check(tmp_path):
    package = tmp_path / "fabric"
    shutil.copytree(Path(fabric.__file__).parent, package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    spec = package / "spec.py"
    spec.write_text(spec.read_text() + "\n\ndef _upwards():\n    from .cli import app\n    return app\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    proc = lint(tmp_path / "pyproject.toml", tmp_path, tmp_path)
    assert proc.returncode != 0
    assert "fabric.spec is not allowed to import fabric.cli" in proc.stdout
