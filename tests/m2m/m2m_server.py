"""A gunicorn server for the M2M test: one worker process with 16 threads on a free port."""

from __future__ import annotations

from typing import Any

from tests.support.gunicorn_server import gunicorn_server
from tests.support.network import free_port


def m2m_server(env: dict[str, str]) -> Any:
    """Start it with ``env`` (see ``m2m_settings``) and yield its base URL once it answers."""
    settings = {"DJANGO_SETTINGS_MODULE": "tests.m2m.m2m_settings"}
    return gunicorn_server(free_port(), {**env, **settings}, ready_path="/m2m/ping/")
