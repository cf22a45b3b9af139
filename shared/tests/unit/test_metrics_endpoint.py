"""/metrics on a port of its own (shared/metrics.py): what Prometheus scrapes, and nothing else there."""

import aiohttp

from devstack.testing.fixtures import free_port
from shared.metrics import HTTP_REQUESTS, ScrapeTimeGauges, metrics_endpoint


async def test_the_metrics_port_serves_the_exposition_and_nothing_else() -> None:
    port = free_port()
    HTTP_REQUESTS.labels("GET", "/probe", "200").inc()
    async with metrics_endpoint("127.0.0.1", port, ScrapeTimeGauges(None, None)), aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as scraped:
            assert scraped.status == 200
            assert scraped.headers["content-type"].startswith("text/plain")
            assert 'clinic_http_requests_total{method="GET",route="/probe",status="200"}' in await scraped.text()
        for path in ("/", "/healthz", "/me", "/metrics/../me"):
            async with http.get(f"http://127.0.0.1:{port}{path}") as other:
                assert other.status == 404, path


async def test_worker_processes_share_the_port_and_it_closes_with_the_app() -> None:
    port = free_port()
    gauges = ScrapeTimeGauges(None, None)
    # Uvicorn's workers each run the lifespan: each binds the same port (SO_REUSEPORT), any of them answers.
    async with (
        metrics_endpoint("127.0.0.1", port, gauges),
        metrics_endpoint("127.0.0.1", port, gauges),
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as scraped,
    ):
        assert scraped.status == 200
    async with aiohttp.ClientSession() as http:
        try:
            await http.get(f"http://127.0.0.1:{port}/metrics")
        except aiohttp.ClientConnectionError:
            pass
        else:
            raise AssertionError("the metrics port is still open after the app stopped")


async def test_no_port_serves_no_metrics() -> None:
    async with metrics_endpoint("127.0.0.1", None, ScrapeTimeGauges(None, None)):
        pass  # nothing bound, nothing to close
