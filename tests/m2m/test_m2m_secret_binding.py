"""``MachineTokenProvider``'s cache records are bound to the client's secret (issue 22, 3).

A provider given another secret shares nothing with the real one: no cached token, no
``clear_token()``, no backoff, no lock; counted as token requests each secret makes to the
fake Wristband. The backoff and token records are sealed: whatever an attacker with write
access to the cache puts under their keys (a field table, then Hypothesis over field values,
types, missing fields, huge numbers and the sealing), ``get_token()`` is never held back
longer than the 60 s maximum backoff, never by a record the server did not seal, and never
shows the attacker's message or serves the attacker's token.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import threading
import time
from typing import Any

import pytest
import redis
from django.core.cache import caches
from hypothesis import event, example, given
from hypothesis import strategies as st

from tests.m2m import MACHINE_ID, MACHINE_SECRET
from tests.support.fuzzing import fuzz
from wristband_django.conf import get_config
from wristband_django.errors import WristbandError, WristbandUnavailableError
from wristband_django.flows.machine_tokens import CacheKeys, cache_keys
from wristband_django.m2m import MachineTokenProvider
from wristband_django.store.sealing import encrypt
from wristband_django.testing import FakeWristband
from wristband_django.wristband.backoff import MAX_BACKOFF_SECONDS

ATTACKER_TEXT = "attacker-says-give-up"
ATTACKERS_SEALING_KEY = "the-attackers-own-sealing-key-0123456789"
#: Secrets that are not the real one, the near misses first.
IMPOSTOR_SECRETS = [
    "not-the-secret",
    MACHINE_SECRET[:-1],
    MACHINE_SECRET + "0",
    MACHINE_SECRET.upper(),
    " " + MACHINE_SECRET,
    MACHINE_SECRET + "\n",
    MACHINE_SECRET.replace("c0ffee", "coffee"),
    hashlib.sha256(MACHINE_SECRET.encode()).hexdigest(),
]


def real() -> MachineTokenProvider:
    return MachineTokenProvider(MACHINE_ID, MACHINE_SECRET)


def requests_with(fake: FakeWristband, secret: str) -> int:
    """The ``client_credentials`` requests the fake received with ``secret``."""
    count = 0
    for call in fake.calls("token", grant_type="client_credentials"):
        basic = call.headers.get("authorization", "").removeprefix("Basic ")
        if base64.b64decode(basic).decode("latin-1").partition(":")[2] == secret:
            count += 1
    return count


def real_keys() -> CacheKeys:
    """The real client's key names: the attacker below is granted them (by listing keys)."""
    return cache_keys(get_config().issuer, MACHINE_ID, MACHINE_SECRET)


# --- a provider with another secret shares nothing -------------------------------------


@pytest.mark.parametrize("impostor_secret", IMPOSTOR_SECRETS)
def test_another_secret_shares_no_token_no_clearing_and_no_backoff(
    fake: FakeWristband, impostor_secret: str
) -> None:
    token = real().get_token()
    impostor = MachineTokenProvider(MACHINE_ID, impostor_secret)

    for _ in range(2):  # the second answer comes from the impostor's own backoff
        with pytest.raises(WristbandError) as refused:
            impostor.get_token()
        assert refused.value.error == "invalid_client"
    impostor.clear_token()
    impostor.clear_token(token)

    assert real().get_token() == token  # still cached: the impostor cleared nothing of it
    real().clear_token(token)
    fresh = real().get_token()  # not held back by the impostor's invalid_client
    assert fresh != token
    assert (requests_with(fake, MACHINE_SECRET), requests_with(fake, impostor_secret)) == (2, 1)


def test_an_impostors_failure_first_does_not_hold_the_real_client_back(
    fake: FakeWristband,
) -> None:
    """The issue's order: the impostor fails first, then the real client asks."""
    with pytest.raises(WristbandError, match="invalid_client"):
        MachineTokenProvider(MACHINE_ID, "not-the-secret").get_token()

    token = real().get_token()

    assert token and requests_with(fake, MACHINE_SECRET) == 1


