"""The waiting room's shared state in the gateway's own database: one row and one sequence, and one row per
admitted ticket for the ticket's lifetime (no row per waiting visitor).

Each statement is one round trip. Every replica advances the counter by its own step (its admission rate
times the time since its last step, rules.admissions_due): the UPDATE adds it to the row as it stands when
its lock is granted (READ COMMITTED re-reads a row another replica just wrote), so concurrent steps add up.
"""

import asyncpg

from gateway.waiting_room.rules import RoomState

# How long a statement waits for one of the pool's connections (opening one included): a request waits at most
# this before the room decides without its store (rules.without_store). The statement itself is bounded by
# the pool's command timeout (room.open_pool).
ACQUIRE_TIMEOUT_SECONDS = 0.5

# A sequence cannot join an UPDATE (its row cannot be locked): it is read as a scalar subquery.
_LAST_TICKET = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS last_ticket FROM waiting_room_tickets"

# $1 the replica's step: whole visitors to admit now. Only while someone waits, and never past the last ticket:
# a step larger than the queue is lost, not banked. rules.advanced_counter is the same computation.
# advanced_at says when the counter last moved (for an operator reading the row).
_READ_AND_ADVANCE = f"""
WITH seq AS ({_LAST_TICKET}),
moved AS (
    UPDATE waiting_room AS w
       SET admitted_up_to = LEAST((SELECT last_ticket FROM seq), w.admitted_up_to + $1::bigint),
           advanced_at = clock_timestamp()
     WHERE w.id = 1 AND $1::bigint > 0 AND w.admitted_up_to < (SELECT last_ticket FROM seq)
 RETURNING w.opened_by_operator, w.admitted_up_to, (SELECT last_ticket FROM seq) AS last_ticket
)
SELECT opened_by_operator, admitted_up_to, last_ticket FROM moved
UNION ALL
SELECT w.opened_by_operator, w.admitted_up_to, seq.last_ticket
  FROM waiting_room AS w, seq
 WHERE w.id = 1 AND NOT EXISTS (SELECT 1 FROM moved)
"""


async def read_and_advance(pool: asyncpg.Pool, step: int) -> RoomState:
    """The shared state, after advancing the counter by `step` visitors when someone waits (0: only read)."""
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as connection:
        row = await connection.fetchrow(_READ_AND_ADVANCE, step)
    if row is None:
        raise LookupError("waiting_room has no row: the gateway's migrations have not run")
    return RoomState(bool(row["opened_by_operator"]), int(row["admitted_up_to"]), int(row["last_ticket"]))


async def draw_tickets(pool: asyncpg.Pool, count: int) -> list[int]:
    """`count` new ticket numbers, in increasing order: the next places at the end of the queue."""
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as connection:
        rows = await connection.fetch("SELECT nextval('waiting_room_tickets') AS n FROM generate_series(1, $1)", count)
    return sorted(int(row["n"]) for row in rows)


# Each ticket's first admission is recorded once (one row per admitted ticket, the primary key deciding between
# replicas); the answer is how long ago it was, in seconds, per ticket asked. NULL when another statement recorded
# it at this very moment (its row is in neither this statement's insert nor its snapshot): as good as now.
_ADMIT = """
WITH asked AS (SELECT DISTINCT unnest($1::bigint[]) AS ticket),
first AS (
    INSERT INTO waiting_room_admissions AS a (ticket) SELECT ticket FROM asked
    ON CONFLICT (ticket) DO NOTHING
    RETURNING a.ticket, a.admitted_at
)
SELECT asked.ticket,
       extract(epoch FROM clock_timestamp() - COALESCE(first.admitted_at, earlier.admitted_at))::float8 AS seconds
FROM asked
LEFT JOIN first ON first.ticket = asked.ticket
LEFT JOIN waiting_room_admissions earlier ON earlier.ticket = asked.ticket
"""


async def record_admissions(pool: asyncpg.Pool, tickets: list[int]) -> list[float | None]:
    """Per ticket asked (in order): seconds since it was first admitted (about 0 the first time)."""
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as connection:
        rows = await connection.fetch(_ADMIT, tickets)
    seconds = {row["ticket"]: row["seconds"] for row in rows}
    return [None if seconds[ticket] is None else float(seconds[ticket]) for ticket in tickets]


async def forget_admissions(pool: asyncpg.Pool, older_than_seconds: float) -> None:
    """Records of tickets past their lifetime: such a ticket is void whatever its record says."""
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as connection:
        await connection.execute(
            "DELETE FROM waiting_room_admissions WHERE admitted_at < clock_timestamp() - make_interval(secs => $1)",
            older_than_seconds,
        )


async def set_opened(pool: asyncpg.Pool, opened: bool) -> RoomState:
    """The operator's switch. Closing admits everyone waiting at once: the operator's word that the rush
    is over (a replica over its budget queues new visitors again by itself)."""
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as connection:
        row = await connection.fetchrow(
            f"""
        WITH seq AS ({_LAST_TICKET})
        UPDATE waiting_room AS w
           SET opened_by_operator = $1,
               admitted_up_to = CASE WHEN $1 THEN w.admitted_up_to
                                     ELSE GREATEST(w.admitted_up_to, (SELECT last_ticket FROM seq)) END,
               advanced_at = clock_timestamp()
         WHERE w.id = 1
        RETURNING w.opened_by_operator, w.admitted_up_to, (SELECT last_ticket FROM seq) AS last_ticket
        """,
            opened,
        )
    if row is None:
        raise LookupError("waiting_room has no row: the gateway's migrations have not run")
    return RoomState(bool(row["opened_by_operator"]), int(row["admitted_up_to"]), int(row["last_ticket"]))
