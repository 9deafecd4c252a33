"""Benchmarks of Rekisteri at the size of a real register, each on its own database.

Run one with `python -m bench <name>`; see docs/benchmarks.md."""
