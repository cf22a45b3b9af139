"""Tables owned by the accounts service (its domain tables arrive with their issues)."""

from sqlalchemy import MetaData

metadata = MetaData()
