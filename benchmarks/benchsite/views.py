"""The one JSON view every scenario serves: it reads the user id from the session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse


def user_id_in(session: Any) -> str | None:
    """Ours keeps one ``_wristband`` entry, theirs flat keys (``session_from_callback``)."""
    entry = session.get("_wristband")
    user_id = entry.get("user_id") if isinstance(entry, dict) else session.get("user_id")
    return user_id if isinstance(user_id, str) else None


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": user_id_in(request.session)})
