"""A cache's LOCATION (or a failure's words) is shown with every password redacted."""

from __future__ import annotations

import pytest

from wristband_django.store.locations import redact


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("redis://:secret@host:6379/0", "redis://***@host:6379/0"),
        ("rediss://user:pa/ss@w@rd@host:6380/1", "rediss://***@host:6380/1"),
        ("redis://host:6379/0?password=secret&db=2", "redis://host:6379/0?password=***&db=2"),
        ("unix:///run/redis.sock?PASSWORD=secret", "unix:///run/redis.sock?PASSWORD=***"),
        ("user:secret@memcached:11211", "***@memcached:11211"),
        ("127.0.0.1:11211", "127.0.0.1:11211"),
        ("/var/tmp/django_cache", "/var/tmp/django_cache"),
        (
            "Error connecting to redis://:secret@host:6379: refused",
            "Error connecting to redis://***@host:6379: refused",
        ),
    ],
)
def test_passwords_are_redacted(location: str, shown: str) -> None:
    assert redact(location) == shown
