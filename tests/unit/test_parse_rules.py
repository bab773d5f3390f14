"""The parser's reading rules on small pages: ticker rows, header lines, titles, bodies and warnings."""

from typing import Any

from services.domain.page.parse import parse_page, parse_text

TICKER = "• KGS/USD = 0.01144 0%\n  • KZT/USD = 0.00200 0%\n"


def page(text: str) -> dict[str, Any]:
    return parse_text(text).to_json()


def articles(text: str) -> list[tuple[str, str, str | None, bool]]:
    return [(a["title"], a["body"], a["dateline"], a["truncated"]) for a in page(text)["articles"]]


def test_plus_sign_and_unicode_minus_are_normalised_and_parenthesised_changes_read() -> None:
    ticker = page("• KGS/USD = 0.01144 +0.5%\n• TJS/USD = 0.09156 −0.11%\n• UZS/USD = 0.00008 (0%)\n")[
        "ticker"
    ]

    assert [(q["pair"], q["rate"], q["change_pct"]) for q in ticker] == [
        ("KGS/USD", "0.01144", "0.5"),
        ("TJS/USD", "0.09156", "-0.11"),
        ("UZS/USD", "0.00008", "0"),
    ]


def test_marquee_printed_on_one_line_gives_the_same_rows() -> None:
    one_line = page(
        "• KGS/USD = 0.01144 0% • KZT/USD = 0.00200 0% • KGS/USD = 0.01144 0% • KZT/USD = 0.00200 0%\n"
    )

    four_lines = page(TICKER * 2)
    assert (one_line.pop("lines"), four_lines.pop("lines")) == (1, 4)
    assert one_line == four_lines
    assert one_line["ticker_repeats"] == 2


def test_marquee_of_inline_html_spans_without_bullets() -> None:
    spans = "".join(
        f'<span class="pair">{pair}</span> = <span class="rate">{rate}</span> <span>{change}%</span> '
        for pair, rate, change in [("KGS/USD", "0.01144", "0"), ("KZT/USD", "0.00200", "-0")] * 3
    )
    html = f'<div class="marquee">{spans}</div><h2>Story Title Here</h2><p>Body.</p>'

    parsed = parse_page(html.encode(), "text/html", None).to_json()

    assert [(q["pair"], q["rate"], q["change_pct"]) for q in parsed["ticker"]] == [
        ("KGS/USD", "0.01144", "0"),
        ("KZT/USD", "0.00200", "-0"),
    ]
    assert (parsed["ticker_repeats"], len(parsed["articles"])) == (3, 1)


def test_unreadable_ticker_row_is_reported_and_is_not_text() -> None:
    result = page(TICKER + "  • RUB/USD = 0,0113 0%\n")

    assert [q["pair"] for q in result["ticker"]] == ["KGS/USD", "KZT/USD"]
    assert result["articles"] == []
    assert result["warnings"] == ["unreadable ticker row ignored: '• RUB/USD = 0,0113 0%'"]
    assert result["dropped_lines"] == 1


def test_a_pair_the_ticker_prints_as_n_a_is_skipped_quietly() -> None:
    result = page(TICKER + "  • RUB/USD = n/a\n" + TICKER)

    assert [q["pair"] for q in result["ticker"]] == ["KGS/USD", "KZT/USD"]
    assert (result["ticker_repeats"], result["warnings"], result["dropped_lines"]) == (2, [], 0)


def test_repeats_count_how_often_the_marquee_started_even_when_its_last_round_is_cut() -> None:
    assert page(TICKER * 3 + "• KGS/USD = 0.01144 0%\n")["ticker_repeats"] == 4


def test_date_line_in_other_spellings() -> None:
    assert page(TICKER + "February 19, 2025\n")["listing_date"] == "2025-02-19"
    assert page(TICKER + "Wednesday, 19 February 2025\n")["listing_date"] == "2025-02-19"


def test_impossible_date_is_null_with_a_warning() -> None:
    result = page(TICKER + "31 February 2025\n")

    assert result["listing_date"] is None
    assert result["warnings"] == ["invalid listing date ignored: '31 February 2025'"]


def test_pagination_before_the_date_and_totals_with_thousands_separators() -> None:
    result = page(TICKER + "Viewing results 1 - 6 of 1,310\n\n19 February 2025\n")

    assert result["pagination"] == {"first": 1, "last": 6, "total": 1310}
    assert result["listing_date"] == "2025-02-19"


def test_inconsistent_pagination_is_null_with_a_warning() -> None:
    result = page(TICKER + "Viewing results 7 - 6 of 131\n")

    assert result["pagination"] is None
    assert result["warnings"] == ["inconsistent pagination ignored: 'Viewing results 7 - 6 of 131'"]


def test_date_and_pagination_after_the_articles_only_end_the_article() -> None:
    result = page(
        TICKER + "19 February 2025\n\nFirst Story Title Here\n\nBody one.\n\n"
        "18 February 2025\n\nSecond Story Title Here\n\nBody two.\n\nViewing results 1 - 6 of 131\n"
    )

    assert result["listing_date"] == "2025-02-19"
    assert result["pagination"] is None
    assert [a["title"] for a in result["articles"]] == ["First Story Title Here", "Second Story Title Here"]


def test_text_before_the_first_title_is_dropped_with_one_warning() -> None:
    result = page(
        TICKER + "advertisement\n\nsponsored content follows.\n\nReal Title Of The Story\n\nBody.\n"
    )

    assert [a["title"] for a in result["articles"]] == ["Real Title Of The Story"]
    assert result["warnings"] == ["ignored 2 line(s) of text outside any article, the first: 'advertisement'"]


