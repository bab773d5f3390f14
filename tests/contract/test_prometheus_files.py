"""deploy/prometheus: promtool accepts the config and rules, the rule unit tests pass, and names are real."""

import pytest

from tests.support.deploy import (
    DEPLOY,
    PORTS,
    SCRAPE_SERIES,
    exposed_series,
    load_yaml,
    run_promtool,
    series_in,
)

PROMETHEUS = DEPLOY / "prometheus"


def test_promtool_check_config_accepts_the_scrape_config_and_its_rule_files() -> None:
    output = run_promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert "SUCCESS: 1 rule files found" in output


def test_promtool_check_rules_accepts_every_rule() -> None:
    output = run_promtool("check", "rules", str(PROMETHEUS / "rules.yml"))
    assert "SUCCESS: 15 rules found" in output


def test_promtool_rule_unit_tests_pass() -> None:
    output = run_promtool("test", "rules", "rules_test.yml", cwd=PROMETHEUS)
    assert "SUCCESS" in output


def test_the_unit_tests_cover_the_stale_ticker_and_stalled_worker_alerts() -> None:
    tested = {
        case["alertname"]
        for group in load_yaml(PROMETHEUS / "rules_test.yml")["tests"]
        for case in group.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {"PagewireTickerStale", "PagewireWorkerStalled"} <= tested


def test_rules_read_only_series_pagewire_exposes() -> None:
    exposed = exposed_series() | SCRAPE_SERIES
    for group in load_yaml(PROMETHEUS / "rules.yml")["groups"]:
        for rule in group["rules"]:
            unknown = series_in(rule["expr"]) - exposed
            assert not unknown, f"{rule.get('alert') or rule.get('record')} reads unknown series {unknown}"


def test_every_alert_has_a_severity_and_a_summary() -> None:
    alerts = [
        rule
        for group in load_yaml(PROMETHEUS / "rules.yml")["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert {rule["alert"] for rule in alerts} >= {
        "PagewireTickerStale",
        "PagewireDeadLettersGrowing",
        "PagewireDeliveriesFailing",
        "PagewireConsumerLagGrowing",
        "PagewireWorkerStalled",
    }
    for rule in alerts:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


@pytest.mark.parametrize("service", sorted(PORTS))
def test_each_process_is_scraped_on_its_default_port(service: str) -> None:
    jobs = {job["job_name"]: job for job in load_yaml(PROMETHEUS / "prometheus.yml")["scrape_configs"]}
    discovery = jobs[f"pagewire-{service}"]["dns_sd_configs"][0]
    assert (discovery["names"], discovery["port"]) == ([service], PORTS[service])


def test_the_stalled_worker_rule_needs_lag_and_no_consumption() -> None:
    stalled = next(
        rule
        for group in load_yaml(PROMETHEUS / "rules.yml")["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "PagewireWorkerStalled"
    )
    assert series_in(stalled["expr"]) == {
        "pagewire_consumer_lag_messages",
        "pagewire_messages_consumed_total",
    }
