"""The Django project the benchmark's gunicorn servers run (one per package and store)."""
