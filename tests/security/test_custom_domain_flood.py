"""An anonymous flood of random tenant custom domains must not starve real tenants' logins.

The dimension that let issue 22's flood through was *who spends the check budget*: one bucket
served every caller, so one client's random domains used up the checks a real tenant's first
login (or its re-check after the TTL) needed. Here floods come from one address or several,
IPv4 or IPv6, while real logins come from another; the answers' memory is flooded past its
bound. Requests go through the real Login endpoint; Wristband's checks are counted at the fake.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.support.fuzzing import fuzz
from wristband_django.testing import FakeTenant, FakeWristband
from wristband_django.wristband.check_budget import (
    CLIENT_CHECK_BURST,
    CLIENT_SHARE,
    MAX_CHECK_BURST,
)
from wristband_django.wristband.custom_domains import (
    MAX_REJECTED_DOMAINS,
    STALE_CONFIRMATION_FACTOR,
)

TENANT_DOMAIN = "login.acme.test"
TENANTS = [FakeTenant("acme", custom_domain=TENANT_DOMAIN), FakeTenant("globex")]
FLOODER = "203.0.113.7"
TENANT_USER = "198.51.100.20"
PER_MINUTE = 60  # custom_domain_checks_per_minute's default
FLOOD_RATE = 50.0  # requests a second
FLOOD_SECONDS = 5.0
#: Real logins beside each flood: a machine too busy to make them in FLOOD_SECONDS floods on.
MIN_LOGINS = 50

pytestmark = pytest.mark.fake_wristband(tenants=TENANTS)


def random_domain() -> str:
    return f"x{uuid.uuid4().hex[:12]}.example"


def login_host(query: str, remote_addr: str) -> str:
    """The host the Login endpoint sends a new browser at ``remote_addr`` to for ``query``."""
    response = Client().get(f"/auth/login/?{query}", REMOTE_ADDR=remote_addr)
    assert response.status_code == 302, response.content
    location: str = response["Location"]
    return location.split("/")[2]


def tenant_login(remote_addr: str = TENANT_USER) -> str:
    return login_host(f"tenant_custom_domain={TENANT_DOMAIN}", remote_addr)


def checks(fake: FakeWristband, domain: str | None = None) -> int:
    """Custom-domain checks Wristband received (of ``domain`` only, when given)."""
    calls = fake.calls("validate_custom_domain")
    return sum(domain in (None, call.json.get("tenantCustomDomain")) for call in calls)


def client_bound(seconds: float, per_minute: int = PER_MINUTE) -> float:
    """The most checks one client address can cause in ``seconds``."""
    return CLIENT_CHECK_BURST + seconds * per_minute / CLIENT_SHARE / 60.0


def process_bound(seconds: float, per_minute: int = PER_MINUTE) -> float:
    """The most checks the whole process can make in ``seconds``."""
    return MAX_CHECK_BURST + seconds * per_minute / 60.0


# --- a flood at 50 requests a second, real logins beside it --------------------------------


@dataclass
class Flood:
    """What happened during one flood: its requests and the real logins beside it."""

    requests: int = 0
    seconds: float = 0.0
    attempts: int = 0
    successes: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def report(self, name: str, fake: FakeWristband) -> str:
        return (
            f"{name}: flood {self.requests} requests in {self.seconds:.1f} s "
            f"({self.rate:.1f}/s) from one address; real logins {self.successes}/{self.attempts} "
            f"({100 * self.successes / self.attempts:.1f} %) to the tenant's host; "
            f"checks sent {checks(fake)} ({checks(fake) / self.seconds:.2f}/s; "
            f"{checks(fake, TENANT_DOMAIN)} of the tenant's domain)"
        )


def flood_while_logging_in(fake: FakeWristband, *, head_start: float) -> Flood:
    """Flood the Login endpoint with random custom domains from FLOODER at FLOOD_RATE for
    FLOOD_SECONDS, and log in to the real tenant from TENANT_USER every 50 ms once the flood
    has run ``head_start`` seconds; on a machine too busy for MIN_LOGINS logins in that time,
    go on (the flood too) until they are made, for at most four times as long."""
    result = Flood()
    stop = threading.Event()
    failures: list[BaseException] = []

    def flood() -> None:
        started = time.monotonic()
        try:
            while not stop.is_set():
                stop.wait(max(0.0, started + result.requests / FLOOD_RATE - time.monotonic()))
                host = login_host(f"tenant_custom_domain={random_domain()}", FLOODER)
                assert host == fake.vanity_domain  # never confirmed: tenant discovery
                result.requests += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        result.seconds = time.monotonic() - started

    flooder = threading.Thread(target=flood)
    flooder.start()
    try:
        stop.wait(head_start)
        ends_at = time.monotonic() + FLOOD_SECONDS - head_start
        gives_up_at = ends_at + 3 * FLOOD_SECONDS
        while not failures and (
            time.monotonic() < ends_at
            or (result.attempts < MIN_LOGINS and time.monotonic() < gives_up_at)
        ):
            result.attempts += 1
            result.successes += tenant_login() == TENANT_DOMAIN
            time.sleep(0.05)
    finally:
        stop.set()
        flooder.join()
    assert not failures, failures
    return result


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "ttl", "confirmed_before"),
    [
        ("confirmed before the flood", 300, True),
        ("first contact during the flood", 300, False),
        ("re-checked every second during the flood", 1, True),
    ],
)
def test_a_flood_from_one_address_does_not_starve_a_tenants_logins(
    wristband: FakeWristband, settings: Any, case: str, ttl: int, confirmed_before: bool
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(custom_domain_cache_ttl=ttl)
    login_host("tenant_name=globex", "192.0.2.1")  # auto-configuration, before the clock
    if confirmed_before:
        assert tenant_login() == TENANT_DOMAIN
    # Confirmed or not, the real logins start after the flood drained the process's burst.
    head_start = (MAX_CHECK_BURST + 2) / FLOOD_RATE
    flood = flood_while_logging_in(wristband, head_start=head_start)
    print("\n" + flood.report(case, wristband))

    assert flood.rate >= 0.8 * FLOOD_RATE  # the flood really ran at about 50 requests a second
    assert flood.attempts >= MIN_LOGINS
    assert flood.successes >= 0.99 * flood.attempts
    # Wristband got a bounded number of checks: the flooder's share, and the tenant's domain
    # once per TTL at most; within the process's cap in any case.
    tenant_checks = 1 + int(flood.seconds / ttl) + 1
    assert checks(wristband, TENANT_DOMAIN) <= tenant_checks
    assert checks(wristband) - checks(wristband, TENANT_DOMAIN) <= client_bound(flood.seconds)
    assert checks(wristband) <= process_bound(flood.seconds + 1)


# --- who spends the budget: addresses enumerated -------------------------------------------

#: Flooding address groups, each one client for the budget: one IPv4 address, IPv4 written
#: both ways, addresses spread over one IPv6 /64.
ONE_CLIENT = {
    "ipv4": [FLOODER],
    "ipv4 and ipv4-mapped ipv6": [FLOODER, f"::ffff:{FLOODER}"],
    "one ipv6 /64": [f"2001:db8:1:2:{i:x}::{i + 1:x}" for i in range(16)],
}


@pytest.mark.parametrize("addresses", ONE_CLIENT.values(), ids=ONE_CLIENT.keys())
@pytest.mark.parametrize("tenant_user", [TENANT_USER, "2001:db8:1:3::1"])
def test_one_client_cannot_spend_another_clients_checks(
    wristband: FakeWristband, addresses: list[str], tenant_user: str
) -> None:
    started = time.monotonic()
    for index in range(30):
        host = login_host(
            f"tenant_custom_domain={random_domain()}", addresses[index % len(addresses)]
        )
        assert host == wristband.vanity_domain
    assert checks(wristband) <= client_bound(time.monotonic() - started)
    # The tenant's first login, from another address, still gets its check.
    assert tenant_login(tenant_user) == TENANT_DOMAIN
    assert checks(wristband, TENANT_DOMAIN) == 1


@pytest.mark.parametrize("flooders", [2, 5, 20])
def test_many_flooding_addresses_stay_within_the_process_cap(
    wristband: FakeWristband, flooders: int
) -> None:
    started = time.monotonic()
    for index in range(15 * flooders):
        login_host(f"tenant_custom_domain={random_domain()}", f"203.0.113.{index % flooders}")
    elapsed = time.monotonic() - started
    assert checks(wristband) <= min(flooders * client_bound(elapsed), process_bound(elapsed))


def test_a_confirmed_domain_needs_no_budget(wristband: FakeWristband) -> None:
    """Even from the flooding address itself (everyone behind one proxy address, say)."""
    assert tenant_login(FLOODER) == TENANT_DOMAIN
    for _ in range(30):
        login_host(f"tenant_custom_domain={random_domain()}", FLOODER)
    before = checks(wristband)
    assert [tenant_login(FLOODER) for _ in range(10)] == [TENANT_DOMAIN] * 10
    assert checks(wristband) == before  # remembered: not asked again


@fuzz
@given(remote_addr=st.one_of(st.text(max_size=60), st.ip_addresses().map(str)))
def test_any_client_address_gets_an_answer(wristband: FakeWristband, remote_addr: str) -> None:
    """REMOTE_ADDR as a server may set it (or garbage): never a 500, the domain confirmed."""
    response = Client(raise_request_exception=False).get(
        f"/auth/login/?tenant_custom_domain={TENANT_DOMAIN}", REMOTE_ADDR=remote_addr
    )
    assert response.status_code == 302
    assert response["Location"].split("/")[2] == TENANT_DOMAIN


# --- the memory: confirmed and rejected domains apart, both bounded ------------------------


@pytest.mark.slow
def test_rejected_domains_never_crowd_out_a_confirmed_one(
    wristband: FakeWristband, settings: Any
) -> None:
    """More rejections than the memory holds, from many addresses and with a budget that
    allows them all: the confirmed domain stays, the oldest rejection is forgotten."""
    per_minute = 1_000_000
    settings.WRISTBAND_AUTH = wristband.auth_settings(custom_domain_checks_per_minute=per_minute)
    assert tenant_login() == TENANT_DOMAIN
    domains = [random_domain() for _ in range(MAX_REJECTED_DOMAINS + 50)]
    for index, domain in enumerate(domains):
        login_host(f"tenant_custom_domain={domain}", f"10.{index // 250}.{index % 250}.1")
    assert checks(wristband) == 1 + len(domains)  # each asked once
    assert tenant_login() == TENANT_DOMAIN
    assert checks(wristband, TENANT_DOMAIN) == 1  # still remembered
    login_host(f"tenant_custom_domain={domains[-1]}", TENANT_USER)
    assert checks(wristband, domains[-1]) == 1  # a recent rejection is remembered
    login_host(f"tenant_custom_domain={domains[0]}", TENANT_USER)
    assert checks(wristband, domains[0]) == 2  # the oldest was forgotten: the memory is bounded


# --- a confirmation outlives its TTL only while no check can be made -----------------------


@pytest.mark.slow
def test_a_confirmation_is_used_past_its_ttl_only_while_it_cannot_be_checked(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(custom_domain_cache_ttl=1)
    assert tenant_login() == TENANT_DOMAIN
    confirmed_at = time.monotonic()
    wristband.inject("validate_custom_domain", status=503, times=None)
    time.sleep(1.1)
    assert tenant_login() == TENANT_DOMAIN  # asked, failed: the last confirmation stands
    assert checks(wristband, TENANT_DOMAIN) == 2
    time.sleep(max(0.0, confirmed_at + STALE_CONFIRMATION_FACTOR + 0.1 - time.monotonic()))
    assert tenant_login() == wristband.vanity_domain  # too old: unconfirmed until Wristband says


@pytest.mark.slow
def test_a_domain_wristband_no_longer_confirms_is_dropped_after_the_ttl(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(custom_domain_cache_ttl=1)
    assert tenant_login() == TENANT_DOMAIN
    wristband.add_tenant(FakeTenant("acme"))  # the tenant gave its custom domain up
    time.sleep(1.1)
    assert tenant_login() == wristband.vanity_domain
    assert tenant_login() == wristband.vanity_domain  # the rejection is remembered
    assert checks(wristband, TENANT_DOMAIN) == 2
