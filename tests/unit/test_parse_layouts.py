"""Every page layout the issue lists, as text and as HTML: the exact `pagewire parse --json` output."""

from pathlib import Path
from typing import Any

import pytest

from services.domain.page.parse import parse_page

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
FORMATS = pytest.mark.parametrize("suffix", [".txt", ".html"])


def parsed(name: str, suffix: str) -> dict[str, Any]:
    """The JSON object for one fixture, read the way the producer hands bodies over (no content type)."""
    return parse_page((PAGES / f"{name}{suffix}").read_bytes(), None, None).to_json()


def row(pair: str, rate: str, change_pct: str) -> dict[str, str]:
    base, quote = pair.split("/")
    return {"pair": pair, "base": base, "quote": quote, "rate": rate, "change_pct": change_pct}


def article(title: str, body: str, *, dateline: str | None = None, truncated: bool) -> dict[str, Any]:
    return {"title": title, "body": body, "dateline": dateline, "truncated": truncated}


FIVE_PAIRS = [
    row("KGS/USD", "0.01144", "0"),
    row("KZT/USD", "0.00200", "0"),
    row("TJS/USD", "0.09156", "-0.11"),
    row("UZS/USD", "0.00008", "0"),
    row("TMT/USD", "0.28530", "-0.14"),
]


