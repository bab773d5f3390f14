"""`pagewire query` tables fit the terminal: at 80 columns the least important text is cut short, then
the least important columns are left out; a number or a timestamp is never wrapped or cut."""

from rich.console import Console

from services.cli.query_cmd import VIEWS, _table

VIEW = {view.name: view for view in VIEWS}
DELTA = {
    "event_time": "2025-02-19T08:00:00.250000Z",
    "site": "timesca.com",
    "pair": "UZS/USD",
    "previous_rate": "0.00008",
    "rate": "0.00009",
    "change_pct": "12.5",
    "change_ticks": 1,
    "reported_change_pct": "-0",
    "quantised": True,
}
ARTICLE = {
    "event_time": "2025-02-19T09:00:00Z",
    "site": "timesca.com",
    "revision": 2,
    "title": "Kyrgyzstan and the new gas deal with Beijing: what the pipeline means for the region",
    "labels": {"countries": ["kyrgyzstan", "china"], "subjects": ["energy-climate"]},
}


def rendered(name: str, rows: list[dict[str, object]], width: int) -> list[str]:
    console = Console(width=width, record=True, highlight=False, color_system=None)
    console.print(_table(VIEW[name], rows, width))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_deltas_at_80_columns_leave_out_the_least_important_columns_and_keep_every_number() -> None:
    lines = rendered("deltas", [DELTA], 80)
    assert max(len(line) for line in lines) <= 80
    assert lines[2].split() == ["event", "time", "site", "pair", "to", "change", "%"]
    assert lines[4].split() == ["2025-02-19T08:00:00.250000Z", "timesca.com", "UZS/USD", "0.00009", "12.5"]
    wide = rendered("deltas", [DELTA], 160)
    assert wide[4].split() == [
        "2025-02-19T08:00:00.250000Z", "timesca.com", "UZS/USD", "0.00008", "0.00009", "12.5", "1", "-0",
        "yes",
    ]  # fmt: skip


def test_articles_at_80_columns_keep_the_time_whole_and_as_much_of_the_title_as_fits() -> None:
    lines = rendered("articles", [ARTICLE], 80)
    assert max(len(line) for line in lines) <= 80
    assert lines[2].split() == ["event", "time", "title"]  # revision, site, then labels left out
    assert lines[4].startswith("  2025-02-19T09:00:00Z   Kyrgyzstan and the new gas deal with Beijing")
    assert lines[4].endswith("…") and len(lines[4]) > 72  # what the other columns freed went to the title
    wide = rendered("articles", [ARTICLE], 200)
    assert ARTICLE["title"] in wide[4] and "timesca.com     2" in wide[4]
