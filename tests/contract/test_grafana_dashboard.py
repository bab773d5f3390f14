"""deploy/grafana: the dashboard is valid PromQL over exposed series, on the provisioned data source."""

import json
from pathlib import Path
from typing import Any

import yaml

from tests.support.deploy import DEPLOY, SCRAPE_SERIES, exposed_series, load_yaml, run_promtool, series_in

GRAFANA = DEPLOY / "grafana"


def _dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads((GRAFANA / "dashboard.json").read_text())
    return dashboard


def _panels() -> list[dict[str, Any]]:
    return [panel for panel in _dashboard()["panels"] if panel["type"] != "row"]


def _expressions() -> list[str]:
    return [target["expr"] for panel in _panels() for target in panel["targets"]]


def test_panels_have_unique_ids_queries_and_fit_the_grid() -> None:
    panels = _dashboard()["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    for panel in _panels():
        assert panel["targets"], panel["title"]
        assert len({target["refId"] for target in panel["targets"]}) == len(panel["targets"])


def test_every_query_uses_the_provisioned_prometheus_data_source() -> None:
    provisioned = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    (source,) = provisioned
    expected = {"type": source["type"], "uid": source["uid"]}
    for panel in _panels():
        assert panel["datasource"] == expected, panel["title"]
        assert all(target["datasource"] == expected for target in panel["targets"]), panel["title"]
    for variable in _dashboard()["templating"]["list"]:
        assert variable["datasource"] == expected


def test_queries_read_only_series_pagewire_exposes() -> None:
    exposed = exposed_series() | SCRAPE_SERIES
    for expr in _expressions():
        assert series_in(expr), expr
        assert series_in(expr) <= exposed, f"{expr} reads unknown series {series_in(expr) - exposed}"


def test_the_dashboard_covers_what_ops_watch() -> None:
    used = set().union(*(series_in(expr) for expr in _expressions()))
    assert used >= {
        "pagewire_snapshots_sent_total",
        "pagewire_ticker_rows_seen_total",
        "pagewire_ticker_rows_unique_total",
        "pagewire_last_arrival_timestamp_seconds",  # wall-clock freshness, what the stale alert watches
        "pagewire_stale_pairs",
        "pagewire_consumer_lag_messages",
        "pagewire_messages_consumed_total",
        "pagewire_deadlettered_total",
        "pagewire_alerts_total",
        "pagewire_deliveries_total",
        "pagewire_delivery_seconds_bucket",
        "pagewire_storage_write_seconds_bucket",
        "pagewire_end_to_end_seconds_bucket",
    }
    dedupe = [expr for expr in _expressions() if "unique_total" in expr and "seen_total" in expr]
    assert dedupe and all(expr.index("unique_total") < expr.index("seen_total") for expr in dedupe)


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool parses rule expressions; the $site variable is what Grafana substitutes, e.g. ".*"
    rules = [
        {"record": f"dashboard:query{number}", "expr": expr.replace("$site", ".*")}
        for number, expr in enumerate(_expressions())
    ]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    output = run_promtool("check", "rules", str(path))
    assert f"SUCCESS: {len(rules)} rules found" in output


def test_the_dashboard_provider_loads_a_fixed_uid_read_only() -> None:
    dashboard = _dashboard()
    assert (dashboard["uid"], dashboard["editable"]) == ("pagewire-overview", False)
    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "pagewire.yml")["providers"][0]
    assert (provider["type"], provider["allowUiUpdates"]) == ("file", False)
