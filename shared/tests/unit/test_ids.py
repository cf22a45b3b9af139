import time

from shared.ids import new_id
from shared.messages import EventEnvelope


def test_ids_are_version_7_and_follow_creation_order():
    earlier = [new_id() for _ in range(1000)]
    time.sleep(0.002)  # a later millisecond: the order comes from the timestamp, not from luck
    later = new_id()
    assert {i.version for i in earlier} == {7}
    assert len(set(earlier)) == len(earlier)
    assert max(earlier) < later
    # Within one process even ids made in the same millisecond come out in order (uuid-utils counts them).
    assert earlier == sorted(earlier)


def test_events_get_time_ordered_ids():
    first = EventEnvelope(type="T", version=1, producer="p", payload={})
    time.sleep(0.002)
    second = EventEnvelope(type="T", version=1, producer="p", payload={})
    assert first.id.version == second.id.version == 7
    assert first.id < second.id
