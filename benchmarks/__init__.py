"""Benchmarks, run as scripts (`python benchmarks/<name>.py`); importable so tests can reach their helpers."""
