"""Benchmarks (``make bench``): accuracy and speed measured against a baseline in the same run."""
