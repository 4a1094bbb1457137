"""Moved to ``wristband_django.contrib.drf``; this path keeps working."""

from wristband_django.contrib.drf import *  # noqa: F403
from wristband_django.contrib.drf import __all__  # noqa: F401
