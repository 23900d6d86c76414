"""Exceptions a user can cause. The CLI reports these as one line on stderr and exits 1."""


class FabricError(Exception):
    """Base of every error caused by user input (bad spec, missing file, impossible request)."""


class SpecError(FabricError):
    """One or more problems in a spec, each already phrased as ``file: dotted.key: message``."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class FabricWarning(UserWarning):
    """A spec that runs, but probably not as its author meant. The CLI prints it as ``warning: ...``."""


class CoreBuildError(ImportError):
    """The compiled core `fabric._core` is missing: the package was not built."""
