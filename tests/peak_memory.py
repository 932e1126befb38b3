"""A child process's own peak memory, for the tests that bound what a reader or a command may hold.

Each such test runs the work in a fresh ``python -c`` child (started in the project root) that ends with
``print(..., own_peak_mb())``. Not ``ru_maxrss``: Linux carries the parent's peak into it across fork and exec,
and the parent is a pytest worker of several hundred MB, so the figure would grow with the tests run before.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def own_peak_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM``, the high-water mark of its own address space
    (``ru_maxrss`` where there is no ``/proc``: kB on Linux, bytes on macOS)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024
