"""The one JSON view every scenario serves: it reads the user id from the session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse


def user_id_in(session: Any) -> str | None:
    """Ours keeps one sealed ``_wristband`` entry, theirs flat keys (``session_from_callback``).
    The same read the plain and the protected view make, so the ratio is the middleware's."""
    if "_wristband" in session:
        from wristband_django.store import session_entry  # only in our venv

        entry = session_entry.load(session)
        return entry.user_id if entry is not None else None
    user_id = session.get("user_id")
    return user_id if isinstance(user_id, str) else None


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": user_id_in(request.session)})
