"""Tenants and users known to the fake, and tenant resolution from a Host header."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .models import FakeTenant, FakeUser

VANITY_HOSTNAME = "localhost"


def hostname_of(host: str) -> str:
    """Return `host` without its port, lower-cased."""
    name, sep, port = host.rpartition(":")
    return (name if sep and port.isdigit() else host).lower()


class Directory:
    """Thread-safe registry of tenants and their users."""

    def __init__(self, tenants: Iterable[FakeTenant], users: Iterable[FakeUser]) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[str, FakeTenant] = {}
        self._users: dict[str, FakeUser] = {}
        for tenant in tenants:
            self.add_tenant(tenant)
        for user in users:
            self.add_user(user)

    def add_tenant(self, tenant: FakeTenant) -> None:
        with self._lock:
            self._tenants[tenant.name] = tenant

    def add_user(self, user: FakeUser) -> None:
        with self._lock:
            if user.tenant not in self._tenants:
                raise ValueError(f"user {user.sub!r} belongs to unknown tenant {user.tenant!r}")
            self._users[user.sub] = user

    def tenants(self) -> list[FakeTenant]:
        with self._lock:
            return list(self._tenants.values())

    def users_of(self, tenant_name: str) -> list[FakeUser]:
        with self._lock:
            return [user for user in self._users.values() if user.tenant == tenant_name]

    def find_user(self, ref: str, tenant_name: str | None = None) -> FakeUser | None:
        """Return the user whose sub or email (case-insensitive) is `ref`, or None.

        With `tenant_name`, only that tenant's users are searched.
        """
        with self._lock:
            candidates = [u for u in self._users.values() if tenant_name in (None, u.tenant)]
        for user in candidates:
            if user.sub == ref:
                return user
        return next((u for u in candidates if u.email.lower() == ref.lower()), None)

    def has_custom_domain(self, domain: str) -> bool:
        wanted = domain.lower()
        return any(tenant.custom_domain == wanted for tenant in self.tenants())

    def tenant_for_host(self, host: str, *, dot_separator: bool) -> FakeTenant | None:
        """Resolve a tenant custom domain, else `{tenant}.localhost` / `{tenant}-localhost`.

        The separator must match the application's mode: `.` when its custom domain is active.
        """
        hostname = hostname_of(host)
        tenants = self.tenants()
        for tenant in tenants:
            if tenant.custom_domain and hostname_of(tenant.custom_domain) == hostname:
                return tenant
        suffix = ("." if dot_separator else "-") + VANITY_HOSTNAME
        if not hostname.endswith(suffix):
            return None
        label = hostname[: -len(suffix)]
        return next((tenant for tenant in tenants if tenant.name == label), None)
