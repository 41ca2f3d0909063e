"""Which kernels the engine runs: compiled by numba (a wheel from PyPI, a dependency), or the same source
as plain Python when numba is missing or `DOORSTEP_ENGINE=python` asks for it.

`DOORSTEP_ENGINE`: `auto` (default: compiled if numba imports, else the fallback, said once in the
log), `compiled` (numba or an error), `python` (the fallback). Both paths run the same functions of
`kernels.py` on the same numbers, so they make the same decisions; tests run both.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys

import numpy as np

from . import kernels as python_kernels
from . import moves as python_moves
from . import recreate as python_recreate
from . import ruin as python_ruin

log = logging.getLogger(__name__)
ENV = "DOORSTEP_ENGINE"
CHOICES = ("auto", "compiled", "python")
loaded = {}


def compiled():
    """The kernels and the annealing loop compiled by numba (second modules from the same sources, with
    the ruin and recreate steps they call), or None."""
    if "compiled" not in loaded:
        try:
            import numba  # noqa: F401
        except ImportError:
            log.warning("numba is not installed: the routing engine runs its pure-Python fallback")
            loaded["compiled"] = None
            return None
        modules = []
        # In call order: each compiled copy finds the ones it calls in sys.modules.
        for source in (python_kernels, python_recreate, python_ruin, python_moves):
            name = source.__name__ + "_jit"
            spec = importlib.util.spec_from_file_location(name, source.__file__)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            modules.append(module)
        loaded["compiled"] = (modules[0], modules[-1])
    return loaded["compiled"]


class Backend:
    """Kernels plus how their tables are held: int64 numpy arrays for numba, lists for plain Python
    (list indexing is several times faster than numpy scalars in CPython)."""

    def __init__(self, modules, arrays: bool):
        (self.k, self.mv), self.arrays, self.name = modules, arrays, "compiled" if arrays else "python"

    def table(self, value):
        value = np.asarray(value, dtype=np.int64)
        return value if self.arrays else value.tolist()

    def floats(self, values):
        values = np.asarray(values, dtype=np.float64)
        return values if self.arrays else values.tolist()

    def zeros(self, *shape):
        return self.table(np.zeros(shape, dtype=np.int64))

    def total(self, values) -> int:
        return int(values.sum()) if self.arrays else sum(values)


def choose(engine: str | None = None) -> Backend:
    engine = engine or os.environ.get(ENV, "auto") or "auto"
    if engine not in CHOICES:
        raise ValueError(f"{ENV} must be one of {', '.join(CHOICES)}, not {engine!r}")
    if engine != "python":
        kernels = compiled()
        if kernels is not None:
            return Backend(kernels, True)
        if engine == "compiled":
            raise RuntimeError("the compiled routing engine needs numba (pip install numba)")
    return Backend((python_kernels, python_moves), False)


def describe(engine: str | None = None) -> str:
    """One line for a person starting the app: which search path this install runs, and why, so a
    machine where numba would not install says plainly that it plans with the slower fallback."""
    wanted = engine or os.environ.get(ENV, "auto") or "auto"
    backend = choose(engine)
    if backend.name == "compiled":
        import numba

        return f"compiled by numba {numba.__version__}"
    if wanted == "python":
        return f"pure-Python fallback ({ENV}=python asks for it; about a tenth of the compiled speed)"
    return "pure-Python fallback: numba is not installed (about a tenth of the compiled speed)"