@pytest.mark.wristband_settings(call_timeout=2)
def test_an_impostors_slow_request_does_not_hold_the_real_clients_lock(
    fake: FakeWristband,
) -> None:
    held = fake.inject("token", hold=True)  # the first request: the impostor's
    impostor = threading.Thread(target=_fail_quietly, args=("not-the-secret",))
    impostor.start()
    try:
        assert held.arrived.wait(5)
        started = time.monotonic()
        token = real().get_token()
        waited = time.monotonic() - started
    finally:
        held.release()
        impostor.join(5)

    assert token and waited < 1.0  # a shared lock would have waited out the 2 s
    assert requests_with(fake, MACHINE_SECRET) == 1


def _fail_quietly(secret: str) -> None:
    with contextlib.suppress(WristbandError):
        MachineTokenProvider(MACHINE_ID, secret).get_token()


def test_another_client_ids_record_copied_under_the_real_key_is_not_served(
    fake: FakeWristband,
) -> None:
    fake.add_machine_client("m2m-other", "other-secret-0123456789")
    other = MachineTokenProvider("m2m-other", "other-secret-0123456789")
    other_token = other.get_token()
    cache = caches["default"]
    other_keys = cache_keys(get_config().issuer, "m2m-other", "other-secret-0123456789")
    cache.set(real_keys().token, cache.get(other_keys.token), timeout=None)

    token = real().get_token()

    assert token != other_token and requests_with(fake, MACHINE_SECRET) == 1


CREDENTIAL_PART = st.text(st.characters(codec="ascii"), min_size=1, max_size=12)


@fuzz
@given(
    first=st.tuples(CREDENTIAL_PART, CREDENTIAL_PART, CREDENTIAL_PART),
    second=st.tuples(CREDENTIAL_PART, CREDENTIAL_PART, CREDENTIAL_PART),
)
@example(first=("i", "a\nb", "c"), second=("i", "a", "b\nc"))  # a separator moved
@example(first=("i", 'a", "b', "c"), second=("i", "a", 'b", "c'))  # a quote moved
def test_two_credentials_share_a_key_only_if_issuer_id_and_secret_all_match(
    fake: FakeWristband, first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    first_keys, second_keys = cache_keys(*first), cache_keys(*second)
    names = {first_keys.token, first_keys.lock, first_keys.backoff}

    shared = names & {second_keys.token, second_keys.lock, second_keys.backoff}
    assert len(names) == 3 and (shared == names if first == second else not shared)


@pytest.mark.redis
def test_key_names_need_the_servers_secret_to_compute(
    fake: FakeWristband, settings: Any, redis_cache: dict[str, Any]
) -> None:
    """No digest of the id and secret alone is in a key name; the server's secret moves
    them all (so a reader of the key names cannot test guesses of the client secret)."""
    settings.CACHES = {"default": redis_cache}
    server = redis.Redis.from_url(redis_cache["LOCATION"])
    pattern = f"{redis_cache['KEY_PREFIX']}:*"
    with pytest.raises(WristbandError):
        MachineTokenProvider(MACHINE_ID, "not-the-secret").get_token()  # a backoff record
    real().get_token()
    before = {key.decode() for key in server.scan_iter(match=pattern)}
    issuer = get_config().issuer
    for message in (
        MACHINE_SECRET,
        f"{MACHINE_ID}:{MACHINE_SECRET}",
        f"{issuer}\n{MACHINE_ID}\n{MACHINE_SECRET}",
        json.dumps([issuer, MACHINE_ID, MACHINE_SECRET]),
    ):
        for algorithm in ("sha256", "sha1", "md5"):
            digest = hashlib.new(algorithm, message.encode()).hexdigest()[:32]
            assert not any(digest in key for key in before)

    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "token_encryption_key": "rotated-" * 4}
    real().get_token()
    after = {key.decode() for key in server.scan_iter(match=pattern)}

    token_names = {key for key in after if ":m2m:token:" in key}
    assert len(token_names) == 2 and len(before & token_names) == 1  # a second name
    assert requests_with(fake, MACHINE_SECRET) == 2


# --- forged backoff records ------------------------------------------------------------


