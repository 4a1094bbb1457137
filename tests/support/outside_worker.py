"""A background worker for tests/deployment/test_tokens_outside_requests.py: a process of its
own, with the app servers' settings (tests.support.server_settings: sessions in Redis), that asks
``wristband_django.sessions`` for a session's access token, as a Celery task would.

    python -m tests.support.outside_worker <session key>

Prints ``calling`` once Django is set up (just before the call), then one JSON line: the
SHA-256 of the access token (the token itself is never printed) and the process id, or the
error code of the ``WristbandError`` raised.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import django


def main(session_key: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.server_settings")
    django.setup()
    from wristband_django.errors import WristbandError
    from wristband_django.sessions import access_token

    print("calling", flush=True)
    try:
        token = access_token(session_key)
    except WristbandError as exc:
        print(json.dumps({"error": exc.error}), flush=True)
        return
    digest = hashlib.sha256(token.encode()).hexdigest()
    print(json.dumps({"token_sha256": digest, "pid": os.getpid()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
