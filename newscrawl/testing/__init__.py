"""Helpers for tests, demos and benchmarks (generated mirrors)."""
