"""Benchmarks (run with `make bench-webhook`)."""