def test_title_case_fragment_at_the_end_of_the_page_is_the_cut_body_not_a_title() -> None:
    assert articles(
        TICKER + "Kazakhstan Signs Deal\n\nThe deal was signed.\n\nPresident Kassym-Jomart Tokayev\n"
    ) == [("Kazakhstan Signs Deal", "The deal was signed.\n\nPresident Kassym-Jomart Tokayev", None, True)]


def test_title_followed_by_another_title_has_an_empty_body() -> None:
    assert articles("Kazakhstan Signs Deal\n\nUzbekistan Signs Another Deal\n\nIt was signed today.\n") == [
        ("Kazakhstan Signs Deal", "", None, False),
        ("Uzbekistan Signs Another Deal", "It was signed today.", None, False),
    ]


def test_title_after_continue_reading_starts_an_article_even_without_a_body() -> None:
    assert articles("First Story Title\n\nBody one.\n\nContinue reading →\n\nSecond Story Title\n") == [
        ("First Story Title", "Body one.", None, True),
        ("Second Story Title", "", None, False),
    ]


def test_camel_case_words_and_question_marks_can_be_titles() -> None:
    assert [
        a[0]
        for a in articles(
            "Kyrgyzstan’s iPhone Imports Surge\n\nImports grew.\n\nWhat Next?\n\nNobody knows.\n"
        )
    ] == [
        "Kyrgyzstan’s iPhone Imports Surge",
        "What Next?",
    ]


def test_post_meta_lines_are_skipped_in_text_and_html() -> None:
    text = "Story Title Here\n\nPosted on February 19, 2025 by Staff\n\nThe president spoke.\n"
    html = (
        '<article><h2 class="entry-title"><a href="/a">Story Title Here</a></h2><div class="entry-meta">'
        '<span class="posted-on">Posted on <time datetime="2025-02-19">February 19, 2025</time></span>'
        '<span class="comments-link"><a href="/a#respond">Leave a Comment</a></span></div>'
        '<div class="entry-summary"><p>The president spoke.</p></div></article>'
    )
    expected = [("Story Title Here", "The president spoke.", None, False)]

    assert articles(text) == expected
    assert [
        (a.title, a.body, a.dateline, a.truncated)
        for a in parse_page(html.encode(), "text/html", None).articles
    ] == expected


def test_photo_credit_line_is_body_not_a_title() -> None:
    assert articles("Story Title Here\n\nPhoto: Akorda\n\nThe president spoke.\n") == [
        ("Story Title Here", "Photo: Akorda\n\nThe president spoke.", None, False)
    ]


def test_sentences_opening_with_by_or_written_by_are_body_and_names_after_them_are_bylines() -> None:
    text = (
        "Story Title Here\n\nBy Aruuke Uran kyzy\n\nBy contrast, officials said nothing\n\nBy Staff Writer\n"
    )

    assert articles(text) == [("Story Title Here", "By contrast, officials said nothing", None, True)]


def test_datelines_need_capitals_a_region_or_an_agency() -> None:
    text = (
        "One Story Title\n\nBishkek (TCA) — The parliament met.\n\n"
        "Two Story Title\n\nKazakhstan – and its neighbours – agreed.\n\n"
        "Three Story Title\n\nNUR-SULTAN - The ministry said so.\n"
    )

    assert [(a[1], a[2]) for a in articles(text)] == [
        ("The parliament met.", "Bishkek"),
        ("Kazakhstan – and its neighbours – agreed.", None),
        ("The ministry said so.", "NUR-SULTAN"),
    ]


def test_only_wordpress_shortcodes_are_stripped() -> None:
    text = (
        "Story Title Here\n\n"
        '[caption id="attachment_1" width="800"] Photo: gov.kz[/caption] He said it was “fine [sic].”\n\n'
        '[gallery ids="4,5,6"] A second [1] paragraph.\n\n[caption id="attachment_2"] Cut off here.\n'
    )

    assert articles(text) == [
        (
            "Story Title Here",
            "He said it was “fine [sic].”\n\nA second [1] paragraph.\n\nCut off here.",
            None,
            False,
        )
    ]


def test_truncation_is_read_from_the_last_paragraph() -> None:
    text = (
        "One Story Title\n\nHe asked: “Why not?”\n\n"
        "Two Story Title\n\nIt rose by…\n\n"
        "Three Story Title\n\nThe list includes:\n\n"
        "Four Story Title\n\nRead the report. Continue reading the full text on the website.\n\n"
        "Five Story Title\n\nThe talks went on. Continue reading “Five Story Title” →\n"
    )

    assert [(a[1], a[3]) for a in articles(text)] == [
        ("He asked: “Why not?”", False),
        ("It rose by…", True),
        ("The list includes:", True),
        ("Read the report. Continue reading the full text on the website.", False),
        ("The talks went on.", True),
    ]


def test_warnings_are_capped_and_the_rest_counted() -> None:
    rows = "".join(f"• A{chr(65 + n // 26)}{chr(65 + n % 26)}/USD = ?\n" for n in range(30))
    warnings = page(rows)["warnings"]

    assert len(warnings) == 21
    assert warnings[:2] == ["no ticker found", "unreadable ticker row ignored: '• AAA/USD = ?'"]
    assert warnings[-1] == "11 more warning(s) not shown"
