from sqlalchemy import MetaData

from shared.migrations import run_env

# The gateway's tables are reached with plain SQL (gateway/waiting_room/queries.py): no model to compare.
run_env(MetaData())
