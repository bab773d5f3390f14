"""docs/operations.md stays true: every metric, alert and port it should describe is there."""

import pytest

from services.producer.runner import FIRST_ROUND, KAFKA
from tests.support.deploy import DEPLOY, PORTS, REPO, exposed_series, load_yaml

DOC = (REPO / "docs" / "operations.md").read_text()


@pytest.mark.parametrize(
    "series",
    sorted(
        name
        for name in exposed_series()
        if name.startswith("pagewire_") and not name.endswith(("_sum", "_count"))
    ),
)
def test_every_metric_is_documented(series: str) -> None:
    documented = series.removesuffix("_bucket")
    assert f"`{documented}`" in DOC


def test_every_alert_is_documented() -> None:
    for group in load_yaml(DEPLOY / "prometheus" / "rules.yml")["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert f"| `{rule['alert']}` |" in DOC, rule["alert"]


@pytest.mark.parametrize("service", sorted(PORTS))
def test_every_default_port_is_documented(service: str) -> None:
    variable = f"PAGEWIRE_OBSERVE_{service.upper().replace('-', '_')}_PORT"
    assert f"| {PORTS[service]} | `{variable}` |" in DOC


def test_the_producer_readiness_conditions_are_documented() -> None:
    row = next(line for line in DOC.splitlines() if line.startswith("| producer | `kafka`"))
    for condition in (KAFKA, FIRST_ROUND):
        assert f"`{condition}`" in row
