"""The benchmark runner (runs in benchmarks/.venv-ours; start it with benchmarks/run.py)."""
