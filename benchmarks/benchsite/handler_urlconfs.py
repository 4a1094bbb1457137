"""Each handler's URLconf (``wsgi.py``, ``asgi.py``), where the root URLconf gives the handler
without the auth middleware one of its own."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.urls import get_resolver


def handler_urlconfs(root_urlconf: str) -> tuple[ModuleType, ModuleType] | None:
    """Return the URLconfs of the handler with the auth middleware and of the one without:
    the root URLconf's ``urlpatterns`` and its ``plain_urlpatterns``, where it has those,
    else ``None`` (both handlers then resolve in the root URLconf).

    h's URLconfs have them: each unprotected view is where its protected twin is in
    ``urlpatterns``, so that finding a view (the patterns tried before it, the ``include``s
    that fail) is the same work for both handlers, and a ratio is the auth's cost alone. Both
    handlers then name their URLconf on the request (``request.urlconf``), which costs each
    the same."""
    root = import_module(root_urlconf)
    plain_patterns = getattr(root, "plain_urlpatterns", None)
    if plain_patterns is None:
        return None
    urlconfs = []
    for name, patterns in (("protected", root.urlpatterns), ("plain", plain_patterns)):
        module = ModuleType(f"{root_urlconf}.{name}")
        module.urlpatterns = patterns  # type: ignore[attr-defined]
        get_resolver(module).url_patterns  # noqa: B018  (its views imported now, as the root's)
        urlconfs.append(module)
    return urlconfs[0], urlconfs[1]
