"""Plain data shared by the fake Wristband server: tenants, users, recorded requests."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class FakeTenant:
    """A tenant; `name` is its domain name (a lower-case DNS label)."""

    name: str
    id: str = ""
    custom_domain: str | None = None
    idp_name: str = "wristband"

    def __post_init__(self) -> None:
        if not _DNS_LABEL.match(self.name):
            raise ValueError(f"tenant name must be a lower-case DNS label, got {self.name!r}")
        if not self.id:
            object.__setattr__(self, "id", f"tnt_{self.name}")
        if self.custom_domain is not None:
            object.__setattr__(self, "custom_domain", self.custom_domain.lower())


@dataclass(frozen=True)
class FakeUser:
    """A user of one tenant.

    `extra_claims` are merged into the userinfo response, each as its scope allows: a claim
    a scope grants (``locale``: ``profile``, ``phone_number``: ``phone``) only when the login
    asked for that scope, any other (``custom_claims``) always, as Wristband does.
    """

    sub: str
    tenant: str
    email: str
    name: str = ""
    roles: tuple[Mapping[str, Any], ...] = ()
    extra_claims: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(self.roles))


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request received by the fake (header names are lower-cased)."""

    endpoint: str
    method: str
    path: str
    host: str
    query: dict[str, list[str]]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    at: float

    def matches(self, **fields: str) -> bool:
        """Return whether every field equals a form value or one of the query values."""
        return all(
            self.form.get(name) == value or value in self.query.get(name, [])
            for name, value in fields.items()
        )

    def param(self, name: str) -> str | None:
        """Return the last query value of `name`, or None."""
        values = self.query.get(name)
        return values[-1] if values else None


DEFAULT_TENANTS = (FakeTenant("acme"), FakeTenant("globex"))


def default_users(tenants: Iterable[FakeTenant]) -> list[FakeUser]:
    """Return two users per tenant, an admin and a member.

    They are `admin@{tenant}.test` (role app:admin) and `member@{tenant}.test` (role
    app:member).
    """
    return [
        FakeUser(
            sub=f"usr_{tenant.name}_{kind}",
            tenant=tenant.name,
            email=f"{kind}@{tenant.name}.test",
            name=f"{tenant.name.capitalize()} {kind.capitalize()}",
            roles=(
                {
                    "id": f"rol_{tenant.name}_{kind}",
                    "name": f"app:{kind}",
                    "display_name": kind.capitalize(),
                },
            ),
        )
        for tenant in tenants
        for kind in ("admin", "member")
    ]
