"""Benchmarks: how fast the real bot notices, how fast it tells everyone, and what it costs.

Run from the repository root: `python -m bench all` (or one part: detection, fanout,
resources, peers; `--quick` for tiny sizes). Results go to bench/results.md and
bench/results.json. Benchmarks report numbers; they never fail on one.
"""
