"""The Redis failover scenario, measured: logged-in sessions use the site in a loop through
the proxy while their access tokens keep expiring (so refreshes are in flight), and the Redis
primary is killed (SIGKILL: a machine that dies). Used by
tests/deployment/test_redis_failover.py, which asserts what a user would notice, and by
benchmarks/scale.py, which reports the figures.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import requests

from tests.deployment.scale_harness import Deployment, SentinelRedis, log_in
from wristband_django.testing import RecordedRequest

#: The app's default ``token_expiration_buffer``: an access token lasting ``60 + n`` seconds
#: is refreshed after ``n``.
TOKEN_BUFFER_S = 60
PATH = "/api/whoami/"


@dataclass(frozen=True)
class Answer:
    session: int
    sent: float  # time.time()
    received: float
    status: int  # 0: no answer at all (connection error or timeout)
    retry_after: bool


@dataclass(frozen=True)
class FailoverRun:
    sessions: int
    token_life_s: float
    refresh_delay_s: float
    killed_at: float
    promoted_at: float
    answers: list[Answer]
    #: Each refresh call at the fake: (received, answered), as ``time.time()``.
    refreshes: list[tuple[float, float]]
    #: Refreshes whose new tokens were lost, as when the fake received each, in seconds
    #: relative to the kill: the refresh token they presented was presented again later, so
    #: their new tokens never reached the new primary and the session kept the old ones.
    lost_refreshes_at: list[float]
    #: Refresh locks on the new primary right after the promotion that were taken before the
    #: kill: their holders could not release them (the release went to the dead primary).
    stranded_locks: int
    #: Per session, the status of one request made after the run, once its tokens expired.
    final_statuses: list[int]

    @property
    def families_revoked(self) -> int:
        """Distinct refresh tokens presented more than once: each such reuse makes Wristband
        (with rotation) revoke the token family, i.e. end that session."""
        return len(self.lost_refreshes_at)

    @property
    def in_flight_at_kill(self) -> int:
        """Refresh calls the fake had received and not answered yet when the primary died."""
        return sum(received <= self.killed_at < answered for received, answered in self.refreshes)

    @property
    def first_failure(self) -> Answer | None:
        failures = [a for a in self.answers if a.received >= self.killed_at and a.status != 200]
        return min(failures, key=lambda a: a.received, default=None)

    @property
    def recovery(self) -> Answer | None:
        """The first 200 to a request sent after the first failure: served by the new primary."""
        first = self.first_failure
        if first is None:
            return None
        later = [a for a in self.answers if a.status == 200 and a.sent >= first.received]
        return min(later, key=lambda a: a.received, default=None)

    @property
    def window_s(self) -> float | None:
        first, recovered = self.first_failure, self.recovery
        if first is None or recovered is None:
            return None
        return recovered.received - first.received

    def in_window(self) -> list[Answer]:
        first, recovered = self.first_failure, self.recovery
        if first is None:
            return []
        end = recovered.received if recovered else float("inf")
        return [a for a in self.answers if first.received <= a.received <= end]

    def after_window(self) -> list[Answer]:
        recovered = self.recovery
        if recovered is None:
            return []
        return [a for a in self.answers if a.received > recovered.received]

    @staticmethod
    def by_status(answers: list[Answer]) -> Counter[str]:
        """Statuses, a 503 with and without ``Retry-After`` apart; 0 is "no answer"."""
        return Counter(
            f"{a.status}" + ("" if a.status != 503 else " + Retry-After" if a.retry_after else "")
            for a in answers
        )

    @property
    def server_errors(self) -> list[Answer]:
        """Answers no user should get: a 5xx other than 503, a 503 without Retry-After, none."""
        return [
            a
            for a in self.answers
            if a.status == 0 or (a.status >= 500 and (a.status != 503 or not a.retry_after))
        ]

    def sessions_answered(self, status: int) -> int:
        """Sessions that got ``status`` at least once after the kill."""
        return len(
            {a.session for a in self.answers if a.sent >= self.killed_at and a.status == status}
        )

    @property
    def usable_after(self) -> int:
        return sum(status == 200 for status in self.final_statuses)

    @property
    def slowest_answer_in_window_s(self) -> float:
        return max((a.received - a.sent for a in self.in_window()), default=0.0)

    @property
    def slowest_answer_after_window_s(self) -> float:
        """A request of a session whose refresh lock was stranded waits for it to expire."""
        return max((a.received - a.sent for a in self.after_window()), default=0.0)


def run_failover(
    site: Deployment,
    *,
    sessions: int = 20,
    token_life_s: int = 2,
    refresh_delay_s: float = 0.1,
    warmup_s: float = 3.0,
    pause_s: float = 0.02,
    hold_a_refresh: bool = False,
) -> FailoverRun:
    """Log ``sessions`` users in through the proxy, one after the other over a token
    lifetime, and have each use the site in a loop from its login on (a request,
    ``pause_s``, the next) while access tokens last ``token_life_s`` and the fake answers a
    refresh after ``refresh_delay_s``; ``warmup_s`` after the last login, SIGKILL the primary.

    The load goes on after the Sentinels promoted the replica until a refresh lock the dead
    primary's holder could not release has expired (``refresh_lock_timeout``, which the
    deployment's ``auth`` must set) and every session needed a refresh since. Then each
    session makes one more request once its tokens have expired: does it still work?

    ``hold_a_refresh``: the kill waits until a refresh is at the fake, held there, and
    releases it right after the kill, so one refresh is surely in flight when the primary dies.
    """
    store = site.redis
    if not isinstance(store, SentinelRedis):
        raise TypeError("run_failover needs a deployment with sentinel=True")
    lock_ttl_s = float(site.auth["refresh_lock_timeout"])
    fake = site.fake
    fake.access_token_ttl = TOKEN_BUFFER_S + token_life_s
    fake.inject("token", delay=refresh_delay_s, grant_type="refresh_token", times=None)
    started = time.time()
    answers: list[Answer] = []
    record = threading.Lock()
    stop = threading.Event()

    def use_the_site(number: int, browser: requests.Session) -> None:
        while not stop.is_set():
            sent = time.time()
            try:
                response = browser.get(f"{site.url}{PATH}", timeout=30)
                status, retry_after = response.status_code, "Retry-After" in response.headers
            except requests.RequestException:
                status, retry_after = 0, False
            with record:
                answers.append(Answer(number, sent, time.time(), status, retry_after))
            stop.wait(pause_s)

    # Logins spread over one token lifetime, each session busy from its login on: their
    # tokens expire at moments spread evenly, as in production, not all at once.
    browsers: list[requests.Session] = []
    threads: list[threading.Thread] = []
    held_since = released_at = None
    try:
        for number in range(sessions):
            browser = requests.Session()
            browser.cookies.set("sessionid", log_in(site.url, fake))
            browsers.append(browser)
            thread = threading.Thread(target=use_the_site, args=(number, browser), daemon=True)
            threads.append(thread)
            thread.start()
            time.sleep(token_life_s / sessions)
        time.sleep(warmup_s)
        held = None
        if hold_a_refresh:  # faults apply in order: the hold first, then the usual delay
            fake.clear_faults()
            held_since = time.time()
            held = fake.inject("token", hold=True, grant_type="refresh_token")
            fake.inject("token", delay=refresh_delay_s, grant_type="refresh_token", times=None)
            if not held.arrived.wait(10):
                raise RuntimeError("no refresh reached the fake within 10 s")
        killed_at = store.kill_primary()
        if held is not None:
            held.release()
            released_at = time.time()
        promoted_at = store.wait_for_promotion()
        stranded = stranded_locks(store, killed_at, lock_ttl_s)
        time.sleep(max(0.0, killed_at + lock_ttl_s - time.time()) + token_life_s + 1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(lock_ttl_s + 35)
        fake.clear_faults()
    # Each session once more, after the tokens it holds now have expired: a refresh.
    time.sleep(token_life_s + 0.5)
    final_statuses = [
        browser.get(f"{site.url}{PATH}", timeout=30).status_code for browser in browsers
    ]
    calls = [c for c in fake.calls("token", grant_type="refresh_token") if c.at >= started]
    presented = Counter(call.form.get("refresh_token") for call in calls)
    first: dict[str | None, float] = {}
    for call in calls:
        first.setdefault(call.form.get("refresh_token"), call.at)
    held_call = next((c for c in calls if held_since is not None and c.at >= held_since), None)

    def answered_at(call: RecordedRequest) -> float:  # the held one: only once released
        at = call.at + refresh_delay_s
        return max(at, released_at or at) if call is held_call else at

    return FailoverRun(
        sessions=sessions,
        token_life_s=token_life_s,
        refresh_delay_s=refresh_delay_s,
        killed_at=killed_at,
        promoted_at=promoted_at,
        answers=sorted(answers, key=lambda a: a.received),
        refreshes=[(call.at, answered_at(call)) for call in calls],
        lost_refreshes_at=[
            first[token] - killed_at for token, count in presented.items() if count > 1
        ],
        stranded_locks=stranded,
        final_statuses=final_statuses,
    )


def stranded_locks(store: SentinelRedis, killed_at: float, lock_ttl_s: float) -> int:
    """Refresh locks on the new primary that were taken before the kill: their holders'
    releases went to the dead primary, so they stay until they expire."""
    client = store.replica.client()
    set_before_kill_ms = (killed_at + lock_ttl_s - time.time()) * 1000
    return sum(
        0 < int(client.pttl(key)) < set_before_kill_ms
        for key in client.scan_iter(match="*wristband:lock:*", count=500)
    )
