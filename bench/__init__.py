"""Benchmarks: load generators whose results are recorded in BENCHMARKS.md."""
