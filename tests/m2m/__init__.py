"""Machine-to-machine tokens (``wristband_django.m2m``): the provider and its cache records.

The machine client every test here registers with the fake (``conftest.py``'s ``fake``)."""

MACHINE_ID = "m2m-reports"
MACHINE_SECRET = "m2m-secret-c0ffee0123456789abcdef"
