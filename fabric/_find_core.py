"""Find the compiled core, `fabric._core`.

An installed fabric has it beside this file. A source checkout does not (`pip install .` builds it into
site-packages), so running from the checkout (`python -c 'import fabric; ...'` or `python -m fabric` in
the repository root, where Python imports the checkout's fabric/) uses the core that `pip install .`
built, provided it was built from the checkout's cext/ as it is now: its SOURCE_DIGEST must match.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

from .errors import CoreBuildError

HERE = Path(__file__).resolve().parent
MISSING = ("fabric's compiled core (fabric._core) is missing: install the package with `pip install .` (it "
           "builds cext/ with Cython and a C compiler), or run `python setup.py build_ext --inplace` in a "
           "source checkout.")


def source_digest(cext: Path) -> str:
    """SHA-256 over the core's sources (every .pyx and .pxd under cext/, by path), as setup.py computes it."""
    digest = hashlib.sha256()
    for path in sorted([*cext.rglob("*.pyx"), *cext.rglob("*.pxd")]):
        digest.update(path.relative_to(cext).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def find_core():
    try:
        return importlib.import_module(f"{__package__}._core")
    except ImportError:
        pass
    cext = HERE.parent / "cext"
    for entry in sys.path:
        folder = Path(entry or ".").resolve() / "fabric"
        if folder == HERE or not folder.is_dir():
            continue
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_core{suffix}"
            if not path.is_file():
                continue
            spec = importlib.util.spec_from_file_location("fabric._core", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if cext.is_dir() and getattr(module, "SOURCE_DIGEST", None) != source_digest(cext):
                raise CoreBuildError(f"the compiled core at {path} was built from other sources than {cext}: run "
                                  f"`pip install .` again in {cext.parent}")
            sys.modules["fabric._core"] = module
            return module
    raise CoreBuildError(MISSING)
