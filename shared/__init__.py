"""The project's own library, shared by every service: settings, logging, db, messaging."""
