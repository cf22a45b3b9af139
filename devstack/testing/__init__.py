"""Test support: pytest fixtures for real PostgreSQL, RabbitMQ and SMTP, and a cuttable TCP proxy."""
