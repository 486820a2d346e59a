"""Benchmarks: each script prints its figures; the latest are in bench/RESULTS.md."""
