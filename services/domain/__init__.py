"""Pure domain logic: parsing, dedupe, deltas, ticks, taxonomy, alert rules, chat payloads.

Nothing here imports Kafka, Faust, HTTP or database libraries (tests/unit/test_domain_purity.py keeps it so);
time and previous state come in as arguments.
"""
