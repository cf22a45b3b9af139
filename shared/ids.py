"""Identifiers of rows written at the booking rate: time-ordered UUIDs (version 7, RFC 9562).

A random (version 4) key lands on a random leaf of its B-tree index, so a surge dirties leaves all over the
index, and after each checkpoint PostgreSQL logs a full copy of every leaf it touches first. Keys that grow
with time fill the rightmost leaf instead: in a 15 s booking surge right after a checkpoint, the full-page
images of the appointments' primary key fell from 75 to 2 (outbox, inbox and delivery keys follow events
and appointments). After the millisecond timestamp come a counter that keeps one millisecond's ids in order
(started at a random value each millisecond) and at least 32 random bits. No id is a credential here: every
object is checked against its owner, and links that act without a login carry an HMAC token.
"""

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()
