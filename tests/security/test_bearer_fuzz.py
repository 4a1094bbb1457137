"""Fuzzing the dimension bearer tokens add: the Authorization header, and the claims of a
token the fake signs with its real key (so the claim checks, not the signature, are what
is exercised). Every answer is 200, 401 or 403, never a 500; 200 only for a token with a
string subject and client id, an issuer of this application and a future expiry."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from hypothesis import given, reject
from hypothesis import strategies as st

from tests.support import figures
from tests.support.fuzzing import fuzz
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.slow  # fuzzing: 40 examples a test ("ci"), 1,250 ("thorough")

PATHS = ["/bearer/", "/either/", "/admins/", "/admins-mixin/"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
header_values = st.one_of(
    st.text(max_size=200),
    st.builds(lambda s: f"Bearer {s}", st.text(max_size=200)),
    st.builds(lambda a, b, c: f"Bearer {a}.{b}.{c}", *[st.text("ABCxyz019-_=", max_size=40)] * 3),
    st.sampled_from(["Bearer", "Bearer ", "bearer\t", "BEARER x y", "Bearer \x00", "Bearer é"]),
)
CLAIMS = ["sub", "client_id", "iss", "aud", "exp", "iat", "nbf", "tnt_id", "roles", "custom_claims"]


def valid_claims(fake: FakeWristband) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": fake.issuer,
        "sub": "usr_acme_admin",
        "client_id": fake.client_id,
        "tnt_id": "tnt_acme",
        "iat": now,
        "exp": now + 300,
    }


@fuzz
@given(path=st.sampled_from(PATHS), header=header_values)
def test_any_authorization_header_is_a_4xx_or_a_pass(
    wristband: FakeWristband, path: str, header: str
) -> None:
    client = Client(raise_request_exception=False)
    try:
        response = client.get(path, HTTP_AUTHORIZATION=header)
    except UnicodeEncodeError:  # a header no HTTP client could send
        return
    figures.count("hostile bearer headers")
    assert response.status_code in (401, 403), response.status_code


@fuzz
@given(
    path=st.sampled_from(PATHS),
    changes=st.dictionaries(st.sampled_from(CLAIMS), json_values, min_size=1, max_size=4),
    dropped=st.sets(st.sampled_from(CLAIMS), max_size=3),
)
def test_any_claims_signed_with_the_real_key_never_500(
    wristband: FakeWristband, path: str, changes: dict[str, Any], dropped: set[str]
) -> None:
    merged = {**valid_claims(wristband), **changes}
    claims = {k: v for k, v in merged.items() if k not in dropped}
    try:
        token = wristband.sign_access_token(claims)
    except (TypeError, ValueError):  # PyJWT will not sign it (e.g. a non-string iss)
        reject()
    response = Client(raise_request_exception=False).get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    figures.count("hostile bearer tokens with a valid signature")
    assert response.status_code in (200, 401, 403), response.status_code
    if response.status_code != 401:
        assert isinstance(claims.get("sub"), str) and isinstance(claims.get("client_id"), str)
        assert claims.get("iss") == wristband.issuer
        exp = claims.get("exp")
        assert isinstance(exp, (int, float)) and not isinstance(exp, bool)
        assert exp > time.time() - 61
