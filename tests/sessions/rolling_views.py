"""Views for the rolling-session tests: one held in the middle of the request, one that
changes the session, one that fails."""

from __future__ import annotations

import threading

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse

from wristband_django.store import session_entry


class HeldView:
    """Reads the Wristband session, then waits to be released before answering."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def reset(self) -> None:
        self.entered.clear()
        self.release.clear()

    def __call__(self, request: HttpRequest) -> JsonResponse:
        entry = session_entry.load(request.session)
        self.entered.set()
        assert self.release.wait(10)
        return JsonResponse({"userId": entry.user_id if entry else None})


held = HeldView()


def add_to_cart(request: HttpRequest) -> JsonResponse:
    """A view that changes the session: SessionMiddleware saves it anyway."""
    request.session["cart"] = [*request.session.get("cart", []), "book"]
    return JsonResponse({"cart": request.session["cart"]})


def server_error(request: HttpRequest) -> HttpResponse:
    session_entry.load(request.session)
    return HttpResponseServerError("broken")
