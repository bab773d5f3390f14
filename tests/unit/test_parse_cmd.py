"""`pagewire parse PATH|- [--json]`: the issue's JSON object, a readable summary, one-line errors."""

from pathlib import Path

import orjson
from click.testing import CliRunner, Result

from services.cli import cli
from tests.support.pages import REPO, SEED, SEED_HTML, seed_json

# a wide, colourless terminal so the summary is exact
TERMINAL = {"COLUMNS": "160", "FORCE_COLOR": None, "NO_COLOR": "1"}


def invoke(*args: str | Path, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["parse", *map(str, args)], input=stdin, env=TERMINAL)


def test_json_of_the_seed_is_exactly_the_issue_object_in_its_key_order() -> None:
    result = invoke(SEED, "--json")

    assert result.exit_code == 0, result.output
    printed = orjson.loads(result.stdout)
    assert printed == seed_json()
    assert list(printed) == [
        "ticker",
        "ticker_repeats",
        "listing_date",
        "pagination",
        "heading",
        "articles",
        "lines",
        "dropped_lines",
        "warnings",
    ]
    assert list(printed["ticker"][0]) == ["pair", "base", "quote", "rate", "change_pct"]
    assert list(printed["articles"][0]) == ["title", "body", "dateline", "truncated"]
    assert result.stdout.count("\n") == 1


def test_stdin_and_html_files_give_the_same_json() -> None:
    from_stdin = invoke("-", "--json", stdin=SEED.read_bytes())
    from_html = invoke(SEED_HTML, "--json")

    assert orjson.loads(from_stdin.stdout) == seed_json()
    assert orjson.loads(from_html.stdout) == seed_json()


def test_summary_shows_the_ticker_table_header_and_titles() -> None:
    result = invoke(SEED)

    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0] == str(SEED)
    assert lines[1] == "Ticker (8 repeats)"
    assert "│ TJS/USD │ 0.09156 │    -0.11 │" in lines
    assert "│ TMT/USD │ 0.28530 │    -0.14 │" in lines
    assert lines[-15:] == [
        "Listing date: 2025-02-19    Results: 1-6 of 131",
        "Lines: 54 read, 0 not understood (dropped)",
        "Articles (6)",
        "  1. Kyrgyzstan Backs Turkish Arms Embargo Against Israel",
        "     labels: turkey, kyrgyzstan; politics-diplomacy, security-defense",
        "  2. How Central Asia Is Shifting From Russia Towards Turkey  (truncated)",
        "     labels: turkey, russia, kyrgyzstan, kazakhstan, china, turkmenistan, uzbekistan;"
        " economy-finance, politics-diplomacy, energy-climate",
        "  3. Kazakhstan May Manufacture Turkish Bayraktar Drones",
        "     labels: turkey, kazakhstan; security-defense, politics-diplomacy",
        "  4. Turkish Influencers to Help Open Kyrgyzstan to the World",
        "     labels: kyrgyzstan, turkey; tourism-culture, transport-infrastructure",
        "  5. Agreement by Kazakhstan and Turkey on Air Transit",
        "     labels: turkey, kazakhstan; politics-diplomacy, transport-infrastructure, security-defense",
        "  6. Turkmenistan and EU Launch Ambitious Green Development Project for 2024-2028",
        "     labels: turkmenistan, eu; energy-climate, politics-diplomacy",
    ]


def test_summary_prints_page_text_literally_with_datelines_and_warnings(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("[Update] Story Title Here\n\nDUSHANBE (TCA) — Officials met.\n\n• RUB/USD = ?\n")

    lines = [line.rstrip() for line in invoke(page).stdout.splitlines()]

    assert lines[1:] == [
        "Ticker: none",
        "Listing date: none    Results: none",
        "Lines: 3 read, 1 not understood (dropped)",
        "Articles (1)",
        "  1. [Update] Story Title Here  (DUSHANBE)",
        "     labels: unclassified",
        "warning: no ticker found",
        "warning: unreadable ticker row ignored: '• RUB/USD = ?'",
    ]


def test_bad_input_exits_1_with_one_line_on_stderr(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n")

    for path, message in [
        (empty, f"Error: {empty}: empty body: nothing to parse\n"),
        (binary, f"Error: {binary}: binary body: looks like a PNG image, not a page\n"),
    ]:
        result = invoke(path, "--json")
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)


def test_missing_file_and_bad_stdin_exit_1(tmp_path: Path) -> None:
    missing = invoke(tmp_path / "nope.txt")
    undecodable = invoke("-", stdin=b"caf\xe9 ")

    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {tmp_path / 'nope.txt'}: [Errno 2] No such file or directory")
    assert missing.stderr.count("\n") == 1
    assert (undecodable.exit_code, undecodable.stderr) == (
        1,
        "Error: stdin: body is not valid utf-8: byte b'\\xe9' at offset 3 (invalid continuation byte)\n",
    )


def test_a_category_page_shows_its_heading_and_a_foreign_page_what_it_dropped() -> None:
    layouts = REPO / "tests" / "fixtures" / "layouts"
    category = [line.rstrip() for line in invoke(layouts / "category_page_two.html").stdout.splitlines()]
    other = [line.rstrip() for line in invoke(layouts / "rates_table_other_layout.txt").stdout.splitlines()]

    assert category[category.index("Heading: Category: Economy") + 1 :][:3] == [
        "Listing date: none    Results: 7-9 of 48",
        "Lines: 18 read, 0 not understood (dropped)",
        "Articles (3)",
    ]
    assert other[1:5] == [
        "Ticker: none",
        "Listing date: none    Results: none",
        "Lines: 5 read, 5 not understood (dropped)",
        "Articles (0)",
    ]
    assert other[5] == "warning: no ticker found"
