"""The schema id of every message pagewire writes (pagewire.<type>/<version>), named once.

tests/contract/test_catalog_facts.py keeps these equal to the values of schemas/topics.yaml and the JSON
Schemas in schemas/json (which also keeps the OLDER versions); every module that writes or reads a message
names its schema from here.
"""

from typing import Final

SNAPSHOT: Final = "pagewire.snapshot/1"
SNAPSHOT_SUMMARY: Final = "pagewire.snapshot_summary/2"
TICKER_ROW: Final = "pagewire.ticker_row/1"
RATE_DELTA: Final = "pagewire.rate_delta/1"
STALENESS: Final = "pagewire.staleness/1"
ARTICLE: Final = "pagewire.article/1"
ALERT: Final = "pagewire.alert/1"
ALERT_DELIVERY: Final = "pagewire.alert_delivery/1"
DEADLETTER: Final = "pagewire.deadletter/1"

#: older versions still read where they may remain on a topic (the storage sink stores them too)
SNAPSHOT_SUMMARY_V1: Final = "pagewire.snapshot_summary/1"
OLDER: Final = (SNAPSHOT_SUMMARY_V1,)

#: the versions written today: each topic's value in the catalog
ALL: Final = (
    SNAPSHOT,
    SNAPSHOT_SUMMARY,
    TICKER_ROW,
    RATE_DELTA,
    STALENESS,
    ARTICLE,
    ALERT,
    ALERT_DELIVERY,
    DEADLETTER,
)