def forged_failure(**fields: Any) -> dict[str, Any]:
    """The issue's record: 31 years of ``invalid_client`` with the attacker's message."""
    now = time.time()
    record = {
        "failures": 1,
        "failed_at": now,
        "retry_at": now + 1e9,
        "error": "invalid_client",
        "error_description": ATTACKER_TEXT,
        "status": 401,
        "retryable": False,
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not MISSING}


MISSING = object()


def sealed(key: str, record: Any) -> str:
    """``record`` sealed as only the server can: an attacker holding its secret, or a replay."""
    return encrypt(key, json.dumps(record))


def sealed_elsewhere(settings: Any, key: str, record: Any) -> str:
    """``record`` sealed under another server secret (an attacker's own key)."""
    kept = settings.WRISTBAND_AUTH
    settings.WRISTBAND_AUTH = {
        **kept,
        "token_encryption_key": "the-attackers-own-sealing-key-0123456789",
    }
    try:
        return sealed(key, record)
    finally:
        settings.WRISTBAND_AUTH = kept


def assert_served(fake: FakeWristband, requests_before: int) -> None:
    """``get_token()`` asks Wristband at once and answers a token, in well under a second."""
    started = time.monotonic()
    token = real().get_token()
    assert token and time.monotonic() - started < 1.0
    assert requests_with(fake, MACHINE_SECRET) == requests_before + 1


def unsealed_forgeries(settings: Any, keys: CacheKeys) -> list[Any]:
    issues = {
        "retry_at": time.time() + 1e9,
        "error": "invalid_client",
        "error_description": ATTACKER_TEXT,
        "retryable": False,
    }
    previous_release = forged_failure(failed_at=MISSING)  # this record's former format
    return [
        issues,
        previous_release,
        forged_failure(),
        json.dumps(forged_failure()),
        sealed(keys.token, forged_failure()),  # the server's seal, but another key's
        sealed_elsewhere(settings, keys.backoff, forged_failure()),
        "wbenc1:" + base64.urlsafe_b64encode(b"\0" * 40).decode(),
        "wbenc1:not base64!",
        "wbenc1:",
        None,
        0,
        10**100,
        [issues],
        b"bytes",
    ]


def test_no_unsealed_or_missealed_backoff_record_holds_the_client_back(
    fake: FakeWristband, settings: Any
) -> None:
    keys, cache = real_keys(), caches["default"]
    forgeries = unsealed_forgeries(settings, keys)
    for number, forged in enumerate(forgeries):
        cache.clear()
        cache.set(keys.backoff, forged, timeout=None)  # no TTL, as in the issue
        assert_served(fake, number)
    assert requests_with(fake, MACHINE_SECRET) == len(forgeries) == 14


def test_an_impostors_genuine_record_copied_under_the_real_key_is_ignored(
    fake: FakeWristband,
) -> None:
    with pytest.raises(WristbandError, match="invalid_client"):
        MachineTokenProvider(MACHINE_ID, "not-the-secret").get_token()
    cache = caches["default"]
    impostor_keys = cache_keys(get_config().issuer, MACHINE_ID, "not-the-secret")
    cache.set(real_keys().backoff, cache.get(impostor_keys.backoff), timeout=None)

    assert_served(fake, 0)


#: name, fields replaced in the issue's record (float times: offsets from now), held back.
SEALED_TABLE: list[tuple[str, dict[str, Any], bool]] = [
    ("the issue's record, failed now: the 60 s cap", {}, True),
    ("failed 61 s ago, retry in 31 years", {"failed_at": -61.0}, False),
    ("failed 59 s ago, retry in 31 years", {"failed_at": -59.0}, True),
    ("failed in the future", {"failed_at": 1e9}, False),
    ("retry time passed", {"failed_at": -2.0, "retry_at": -1.0}, False),
    ("retry before failure", {"failed_at": -1.0, "retry_at": -30.0}, False),
    ("failed_at missing", {"failed_at": MISSING}, False),
    ("retry_at missing", {"retry_at": MISSING}, False),
    ("failed_at infinite", {"failed_at": -math.inf}, False),
    ("retry_at infinite", {"retry_at": math.inf}, False),
    ("retry_at NaN", {"retry_at": math.nan}, False),
    ("retry_at a string", {"retry_at": "1e18"}, False),
    ("retry_at a bool", {"retry_at": True}, False),
    ("retry_at null", {"retry_at": None}, False),
    ("retry_at 1e308", {"retry_at": 1e308}, True),
    ("retry_at an integer of 400 digits", {"retry_at": 10**400}, False),
    ("failed_at an integer of 400 digits", {"failed_at": -(10**400)}, False),
    ("failed_at epoch 0", {"failed_at": 0}, False),
    ("failures 0", {"failures": 0}, False),
    ("failures negative", {"failures": -1}, False),
    ("failures a float", {"failures": 1.0}, False),
    ("failures a bool", {"failures": True}, False),
    ("failures huge", {"failures": 10**400}, True),
    ("error not a string", {"error": ["invalid_client"]}, False),
    ("description missing", {"error_description": MISSING}, False),
    ("status a string", {"status": "401"}, False),
    ("retryable a string", {"retryable": "false"}, False),
    ("an extra field", {"extra": 1}, False),
]


