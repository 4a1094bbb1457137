"""Starts the embedded fake Wristband when no real credentials are configured."""

from __future__ import annotations

import os
import sys

from django.apps import AppConfig
from django.conf import settings


class DemoConfig(AppConfig):
    name = "example_project.demo"

    def ready(self) -> None:
        serving = len(sys.argv) > 1 and sys.argv[1] in ("runserver", "testserver")
        # With the autoreloader, only the child process (RUN_MAIN=true) serves requests.
        reloader_parent = "--noreload" not in sys.argv and os.environ.get("RUN_MAIN") != "true"
        if settings.REAL_WRISTBAND or not serving or reloader_parent:
            return
        from example_project.demo.fake_idp import start_fake_wristband

        start_fake_wristband(settings.DEMO_WRISTBAND_PORT, settings.APP_ORIGIN)
