"""Benchmarks: `python -m bench NAME` runs `bench/NAME.py`'s `run()` against a scratch
database of its own (never the demo data) and prints one JSON object per line:
{"name": ..., "value": ..., "unit": ..., "target": ...}. `python -m bench` lists them.

Write a benchmark as a module with a `run()` generator; build data with
`bench.scale.seed_scale(...)` and time with `bench.harness.timed(...)`.
"""
