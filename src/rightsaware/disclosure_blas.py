"""One BLAS thread while disclosure control factorises its (small, dense) matrices.

The SVDs in :mod:`rightsaware.disclosure_checks` are of matrices of a few hundred to a
few thousand rows. OpenBLAS splits even these across every core, and on a machine whose
cores are busy with other work (a server answering requests, other jobs) its threads
wait for each other: the same SVD then takes ten times as long as on one thread
(measured: 17 s against 1.7 s for 1,262 × 856 on two busy cores). :func:`one_blas_thread`
sets the OpenBLAS libraries loaded by NumPy and SciPy to one thread for the duration and
puts their setting back afterwards. Where they cannot be found (another BLAS, another
operating system) it changes nothing: the results are the same either way, only the time
differs.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# (get, set) symbol pairs of OpenBLAS builds: SciPy's and NumPy's wheels, then plain OpenBLAS.
_SYMBOLS = (("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
            ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
            ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
            ("openblas_get_num_threads", "openblas_set_num_threads"))
_lock = threading.Lock()
_users = 0
_saved: list[tuple[object, int]] = []
_found: list[tuple[object, object]] | None = None


def _loaded_libraries() -> list[str]:
    """Paths of the shared libraries in this process whose name mentions OpenBLAS (Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    paths = {line.split(None, 5)[5] for line in maps.splitlines() if len(line.split(None, 5)) == 6}
    return sorted(p for p in paths if "openblas" in Path(p).name.lower() and ".so" in Path(p).name)


def _controls() -> list[tuple[object, object]]:
    """(get, set) functions of every OpenBLAS loaded in this process, found once."""
    global _found
    if _found is None:
        import numpy  # noqa: F401  (load NumPy's and SciPy's BLAS before looking for them)
        import scipy.linalg  # noqa: F401

        _found = []
        for path in _loaded_libraries():
            try:
                library = ctypes.CDLL(path)
            except OSError:
                continue
            for get_name, set_name in _SYMBOLS:
                getter, setter = getattr(library, get_name, None), getattr(library, set_name, None)
                if getter is not None and setter is not None:
                    getter.restype = ctypes.c_int
                    getter.argtypes = []
                    setter.restype = None
                    setter.argtypes = [ctypes.c_int]
                    _found.append((getter, setter))
                    break
    return _found


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with OpenBLAS on one thread; nested and concurrent uses are counted."""
    global _users
    with _lock:
        if _users == 0:
            _saved.clear()
            for getter, setter in _controls():
                _saved.append((setter, getter()))
                setter(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for setter, threads in _saved:
                    setter(threads)
                _saved.clear()


def blas_threads() -> list[int]:
    """How many threads each OpenBLAS loaded in this process uses now (for tests)."""
    return [getter() for getter, _setter in _controls()]
