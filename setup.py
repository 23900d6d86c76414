"""Build the Cython core `fabric._core` from cext/. Metadata lives in pyproject.toml."""
import hashlib
import os
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FABRIC_CYTHON_DEBUG") == "1"

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}

# OpenMP: `--threads N` steps the routers of a cycle on N threads (cext/_core.pyx, _step_routers).
# -fno-wrapv undoes CPython's -fwrapv: the core never relies on signed overflow wrapping, and without
# it gcc need not sign-extend int indices at every use (docs/performance.md)
EXTRA_COMPILE_ARGS = (["-O3"] if not DEBUG else ["-O0", "-g"]) + ["-fopenmp", "-fno-wrapv"]
EXTRA_LINK_ARGS = ["-fopenmp"]

CEXT = Path(__file__).resolve().parent / "cext"


def source_digest() -> str:
    """SHA-256 over cext/*.pyx and *.pxd (as fabric/_find_core.py computes it): a checkout run in place
    uses the installed core only if it was built from these very sources."""
    digest = hashlib.sha256()
    for path in sorted([*CEXT.rglob("*.pyx"), *CEXT.rglob("*.pxd")]):
        digest.update(path.relative_to(CEXT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


extensions = [
    Extension(
        "fabric._core",
        ["cext/fabric/_core.pyx"],
        include_dirs=[np.get_include(), "cext"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                       ("FABRIC_SOURCE_DIGEST", f'"{source_digest()}"')],
        extra_compile_args=EXTRA_COMPILE_ARGS,
        extra_link_args=EXTRA_LINK_ARGS,
    )
]

if __name__ == "__main__":
    setup(ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES, include_path=["cext"]))
