"""Tables owned by the verification service (its domain tables arrive with their issues)."""

from sqlalchemy import MetaData

metadata = MetaData()
