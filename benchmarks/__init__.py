"""Benchmarks of the detector: detection quality (quality.py) and helpers."""
