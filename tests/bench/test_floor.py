"""The floor's hops run against the real servers, and add up to what one confirmed booking needs of each."""

import pytest

from bench.floor import CLIENT, POSTGRES, Hop, batch_at, floor_ms, measure, report


def _hop(key: str, **ms: float) -> Hop:
    return Hop(key, 100, {}, ms)


def test_the_floor_counts_each_hop_a_confirmed_booking_needs_once_and_the_batched_transactions_twice() -> None:
    hops = {
        "http_answer": _hop("answer", answer=0.05, forward=0.0),
        "http_forward": _hop("forward", answer=0.1, forward=0.3),
        "pg_statement": _hop("statement", **{POSTGRES: 0.2, CLIENT: 0.15}),
        "pg_relay": _hop("relay", **{POSTGRES: 0.03, CLIENT: 0.02}),
        "pg_transaction": _hop("transaction", **{POSTGRES: 0.05, CLIENT: 0.04}),
        "amqp": _hop("amqp", rabbitmq=0.17, **{CLIENT: 0.2}),
        "smtp": _hop("smtp", **{"mail sink": 0.4, CLIENT: 0.25}),
    }
    floor = floor_ms(hops)
    # The answer counted is the one behind the forward (the booking's path); the sink is not the platform's.
    assert floor["appointments: answer"] == 0.1
    assert floor["notifications: its share of two batched transactions (record; claim and mark)"] == 0.08
    assert floor["postgres: the statement, the relay's share and two batched transactions"] == pytest.approx(0.33)
    assert sum(floor.values()) == pytest.approx(0.3 + 0.1 + 0.15 + 0.02 + 0.2 + 0.08 + 0.25 + 0.33 + 0.17)
    assert 0.4 not in floor.values()


def test_a_batch_is_what_the_platform_gathers_in_10_ms_at_the_rate() -> None:
    assert [batch_at(rate) for rate in (50, 200, 400, 1000)] == [1, 2, 4, 10]


async def test_every_hop_of_the_floor_runs_against_the_real_servers(pg_admin_url: str, amqp_url: str) -> None:
    figures = await measure(200.0, 1.0, pg_admin_url, amqp_url)
    for hop in figures["hops"].values():
        # Open loop at 200/s for a second: 200 operations (the batched hops count each booking), none failed.
        assert hop["errors"] == {}, hop
        assert hop["operations"] == 200, hop
    hops = figures["hops"]
    # Each server's own CPU is seen: PostgreSQL for its statements, RabbitMQ for its messages, each uvicorn app.
    assert hops["pg_statement"]["ms_per_operation"][POSTGRES] > 0
    assert hops["amqp"]["ms_per_operation"]["rabbitmq"] > 0
    assert hops["http_forward"]["ms_per_operation"]["forward"] > 0
    assert hops["http_forward"]["ms_per_operation"]["answer"] > 0
    assert figures["floor_total_ms"] == pytest.approx(sum(figures["floor_ms"].values()), abs=0.01)
    assert "floor" in report(figures)
