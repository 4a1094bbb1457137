"""``validate_access_token`` raises only its documented pair, whatever the JWKS answers
(issue 22, point 5: a 404 gave a plain ``WristbandError``, a proxy's HTML login page an
``InvalidResponseError``, and a view written like docs/apis.md's example answered 500).

The dimension that let them through is the JWKS answer: status x content type x body x pace.
It is enumerated here, cold (no keys cached) and warm (keys cached, an unknown kid forcing a
re-fetch), and fuzzed. Which side each shape is on:

- ``WristbandUnavailableError`` (503, retry later): no usable key could be had. No answer
  (refused, dropped, stalled past ``read_timeout``, trickled past ``call_timeout``); any status
  but 2xx (redirects, 4xx, 5xx); a 2xx body that is no JWKS (empty, truncated, HTML, not
  UTF-8, JSON of another shape, nested past the parser's depth); a JWKS without one usable
  RS256 public key (no keys; EC, oct, RS512 or encryption keys; RSA values that make no key;
  private keys). And, warm, a token whose kid is unknown while the re-fetch fails: it may be
  signed with a key Wristband rotated in moments ago, so it is not proof of a forgery.
- ``InvalidAccessTokenError`` (401): the JWKS was fetched, has usable keys, and none under
  the token's kid.
"""

from __future__ import annotations

import functools
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings as django_settings
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.support import figures
from tests.support.fuzzing import fuzz
from tests.support.hostile_tokens import issued_claims
from wristband_django.bearer import (
    InvalidAccessTokenError,
    WristbandUnavailableError,
    validate_access_token,
)
from wristband_django.testing import FakeWristband

pytestmark = [
    pytest.mark.urls("tests.security.jwks_failure_urls"),
    pytest.mark.wristband_settings(
        protected_paths=["/api/"], protected_paths_strategies=["bearer"]
    ),
]

VALID, INVALID, UNAVAILABLE = "valid", "invalid", "unavailable"
#: What the docs-example view answers for each outcome (anything else is a failure).
STATUS_OF = {VALID: 200, INVALID: 401, UNAVAILABLE: 503}
UNPUBLISHED_KID = "kid_never_published"

STATUSES = [200, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503]
CONTENT_TYPES = [
    "application/json",
    "application/jwk-set+json",
    "text/html; charset=utf-8",
    "text/plain",
]
BODY_NAMES = [
    "the real JWKS",
    "an error JSON",
    "a proxy's HTML login page",
    "empty",
    "the real JWKS truncated",
    "a JSON list",
    "JSON of another document",
    "keys not a list",
    "JSON null",
    "no keys",
    "no RS256 key",
    "RSA values that make no key",
    "a private key only",
    "nested past the parser's depth",
    "not UTF-8",
]
#: Shapes of the JWKS answer: every status with JSON, every content type with a 200.
SHAPES = sorted(
    {(status, CONTENT_TYPES[0], body) for status in STATUSES for body in BODY_NAMES}
    | {(200, content_type, body) for content_type in CONTENT_TYPES for body in BODY_NAMES}
)


