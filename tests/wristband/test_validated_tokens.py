"""Remembering validated bearer tokens never changes an answer, only its cost.

``access_token_cache_max_size`` keeps the outcome of a token's checks until it expires. Seen
from outside (requests through a DRF view, ``validate_access_token``): a remembered token
stops working when it expires, when settings change what is accepted, and when Wristband
stops publishing its key (``test_amplification``'s dropped-key test sends the same token
before and after); a token remembered on its own tenant's host is still refused on another's
(``test_tenant_hosts``, one token across every host); refused tokens take no room; the memory
holds its bound under concurrent use; and every edit of a remembered token's text gets the
very answer it gets with the memory off.
"""

from __future__ import annotations

import string
import threading
import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.support.hostile_tokens import issued_claims
from wristband_django.bearer import InvalidAccessTokenError, validate_access_token
from wristband_django.testing import FakeWristband
from wristband_django.wristband import validated_tokens

pytestmark = pytest.mark.urls("tests.support.drf_urls")


def bearer(token: str) -> int:
    return APIClient().get("/drf/bearer/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def outcome(token: str) -> tuple[str, str]:
    """What ``validate_access_token`` says of ``token``: the subject, or why it refused."""
    try:
        return "accepted", validate_access_token(token).user_id
    except InvalidAccessTokenError as exc:
        return "refused", str(exc)


def remembered() -> int:
    return validated_tokens.stats()["entries"]


def test_a_token_is_remembered_once_and_answers_the_same(wristband: FakeWristband) -> None:
    token = wristband.sign_access_token(issued_claims(wristband))
    first = validate_access_token(token)
    assert [bearer(token) for _ in range(3)] == [200, 200, 200]
    assert remembered() == 1
    assert validate_access_token(token) == first  # the very claims the checks returned
    assert validated_tokens.stats()["max_entries"] == 1024  # the documented default


def test_a_remembered_token_is_refused_once_it_expires(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(jwt_leeway=0)
    expires = int(time.time()) + 2
    token = wristband.sign_access_token(issued_claims(wristband, exp=expires))
    assert bearer(token) == 200 and remembered() == 1
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    assert bearer(token) == 401
    assert remembered() == 0  # forgotten, not kept beside the refusal


def test_changing_the_settings_forgets_every_token(wristband: FakeWristband, settings: Any) -> None:
    token = wristband.sign_access_token(issued_claims(wristband))
    assert bearer(token) == 200
    settings.WRISTBAND_AUTH = wristband.auth_settings(allowed_bearer_client_ids=["another-app"])
    assert bearer(token) == 401  # this client is no longer allowed: checked again, refused
    settings.WRISTBAND_AUTH = wristband.auth_settings()
    assert bearer(token) == 200


def test_refused_tokens_take_no_room(wristband: FakeWristband) -> None:
    now = int(time.time())
    refused = [
        wristband.sign_access_token(issued_claims(wristband, exp=now - 3600)),
        wristband.sign_access_token(issued_claims(wristband, iss="https://elsewhere.test")),
        wristband.sign_access_token(issued_claims(wristband, aud="another-app")),
        wristband.sign_access_token(issued_claims(wristband, client_id="")),
        wristband.sign_access_token(issued_claims(wristband))[:-4] + "AAAA",
        "not-a-jwt",
    ]
    assert [bearer(token) for token in refused for _ in range(2)] == [401] * 12
    assert remembered() == 0


def test_the_memory_keeps_its_bound_and_every_token_still_works(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(access_token_cache_max_size=3)
    tokens = [wristband.sign_access_token(issued_claims(wristband, jti=f"t{i}")) for i in range(8)]
    assert [bearer(token) for token in tokens * 2] == [200] * 16  # the evicted: checked again
    assert remembered() == 3


def test_zero_turns_the_memory_off(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(access_token_cache_max_size=0)
    token = wristband.sign_access_token(issued_claims(wristband))
    assert [bearer(token) for _ in range(3)] == [200, 200, 200]
    assert remembered() == 0


def test_concurrent_use_keeps_the_bound_and_every_answer(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(access_token_cache_max_size=4)
    tokens = [wristband.sign_access_token(issued_claims(wristband, jti=f"c{i}")) for i in range(12)]
    forged = [token[:-4] + "AAAA" for token in tokens[:4]]
    answers: list[tuple[str, str]] = []
    barrier = threading.Barrier(8)

    def run(offset: int) -> None:
        barrier.wait()
        for index in range(60):
            token = (tokens + forged)[(offset + index) % 16]
            kind = "forged" if token in forged else "issued"
            answers.append((outcome(token)[0], kind))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 480
    assert set(answers) == {("accepted", "issued"), ("refused", "forged")}
    assert remembered() <= 4


def _edits(token: str) -> list[str]:
    """Every one-character substitution of ``token`` at a spread of positions in each part,
    and the edits that keep it a JWT in shape: cut, extended, re-cased, padded, spaced."""
    header, payload, signature = token.split(".")
    starts = [0, len(header) + 1, len(header) + len(payload) + 2]
    positions = sorted(
        {p for start in starts for p in range(start, start + 6)}
        | {len(token) - n for n in range(1, 7)}
        | set(range(0, len(token), 7))
    )
    alphabet = string.ascii_letters + string.digits + "-_"
    edits = [
        token[:position]
        + alphabet[(alphabet.find(token[position]) + shift) % len(alphabet)]
        + token[position + 1 :]
        for position in positions
        if token[position] != "."
        for shift in (1, 2, 32)
    ]
    edits += [
        token[:-1], token + "A", token + "=", token.upper(), token.swapcase(), token + " ",
        f"{header}.{payload}.", f"{header}.{payload}.{signature}.{signature}",
        f"{header}.{payload}x.{signature}", f"{header}x.{payload}.{signature}",
    ]  # fmt: skip
    return [edit for edit in edits if edit != token]


def test_every_edit_of_a_remembered_token_gets_the_answer_it_gets_without_memory(
    wristband: FakeWristband, settings: Any
) -> None:
    token = wristband.sign_access_token(issued_claims(wristband))
    edits = _edits(token)
    assert len(edits) > 200
    validate_access_token(token)
    assert remembered() == 1
    with_memory = [outcome(edit) for edit in edits]
    settings.WRISTBAND_AUTH = wristband.auth_settings(access_token_cache_max_size=0)
    without_memory = [outcome(edit) for edit in edits]
    assert with_memory == without_memory
    accepted = sum(answer == "accepted" for answer, _ in with_memory)
    # Only base64's unused low bits of a segment's last character may change and still
    # verify (the same bytes decode); everything else is refused, with the memory or not.
    assert accepted <= 12
