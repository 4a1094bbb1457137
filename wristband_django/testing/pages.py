"""The fake's HTML pages: the user picker (authorize) and the tenant list (application login)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .models import FakeTenant, FakeUser

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1f2933;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:10px;padding:2rem;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.25rem;margin:0 0 .25rem}p.sub{color:#616e7c;margin:0 0 1.5rem}
ul{list-style:none;padding:0;margin:0}li{margin:.5rem 0}
a.choice{display:block;padding:.75rem 1rem;border:1px solid #d9dde3;border-radius:8px;
text-decoration:none;color:inherit}a.choice:hover{border-color:#3b63e3;background:#f0f4ff}
.meta{display:block;color:#616e7c;font-size:.85rem}a.deny{color:#b42318;font-size:.9rem}
"""


def _page(title: str, subtitle: str, items: Iterable[str], footer: str = "") -> str:
    rows = "".join(f"<li>{item}</li>" for item in items) or "<li>Nothing to choose from.</li>"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_STYLE}</style></head>"
        f'<body><main><h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p>'
        f"<ul>{rows}</ul>{footer}</main></body></html>"
    )


def _choice(href: str, label: str, meta: str) -> str:
    return (
        f'<a class="choice" href="{escape(href)}">{escape(label)}'
        f'<span class="meta">{escape(meta)}</span></a>'
    )


def user_picker(tenant: FakeTenant, users: Iterable[tuple[FakeUser, str]], deny_href: str) -> str:
    """Return a page listing `(user, link that completes the login as that user)` pairs."""
    items = [
        _choice(href, user.name or user.email, f"{user.email} \u00b7 {user.sub}")
        for user, href in users
    ]
    footer = f'<p><a class="deny" href="{escape(deny_href)}">Deny (error=access_denied)</a></p>'
    return _page(f"Log in to {tenant.name}", "Fake Wristband \u2014 choose a user", items, footer)


def tenant_list(tenants: Iterable[tuple[FakeTenant, str]]) -> str:
    """Return a page listing `(tenant, link)` pairs: the application's login URL for the
    tenant (the application login page), or the tenant's authorize endpoint (the
    application-level authorize endpoint)."""
    items = [
        _choice(href, tenant.name, tenant.custom_domain or tenant.id) for tenant, href in tenants
    ]
    return _page("Choose your tenant", "Fake Wristband \u2014 tenant discovery", items)
