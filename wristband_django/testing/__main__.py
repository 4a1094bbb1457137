"""`python -m wristband_django.testing --help`: run a fake Wristband to develop against."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
