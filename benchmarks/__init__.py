"""Benchmarks (not tests): run one with `python -m benchmarks.<name>`."""
