"""RSA signing keys, the JWKS, and JWT signing (including deliberately broken ID tokens)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ASYMMETRIC_ALGS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
HMAC_ALGS = frozenset({"HS256", "HS384", "HS512"})
SIGN_WITH = frozenset({"current", "foreign"})

# RSA generation costs ~60 ms, so key material is shared by all fakes of a process: the n-th key
# a fake uses is the n-th key of this pool. Within one fake all keys differ; kids never repeat.
_KEY_POOL: list[rsa.RSAPrivateKey] = []
_KEY_POOL_LOCK = threading.Lock()


def _pooled_key(index: int) -> rsa.RSAPrivateKey:
    with _KEY_POOL_LOCK:
        while len(_KEY_POOL) <= index:
            _KEY_POOL.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _KEY_POOL[index]


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key and its key id."""

    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": jwk["n"],
            "e": jwk["e"],
        }


@dataclass(frozen=True)
class IdTokenOverride:
    """How to break subsequently issued ID tokens (see `FakeWristband.override_id_token`)."""

    claims: Mapping[str, Any] = field(default_factory=dict)
    remove_claims: frozenset[str] = frozenset()
    alg: str = "RS256"
    sign_with: str = "current"
    kid: str | None = None

    def __post_init__(self) -> None:
        if self.alg not in ASYMMETRIC_ALGS | HMAC_ALGS | {"none"}:
            raise ValueError(f"unsupported alg {self.alg!r}")
        if self.sign_with not in SIGN_WITH:
            raise ValueError(f"sign_with must be one of {sorted(SIGN_WITH)}")

    def apply(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        merged = {**claims, **self.claims}
        return {name: value for name, value in merged.items() if name not in self.remove_claims}


class KeyRing:
    """The current signing key, older keys still published in the JWKS, and an unpublished one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys_used = 0
        self._current = self._new_key()
        self._published: list[SigningKey] = [self._current]
        self._foreign: SigningKey | None = None

    @property
    def current_kid(self) -> str:
        return self._current.kid

    def rotate(self, *, keep_old: bool = True) -> None:
        with self._lock:
            new = self._new_key()
            self._current = new
            self._published = [*self._published, new] if keep_old else [new]

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [key.public_jwk() for key in self._published]}

    def sign(
        self,
        claims: Mapping[str, Any],
        override: IdTokenOverride | None = None,
        hmac_secret: str = "",
    ) -> str:
        """Sign `claims` with the current key, or as `override` dictates."""
        override = override or IdTokenOverride()
        payload = override.apply(claims)
        # A foreign key still claims the current kid, so only the signature check can catch it.
        current = self._current
        key = current if override.sign_with == "current" else self._foreign_key()
        headers = {"kid": override.kid or current.kid}
        if override.alg == "none":
            return jwt.encode(payload, "", algorithm="none", headers=headers)
        if override.alg in HMAC_ALGS:
            return jwt.encode(payload, hmac_secret, algorithm=override.alg, headers=headers)
        return jwt.encode(payload, key.private_key, algorithm=override.alg, headers=headers)

    def verify(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        """Decode a token signed by a published key; raise `jwt.InvalidTokenError` otherwise."""
        kid = jwt.get_unverified_header(token).get("kid")
        with self._lock:
            key = next((k for k in self._published if k.kid == kid), None)
        if key is None:
            raise jwt.InvalidTokenError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=["RS256"],
            issuer=issuer,
            audience=audience,
        )
        return claims

    def _foreign_key(self) -> SigningKey:
        with self._lock:
            if self._foreign is None:
                self._foreign = self._new_key()
            return self._foreign

    def _new_key(self) -> SigningKey:
        key = SigningKey(
            kid=f"kid_{secrets.token_hex(8)}", private_key=_pooled_key(self._keys_used)
        )
        self._keys_used += 1
        return key
