"""Wristband authentication for Django."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wristband_django.wristband.auto_configuration import SdkConfiguration

__version__ = "0.1.0"

__all__ = ["__version__", "discover"]


def discover() -> SdkConfiguration:
    """Resolve the configuration now, fetching Wristband's auto-configuration if enabled.

    Call it at startup (e.g. in ``wsgi.py``) to fail fast: it raises
    ``ImproperlyConfigured`` for bad settings and ``WristbandError`` when
    Wristband cannot be reached.
    """
    from wristband_django.wristband.auto_configuration import get_sdk_configuration

    return get_sdk_configuration()
