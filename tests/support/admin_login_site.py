"""The project of docs/django-auth.md's "The admin behind Wristband", built from the page's
blocks as written, and a browser for the test client that follows every redirect through the
fake Wristband (for tests/integration/test_admin_login.py and tests/docs/test_browser_admin.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.docs.docs_blocks import code
from tests.support.django_users_docs import PROJECT, project_module
from wristband_django.testing import FakeUser

#: A user whose only Wristband role is the page's staff role.
SUPPORT = FakeUser(
    sub="usr_acme_support",
    tenant="acme",
    email="support@acme.test",
    name="Acme Support",
    roles=({"id": "rol_acme_support", "name": "app:support", "display_name": "Support"},),
)


def run_settings(block: str, settings: Any) -> None:
    """Run a settings block as written on the current settings; apply every name it sets."""
    names = ("WRISTBAND_AUTH", "AUTHENTICATION_BACKENDS", "LOGIN_URL")
    namespace = {name: copy.deepcopy(getattr(settings, name)) for name in names}
    exec(block, namespace)  # noqa: S102 (the documentation's own block)
    for name, value in namespace.items():
        if name.isupper():
            setattr(settings, name, value)


@contextmanager
def admin_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any, *, django_users: bool = True
) -> Iterator[None]:
    """Make the page's project: its urls block is ``myproject.urls`` (the URLconf), its
    adapter block ``myproject.auth`` (the ``user_adapter``), and the settings blocks of the
    page (``authenticate_django_user`` on, unless ``django_users`` is false) are applied."""
    with ExitStack() as stack:
        stack.enter_context(
            project_module(tmp_path, monkeypatch, "urls", code("django-auth:admin-urls"))
        )
        stack.enter_context(
            project_module(tmp_path, monkeypatch, "auth", code("django-auth:admin-adapter"))
        )
        if django_users:
            run_settings(code("django-auth:settings"), settings)
        run_settings(code("django-auth:admin-settings"), settings)
        settings.ROOT_URLCONF = f"{PROJECT}.urls"
        yield
