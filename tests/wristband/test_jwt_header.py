"""The header read that picks a token's key: the header segment alone is decoded. Whatever the
token, the answer is the header PyJWT would read, or ``UnusableJwtError`` (then a 401 or a
login restart), never another exception."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wristband_django.wristband.jwks import UnusableJwtError, unverified_header

SECRET = "a-secret-of-thirty-two-bytes-0000"
SEGMENT = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.!é\x00 ")


@given(st.text(max_size=300) | st.builds(".".join, st.lists(SEGMENT, max_size=4)))
def test_any_text_is_a_header_or_unusable(token: str) -> None:
    try:
        header = unverified_header(token)
    except UnusableJwtError:
        return
    assert isinstance(header, dict)


@given(
    st.dictionaries(
        st.text(max_size=10), st.text(max_size=20) | st.integers() | st.none(), max_size=4
    ),
    st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=4),
)
def test_a_signed_token_reads_as_pyjwt_reads_it(extra: dict, claims: dict) -> None:
    token = jwt.encode(claims, SECRET, algorithm="HS256", headers=extra)
    assert unverified_header(token) == jwt.get_unverified_header(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!!.e30.sig",  # not base64url
        "W10.e30.sig",  # [] is not an object
        "bnVsbA.e30.sig",  # null
        "_w.e30.sig",  # not UTF-8
        "A" * 1025 + ".e30.sig",  # longer than any real header
    ],
)
def test_what_is_not_a_usable_header(token: str) -> None:
    with pytest.raises(UnusableJwtError):
        unverified_header(token)


def test_padding_is_tolerated_as_pyjwt_tolerates_it() -> None:
    token = jwt.encode({}, SECRET, algorithm="HS256", headers={"kid": "k1"})
    head, _, rest = token.partition(".")
    assert len(head) % 4  # a header that base64 would pad
    padded = f"{head}{'=' * (-len(head) % 4)}.{rest}"
    assert (
        unverified_header(padded)
        == jwt.get_unverified_header(padded)
        == {
            "alg": "HS256",
            "kid": "k1",
            "typ": "JWT",
        }
    )
