"""The Grafana dashboard queries only series that the processes expose (shared/metrics.py, and the two a
service owns: appointments' bookings, notifications' deliveries), by labels they carry, and charts every one
of them: renaming a metric or a label without the dashboard fails here."""

import json
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from services.appointments.booking import api as booking_routes
from services.notifications import channels
from shared import metrics

DASHBOARD = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "clinic-services.json"
SCRAPE_LABELS = {"job", "instance", "pod", "namespace"}  # added by Prometheus, not by the process
SERIES = re.compile(r"\bclinic_[a-z_]+")
LABEL_LISTS = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)|\{([^}]*)\}")

FAMILIES: dict[str, MetricWrapperBase] = {
    value._name: value  # type: ignore[attr-defined]
    for module in (metrics, booking_routes, channels)
    for value in vars(module).values()
    if isinstance(value, Counter | Gauge | Histogram)
}


def exposed_series(name: str, metric: MetricWrapperBase) -> set[str]:
    if isinstance(metric, Counter):
        return {f"{name}_total"}
    if isinstance(metric, Histogram):
        return {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    return {name}


def series_family() -> dict[str, str]:
    return {series: name for name, metric in FAMILIES.items() for series in exposed_series(name, metric)}


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    exprs += [var["definition"] for var in dashboard["templating"]["list"] if "definition" in var]
    return exprs


def test_every_query_names_an_exposed_series_and_its_labels() -> None:
    families = series_family()
    for expr in expressions():
        used = SERIES.findall(expr)
        assert used, expr
        unknown = [series for series in used if series not in families]
        assert not unknown, f"{expr}: not exposed by shared/metrics.py: {unknown}"
        allowed = set(SCRAPE_LABELS)
        for series in used:
            metric = FAMILIES[families[series]]
            allowed |= set(metric._labelnames)  # type: ignore[attr-defined]
            if isinstance(metric, Histogram):
                allowed.add("le")
        for by_list, selector in LABEL_LISTS.findall(expr):
            names = [part.strip() for part in by_list.split(",") if part.strip()]
            names += [re.split(r"[=!~]", part)[0].strip() for part in selector.split(",") if part.strip()]
            assert set(names) <= allowed, f"{expr}: labels {set(names) - allowed} are not on the series"


def test_every_series_is_charted() -> None:
    charted = {series_family()[series] for expr in expressions() for series in SERIES.findall(expr)}
    assert charted == set(FAMILIES)


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        x, y, w, h = (panel["gridPos"][key] for key in ("x", "y", "w", "h"))
        area = {(col, row) for col in range(x, x + w) for row in range(y, y + h)}
        assert not area & cells, f"panel {panel['title']!r} overlaps another"
        assert x + w <= 24
        cells |= area
