"""Authorization codes, refresh-token families (one family per login) and browser sessions
(who entered credentials at the fake, in which browser, and when)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from .models import FakeTenant, FakeUser

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class GrantError(Exception):
    """The grant is invalid: answered as 400 `invalid_grant` with this description."""


def s256(verifier: str) -> str:
    """Return the PKCE S256 challenge of `verifier`."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class TokenFamily:
    """Tokens issued from one login; revoking the family kills all of them."""

    id: str
    user: FakeUser
    tenant: FakeTenant
    scope: str
    auth_time: int
    refresh_token: str | None = None
    revoked: bool = False
    #: Every ID token issued to this family, oldest first (for tests looking for leaks).
    id_tokens: list[str] = field(default_factory=list)


@dataclass
class AuthorizationCode:
    """A pending code and what it was issued for."""

    user: FakeUser
    tenant: FakeTenant
    redirect_uri: str
    code_challenge: str
    scope: str
    nonce: str | None
    issued_at: float = field(default_factory=time.time)
    #: When the user last entered credentials (epoch seconds); None: when the code was issued.
    auth_time: int | None = None
    family_id: str | None = None
    used: bool = False


@dataclass
class BrowserSession:
    """A browser's session at the fake (its cookie names it): the user who last entered
    credentials there, for which tenant, and when (``auth_time``, epoch seconds)."""

    id: str
    user: FakeUser
    tenant: FakeTenant
    auth_time: int


@dataclass(frozen=True)
class Redemption:
    """A successful code exchange."""

    family: TokenFamily
    nonce: str | None


class Grants:
    """Thread-safe store of codes, token families, refresh tokens and access-token ids."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, AuthorizationCode] = {}
        self._families: dict[str, TokenFamily] = {}
        self._refresh_tokens: dict[str, str] = {}
        self._access_tokens: dict[str, str] = {}
        self._browser_sessions: dict[str, BrowserSession] = {}

    def start_browser_session(self, user: FakeUser, tenant: FakeTenant) -> BrowserSession:
        """Start a browser session for `user`, who entered credentials now.

        The session's id goes in a cookie.
        """
        session = BrowserSession(secrets.token_urlsafe(24), user, tenant, int(time.time()))
        with self._lock:
            self._browser_sessions[session.id] = session
        return session

    def browser_session(self, session_id: str, tenant: FakeTenant) -> BrowserSession | None:
        """Return the live browser session `session_id` for `tenant`, or None."""
        with self._lock:
            session = self._browser_sessions.get(session_id)
        return session if session is not None and session.tenant.name == tenant.name else None

    def end_browser_session(self, session_id: str) -> None:
        with self._lock:
            self._browser_sessions.pop(session_id, None)

    def age_browser_sessions(self, seconds: int) -> None:
        """Move every browser session's last authentication `seconds` into the past."""
        with self._lock:
            for session in self._browser_sessions.values():
                session.auth_time -= seconds

    def issue_code(self, code: AuthorizationCode) -> str:
        value = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[value] = code
        return value

    def redeem_code(
        self, value: str, *, redirect_uri: str, code_verifier: str, ttl: float
    ) -> Redemption:
        """Exchange a code, which is single use: reusing one revokes the tokens it produced.

        Raise `GrantError` for a code that is unknown, used, expired, or for another
        `redirect_uri` or PKCE verifier.
        """
        with self._lock:
            code = self._codes.get(value)
            if code is None:
                raise GrantError("Unknown authorization code")
            if code.used:
                if code.family_id is not None:
                    self._families[code.family_id].revoked = True
                raise GrantError("Authorization code already used; its tokens are revoked")
            code.used = True
            if time.time() - code.issued_at > ttl:
                raise GrantError("Authorization code expired")
            if redirect_uri != code.redirect_uri:
                raise GrantError("redirect_uri does not match the authorize request")
            if not _VERIFIER.match(code_verifier) or s256(code_verifier) != code.code_challenge:
                raise GrantError("PKCE verification failed")
            family = self._new_family(code)
            code.family_id = family.id
            return Redemption(family, code.nonce)

    def refresh(self, token: str, *, rotate: bool) -> tuple[TokenFamily, str | None]:
        """Use a refresh token, and return its family and the new refresh token when rotating.

        Raise `GrantError` for a token that is unknown, revoked or reused; reusing an old
        token revokes its family.
        """
        with self._lock:
            family_id = self._refresh_tokens.get(token)
            if family_id is None:
                raise GrantError("Unknown refresh token")
            family = self._families[family_id]
            if family.revoked:
                raise GrantError("Refresh token revoked")
            if token != family.refresh_token:
                family.revoked = True
                raise GrantError("Refresh token reuse detected; the token family is revoked")
            if not rotate:
                return family, None
            family.refresh_token = self._new_refresh_token(family.id)
            return family, family.refresh_token

    def register_access_token(self, family: TokenFamily, jti: str) -> None:
        with self._lock:
            self._access_tokens[jti] = family.id

    def access_token_family(self, jti: str) -> TokenFamily | None:
        """Return the live family of an issued access token, or None if unknown or revoked."""
        with self._lock:
            family = self._families.get(self._access_tokens.get(jti, ""))
            return family if family is not None and not family.revoked else None

    def revoke_token(self, token: str) -> None:
        with self._lock:
            family_id = self._refresh_tokens.get(token)
            if family_id is not None:
                self._families[family_id].revoked = True

    def record_id_token(self, family: TokenFamily, id_token: str) -> None:
        with self._lock:
            family.id_tokens.append(id_token)

    def id_tokens(self, user_sub: str | None = None) -> list[str]:
        with self._lock:
            return [
                token
                for family in self._families.values()
                if user_sub in (None, family.user.sub)
                for token in family.id_tokens
            ]

    def revoke_all(self, user_sub: str | None = None) -> None:
        with self._lock:
            for family in self._families.values():
                if user_sub in (None, family.user.sub):
                    family.revoked = True

    def _new_family(self, code: AuthorizationCode) -> TokenFamily:
        family = TokenFamily(
            id=secrets.token_hex(8),
            user=code.user,
            tenant=code.tenant,
            scope=code.scope,
            auth_time=code.auth_time if code.auth_time is not None else int(code.issued_at),
        )
        self._families[family.id] = family
        if "offline_access" in code.scope.split():
            family.refresh_token = self._new_refresh_token(family.id)
        return family

    def _new_refresh_token(self, family_id: str) -> str:
        token = f"rt_{secrets.token_urlsafe(32)}"
        self._refresh_tokens[token] = family_id
        return token