def claims(fake: FakeWristband) -> dict[str, Any]:
    """An access token's claims as Wristband issues them to acme's admin, with the role the
    views that require one ask for."""
    return issued_claims(fake, roles=[{"name": "app:admin"}])


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A key Wristband never published, one per ``name`` (generated once: it is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Setup:
    """The fake, a token it signed (its kid is published), one signed under an unpublished
    kid, and the bodies the JWKS endpoint is made to answer."""

    fake: FakeWristband
    known: str
    unknown_kid: str
    bodies: dict[str, bytes]


def bodies_for(fake: FakeWristband) -> dict[str, bytes]:
    """Each of ``BODY_NAMES``, built around the fake's real JWKS and kid."""
    real = requests.get(f"{fake.base_url}/api/v1/oauth2/jwks", timeout=5).content
    real_key = json.loads(real)["keys"][0]
    kid = real_key["kid"]
    private = {**RSAAlgorithm.to_jwk(rsa_key("private"), as_dict=True), "kid": kid}
    ec_key = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    no_rs256 = [
        {**ec_key, "kid": kid},
        {"kty": "oct", "kid": kid, "k": "c2VjcmV0"},
        {**real_key, "alg": "RS512"},
        {**real_key, "use": "enc"},
    ]
    no_key = [{"kty": "RSA", "kid": kid, "n": "", "e": ""}, {"kty": "RSA", "kid": kid}]
    no_key += [{"kty": "RSA", "kid": kid, "n": 7, "e": "AQAB"}, {**real_key, "kid": 7}]
    return {
        "the real JWKS": real,
        "an error JSON": b'{"error": "not_found", "error_description": "No such route"}',
        "a proxy's HTML login page": b"<!doctype html><html><body><form action='/sso'>"
        b"<input name=password type=password></form></body></html>",
        "empty": b"",
        "the real JWKS truncated": real[: len(real) // 2],
        "a JSON list": b"[]",
        "JSON of another document": json.dumps({"issuer": fake.issuer}).encode(),
        "keys not a list": json.dumps({"keys": real_key}).encode(),
        "JSON null": b"null",
        "no keys": b'{"keys": []}',
        "no RS256 key": json.dumps({"keys": no_rs256}).encode(),
        "RSA values that make no key": json.dumps({"keys": no_key}).encode(),
        "a private key only": json.dumps({"keys": [private]}).encode(),
        "nested past the parser's depth": b'{"keys": ' + b"[" * 100_000,
        "not UTF-8": b'{"keys": [\xff\xfe\x00]}',
    }


@pytest.fixture
def setup(wristband: FakeWristband) -> Setup:
    known = wristband.sign_access_token(claims(wristband))
    unknown = jwt.encode(
        claims(wristband), rsa_key("stranger"), algorithm="RS256", headers={"kid": UNPUBLISHED_KID}
    )
    return Setup(wristband, known, unknown, bodies_for(wristband))


@contextmanager
def cold(**auth: Any) -> Iterator[None]:
    """No keys cached, no pooled connection, and ``auth`` settings on top: a fresh copy of
    ``WRISTBAND_AUTH`` resets every per-process cache."""
    with override_settings(WRISTBAND_AUTH={**django_settings.WRISTBAND_AUTH, **auth}):
        yield


def outcome(token: str) -> str:
    """What ``validate_access_token`` did with ``token``; an undocumented exception by name."""
    try:
        validate_access_token(token)
    except InvalidAccessTokenError:
        return INVALID
    except WristbandUnavailableError:
        return UNAVAILABLE
    except Exception as exc:  # what this test exists to catch
        return f"raised {type(exc).__name__}"
    return VALID


def docs_view(token: str, path: str = "/docs-example/") -> str:
    """What the docs-example view answered, by outcome; any other status by number."""
    response = Client(raise_request_exception=False).get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    named = {status: name for name, status in STATUS_OF.items()}
    return named.get(response.status_code, f"HTTP {response.status_code}")


def expected(status: int, body: str, token: str) -> str:
    """The documented answer: only a 200 with the real JWKS judges the token."""
    if status == 200 and body == "the real JWKS":
        return VALID if token == "known" else INVALID
    return UNAVAILABLE


def inject(setup: Setup, status: int, content_type: str, body: str, **pace: Any) -> None:
    setup.fake.clear_faults()
    setup.fake.inject(
        "jwks",
        status=status,
        content_type=content_type,
        body=setup.bodies[body],
        times=None,
        **pace,
    )


@pytest.mark.slow  # 195 shapes x 5 validations, ~2 s
def test_every_jwks_shape_gives_the_documented_pair_cold_and_warm(setup: Setup) -> None:
    wrong: list[str] = []

    def check(shape: tuple[int, str, str], what: str, want: str, got: str) -> None:
        figures.count("JWKS failure shapes: validations")
        if got != want:
            wrong.append(f"{shape} {what}: {got}, expected {want}")

    for shape in SHAPES:
        status, content_type, body = shape
        inject(setup, status, content_type, body)
        with cold():  # the docs' view, a token whose kid Wristband publishes
            check(shape, "cold, docs view", expected(status, body, "known"), docs_view(setup.known))
        with cold():
            got = outcome(setup.unknown_kid)
            check(shape, "cold, unknown kid", expected(status, body, "unknown"), got)
        with cold():  # warm: keys cached, then the re-fetch for an unknown kid meets the shape
            setup.fake.clear_faults()
            assert outcome(setup.known) == VALID
            inject(setup, status, content_type, body)
            want = expected(status, body, "unknown")
            check(shape, "warm, unknown kid", want, outcome(setup.unknown_kid))
            check(shape, "warm, unknown kid again", want, outcome(setup.unknown_kid))
            check(shape, "warm, known kid", VALID, outcome(setup.known))
    setup.fake.clear_faults()
    assert wrong == [], f"{len(wrong)} of {len(SHAPES) * 5}:\n" + "\n".join(wrong)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


#: Timeouts for the paced shapes: a stall beyond read_timeout, a trickle beyond call_timeout.
TIGHT = {"connect_timeout": 0.3, "read_timeout": 0.15, "call_timeout": 0.4}
PACES: dict[str, dict[str, Any]] = {
    "prompt": {},
    "delayed within read_timeout": {"delay": 0.05},
    "trickled within call_timeout": {"trickle": 0.1},
    "stalled past read_timeout": {"delay": 0.3},
    "trickled past call_timeout": {"trickle": 1.2},
    "dropped": {"drop": True},
}
ON_TIME = {"prompt", "delayed within read_timeout", "trickled within call_timeout"}


@pytest.mark.slow  # stalls and trickles: ~2 s
@pytest.mark.parametrize("body", ["the real JWKS", "a proxy's HTML login page"])
@pytest.mark.parametrize("pace", list(PACES))
def test_every_pace_gives_the_documented_pair(setup: Setup, pace: str, body: str) -> None:
    on_time = pace in ON_TIME
    inject(setup, 200, "application/json", body, **PACES[pace])
    with cold(**TIGHT):
        want = expected(200, body, "known") if on_time else UNAVAILABLE
        assert docs_view(setup.known) == want
    with cold(**TIGHT):
        setup.fake.clear_faults()
        assert outcome(setup.known) == VALID
        inject(setup, 200, "application/json", body, **PACES[pace])
        want = expected(200, body, "unknown") if on_time else UNAVAILABLE
        assert outcome(setup.unknown_kid) == want
        assert outcome(setup.known) == VALID  # keys already cached keep working
    setup.fake.clear_faults()


def test_a_refused_connection_is_unavailable(setup: Setup) -> None:
    with cold(wristband_application_vanity_domain=f"127.0.0.1:{closed_port()}"):
        assert docs_view(setup.known) == UNAVAILABLE
        assert outcome(setup.unknown_kid) == UNAVAILABLE


ENTRY_POINTS = [
    "/docs-example/",
    "/bearer/",
    "/async-bearer/",
    "/admins-mixin/",
    "/api/whoami/",
    "/drf/bearer/",
    "/ninja/bearer",
]


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_every_entry_point_answers_503_for_keys_it_cannot_have(setup: Setup, path: str) -> None:
    for status, body in [
        (404, "an error JSON"),
        (200, "a proxy's HTML login page"),
        (200, "no keys"),
        (200, "the real JWKS truncated"),
        (200, "nested past the parser's depth"),
    ]:
        inject(setup, status, "text/html", body)
        with cold():
            response = Client(raise_request_exception=False).get(
                path, HTTP_AUTHORIZATION=f"Bearer {setup.known}"
            )
        assert (response.status_code, body) == (503, body)
        assert path == "/docs-example/" or response["Retry-After"]  # the docs' view: none
    setup.fake.clear_faults()
    with cold():  # the JWKS answers: a kid it lacks is the token's fault
        assert docs_view(setup.unknown_kid, path) == INVALID
        assert docs_view(setup.known, path) == VALID


@pytest.mark.slow  # waits out the first backoff (1 s)
def test_an_unknown_kid_stays_unavailable_until_a_refetch_succeeds(setup: Setup) -> None:
    """Before: the first request after a failed re-fetch got 503, the next ones within 10 s
    a 401, as if the token were forged; now every one gets 503 until the JWKS answers."""
    setup.fake.reset_records()
    with cold():
        assert outcome(setup.known) == VALID
        setup.fake.rotate_signing_key()
        rotated = setup.fake.sign_access_token(claims(setup.fake))
        inject(setup, 404, "application/json", "an error JSON")
        assert [outcome(rotated) for _ in range(5)] == [UNAVAILABLE] * 5
        assert len(setup.fake.calls("jwks")) == 2  # the first fetch, one re-fetch: backing off
        setup.fake.clear_faults()
        time.sleep(1.05)  # the first backoff (1 s)
        assert outcome(rotated) == VALID
        assert outcome(setup.unknown_kid) == INVALID  # the JWKS answers: a forgery is a 401
        assert len(setup.fake.calls("jwks")) == 3


# --- fuzzing: any status, content type and body ---------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
JWK_FIELDS = ["kty", "kid", "alg", "use", "n", "e", "d", "p", "q", "dp", "dq", "qi", "x5c"]


@st.composite
def jwks_bodies(draw: st.DrawFn, real_key: dict[str, Any]) -> bytes:
    """JWKS-like JSON: the real key with fields changed or dropped, beside arbitrary keys."""
    changed = draw(st.dictionaries(st.sampled_from(JWK_FIELDS), json_values, max_size=3))
    dropped = draw(st.sets(st.sampled_from(JWK_FIELDS), max_size=2))
    key = {k: v for k, v in {**real_key, **changed}.items() if k not in dropped}
    others = draw(st.lists(json_values, max_size=2))
    keys = draw(st.permutations([key, *others]))
    extra = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=2))
    return json.dumps({**extra, "keys": keys}).encode()


