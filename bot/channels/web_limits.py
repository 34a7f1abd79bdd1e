"""A token bucket per client address over the web chat API.

The buckets are :class:`bot.delivery.ratelimit.TokenBucket` (the sender's), one per address:
an IPv4 address, or an IPv6 /64 (one subscriber usually holds a whole /64, so per-address
buckets there would be free to dodge). Buckets are per worker process: with ``--workers N`` one
address gets at most N times the rate. Full buckets are forgotten, so memory follows the
addresses active in the last ``burst / rate`` seconds, and at most ``max_tracked`` are kept.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Sequence

from bot.delivery.ratelimit import TokenBucket

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """Who is asking: the TCP peer, or — only when the peer is a trusted proxy — the nearest
    address in ``X-Forwarded-For`` that is not itself a trusted proxy (read from the right,
    since the left end is whatever the client wrote)."""
    address = peer or "unknown"
    if not trusted or not forwarded_for or not _is_trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a garbled hop: trust nothing beyond the last proxy we know
        address = hop
        if not _is_trusted(hop, trusted):
            return hop
    return address


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _bucket_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class AddressLimiter:
    """``rate`` requests per second per address, ``burst`` at once."""

    def __init__(self, rate: float, burst: int, *, max_tracked: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_tracked, self._clock = rate, burst, max_tracked, clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, address: str) -> int:
        """0 when ``address`` may go ahead, else the whole seconds to wait (for ``Retry-After``)."""
        key = _bucket_key(address)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_tracked:
                self._forget()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self._clock)
        wait = bucket.take()
        return 0 if wait == 0 else max(1, math.ceil(wait))

    def _forget(self) -> None:
        """Drop full buckets; if every tracked address is busy, drop the oldest half."""
        self._buckets = {k: b for k, b in self._buckets.items() if not b.idle}
        if len(self._buckets) >= self.max_tracked:
            keep = list(self._buckets.items())[len(self._buckets) // 2:]
            self._buckets = dict(keep)
