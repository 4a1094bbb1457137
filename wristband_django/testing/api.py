"""Server-to-server endpoints: token, userinfo, revoke, JWKS, SDK configuration, custom domains."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import jwt

from .access_tokens import access_token_claims
from .directory import Directory
from .grants import GrantError, Grants, TokenFamily
from .models import RecordedRequest
from .responses import Response, error_response, json_response
from .routes import sdk_configuration_client_id
from .scopes import id_token_user_claims, userinfo_claims
from .settings import FakeSettings
from .tokens import KeyRing

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ApiEndpoints:
    """The OAuth/OIDC and configuration API called by the application's backend."""

    def __init__(
        self, settings: FakeSettings, directory: Directory, grants: Grants, keys: KeyRing
    ) -> None:
        self._settings = settings
        self._directory = directory
        self._grants = grants
        self._keys = keys

    def token(self, request: RecordedRequest) -> Response:
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            return self._client_credentials(request)
        if not self._client_authenticated(request):
            return _invalid_client()
        if grant_type == "authorization_code":
            if not (form.get("code") and form.get("redirect_uri") and form.get("code_verifier")):
                return error_response(
                    400, "invalid_request", "code, redirect_uri and code_verifier are required"
                )
            try:
                redemption = self._grants.redeem_code(
                    form["code"],
                    redirect_uri=form["redirect_uri"],
                    code_verifier=form["code_verifier"],
                    ttl=self._settings.code_ttl,
                )
            except GrantError as exc:
                return error_response(400, "invalid_grant", str(exc))
            family = redemption.family
            return self._token_response(
                family, nonce=redemption.nonce, refresh_token=family.refresh_token
            )
        if grant_type == "refresh_token":
            if not form.get("refresh_token"):
                return error_response(400, "invalid_request", "refresh_token is required")
            try:
                family, rotated = self._grants.refresh(
                    form["refresh_token"], rotate=self._settings.rotate_refresh_tokens
                )
            except GrantError as exc:
                return error_response(400, "invalid_grant", str(exc))
            return self._token_response(family, nonce=None, refresh_token=rotated)
        if not grant_type:
            return error_response(400, "invalid_request", "grant_type is required")
        return error_response(
            400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}"
        )

    def userinfo(self, request: RecordedRequest) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        family = self._access_token_family(token.strip()) if scheme.lower() == "bearer" else None
        if family is None:
            return error_response(
                401,
                "invalid_token",
                "Missing, invalid, expired or revoked access token",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        claims = userinfo_claims(
            family.user, family.tenant, app_id=self._settings.app_id, scope=family.scope
        )
        return json_response(claims, headers=_NO_STORE)

    def revoke(self, request: RecordedRequest) -> Response:
        if not self._client_authenticated(request):
            return _invalid_client()
        token = request.form.get("token")
        if not token:
            return error_response(400, "invalid_request", "token is required")
        self._grants.revoke_token(token)
        return Response(200, b"", "text/plain; charset=utf-8")

    def jwks(self, request: RecordedRequest) -> Response:
        return json_response(self._keys.jwks())

    def sdk_configuration(self, request: RecordedRequest) -> Response:
        settings = self._settings
        if sdk_configuration_client_id(request.path) != settings.client_id:
            return error_response(404, "not_found", "Unknown client_id")
        return json_response(
            {
                "loginUrl": settings.login_url,
                "redirectUri": settings.redirect_uri,
                "isApplicationCustomDomainActive": settings.is_application_custom_domain_active,
                "customApplicationLoginPageUrl": settings.custom_application_login_page_url,
                "loginUrlTenantDomainSuffix": settings.login_url_tenant_domain_suffix,
                "applicationAuthorizationRequestsEnabled": (
                    settings.application_authorization_requests_enabled
                ),
            }
        )

    def validate_custom_domain(self, request: RecordedRequest) -> Response:
        body = request.json
        domain = body.get("tenantCustomDomain") if isinstance(body, dict) else None
        if not isinstance(domain, str):
            return error_response(
                400, "invalid_request", 'Expected a JSON body {"tenantCustomDomain": "..."}'
            )
        return json_response({"valid": self._directory.has_custom_domain(domain)})

    def _client_authenticated(self, request: RecordedRequest) -> bool:
        """Return whether the request carries the application's own client credentials."""
        settings = self._settings
        return _basic_client(request, {settings.client_id: settings.client_secret}) is not None

    def _client_credentials(self, request: RecordedRequest) -> Response:
        """Answer the ``client_credentials`` grant of a machine client (`add_machine_client`).

        The answer is an RS256 access token whose ``sub`` and ``client_id`` are the machine
        client's, lasting ``access_token_ttl`` seconds, with no refresh token and no ID
        token. The application's own client may not use this grant (``unauthorized_client``),
        and unknown credentials are refused (``invalid_client``).
        """
        settings = self._settings
        client_id = _basic_client(request, settings.machine_clients)
        if client_id is None:
            if self._client_authenticated(request):
                return error_response(
                    400, "unauthorized_client", "This client may not use client_credentials"
                )
            return _invalid_client()
        now, ttl = int(time.time()), settings.access_token_ttl
        access_token = self._keys.sign(
            {
                "iss": settings.issuer,
                "sub": client_id,
                "sub_kind": "client",
                "client_id": client_id,
                "app_id": settings.app_id,
                "exp": now + ttl,
                "iat": now,
                "jti": secrets.token_hex(16),
            }
        )
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}
        return json_response(body, headers=_NO_STORE)

    def _access_token_family(self, token: str) -> TokenFamily | None:
        settings = self._settings
        try:
            claims = self._keys.verify(token, issuer=settings.issuer, audience=settings.client_id)
        except jwt.InvalidTokenError:
            return None
        return self._grants.access_token_family(str(claims.get("jti", "")))

    def _token_response(
        self, family: TokenFamily, *, nonce: str | None, refresh_token: str | None
    ) -> Response:
        settings, user, tenant = self._settings, family.user, family.tenant
        now, ttl, jti = int(time.time()), settings.access_token_ttl, secrets.token_hex(16)
        access_token = self._keys.sign(
            access_token_claims(settings, user, tenant, scope=family.scope, jti=jti, now=now)
        )
        self._grants.register_access_token(family, jti)
        id_claims: dict[str, Any] = {
            "iss": settings.issuer,
            "sub": user.sub,
            "aud": settings.client_id,
            "exp": now + ttl,
            "iat": now,
            "auth_time": family.auth_time,
            "tnt_id": tenant.id,
            "app_id": settings.app_id,
            "idp_name": tenant.idp_name,
            **id_token_user_claims(user, family.scope),
        }
        if nonce:
            id_claims["nonce"] = nonce
        id_token = self._keys.sign(
            id_claims, settings.id_token_override, hmac_secret=settings.client_secret
        )
        self._grants.record_id_token(family, id_token)
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "id_token": id_token,
            "scope": family.scope,
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return json_response(body, headers=_NO_STORE)


def _basic_client(request: RecordedRequest, clients: Mapping[str, str]) -> str | None:
    """Return the client id of the request's HTTP Basic credentials, or None.

    The credentials must be those of one of ``clients`` (id -> secret), as sent or
    form-decoded (RFC 6749 2.3.1).
    """
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    for id_form, secret_form in (
        (client_id, secret),
        (unquote_plus(client_id), unquote_plus(secret)),
    ):
        expected = clients.get(id_form)
        if expected is not None and hmac.compare_digest(secret_form.encode(), expected.encode()):
            return id_form
    return None


def _invalid_client() -> Response:
    return error_response(
        401,
        "invalid_client",
        "Client authentication failed",
        {"WWW-Authenticate": 'Basic realm="wristband"'},
    )
