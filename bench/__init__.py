"""Performance benchmarks of the gateway against its baselines (see bench/README.md)."""
