"""``manage.py wristband_check`` catches what breaks logins (issue 25, points 1 and 4): a store
that does not answer (named by alias, backend and redacted ``LOCATION``), a wrong client
secret, a fake Wristband reached over https, every settings problem at once, and the
package's log records kept out of its lines."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.network import free_port
from wristband_django.testing import FakeWristband

REDIS = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}
PASSWORD = "s3cret-redis-password"
WRONG_SECRET = "a-wrong-secret-of-32-characters!"


def closed_redis() -> dict[str, Any]:
    """A django-redis cache whose LOCATION, with a password, names a port nothing listens on."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }


@pytest.fixture(autouse=True)
def project(settings: Any) -> None:
    settings.DEBUG = True  # the fake speaks http (wristband_django.E006 otherwise)
    settings.CACHES = {"default": REDIS}


def check(*args: str) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("wristband_check", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


# --- the stores -----------------------------------------------------------------------------


@pytest.mark.redis
def test_the_session_and_lock_cache_is_pinged(wristband: FakeWristband) -> None:
    out, err, failed = check()
    assert failed is None, err
    assert (
        "✓ sessions and refresh lock: cache 'default' (django_redis.cache.RedisCache at "
        "redis://127.0.0.1:6379/15) answered\n"
    ) in out


def test_a_session_cache_on_a_closed_port_is_named_with_its_password_redacted(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.CACHES = {"default": closed_redis()}
    port = settings.CACHES["default"]["LOCATION"].rsplit(":", 1)[1].split("/")[0]
    out, err, failed = check()
    assert failed is not None and str(failed) == "1 check(s) failed"
    [line] = [line for line in err.splitlines() if "did not answer" in line]
    assert line.startswith(
        "✗ sessions and refresh lock: cache 'default' (django_redis.cache.RedisCache at "
        f"redis://***@127.0.0.1:{port}/0) did not answer: "
    )
    assert "Connection refused" in line
    assert PASSWORD not in out + err
    assert "✓ auto-configuration resolved" in out  # the other checks still run


@pytest.mark.redis
@pytest.mark.wristband_settings(lock_cache_alias="locks")
def test_a_lock_cache_of_its_own_is_pinged_apart(wristband: FakeWristband, settings: Any) -> None:
    settings.CACHES = {"default": REDIS, "locks": closed_redis()}
    out, err, failed = check()
    assert failed is not None
    assert "✓ sessions: cache 'default' (django_redis.cache.RedisCache at redis://127.0.0.1" in out
    assert "✗ refresh lock: cache 'locks' (django_redis.cache.RedisCache at redis://***@" in err


@pytest.mark.django_db
def test_database_sessions_need_their_table(
    wristband: FakeWristband, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    out, err, failed = check()
    assert failed is None, err
    assert "✓ sessions: database 'default' (django.db.backends.sqlite3" in out
    assert "✓ refresh lock: cache 'default' (django_redis.cache.RedisCache" in out
    monkeypatch.setattr(Session._meta, "db_table", "sessions_never_migrated")  # Django's, not ours
    out, err, failed = check()
    assert failed is not None
    assert "it has no sessions_never_migrated table: run manage.py migrate" in err


def test_a_dummy_session_cache_does_not_keep_sessions(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    _, err, failed = check()
    assert failed is not None
    assert "(django.core.cache.backends.dummy.DummyCache) did not answer: it did not keep" in err


# --- Wristband: the credentials, and https to an http server ----------------------------------


def test_the_credentials_are_verified_by_revoking_a_made_up_token(
    wristband: FakeWristband,
) -> None:
    out, err, failed = check()
    assert failed is None, err
    assert "✓ client_id and client_secret accepted (token revocation)\n" in out
    [revoke] = wristband.calls("revoke")
    assert revoke.form["token"] == "wristband-check-probe-not-a-token"


def test_a_wrong_client_secret_of_the_right_length_fails(
    wristband: FakeWristband, settings: Any
) -> None:
    """It passes every other check: the fake's sdk-configuration does not authenticate."""
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "client_secret": WRONG_SECRET}
    out, err, failed = check()
    assert failed is not None and str(failed) == "1 check(s) failed"
    assert err.splitlines() == [
        f"✗ Wristband refused client_id {wristband.client_id} with this client_secret: "
        "invalid_client: Client authentication failed (HTTP 401); check client_id/client_secret"
    ]
    assert "✓ auto-configuration resolved" in out and "✓ Wristband's JWKS" in out
    assert WRONG_SECRET not in out + err and wristband.client_secret not in out + err


def test_an_outage_at_the_revocation_endpoint_verifies_nothing(wristband: FakeWristband) -> None:
    wristband.inject("revoke", status=503)
    _, err, failed = check()
    assert failed is not None
    assert "✗ could not verify the credentials: server_error" in err


def test_the_fake_over_https_is_told_to_be_plain_http(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = {
        k: v for k, v in settings.WRISTBAND_AUTH.items() if k != "dangerously_allow_http_idp"
    }
    _, err, failed = check()
    assert failed is not None
    plain_http = (
        f"TLS with {wristband.vanity_domain} failed: this server speaks plain http; for the fake "
        'set WRISTBAND_AUTH["dangerously_allow_http_idp"] = True (never in production)'
    )
    failures = err.splitlines()
    assert len(failures) == 3  # sdk-configuration, credentials, JWKS
    assert all(plain_http in line for line in failures), err
    assert "WRONG_VERSION_NUMBER" not in err


# --- settings: every problem at once -----------------------------------------------------------


def test_three_blank_credentials_are_three_failures_with_their_hints(settings: Any) -> None:
    settings.WRISTBAND_AUTH = {
        "client_id": "",
        "client_secret": "",
        "wristband_application_vanity_domain": "",
    }
    out, err, failed = check()
    assert failed is not None and str(failed) == "3 check(s) failed"
    lines = err.splitlines()
    assert lines[0::2] == [
        f'✗ settings are invalid: WRISTBAND_AUTH["{key}"] is blank; set it to the value shown '
        "in the Wristband dashboard"
        for key in ("client_id", "client_secret", "wristband_application_vanity_domain")
    ]
    assert lines[5] == (
        '  For example "wristband_application_vanity_domain": '
        '"yourapp-yourco.us.wristband.dev". See '
        "https://wristband-django.readthedocs.io/en/latest/configuration/"
        "#wristband_application_vanity_domain"
    )
    assert out == ""


# --- log records stay out of the lines ---------------------------------------------------------


def console_logging() -> dict[str, Any]:
    """A project's LOGGING with console handlers (to stderr, as Django's own in DEBUG) on the
    package's logger and on one of its modules' (so each record of that module shows twice)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "LOG %(name)s %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "loggers": {
            "wristband_django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "wristband_django.wristband.client": {"handlers": ["console"], "propagate": True},
        },
    }


@pytest.fixture
def project_logging(settings: Any) -> Iterator[None]:
    """Apply ``console_logging()`` in the test (its handlers then write to capsys's stderr),
    and the test settings' LOGGING again afterwards."""
    yield
    logging.config.dictConfig(settings.LOGGING)


def test_log_records_stay_out_of_the_commands_lines(
    wristband: FakeWristband,
    settings: Any,
    project_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The TLS failures log WARNINGs (the route, the back-off) while the command runs."""
    logging.config.dictConfig(console_logging())
    client_logger = logging.getLogger("wristband_django.wristband.client")
    client_logger.warning("before the command")
    assert capsys.readouterr().err.count("LOG wristband_django.wristband.client before") == 2
    settings.WRISTBAND_AUTH = {
        k: v for k, v in settings.WRISTBAND_AUTH.items() if k != "dangerously_allow_http_idp"
    }
    with pytest.raises(CommandError):
        call_command("wristband_check")  # to sys.stdout and sys.stderr, as from a shell
    printed = capsys.readouterr()
    lines = (printed.out + printed.err).splitlines()
    assert "LOG" not in printed.out + printed.err
    assert all(line.startswith(("✓ ", "✗ ", "! ", "  ")) for line in lines)
    assert sum(line.startswith("✗ ") for line in lines) == 3
    client_logger.warning("after the command")  # the project's logging is back
    assert capsys.readouterr().err.count("LOG wristband_django.wristband.client after") == 2


def test_verbosity_2_prints_the_records_after_the_lines(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = {
        k: v for k, v in settings.WRISTBAND_AUTH.items() if k != "dangerously_allow_http_idp"
    }
    out, _, failed = check("--verbosity", "2")
    assert failed is not None
    heading = "Log records of wristband_django during the checks:"
    records = out.split(f"{heading}\n", 1)[1].splitlines()
    assert "  WARNING wristband_django.wristband.client: Calling Wristband failed: tls_error" in (
        "\n".join(records)
    )
    assert heading not in check()[0]
