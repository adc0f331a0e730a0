"""Locale number formats against Babel's own formatting (CLDR) and the issue's examples."""

from __future__ import annotations

import decimal
import re
import string

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.format import LOCALES, number_format, plain_md

amounts = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=300, deadline=None)
@given(amounts, st.sampled_from(sorted(LOCALES)), st.sampled_from(["EUR", "USD", "GBP", "CHF"]))
def test_money_matches_babel(x, lang, currency):
    nf = number_format(lang, currency)
    expected = format_currency(x, currency, locale=LOCALES[lang])
    got = nf.money(x, decimals=2)
    if round(abs(x), 2) == 0:
        expected = expected.replace("-", "")
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**9, 10**9), st.sampled_from(sorted(LOCALES)))
def test_counts_match_babel(n, lang):
    assert number_format(lang).count(n) == format_decimal(n, locale=LOCALES[lang])


def test_issue_examples():
    assert number_format("fr", "EUR").money(1234.5, 1) == "1\u202f234,5\u00a0€"  # "1 234,5 €"
    assert number_format("it", "EUR").money(1234.5, 1) == "1.234,5\u00a0€"
    assert number_format("en", "EUR").money(1234.5, 1) == "€1,234.5"
    assert number_format("fr").pct(0.1234) == "12,3\u00a0%"
    assert number_format("it").pct(0.1234) == "12,3%"
    assert number_format("en").pct(-0.05, signed=True) == "-5.0%"
    assert number_format("en").pts(0.021) == "+2.1 pts"


def test_missing_and_negative_zero():
    nf = number_format("en")
    assert nf.money(float("nan")) == "–" and nf.pct(None) == "–"
    assert nf.money(-0.2) == "€0"
    assert nf.number(float("inf")) == "∞"


def test_unknown_language():
    with pytest.raises(ValueError, match="language must be one of"):
        number_format("de")


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-50, max_value=50, allow_nan=False).map(lambda x: round(x, 4)),
       st.sampled_from(sorted(LOCALES)))
def test_percentages_match_babel_with_one_decimal(x, lang):
    from babel import Locale
    from babel.numbers import format_percent

    pattern = Locale.parse(LOCALES[lang]).percent_formats[None].pattern.replace("0%", "0.0%")
    pattern = pattern.replace("0\u00a0%", "0.0\u00a0%").replace("0\u202f%", "0.0\u202f%")
    with decimal.localcontext() as ctx:  # halves away from zero, as a spreadsheet rounds
        ctx.rounding = decimal.ROUND_HALF_UP
        expected = format_percent(x, format=pattern, locale=LOCALES[lang])
    got = number_format(lang).pct(x)
    if round(abs(x) * 100, 1) == 0:
        expected = expected.replace("-", "")
    assert got == expected


def test_table_cells_and_chart_axes_agree():
    """A French table cell and the chart locale use the same separators and signs."""
    nf = number_format("fr", "EUR")
    d3 = nf.d3_locale()
    assert nf.money(1234567) == f"1{d3['thousands']}234{d3['thousands']}567{d3['currency'][1]}"
    assert nf.pct(0.5).endswith(d3["percent"])


def test_halves_round_away_from_zero_on_the_decimal_value():
    en = number_format("en", "EUR")
    assert en.pct(0.2895) == "29.0%"  # the float is 0.28949999..., people read 28.95%
    assert en.pct(0.2885) == "28.9%"
    assert en.money(2.885, 2) == "€2.89" and en.money(-2.885, 2) == "-€2.89"
    assert en.money(0.5) == "€1" and en.count(2.5) == "3" and en.count(-2.5) == "-3"
    assert en.money(-0.004, 2) == "€0.00" and en.pts(-0.0004) == "0.0 pts"
    assert en.number(10**17 + 1) == "100,000,000,000,000,001"  # big integers stay exact
    import numpy as np

    assert en.count(np.int64(1234)) == "1,234" and en.money(np.float32(2.5)) == "€3"


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False), st.integers(0, 2),
       st.sampled_from(sorted(LOCALES)))
def test_money_rounding_matches_babel_half_up(x, decimals, lang):
    nf = number_format(lang, "EUR")
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP
        expected = format_decimal(decimal.Decimal(repr(x)), format=pattern, locale=LOCALES[lang])
    got = nf.number(x, decimals)
    assert got.lstrip(nf.minus) == expected.lstrip("-")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_plain_md_reads_back_as_the_text(value):
    # CommonMark shows a backslash-escaped ASCII punctuation character as itself: undoing the
    # escapes gives the text back (on one line), and no punctuation is left unescaped.
    # What is dropped or added on purpose: control and bidi characters (gone), and an invisible
    # word joiner after "http", "ftp" or "www" before ":" or "." (no bare link).
    from ui.format import _MD_AUTOLINK, _MD_HIDDEN

    escaped = plain_md(value)
    shown = _MD_AUTOLINK.sub("\\1\u2060", " ".join(_MD_HIDDEN.sub("", value).split()))
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped) == shown
    assert not _MD_HIDDEN.search(escaped)
    assert not re.search(r"(?i)\b(https?|ftp|www)[:.\\]", escaped)
    punctuation = set(string.punctuation)
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":  # an escape: a punctuation character follows
            assert i + 1 < len(escaped) and escaped[i + 1] in punctuation, escaped
            i += 2
        else:
            assert escaped[i] not in punctuation, escaped
            i += 1
    assert "\n" not in escaped and "\r" not in escaped


money = st.floats(-1e7, 1e7, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=500, deadline=None)
@given(money, st.lists(money, min_size=1, max_size=6), st.sampled_from([0, 2]))
def test_parts_to_total_adds_up_as_shown(start, parts, decimals):
    from ui.format import parts_to_total, shown

    out = parts_to_total(parts, start, decimals)
    unit = 10 ** -decimals
    # Shown, they add up: start + parts = the total, each rounded once (in units, no float sum).
    total = round(shown(start, decimals) / unit) + sum(round(x / unit) for x in out)
    assert total == round(shown(start + sum(parts), decimals) / unit)
    assert all(abs(x - p) < unit + 1e-6 for x, p in zip(out, parts))


@settings(max_examples=3000, deadline=None)
@given(x=st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.integers(min_value=-10**15, max_value=10**15),
    # Decimal halves and near-halves (0.125, 28.95, 2.5, ...), where rounding differs most.
    st.builds(lambda n, d: n / 10**d, st.integers(-10**9, 10**9), st.integers(0, 4)),
), decimals=st.integers(0, 2), scale=st.sampled_from([0, 2]), lang=st.sampled_from(["en", "fr"]))
def test_quick_rounding_writes_what_the_decimal_value_rounds_to(x, decimals, scale, lang):
    """The fast path of ``NumberFormat._rounded`` (Python's own formatting away from halves)
    writes exactly the digits and sign of the reference on the decimal value."""
    nf = number_format(lang)
    assert nf._rounded(x, decimals, scale) == nf._rounded_exact(x, decimals, scale)
