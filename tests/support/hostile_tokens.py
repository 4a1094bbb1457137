"""Bearer tokens that must be refused, built from a real access token of the fake Wristband.

Each differs from a valid token along one dimension: signature, times, issuer, audience,
client, algorithm (``none``, HS256 keyed with the client secret or with the published RSA
public key), key (an unknown ``kid``, signed RS256 with a key Wristband never published),
type (an ID token), shape and length. Shared by the DRF, django-ninja and plain-view tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wristband_django.testing import FakeWristband

#: What every refused token gets from DRF (plain views and ninja answer with their own body).
REJECTED_DETAIL = "The access token is invalid or expired."


def issued_claims(fake: FakeWristband, **extra: Any) -> dict[str, Any]:
    """Return the claims of an access token Wristband would issue to acme's admin (valid
    for an hour), with ``extra`` claims added or replaced."""
    now = int(time.time())
    claims = {
        "iss": fake.issuer,
        "sub": "usr_acme_admin",
        "tnt_id": "tnt_acme",
        "client_id": fake.client_id,
        "iat": now,
        "exp": now + 3600,
    }
    return {**claims, **extra}


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def sign(fake: FakeWristband, claims: dict[str, Any]) -> str:
    """A token signed with the fake's current key: only the claims are wrong."""
    return fake.sign_access_token(claims)


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(fake: FakeWristband, token: str) -> str:
    """The classic key-confusion forgery: HMAC keyed with the published RSA public key (PEM).
    Built by hand because PyJWT refuses to sign this way."""
    jwk = requests.get(f"{fake.base_url}/api/v1/oauth2/jwks", timeout=5).json()["keys"][0]
    public_key = jwt.PyJWK(jwk, algorithm="RS256").key
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]}).encode())
    payload = _b64(json.dumps(claims_of(token)).encode())
    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def foreign_rs256(fake: FakeWristband, token: str, kid: str) -> str:
    """Signed RS256 with a key Wristband never published, under ``kid``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims_of(token), key, algorithm="RS256", headers={"kid": kid})


def without(token: str, claim: str) -> dict[str, Any]:
    return {k: v for k, v in claims_of(token).items() if k != claim}


HOSTILE_TOKENS: dict[str, Callable[[FakeWristband, str], str]] = {
    "tampered signature": lambda fake, token: tampered(token),
    "expired": lambda fake, token: sign(fake, {**claims_of(token), "exp": int(time.time()) - 61}),
    "expiry beyond any calendar": lambda fake, token: sign(
        fake, {**claims_of(token), "exp": 10**20}
    ),
    "other issuer": lambda fake, token: sign(
        fake, {**claims_of(token), "iss": "https://evil.test"}
    ),
    "other audience": lambda fake, token: sign(fake, {**claims_of(token), "aud": ["other"]}),
    "no exp": lambda fake, token: sign(fake, without(token, "exp")),
    "no sub": lambda fake, token: sign(fake, without(token, "sub")),
    "no client_id": lambda fake, token: sign(fake, without(token, "client_id")),
    "alg none": lambda fake, token: jwt.encode(
        claims_of(token), "", algorithm="none", headers={"kid": fake.current_kid}
    ),
    "HS256 with the client secret": lambda fake, token: jwt.encode(
        claims_of(token), fake.client_secret, algorithm="HS256", headers={"kid": fake.current_kid}
    ),
    "HS256 with the public key": hs256_with_public_key,
    "unknown kid, RS256": lambda fake, token: foreign_rs256(fake, token, "not-published"),
    "foreign key under the current kid": lambda fake, token: foreign_rs256(
        fake, token, fake.current_kid
    ),
    "not a JWT": lambda fake, token: "not-a-jwt",
    "too long": lambda fake, token: token + "A" * 9000,
}
