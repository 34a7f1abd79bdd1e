"""Giving back resident pages of a memory-mapped weights file that nothing reads any more.

The safetensors loader maps the weights file privately and tensors point into that mapping, so a
page of it becomes resident (counted in the worker's RSS) once it is read, and stays so while any
tensor keeps the mapping alive — the token embeddings keep all of it alive. After 8-bit
quantisation replaces the float32 linear weights, their pages are dead but resident.
``madvise(MADV_DONTNEED)`` drops them: for a private file mapping that was only read, the kernel
would fault the same bytes back in from the file if they were ever touched again, so nothing can
change. Only whole pages inside a live mapping of that very file are released — never heap memory
that an allocator might have handed to someone else.
"""

from __future__ import annotations

import ctypes
import logging
import mmap
import os
from pathlib import Path

log = logging.getLogger(__name__)


def release_file_pages(spans: list[tuple[int, int]], weights_file: Path) -> int:
    """Drop the resident pages of ``spans`` (address, bytes) lying inside a mapping of
    ``weights_file``; returns the bytes released (0 where the platform has no ``madvise``)."""
    mappings = _mappings_of(weights_file)
    if not mappings or not hasattr(mmap, "MADV_DONTNEED"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page, released = mmap.PAGESIZE, 0
    for address, size in spans:
        start, end = -(-address // page) * page, (address + size) // page * page
        if end > start and any(low <= start and end <= high for low, high in mappings):
            if libc.madvise(start, end - start, mmap.MADV_DONTNEED) == 0:
                released += end - start
    log.debug("released %.1f MB of float32 weights no longer used", released / 2**20)
    return released


def _mappings_of(path: Path) -> list[tuple[int, int]]:
    """The address ranges of this process's private mappings of ``path`` (Linux /proc)."""
    try:
        target = os.stat(path)
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not fields[1].endswith("p"):
            continue
        try:
            mapped = os.stat(fields[5])
        except OSError:
            continue
        if (mapped.st_dev, mapped.st_ino) != (target.st_dev, target.st_ino):
            continue
        low, high = (int(part, 16) for part in fields[0].split("-"))
        found.append((low, high))
    return found
