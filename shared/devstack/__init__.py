"""Running the whole system on one machine: databases, processes, a mail sink. Used by `make run` and tests."""
