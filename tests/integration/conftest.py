"""Integration-tier fixtures beyond the root ones: a real Prometheus server (tests/support/prometheus.py)."""

from tests.support.prometheus import prometheus

__all__ = ["prometheus"]
