"""The fake Wristband of i (logins under a crowd), in a process of its own.

``python -m bench.crowd_fake --cert C --key K --tenants N`` starts a ``FakeWristband`` that
speaks https with that certificate (so that both packages pay for TLS alike), with ``N``
tenants ``crowd00``, ``crowd01``... and one user each (``usr_crowd00``...), refresh-token
rotation on. The client secret comes from the ``CROWD_FAKE_CLIENT_SECRET`` variable, so that
it is on no command line. It writes one JSON line, ``{"port": ...}``, to stdout once it
serves, and serves until its stdin is closed.

In a process of its own the fake has a GIL of its own: the runner's twenty client threads
do not slow its answers, to either package.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys

from wristband_django.testing import FakeTenant, FakeUser, FakeWristband

CLIENT_ID = "crowd-client-id"


def tenant_name(index: int) -> str:
    return f"crowd{index:02d}"


def user_id(index: int) -> str:
    return f"usr_{tenant_name(index)}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crowd_fake", description=__doc__)
    parser.add_argument("--cert", required=True, help="PEM certificate for localhost")
    parser.add_argument("--key", required=True, help="its PEM private key")
    parser.add_argument("--tenants", type=int, required=True, help="tenants, one user each")
    args = parser.parse_args(argv)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    tenants = [FakeTenant(tenant_name(i)) for i in range(args.tenants)]
    users = [
        FakeUser(user_id(i), tenant_name(i), f"user@{tenant_name(i)}.test")
        for i in range(args.tenants)
    ]
    fake = FakeWristband(
        client_id=CLIENT_ID,
        client_secret=os.environ["CROWD_FAKE_CLIENT_SECRET"],
        tenants=tenants,
        users=users,
        rotate_refresh_tokens=True,
        tls=context,
    )
    with fake:
        print(json.dumps({"port": fake.port}), flush=True)
        sys.stdin.read()  # until the runner closes the pipe
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