@pytest.mark.slow  # fuzzing: 40 examples a test ("ci"), 1,250 ("thorough")
@fuzz
@given(data=st.data())
def test_any_jwks_answer_gives_the_documented_pair(setup: Setup, data: st.DataObject) -> None:
    real = json.loads(setup.bodies["the real JWKS"])
    body = data.draw(
        st.one_of(
            st.binary(max_size=300),
            json_values.map(lambda value: json.dumps(value).encode()),
            jwks_bodies(real["keys"][0]),
        ),
        label="body",
    )
    status = data.draw(st.sampled_from([200, 200, 200, 201, 203, 204, 301, 304, 401, 404, 500]))
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    setup.fake.clear_faults()
    setup.fake.inject("jwks", status=status, content_type=content_type, body=body, times=None)
    with cold():
        got = outcome(setup.known)
    figures.count("JWKS answers fuzzed")
    figures.count(f"JWKS answers fuzzed: {got}")
    figures.count("JWKS answers with an undocumented exception", int(got.startswith("raised")))
    assert got in (VALID, INVALID, UNAVAILABLE), got
    if got == VALID:  # only Wristband's own key, intact, verifies its token
        assert 200 <= status < 300 and any(
            isinstance(key, dict)
            and {k: key.get(k) for k in ("kid", "n", "e")}
            == {k: real["keys"][0][k] for k in ("kid", "n", "e")}
            for key in json.loads(body)["keys"]
        )
