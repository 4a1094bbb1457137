"""Many app servers: three gunicorn masters (three "machines") behind HAProxy, round robin,
sharing one Redis. One refresh for a storm spread over all three; a logout on one is seen by
the others. The deployment is tests/deployment/scale_harness.py's; docs/deployment.md describes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.deployment.scale_harness import (
    Deployment,
    concurrent_gets,
    deployment,
    json_body,
    log_in,
    log_out,
    missing_binaries,
)

pytestmark = [pytest.mark.slow, pytest.mark.proxy]

STORM_REQUESTS = 50
#: The app's default token_expiration_buffer: a token lasting this long is expired at once.
EXPIRED_AT_ONCE = 60


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    missing = missing_binaries()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (CI installs them with apt)")
    work: Path = tmp_path_factory.mktemp("scale-out")
    with deployment(work, servers=3) as started:
        yield started


def test_a_storm_over_three_servers_makes_one_refresh_and_every_request_succeeds(
    site: Deployment,
) -> None:
    fake = site.fake
    fake.access_token_ttl = EXPIRED_AT_ONCE
    cookie = log_in(site.url, fake)
    fake.access_token_ttl = 3600
    for _ in range(2):  # every worker thread serves a request first: warm, as in production
        concurrent_gets(site.proxy.port, "/open/", None, STORM_REQUESTS)
    fake.inject("token", delay=0.3, grant_type="refresh_token")  # a slow refresh
    fake.reset_records()
    before = site.access_counts("/api/whoami/")

    answers = concurrent_gets(site.proxy.port, "/api/whoami/", cookie, STORM_REQUESTS)

    assert Counter(answer.status for answer in answers) == {200: STORM_REQUESTS}
    assert len(fake.calls("token", grant_type="refresh_token")) == 1
    assert len({json_body(answer)["accessToken"] for answer in answers}) == 1  # the winner's
    served = site.served_since(before, "/api/whoami/", STORM_REQUESTS)  # logged after answering
    assert sum(served.values()) == STORM_REQUESTS, served
    assert all(count > 0 for count in served.values()), served  # the proxy spread the storm
    # The session goes on working on every server, with no further refresh.
    for server in site.servers:
        again = requests.get(f"{server.url}/api/whoami/", cookies={"sessionid": cookie}, timeout=10)
        assert again.status_code == 200
    assert len(fake.calls("token", grant_type="refresh_token")) == 1


def test_a_logout_on_one_server_is_seen_by_the_others_at_their_next_request(
    site: Deployment,
) -> None:
    site.fake.access_token_ttl = 3600
    cookie = log_in(site.url, site.fake)
    first, *others = site.servers
    for server in site.servers:
        answer = requests.get(
            f"{server.url}/api/whoami/", cookies={"sessionid": cookie}, timeout=10
        )
        assert answer.status_code == 200

    logout = log_out(first.url, cookie)

    assert logout.status_code == 302
    for server in others:
        answer = requests.get(
            f"{server.url}/api/whoami/", cookies={"sessionid": cookie}, timeout=10
        )
        assert answer.status_code == 401, server.name
    through_the_proxy = requests.get(
        f"{site.url}/api/whoami/", cookies={"sessionid": cookie}, timeout=10
    )
    assert through_the_proxy.status_code == 401
