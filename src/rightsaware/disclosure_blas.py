"""One BLAS thread while disclosure control factorises its (small, dense) matrices.

The SVDs in :mod:`rightsaware.disclosure_checks` are of matrices of a few hundred to a
few thousand rows. OpenBLAS splits even these across every core, and on a machine whose
cores are busy with other work (a server answering requests, other jobs) its threads
wait for each other: the same SVD then takes ten times as long as on one thread
(measured: 17 s against 1.7 s for 1,262 × 856 on two busy cores). :func:`one_blas_thread`
sets the BLAS libraries loaded by NumPy and SciPy to one thread for the duration, through
``threadpoolctl``, and puts their setting back afterwards. The results are the same either
way; only the time differs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_users = 0
_limits: Any = None
_controller: Any = None


def _blas() -> Any:  # noqa: ANN401
    """threadpoolctl's controller of the BLAS libraries NumPy and SciPy loaded (found once)."""
    global _controller
    if _controller is None:
        import numpy  # noqa: F401  (load NumPy's and SciPy's BLAS before looking for them)
        import scipy.linalg  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS on one thread; nested and concurrent uses are counted.

    The setting is process-wide, so the first user lowers it and the last one puts it back.
    """
    global _users, _limits
    with _lock:
        if _users == 0:
            _limits = _blas().limit(limits=1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                _limits.restore_original_limits()
                _limits = None


def blas_threads() -> list[int]:
    """How many threads each BLAS library loaded in this process uses now (for tests)."""
    return [library["num_threads"] for library in _blas().info()]
