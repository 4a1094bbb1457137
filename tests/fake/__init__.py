"""Tests of the fake Wristband itself (wristband_django.testing), apart from the app's."""
