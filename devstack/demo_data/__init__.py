"""The demo's data, one module per service it fills: loaded by `make run`, the compose demo-data job and tests."""
