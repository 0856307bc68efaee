"""Large arrays mapped from the OS and given back when freed, in the command's own processes.

glibc's malloc serves a large block from its heap once a block that size has been freed
(its mmap threshold rises with each such free), and a heap returns memory to the OS only from
its top: after scoring a giant creator, the freed feature columns stay resident. Fixing the
threshold at :data:`MAPPED_FROM_BYTES` maps every large array on its own, so resident memory
follows what is alive. Only the command line and its worker processes set it: a library must
not change how the program embedding it allocates memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util

MAPPED_FROM_BYTES = 8 << 20
"""Blocks from this size are mapped on their own (a 1,000,000-row float64 column and up): small
enough for the feature columns of one large creator, large enough that slices of a few
hundred thousand likes keep the faster heap."""
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def map_large_allocations(threshold: int = MAPPED_FROM_BYTES) -> bool:
    """Set glibc's mmap threshold; False where the C library is not glibc (nothing changes)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
