"""How many custom-domain checks with Wristband this process may make, shared fairly.

Anonymous requests choose the domain to check, so they must neither choose how often this
process calls Wristband nor crowd out each other: every check takes a token from the
process's bucket (``custom_domain_checks_per_minute``, bursts of ``MAX_CHECK_BURST``) and
from the bucket of the client address that asked, which refills at a ``CLIENT_SHARE``-th of
that rate (bursts of ``CLIENT_CHECK_BURST``). A client that floods random domains empties
its own bucket, never the process's: a tenant's login from another address keeps its check.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass

#: The process's bucket size: uncached checks one burst of requests may trigger at once.
MAX_CHECK_BURST = 10
#: One client address's bucket size.
CLIENT_CHECK_BURST = 3
#: One client address refills at this fraction (1 / CLIENT_SHARE) of the process's rate.
CLIENT_SHARE = 10
#: At most this many client addresses' buckets are kept (least recently seen evicted).
MAX_CLIENTS = 1024
#: The length of the IPv6 prefix one client is assumed to hold (a subscriber gets a /64).
IPV6_CLIENT_PREFIX = 64


def client_key(remote_addr: str | None) -> str:
    """Return the budget key of the client address ``remote_addr`` (``REMOTE_ADDR``).

    An IPv4 address is its own key (also when written IPv4-mapped in IPv6); an IPv6 address
    counts as its /64 network, which one client usually holds whole. Anything else (no
    address, a Unix socket's name) shares the key ``""``."""
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return str(address)


@dataclass
class TokenBucket:
    """A token bucket: ``capacity`` tokens at most, refilled at ``per_second``."""

    capacity: float
    per_second: float
    tokens: float
    filled_at: float

    @classmethod
    def full(cls, capacity: float, per_second: float, now: float) -> TokenBucket:
        """Return a bucket holding ``capacity`` tokens at ``now``."""
        return cls(capacity, per_second, capacity, now)

    def refill(self, now: float) -> bool:
        """Add the tokens earned since the last refill; return whether one can be taken."""
        earned = max(0.0, now - self.filled_at) * self.per_second
        self.tokens = min(self.capacity, self.tokens + earned)
        self.filled_at = now
        return self.tokens >= 1.0


class CheckBudget:
    """The process's bucket and the buckets of the client addresses that asked recently
    (``MAX_CLIENTS`` at most). Not thread-safe: the caller holds a lock."""

    def __init__(self) -> None:
        self.process: TokenBucket | None = None
        self.clients: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, per_minute: int, client: str, now: float) -> str:
        """Take a token from the client's and the process's buckets; return why not, if not.

        The buckets allow ``per_minute`` checks a minute. Return ``""`` when a token was
        taken, or else why no check may be made; then nothing is taken, so a client whose own
        bucket is empty never drains the process's.
        """
        per_second = per_minute / 60.0
        capacity = float(min(MAX_CHECK_BURST, per_minute))
        if self.process is None:
            self.process = TokenBucket.full(capacity, per_second, now)
        bucket = self.clients.pop(client, None) or TokenBucket.full(
            min(float(CLIENT_CHECK_BURST), capacity), per_second / CLIENT_SHARE, now
        )
        self.clients[client] = bucket  # the most recently seen, evicted last
        while len(self.clients) > MAX_CLIENTS:
            self.clients.popitem(last=False)
        if not bucket.refill(now):
            return (
                f"more than {per_minute / CLIENT_SHARE:g} uncached checks a minute from one "
                f"client address (1/{CLIENT_SHARE} of custom_domain_checks_per_minute)"
            )
        if not self.process.refill(now):
            return f"more than custom_domain_checks_per_minute ({per_minute}) uncached checks"
        bucket.tokens -= 1.0
        self.process.tokens -= 1.0
        return ""
