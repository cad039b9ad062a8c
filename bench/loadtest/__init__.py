"""Load test (issue 12, point 7): `make loadtest` / `python -m bench.loadtest`."""
