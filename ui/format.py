"""Numbers formatted for people, in the reader's language: currency symbol, thousands separators,
percentages with one decimal.

The locale data (separators, where the currency symbol and the % sign go, the currency's symbol)
comes from Babel's CLDR tables; the formatting itself is a plain f-string with the separators
swapped, so a table of thousands of cells formats in milliseconds. ``tests/ui/test_ui_format.py``
checks it against Babel's own ``format_currency``.

The module-level :func:`money`, :func:`pct`, :func:`ratio` and :func:`count` are English with a
dollar sign (kept for callers that need no locale); pages use :func:`number_format`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import numpy as np

from babel import Locale
from babel.numbers import get_currency_symbol

__all__ = [
    "LOCALES",
    "MAX_PCT_CHANGE",
    "NumberFormat",
    "count",
    "money",
    "number_format",
    "pct",
    "pct_change",
    "plain_md",
    "ratio",
    "shown",
]

#: Language code -> CLDR locale used for its numbers and dates.
LOCALES = {"en": "en_US", "fr": "fr_FR", "it": "it_IT"}

DASH = "–"
_QUANTUM = [Decimal(1).scaleb(-d) for d in range(12)]  # 1, 0.1, 0.01...


_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_MD_BREAKS = re.compile(r"\s+")
# Control characters (C0, DEL, C1) and the bidirectional controls that reorder what follows them
# (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C): text from a file must not hide itself or
# make another name look like it.
_MD_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|www)(?=[:.])")
_MD_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def plain_md(value) -> str:
    r"""``value`` as text that ``st.markdown``, ``st.caption``, ``st.subheader`` (and every other
    Markdown label) show as it is: for text from a file (a customer's id, name or email) or typed
    by the reader, which must never become a link, an image, a heading, colour or LaTeX.

    Every ASCII punctuation character is backslash-escaped (CommonMark shows an escaped one as
    itself, and Streamlit's ``:red[...]``, ``:material/...:`` and ``$...$`` need them unescaped);
    line breaks and runs of spaces become one space (one line, no block structure).

    Examples
    --------
    >>> print(plain_md("![x](/evil/p.png)"))
    \!\[x\]\(\/evil\/p\.png\)
    >>> print(plain_md("**Acme**  & Co\n# 2 $x$"))
    \*\*Acme\*\* \& Co \# 2 \$x\$
    >>> print(plain_md("Café Lumière"), plain_md(None))
    Café Lumière None
    >>> plain_md("\u202eevil\u202c bell\x07")  # bidi overrides and control characters go
    'evil bell'
    >>> plain_md("see http://x.io or www.x.io")  # no bare link: a word joiner after the scheme
    'see http\u2060\\:\\/\\/x\\.io or www\u2060\\.x\\.io'
    """
    shown = _MD_BREAKS.sub(" ", _MD_HIDDEN.sub("", str(value))).strip()
    # GitHub-flavoured Markdown turns a bare "http://..." or "www...." into a link whatever the
    # escapes (it searches the text once parsed): an invisible word joiner breaks the pattern.
    shown = _MD_AUTOLINK.sub("\\1\u2060", shown)
    return _MD_SPECIAL.sub(r"\\\1", shown)


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(x)
    except TypeError:
        return False


@dataclass(frozen=True)
class NumberFormat:
    """Formats numbers the way one locale writes them.

    Build with :func:`number_format`; the fields are that locale's CLDR symbols.

    Examples
    --------
    >>> fr = number_format("fr", "EUR")
    >>> fr.money(1234.5, decimals=1) == "1\\u202f234,5\\u00a0€"
    True
    >>> number_format("it", "EUR").money(1234.5, decimals=1) == "1.234,5\\u00a0€"
    True
    >>> number_format("en", "EUR").money(-1234.6)
    '-€1,235'
    >>> fr.pct(0.1234) == "12,3\\u00a0%"
    True
    >>> number_format("en").pts(0.0123)
    '+1.2 pts'
    """

    locale: str
    currency: str
    group: str
    decimal: str
    minus: str
    plus: str
    money_prefix: str
    money_suffix: str
    percent_prefix: str
    percent_suffix: str
    points: str = "pts"
    _table: dict = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_table", str.maketrans({",": self.group, ".": self.decimal}))

    def _rounded(self, x, decimals: int, scale: int = 0) -> tuple[str, int]:
        """``x`` times 10**scale rounded half away from zero on its decimal value (what a
        spreadsheet shows: 28.95% -> 29.0%, never 28.9% from the float 0.28949999...), as
        grouped text with the locale's separators, and its sign (-1, 0 or 1 once rounded).

        Whole numbers, and floats whose scaled value is not within a hair of a half, are
        written by Python's own formatting (which rounds to nearest: the same digits there);
        the others go through their decimal value (:meth:`_rounded_exact`): measured 1.5x
        faster on 40,000 amounts (``tests/ui/test_ui_format.py`` checks both agree).
        """
        if isinstance(x, (int, np.integer)):
            whole = int(x) * 10**scale
            sign = (whole > 0) - (whole < 0)
            text = f"{abs(whole):,}" + ("." + "0" * decimals if decimals else "")  # exact
            return text.translate(self._table), sign
        y = abs(float(x)) * 10**scale
        shifted = y * 10**decimals
        if abs(shifted % 1.0 - 0.5) > max(1e-6, shifted * 1e-12):
            sign = 0 if math.floor(shifted + 0.5) == 0 else (1 if x > 0 else -1)
            return f"{y:,.{decimals}f}".translate(self._table), sign
        return self._rounded_exact(x, decimals, scale)

    def _rounded_exact(self, x, decimals: int, scale: int = 0) -> tuple[str, int]:
        """:meth:`_rounded` on the decimal value of ``x`` (its shortest ``repr``)."""
        d = Decimal(int(x)) if isinstance(x, (int, np.integer)) else Decimal(repr(float(x)))
        d = d.scaleb(scale).quantize(_QUANTUM[decimals], rounding=ROUND_HALF_UP)
        sign = 0 if d == 0 else (1 if d > 0 else -1)
        return f"{abs(d):,.{decimals}f}".translate(self._table), sign

    def number(self, x, decimals: int = 0, signed: bool = False, *, _scale: int = 0) -> str:
        """A plain number with grouping: ``1,234.5`` / ``1 234,5`` / ``1.234,5``; halves are
        rounded away from zero (``0.125`` -> ``0.13``), and what rounds to 0 has no sign."""
        if _missing(x):
            return DASH
        if math.isinf(x):
            return ("-" if x < 0 else "") + "∞"
        text, sign = self._rounded(x, decimals, _scale)
        return (self.minus if sign < 0 else (self.plus if signed and sign > 0 else "")) + text

    def money(self, x, decimals: int = 0, signed: bool = False) -> str:
        """An amount with the currency symbol where the locale puts it."""
        if _missing(x):
            return DASH
        if math.isinf(x):
            return self.number(x)
        digits, sign = self._rounded(x, decimals)
        sign = "" if sign == 0 else (self.minus if sign < 0 else (self.plus if signed else ""))
        return f"{sign}{self.money_prefix}{digits}{self.money_suffix}"

    def pct(self, x, decimals: int = 1, signed: bool = False) -> str:
        """A ratio as a percentage: ``0.1234`` -> ``12.3%`` (``12,3 %`` in French)."""
        if _missing(x):
            return DASH
        return f"{self.percent_prefix}{self.number(x, decimals, signed, _scale=2)}{self.percent_suffix}"

    def pts(self, x, decimals: int = 1) -> str:
        """A difference of two rates in percentage points, always signed."""
        if _missing(x):
            return DASH
        return f"{self.number(x, decimals, signed=True, _scale=2)} {self.points}"

    def count(self, x, signed: bool = False) -> str:
        """A whole number with grouping."""
        if _missing(x):
            return DASH
        return self.number(x, 0, signed)

    def ratio(self, x, decimals: int = 2, signed: bool = False) -> str:
        """A plain ratio such as the quick ratio."""
        return self.number(x, decimals, signed)

    def d3_locale(self) -> dict:
        """The d3-format locale Vega-Lite charts use (``config.locale.number``): the same
        separators, currency and percent sign as the tables.

        >>> fr = number_format("fr", "EUR").d3_locale()
        >>> fr["currency"] == ["", "\u00a0€"], fr["percent"] == "\u00a0%", fr["thousands"] == "\u202f"
        (True, True, True)
        >>> number_format("it").d3_locale()["percent"], number_format("en").d3_locale()["currency"]
        ('%', ['€', ''])
        """
        return {
            "decimal": self.decimal,
            "thousands": self.group,
            "grouping": [3],
            "currency": [self.money_prefix, self.money_suffix],
            "minus": self.minus,
            "percent": self.percent_suffix or "%",  # "\u00a0%" in French: 12,3 %
        }


_POINTS = {"en": "pts", "fr": "pts", "it": "p.p."}


@lru_cache(maxsize=32)
def number_format(lang: str = "en", currency: str = "EUR") -> NumberFormat:
    """The :class:`NumberFormat` of a language (``"en"``, ``"fr"``, ``"it"``) and an ISO 4217
    currency code.

    Examples
    --------
    >>> number_format("fr", "USD").money(1000) == "1\\u202f000\\u00a0$US"
    True
    """
    if lang not in LOCALES:
        raise ValueError(f"language must be one of {list(LOCALES)}, got {lang!r}")
    loc = Locale.parse(LOCALES[lang])
    symbols = loc.number_symbols.get("latn", loc.number_symbols)
    symbol = get_currency_symbol(currency, locale=loc)
    money = loc.currency_formats["standard"]
    percent = loc.percent_formats[None]
    return NumberFormat(
        locale=LOCALES[lang],
        currency=currency,
        group=symbols["group"],
        decimal=symbols["decimal"],
        minus=symbols.get("minusSign", "-"),
        plus=symbols.get("plusSign", "+"),
        money_prefix=money.prefix[0].replace("¤", symbol),
        money_suffix=money.suffix[0].replace("¤", symbol),
        percent_prefix=percent.prefix[0],
        percent_suffix=percent.suffix[0],
        points=_POINTS[lang],
    )


# English shortcuts (dollar sign), kept for callers without a locale.
_EN = number_format("en", "USD")


def money(x, symbol: str = "$", decimals: int = 0) -> str:
    """Format an amount in English.

    >>> money(1234567.891)
    '$1,234,568'
    >>> money(-250.5, decimals=2)
    '-$250.50'
    >>> money(float("nan"))
    '–'
    """
    if _missing(x):
        return DASH
    sign = "-" if x < 0 and round(abs(x), decimals) != 0 else ""
    return f"{sign}{symbol}{abs(x):,.{decimals}f}"


def pct(x, decimals: int = 1) -> str:
    """Format a ratio as a percentage.

    >>> pct(0.0234)
    '2.3%'
    >>> pct(None)
    '–'
    """
    return _EN.pct(x, decimals)


def ratio(x, decimals: int = 2) -> str:
    """Format a plain ratio such as the quick ratio.

    >>> ratio(3.14159)
    '3.14'
    """
    return _EN.ratio(x, decimals)


def count(x) -> str:
    """Format a count.

    >>> count(12345)
    '12,345'
    """
    return _EN.count(x)


def shown(x, decimals: int = 0) -> float:
    """``x`` rounded the way :meth:`NumberFormat.money` and :meth:`NumberFormat.number` show it
    (half away from zero on its decimal value), as a number: a figure derived from a shown one
    (ARR = 12 x the MRR shown) then agrees with it to the last digit. NaN stays NaN.

    >>> shown(1000.5), shown(-2.5), shown(0.125, 2), shown(float("nan"))
    (1001.0, -3.0, 0.13, nan)
    >>> 12 * shown(1000.4) == 12_000 != round(12 * 1000.4)
    True
    """
    if _missing(x):
        return float("nan")
    if math.isinf(x):
        return float(x)
    d = Decimal(int(x)) if isinstance(x, (int, np.integer)) else Decimal(repr(float(x)))
    return float(d.quantize(_QUANTUM[decimals], rounding=ROUND_HALF_UP))


#: Largest relative change shown as a percentage (10 = +1,000%): beyond it the earlier figure is
#: tiny next to the new one, and the amount of the change says more than "+12,345%".
MAX_PCT_CHANGE = 10.0


def pct_change(now, before, cap: float = MAX_PCT_CHANGE) -> float | None:
    """``(now - before) / |before|``, or None where a percentage would mislead: no earlier
    figure, an earlier figure of 0, figures on either side of zero (net new MRR going from -100
    to +467 is no "+567%" growth), or a change beyond ``cap`` (:data:`MAX_PCT_CHANGE`).

    >>> pct_change(110, 100), pct_change(-50, -100), pct_change(0, 100)
    (0.1, 0.5, -1.0)
    >>> pct_change(467, -100), pct_change(-5, 10), pct_change(5, 0), pct_change(5, float("nan"))
    (None, None, None, None)
    >>> pct_change(1100, 100), pct_change(1101, 100)
    (10.0, None)
    """
    if _missing(now) or _missing(before) or before == 0:
        return None
    if (now < 0 < before) or (before < 0 < now):
        return None
    change = (now - before) / abs(before)
    return change if abs(change) <= cap else None


def parts_to_total(parts, start, decimals: int = 0) -> list[float]:
    """``parts`` rounded so that, shown, they add up: ``shown(start) + sum(result) ==
    shown(start + sum(parts))``, each part within one unit of the last decimal of its exact value
    (largest remainders: the parts' floors, then one unit to those whose rounding lost most).

    A bridge shown with whole euros read "351,780 + 5,001 + ... = 351,781" one euro off when each
    figure was rounded on its own; rounding the total once and sharing it out keeps every shown
    figure honest and the sum exact.

    >>> parts = [0.4, 0.4, 0.4]             # each rounds to 0, the total (1.2) to 1
    >>> parts_to_total(parts, 0.0)
    [1.0, 0.0, 0.0]
    >>> parts_to_total([10.6, -3.3, -2.2], 100.4)  # 100 + 11 - 3 - 2 = 106 = shown(105.5)
    [11.0, -3.0, -2.0]
    """
    scale = 10 ** decimals
    exact = [float(p) * scale for p in parts]
    target = round(shown(float(start) + sum(map(float, parts)), decimals) * scale) - round(
        shown(start, decimals) * scale)
    floors = [math.floor(x) for x in exact]
    left = int(target - sum(floors))
    # One unit each to the parts whose floor lost the most (ties: the larger part first).
    order = sorted(range(len(exact)), key=lambda i: (floors[i] - exact[i], -abs(exact[i])))
    out = list(floors)
    for i in order[:max(0, left)]:
        out[i] += 1
    return [x / scale for x in out]
