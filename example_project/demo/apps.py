"""Starts the embedded fake Wristband when no real credentials are configured."""

from __future__ import annotations

import os
import sys

from django.apps import AppConfig
from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV


def serves_requests(argv: list[str]) -> bool:
    """True in the process that will serve HTTP for `manage.py runserver`/`testserver`.

    With the autoreloader (runserver's default), `manage.py runserver` is two processes: the
    parent only watches files and (re)starts a child, which Django marks with RUN_MAIN=true
    and which serves. The fake must start in the child only: the parent would hold the port
    (the child then finds it busy) and would keep serving the old code across reloads.
    """
    command = argv[1] if len(argv) > 1 else ""
    if command == "testserver":  # runs runserver without the autoreloader
        return True
    if command != "runserver":
        return False
    return "--noreload" in argv or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"


class DemoConfig(AppConfig):
    name = "example_project.demo"

    def ready(self) -> None:
        if settings.REAL_WRISTBAND or not serves_requests(sys.argv):
            return
        from example_project.demo.fake_idp import start_fake_wristband

        start_fake_wristband(settings.DEMO_WRISTBAND_PORT, settings.APP_ORIGIN)
