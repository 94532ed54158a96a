"""The start-up heap is frozen once per process (run in a fresh interpreter: freezing is global)."""

from __future__ import annotations

import subprocess
import sys


def test_the_startup_heap_is_frozen_once() -> None:
    code = (
        "import gc\n"
        "from rightsaware.heap import freeze_startup_heap\n"
        "garbage = [[]]; garbage[0].append(garbage); del garbage\n"
        "print(gc.get_freeze_count() == 0, freeze_startup_heap(), gc.get_freeze_count() > 0, freeze_startup_heap())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["True", "True", "True", "False"]