@pytest.mark.parametrize(
    ("fields", "holds_back"),
    [pytest.param(fields, holds, id=name) for name, fields, holds in SEALED_TABLE],
)
def test_a_sealed_backoff_record_holds_back_at_most_the_maximum_backoff(
    fake: FakeWristband, fields: dict[str, Any], holds_back: bool
) -> None:
    """Even sealed as the server seals (an attacker holding its secret, or a replay)."""
    now = time.time()
    record = forged_failure(**{k: now + v if type(v) is float else v for k, v in fields.items()})
    caches["default"].set(real_keys().backoff, sealed(real_keys().backoff, record), timeout=None)

    if not holds_back:
        assert_served(fake, 0)
        return
    with pytest.raises(WristbandError) as held:
        real().get_token()
    stated = float(held.value.error_description.split("no new one for ")[1].split(" s")[0])
    failed_at = record["failed_at"]
    assert stated <= failed_at + MAX_BACKOFF_SECONDS - now + 0.1  # never past 60 s
    assert requests_with(fake, MACHINE_SECRET) == 0


def test_a_failure_after_a_record_of_countless_failures_backs_off_as_usual(
    fake: FakeWristband,
) -> None:
    keys = real_keys()
    countless = forged_failure(failures=10**4300 - 1, failed_at=time.time() - 61)  # 4,300 nines
    caches["default"].set(keys.backoff, sealed(keys.backoff, countless), timeout=None)
    fake.inject("token", status=503)

    with pytest.raises(WristbandUnavailableError) as failed:
        real().get_token()  # the record no longer holds back: one request, which fails
    with pytest.raises(WristbandUnavailableError, match=r"no new one for (59|60)\.\d s"):
        real().get_token()  # backing off, at the maximum

    assert failed.value.status == 503 and requests_with(fake, MACHINE_SECRET) == 1


@pytest.mark.parametrize(
    "plaintext",
    [
        '{"retry_at": 1' + "0" * 5000 + "}",  # beyond Python's integer parsing limit
        "[" * 100_000 + "]" * 100_000,  # beyond the JSON parser's recursion limit
        "not json",
        '"a string"',
        "[1, 2]",
        "",
    ],
    ids=["5000-digit integer", "deep nesting", "not JSON", "a string", "a list", "empty"],
)
def test_a_sealed_backoff_record_that_is_not_a_failure_is_ignored(
    fake: FakeWristband, plaintext: str
) -> None:
    keys = real_keys()
    caches["default"].set(keys.backoff, encrypt(keys.backoff, plaintext), timeout=None)

    assert_served(fake, 0)