@FORMATS
def test_four_pairs_twice_with_positive_minus_zero_and_negative_changes_and_pagination_only(
    suffix: str,
) -> None:
    assert parsed("four_pairs", suffix) == {
        "ticker": [
            row("KGS/USD", "0.01145", "0.09"),
            row("KZT/USD", "0.00199", "-0"),
            row("TJS/USD", "0.09146", "-0.11"),
            row("UZS/USD", "0.00008", "0"),
        ],
        "ticker_repeats": 2,
        "listing_date": None,
        "pagination": {"first": 7, "last": 12, "total": 131},
        "articles": [
            article(
                "Uzbekistan Raises Minimum Wage by 10 Percent",
                "Uzbekistan will raise the minimum monthly wage by 10 percent from March 1, the Ministry "
                "of Economy and Finance announced on Tuesday. The new minimum wage will amount to "
                "1,155,000 soums, or about $89. Pensions and social benefits will be indexed by the same "
                "rate, affecting more than 3.4 million people. The government said the increase is "
                "financed from higher tax revenues collected in 2024.",
                truncated=False,
            ),
            article(
                "Kyrgyzstan and China Sign Railway Financing Agreement",
                "Kyrgyzstan and China have signed an agreement on the financing of the "
                "China-Kyrgyzstan-Uzbekistan railway, the Cabinet of Ministers reported. The document "
                "sets out the terms of a loan for the construction of the Kyrgyz section of the line, "
                "which will run from Torugart to Jalal-Abad. The total cost of the project is estimated "
                "at $4.7 billion, and construction is expected to take six years. Officials in Bishkek "
                "said the railway will cut the delivery time of goods from China to Europe by...",
                truncated=True,
            ),
        ],
        "heading": None,
        "lines": 13,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_paragraph_bodies_keep_short_sentences_and_cut_fragments_out_of_titles(suffix: str) -> None:
    assert parsed("paragraphs", suffix) == {
        "ticker": FIVE_PAIRS,
        "ticker_repeats": 3,
        "listing_date": "2025-02-18",
        "pagination": None,
        "articles": [
            article(
                "Tajikistan Brings Second Rogun Turbine to Full Capacity",
                "The second unit of the Rogun hydropower plant has been brought up to full capacity, the "
                "state energy company Barqi Tojik reported on Monday.\n\n"
                "The unit now generates 600 megawatts.\n\n"
                "When completed, Rogun will be the tallest dam in the world at 335 meters and will have "
                "an installed capacity of 3,780 megawatts. The World Bank and several Gulf development "
                "funds have pledged financing for the remaining construction work.\n\n"
                "Officials expect the third unit to start operating in",
                truncated=True,
            ),
            article(
                "Kazakhstan Extends Ban on Fuel Exports by Road",
                "Kazakhstan has extended a ban on the export of petroleum products by road for another "
                "six months, the Ministry of Energy said.\n\n"
                "The ban covers gasoline, diesel fuel and liquefied gas.\n\n"
                ""
                # Title case and no final stop, but followed by the next title: the cut end of this body.
                "The Ministry of Energy of the Republic of Kazakhs",
                truncated=True,
            ),
            article(
                "Turkmenistan Opens New Airport Terminal in Dashoguz",
                "Turkmenistan has opened a new passenger terminal at Dashoguz airport, designed to "
                "handle 350 passengers per hour.\n\n"
                "President Serdar Berdimuhamedov attended the ceremony.\n\n"
                "The terminal was built by the Turkish company Polimeks and...",
                truncated=True,
            ),
        ],
        "heading": None,
        "lines": 29,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_continue_reading_lines_and_trailing_links_end_articles_as_truncated(suffix: str) -> None:
    assert parsed("continue_reading", suffix) == {
        "ticker": FIVE_PAIRS,
        "ticker_repeats": 2,
        "listing_date": None,
        "pagination": None,
        "articles": [
            article(
                "Kyrgyzstan Launches Electronic Visas for 55 Countries",
                "Citizens of 55 countries can now apply for a Kyrgyz electronic visa online and receive "
                "it within three working days, the Ministry of Foreign Affairs said. The e-visa is valid "
                "for single entry and stays of up to 90 days.",
                truncated=True,
            ),
            article(
                "Uzbekistan Airways Adds Direct Flights to Tokyo",
                "Uzbekistan Airways will launch direct flights between Tashkent and Tokyo’s Narita "
                "airport in April.\n\n"
                "The flights will be operated twice a week on Boeing 787 Dreamliner aircraft, the "
                "carrier said.",
                truncated=True,
            ),
            article(
                "Kazakhstan Chooses Site for Its First Nuclear Power Plant",
                "Kazakhstan’s first nuclear power plant will be built near the village of Ulken on the "
                "shore of Lake Balkhash, the Agency for Atomic Energy confirmed. Construction is "
                "expected to begin in 2026.",
                truncated=True,
            ),
            article(
                "Tajik Lawmakers Approve New Tax Code",
                "The lower house of Tajikistan’s parliament has approved a new tax code that cuts the "
                "number of taxes from ten to eight. The code enters into force on January 1, 2025.",
                truncated=False,
            ),
        ],
        "heading": None,
        "lines": 21,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_datelines_go_to_their_field_and_shortcodes_are_stripped(suffix: str) -> None:
    assert parsed("datelines", suffix) == {
        "ticker": FIVE_PAIRS,
        "ticker_repeats": 4,
        "listing_date": "2025-02-17",
        "pagination": {"first": 1, "last": 6, "total": 131},
        "articles": [
            article(
                "Tajikistan and Afghanistan Discuss Border Trade",
                "Tajik and Afghan officials met in Dushanbe on February 17 to discuss the expansion of "
                "trade through the border markets along the Panj river. The sides agreed to reopen two "
                "markets in the Darvaz and Ishkashim districts.",
                dateline="DUSHANBE",
                truncated=False,
            ),
            article(
                "Osh Hosts Regional Forum on Water Management",
                "Representatives of the five Central Asian states gathered in Osh for a two-day forum on "
                "the shared use of water resources in the Fergana Valley.",
                dateline="OSH, Kyrgyzstan",
                truncated=False,
            ),
            article(
                "Kazakhstan Launches Satellite Monitoring of Grain Fields",
                "Kazakhstan’s Ministry of Agriculture has launched a satellite system that monitors the "
                "condition of grain fields across the country. The system covers 23 million hectares and "
                "will be used to check subsidy claims.",
                dateline="ASTANA",
                truncated=False,
            ),
            article(
                "Uzbekistan Approves Program for Electric Vehicle Charging Stations",
                "The Cabinet of Ministers of Uzbekistan has approved a program to build 2,500 charging "
                "stations for electric vehicles by 2027.\n\n"
                "Most of the stations will be built along the highways connecting Tashkent with "
                "Samarkand, Bukhara and the Fergana Valley...",
                dateline="Tashkent, Uzbekistan",
                truncated=True,
            ),
        ],
        "heading": None,
        "lines": 31,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_long_punctuated_titles_and_no_break_or_double_spaces(suffix: str) -> None:
    assert parsed("titles_spacing", suffix) == {
        "ticker": FIVE_PAIRS,
        "ticker_repeats": 2,
        "listing_date": "2025-02-16",
        "pagination": {"first": 19, "last": 24, "total": 131},
        "articles": [
            article(
                "Kazakhstan’s “Green Bridge”: Tokayev Approves $2.4 Billion Wind Program – Investors Ask "
                "About Tariffs; Grid Operator Promises Answers",
                "President Kassym-Jomart Tokayev has approved a $2.4 billion program to build wind farms "
                "in the Zhetysu and Almaty regions. The program foresees 1,000 megawatts of new capacity "
                "by 2030, and the grid operator KEGOC is expected to publish the new tar",
                truncated=True,
            ),
            article(
                "Turkmenistan: Gas Exports to China Hit Record; Ashgabat Eyes “Line D” Again",
                "Turkmenistan exported a record 41 billion cubic meters of natural gas to China in 2024, "
                "according to Chinese customs data. Officials in Ashgabat have again raised the "
                "construction of Line D of the Central Asia–China pipeline...",
                truncated=True,
            ),
            article(
                "Kyrgyzstan–Uzbekistan Border Deal One Year On: What Has Changed?",
                "A year after the border agreement between Kyrgyzstan and Uzbekistan entered into force, "
                "trade between the two countries has grown by a third. Residents of border villages say "
                "crossing points now work without long queues.",
                truncated=False,
            ),
        ],
        "heading": None,
        "lines": 18,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_older_page_bylines_are_neither_articles_nor_body(suffix: str) -> None:
    assert parsed("older_page", suffix) == {
        "ticker": [
            row("KGS/USD", "0.01140", "0"),
            row("KZT/USD", "0.00210", "0.48"),
            row("TJS/USD", "0.09102", "-0"),
            row("UZS/USD", "0.00008", "0"),
            row("TMT/USD", "0.28571", "-0"),
        ],
        "ticker_repeats": 2,
        "listing_date": "2022-03-03",
        "pagination": {"first": 13, "last": 18, "total": 131},
        "articles": [
            article(
                "Kazakhstan Reopens Border With China for Freight",
                "Kazakhstan has fully reopened the Khorgos and Dostyk border crossings with China for "
                "freight traffic, the Ministry of Trade and Integration said. The crossings had been "
                "operating with restrictions since the start of the pandemic.",
                truncated=False,
            ),
            article(
                "Uzbekistan Cuts Import Duties on 600 Goods",
                "Uzbekistan has cut import duties on about 600 types of goods, including food and "
                "construction materials, to slow the rise in prices. The decree signed by President "
                "Shavkat Mirziyoyev applies until the end of the year.",
                truncated=False,
            ),
            article(
                "Kyrgyzstan Plans to Build Kambarata-1 With Neighbors",
                # Opens with "By": a sentence, not a byline.
                "By 2030, Kyrgyzstan hopes to finish the Kambarata-1 hydropower plant on the Naryn river "
                "together with Kazakhstan and Uzbekistan. The three countries have agreed to set up a "
                "joint company to manage the project.",
                truncated=False,
            ),
        ],
        "heading": None,
        "lines": 21,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_page_without_ticker(suffix: str) -> None:
    assert parsed("no_ticker", suffix) == {
        "ticker": [],
        "ticker_repeats": 0,
        "listing_date": "2025-02-19",
        "pagination": {"first": 1, "last": 6, "total": 58},
        "articles": [
            article(
                "Why Central Asia’s Water Crisis Needs a Regional Answer",
                "Shrinking glaciers and growing populations are putting pressure on the rivers that feed "
                "the region’s farms. No single country can solve the problem on its own, and the Aral "
                "Sea shows what happens when...",
                truncated=True,
            ),
            article(
                "The Middle Corridor After the Caspian Summit",
                "Freight volumes on the Trans-Caspian route tripled in 2023, but bottlenecks at the "
                "ports of Aktau and Baku remain.",
                truncated=False,
            ),
        ],
        "heading": None,
        "lines": 6,
        "dropped_lines": 0,
        "warnings": ["no ticker found"],
    }


@FORMATS
def test_page_with_nothing_but_a_ticker(suffix: str) -> None:
    assert parsed("ticker_only", suffix) == {
        "ticker": FIVE_PAIRS,
        "ticker_repeats": 2,
        "listing_date": None,
        "pagination": None,
        "articles": [],
        "heading": None,
        "lines": 10,
        "dropped_lines": 0,
        "warnings": [],
    }


@FORMATS
def test_pair_printed_with_two_values_keeps_the_first_and_warns(suffix: str) -> None:
    assert parsed("conflicting_pair", suffix) == {
        "ticker": FIVE_PAIRS,
        "ticker_repeats": 3,
        "listing_date": "2025-02-19",
        "pagination": None,
        "articles": [
            article(
                "Kyrgyz Som Strengthens Against the Dollar",
                "The Kyrgyz som strengthened against the US dollar on Wednesday after the National Bank "
                "sold $20 million on the interbank market.",
                truncated=False,
            ),
        ],
        "heading": None,
        "lines": 18,
        "dropped_lines": 0,
        "warnings": ["KGS/USD printed with different values: kept 0.01144 0%, ignored 0.01146 0.17%"],
    }
