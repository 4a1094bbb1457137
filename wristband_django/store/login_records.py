"""Keep the admin's ``LoginSession`` rows true: written at login, updated at refresh, removed
when a session ends (``flows.end_session``, which also purges rows of sessions that ended
without us: expired in the store). The rows are also how every session of a user or a tenant
is found (``rows_of``).

A failing database never breaks authentication here: the error is logged and auth goes on.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone

from django.db import DatabaseError
from django.db.models import Max
from django.http import HttpRequest

from wristband_django.conf import get_config
from wristband_django.models import LoginSession
from wristband_django.store import sealing
from wristband_django.types import WristbandSession

logger = logging.getLogger(__name__)

SEALED_FIELD = "session_key"


def key_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def _when(epoch_ms: int | None) -> datetime | None:
    return None if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)


def _enabled() -> bool:
    return get_config().track_sessions


def record_login(
    request: HttpRequest, entry: WristbandSession, *, previous_key: str | None
) -> None:
    """Record a new login on ``request.session``, whose key was just cycled from the old one.

    ``previous_key`` is the old key; its record, if any, is deleted."""
    session_key = request.session.session_key
    if not _enabled() or session_key is None:
        return
    try:
        if previous_key:
            LoginSession.objects.filter(session_key_hash=key_hash(previous_key)).delete()
        # The key was just cycled to a fresh random one: a plain insert, no upsert.
        LoginSession.objects.create(
            session_key_hash=key_hash(session_key),
            session_key_sealed=sealing.encrypt(SEALED_FIELD, session_key),
            user_id=entry.user_id,
            email=str(entry.userinfo.get("email") or "")[:254],
            tenant_id=entry.tenant_id,
            tenant_name=entry.tenant_name or "",
            identity_provider=entry.idp_name or "",
            created_at=_when(entry.created_at),
            access_token_expires_at=_when(entry.expires_at),
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
    except DatabaseError as exc:
        logger.warning("Could not record the login session (%s)", type(exc).__name__)


def record_refresh(session_key: str, entry: WristbandSession) -> None:
    if not _enabled():
        return
    try:
        LoginSession.objects.filter(session_key_hash=key_hash(session_key)).update(
            last_refreshed_at=_when(entry.refreshed_at),
            access_token_expires_at=_when(entry.expires_at),
        )
    except DatabaseError as exc:
        logger.warning("Could not record the refresh (%s)", type(exc).__name__)


def forget(session_key: str | None) -> None:
    if not _enabled() or not session_key:
        return
    try:
        LoginSession.objects.filter(session_key_hash=key_hash(session_key)).delete()
    except DatabaseError as exc:
        logger.warning("Could not remove the login session row (%s)", type(exc).__name__)


def session_key_of(record: LoginSession) -> str | None:
    """Return the session key behind a row, if the current keys can still open it."""
    try:
        return sealing.decrypt(SEALED_FIELD, record.session_key_sealed)
    except sealing.TokenDecryptionError:
        return None


def last_pk() -> int:
    """Return the highest primary key of the rows now (0 without rows): a run over the rows
    stops there, however many logins come meanwhile. A ``DatabaseError`` goes up."""
    return LoginSession.objects.aggregate(last=Max("pk"))["last"] or 0


def rows_of(
    *, user_id: str | None, tenant_id: str | None, after_pk: int, up_to_pk: int, limit: int
) -> list[tuple[LoginSession, str | None]]:
    """Return up to ``limit`` rows of this user and/or tenant (every row when both are
    ``None``: the purge) whose primary key is above
    ``after_pk`` and at most ``up_to_pk``, in key order, each with the session key behind it
    (``None`` if no current key opens it): one query, and only the columns needed to end
    their sessions.

    A ``DatabaseError`` goes up: the caller must not report sessions it could not find."""
    rows = LoginSession.objects.filter(pk__gt=after_pk, pk__lte=up_to_pk)
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    if tenant_id is not None:
        rows = rows.filter(tenant_id=tenant_id)
    chosen = rows.order_by("pk").only("pk", "session_key_sealed", "user_id", "tenant_id")
    return [(record, session_key_of(record)) for record in chosen[:limit]]


def delete_row(record: LoginSession) -> None:
    """Delete one row (whose session key no current key opens); a database error is logged."""
    try:
        LoginSession.objects.filter(pk=record.pk).delete()
    except DatabaseError as exc:
        logger.warning("Could not remove the login session row (%s)", type(exc).__name__)


def delete_rows(pks: list[int]) -> None:
    """Delete the rows of these primary keys in one statement (its own transaction in
    autocommit). A ``DatabaseError`` goes up: the caller must not report rows it kept."""
    if pks:
        LoginSession.objects.filter(pk__in=pks).delete()
