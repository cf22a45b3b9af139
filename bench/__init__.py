"""Benchmarks of the platform's hot paths; each figure is reported next to a baseline measured in the same run."""