# --- the fuzzed dimension: every field, type and sealing of a forged backoff record -----

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)
#: Time offsets from now (floats: the test adds now), the 60 s edges and huge ones included.
TIME_OFFSET = st.one_of(
    st.floats(min_value=-120, max_value=5),
    st.floats(min_value=-1e12, max_value=1e12),
    st.sampled_from([-61.0, -60.0, -59.0, 0.0, 1e9, 1e300]),
)
#: Each field: a well-typed value or anything else; a record: every field, or any subset.
FIELD = {
    "failures": st.one_of(st.integers(min_value=-3, max_value=10**30), ANY_VALUE),
    "failed_at": st.one_of(TIME_OFFSET, ANY_VALUE),
    "retry_at": st.one_of(TIME_OFFSET, ANY_VALUE),
    "error": st.one_of(st.just("invalid_client"), ANY_VALUE),
    "error_description": st.one_of(st.just(ATTACKER_TEXT), ANY_VALUE),
    "status": st.one_of(st.sampled_from([401, 503, None]), ANY_VALUE),
    "retryable": st.one_of(st.booleans(), ANY_VALUE),
}
RECORDS = st.one_of(st.fixed_dictionaries(FIELD), st.fixed_dictionaries({}, optional=FIELD))
SEALINGS = st.sampled_from(["sealed", "plain", "json", "other key", "other secret"])


ISSUES_RECORD = {  # with the time offsets the test adds now to
    "failures": 1,
    "failed_at": -30.0,
    "retry_at": 1e9,
    "error": "invalid_client",
    "error_description": ATTACKER_TEXT,
    "status": 401,
    "retryable": False,
}


@fuzz
@given(record=RECORDS, sealing=SEALINGS)
@example(record=ISSUES_RECORD, sealing="sealed")  # held back, for 30 s at most
@example(record={**ISSUES_RECORD, "failed_at": -60.5}, sealing="sealed")
@example(record=ISSUES_RECORD, sealing="plain")
def test_no_forged_backoff_record_holds_back_past_the_maximum(
    fake: FakeWristband, settings: Any, record: dict[str, Any], sealing: str
) -> None:
    caches["default"].clear()
    keys, now = real_keys(), time.time()
    record = {
        k: now + v if k in ("failed_at", "retry_at") and type(v) is float else v
        for k, v in record.items()
    }
    stored: Any = {
        "sealed": lambda: sealed(keys.backoff, record),
        "plain": lambda: record,
        "json": lambda: json.dumps(record),
        "other key": lambda: sealed(keys.token, record),
        "other secret": lambda: sealed_elsewhere(settings, keys.backoff, record),
    }[sealing]()
    caches["default"].set(keys.backoff, stored, timeout=None)
    before = requests_with(fake, MACHINE_SECRET)

    try:
        token = real().get_token()
    except WristbandError as held:
        event("held back")
        # Only a record the server sealed under this key, dated within the last 60 s.
        assert sealing == "sealed"
        failed_at = record["failed_at"]
        assert isinstance(failed_at, (int, float)) and failed_at <= time.time()
        assert now < failed_at + MAX_BACKOFF_SECONDS
        stated = float(held.error_description.split("no new one for ")[1].split(" s")[0])
        assert 0 <= stated <= MAX_BACKOFF_SECONDS
        assert requests_with(fake, MACHINE_SECRET) == before
    else:
        event("served")
        assert token and requests_with(fake, MACHINE_SECRET) == before + 1


# --- forged token records --------------------------------------------------------------


def test_no_forged_token_record_is_served(fake: FakeWristband, settings: Any) -> None:
    keys, cache, now = real_keys(), caches["default"], time.time()
    attackers = {"token": "attackers.token.value", "expires_at": now + 1e9, "refresh_at": 1e18}
    forgeries = [
        attackers,
        json.dumps(attackers),
        sealed(keys.backoff, attackers),  # the server's seal, but another key's
        sealed_elsewhere(settings, keys.token, attackers),
        sealed(keys.token, {**attackers, "expires_at": now - 1, "refresh_at": now - 2}),
        sealed(keys.token, {**attackers, "expires_at": now - 1}),  # refresh_at after expiry
        sealed(keys.token, {**attackers, "expires_at": "1e18"}),
        sealed(keys.token, {**attackers, "token": ""}),
        sealed(keys.token, {"token": "attackers.token.value"}),
    ]
    for number, forged in enumerate(forgeries):
        cache.clear()
        cache.set(keys.token, forged, timeout=None)
        served = real().get_token()
        assert served != "attackers.token.value"
        assert requests_with(fake, MACHINE_SECRET) == number + 1


def test_a_secret_http_basic_cannot_carry_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        MachineTokenProvider(MACHINE_ID, "s\u20accret")
