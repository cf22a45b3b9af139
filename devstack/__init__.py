"""Running the whole system on one machine: databases, processes, mail and SMS sinks, demo data, the test
fixtures, and the containers' one-shot jobs (migrate, jwt_keys). Used by `make run` and tests. Unlike shared/,
it may know several services; no service, the gateway or shared/ imports it (pyproject.toml's contracts)."""
