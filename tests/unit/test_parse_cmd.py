"""`pagewire parse PATH|- [--json]`: the issue's JSON object, a readable summary, one-line errors."""

import subprocess
import sys
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


def test_charset_reads_a_page_in_its_own_encoding(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    text = "Газовая сделка Бишкека\n\nБИШКЕК (TCA) — Стороны подписали соглашение.\n"
    page.write_bytes(text.encode("cp1251"))

    plain = invoke(page, "--json")
    assert (plain.exit_code, plain.stderr) == (
        1,
        f"Error: {page}: body is not valid utf-8: byte b'\\xc3' at offset 0 (invalid continuation byte)\n",
    )
    read = invoke(page, "--charset", "windows-1251", "--json")
    assert read.exit_code == 0, read.stderr
    [article] = orjson.loads(read.stdout)["articles"]
    assert (article["title"], article["body"]) == (
        "Газовая сделка Бишкека",
        "БИШКЕК (TCA) — Стороны подписали соглашение.",
    )


def test_a_body_over_the_producers_cap_is_refused_with_the_producers_message(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(SEED.read_bytes()[:300])
    env = {**TERMINAL, "PAGEWIRE_PRODUCER_MAX_BODY_BYTES": "200"}

    from_file = CliRunner().invoke(cli, ["parse", str(big)], env=env)
    from_stdin = CliRunner().invoke(cli, ["parse", "-"], input=big.read_bytes(), env=env)
    # `pagewire produce` says the same: both take it from services/producer/files.py and stdin.py
    assert (from_file.exit_code, from_file.stdout, from_file.stderr) == (
        1,
        "",
        f"Error: {big}: 300 bytes is over the 200-byte cap\n",
    )
    assert (from_stdin.exit_code, from_stdin.stderr) == (
        1,
        "Error: stdin: more than 200 bytes, over the 200-byte cap\n",
    )
    at_the_cap = CliRunner().invoke(cli, ["parse", "-", "--json"], input=SEED.read_bytes()[:200], env=env)
    assert at_the_cap.exit_code == 0, at_the_cap.stderr


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    """`pagewire parse page.txt | head -3`: the reader closes the pipe early; exit 0, nothing on stderr."""
    for args in (["parse", str(SEED)], ["parse", str(SEED), "--json"], ["schemas", "asyncapi"]):
        with subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            process.stdout.close()  # before the command writes a byte: its first write finds no reader
            errors = process.stderr.read()
            assert (args, process.wait(), errors) == (args, 0, b"")
