"""Locale number formats against Babel's own formatting (CLDR) and the issue's examples."""

from __future__ import annotations

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.format import LOCALES, number_format

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
