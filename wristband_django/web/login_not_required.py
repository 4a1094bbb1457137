"""Exempting the endpoints from Django's ``LoginRequiredMiddleware`` (Django 5.1+)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponseBase
from django.views import View


class LoginNotRequiredMixin(View):
    """Exempts a class-based view from ``LoginRequiredMiddleware``, as ``login_not_required``
    does for a function.

    The middleware skips a view whose function has ``login_required = False``, and
    ``as_view()`` puts this class attribute (or its ``as_view`` keyword) on the function it
    returns, so subclasses stay exempt whatever they override. A subclass sets
    ``login_required = True`` to be covered again. Before Django 5.1 nothing reads it.
    """

    login_required = False

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        view: Any = super().as_view(**initkwargs)
        view.login_required = bool(initkwargs.get("login_required", cls.login_required))
        return view  # type: ignore[no-any-return]
