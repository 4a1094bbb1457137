"""Settings: WRISTBAND_AUTH parsing, the system checks and manage.py wristband_check."""
