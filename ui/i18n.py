"""Interface text in English, French and Italian, read from ``ui/locales/<lang>.toml``.

One TOML file per language with the same keys (``tests/ui/test_ui_i18n.py`` checks that every key
exists in every language and that the ``{placeholders}`` match). A table is one section of keys
(``[sidebar] period = "..."`` is the key ``sidebar.period``). A text that depends on a number is an
inline table of CLDR plural forms (``{ one = "...", other = "..." }``): :class:`Text` picks the
form with Babel's plural rules for the language and the ``count`` value, so French says
"0 ligne ignorée" where English says "0 lines skipped". Numbers are formatted by
:mod:`ui.format`, not here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale

__all__ = ["LANGUAGES", "LOCALES", "TEXTS", "Text", "p_text", "text", "verdict"]

#: Language code -> its own name (what the language picker shows).
LANGUAGES = {"en": "English", "fr": "Français", "it": "Italiano"}

#: The folder of the language files.
LOCALES = Path(__file__).with_name("locales")

#: CLDR plural categories a plural text may give (``other`` is required).
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


def _flatten(data: dict, prefix: str = "") -> dict[str, str | dict[str, str]]:
    """``{"sidebar": {"period": "x"}}`` -> ``{"sidebar.period": "x"}``; plural tables stay whole."""
    out: dict[str, str | dict[str, str]] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and prefix and set(value) <= set(PLURAL_FORMS):
            if "other" not in value:
                raise ValueError(f"plural text {key!r} has no 'other' form")
            out[key] = value
        elif isinstance(value, dict):
            out.update(_flatten(value, f"{key}."))
        else:
            out[key] = value
    return out


def load(lang: str) -> dict[str, str | dict[str, str]]:
    """The texts of ``lang`` from its TOML file, keyed ``section.name``."""
    with open(LOCALES / f"{lang}.toml", "rb") as file:
        return _flatten(tomllib.load(file))


#: Language code -> key -> template (or plural forms -> template).
TEXTS = {lang: load(lang) for lang in LANGUAGES}
EN = TEXTS["en"]


@cache
def _plural_rule(lang: str):
    return Locale.parse(lang).plural_form


@dataclass(frozen=True)
class Text:
    """The texts of one language: ``t("key", name=value)``; unknown keys fall back to English,
    then to the key itself (a page added by another module can use its own keys). A plural
    text takes its form from ``count``.

    Examples
    --------
    >>> t = text("fr")
    >>> t("page.customers"), t("sidebar.selected", selected=3, total=10)
    ('Clients', '3 clients sur 10 sélectionnés')
    >>> t("no.such.key")
    'no.such.key'
    >>> text("en")("warning.lines_skipped", count=0), t("warning.lines_skipped", count=0)
    ('0 lines above the header skipped', "0 ligne au-dessus de l'en-tête ignorée")
    """

    lang: str

    def __call__(self, key: str, /, **values) -> str:
        template = TEXTS[self.lang].get(key, EN.get(key, key))
        if isinstance(template, dict):
            return self.plural(key, values.get("count"), **values)
        return template.format(**values) if values else template

    def plural(self, key: str, count, /, **values) -> str:
        """The text of ``key`` in the form the language uses for the number ``count`` (the
        values may hold ``count`` already written, e.g. ``"1,204"``).

        >>> text("fr").plural("share.days", 1, days="1"), text("it").plural("share.days", 7, days="7")
        ('1 jour', '7 giorni')
        """
        template = TEXTS[self.lang].get(key, EN.get(key, key))
        if not isinstance(template, dict):
            return template.format(**values) if values else template
        if count is None:
            raise TypeError(f"text {key!r} depends on a number: give count=")
        if isinstance(count, float) and count.is_integer():
            count = int(count)  # CLDR counts "1.0" as showing a decimal: not singular
        form = _plural_rule(self.lang)(abs(count))
        return template.get(form, template["other"]).format(**values)

    def is_plural(self, key: str) -> bool:
        return isinstance(EN.get(key), dict)

    def has(self, key: str) -> bool:
        return key in EN

    def label(self, column: str) -> str:
        """A column's or dimension's display name: ``col.x`` or ``dim.x`` text, else the name
        with underscores as spaces, capitalised."""
        for prefix in ("col.", "dim.", "kind."):
            if prefix + column in EN:
                return self(prefix + column)
        return column.replace("_", " ").capitalize()

    def dimension(self, name: str) -> str:
        """A segment dimension's display name (an attribute column of the data): ``dim.x`` text,
        else the name with underscores as spaces, capitalised -- never a table column's name,
        which an attribute may share (a ``size`` column is no "Customers at start").

        >>> text("en").dimension("company_size"), text("en").dimension("size")
        ('Company size', 'Size')
        """
        if "dim." + name in EN:
            return self("dim." + name)
        return name.replace("_", " ").capitalize()


def text(lang: str) -> Text:
    """The :class:`Text` of a language code (``"en"``, ``"fr"``, ``"it"``)."""
    if lang not in TEXTS:
        raise ValueError(f"language must be one of {list(TEXTS)}, got {lang!r}")
    return Text(lang)


def p_text(p: float, nf) -> str:
    """A p-value as people read it: thresholds below 0.05, two decimals above.

    >>> from ui.format import number_format
    >>> en, fr = number_format("en"), number_format("fr")
    >>> p_text(0.0004, en), p_text(0.004, en), p_text(0.03, fr), p_text(0.234, en)
    ('p < 0.001', 'p < 0.01', 'p < 0,05', 'p = 0.23')
    """
    for bound in (0.001, 0.01, 0.05):
        if p < bound:
            return f"p < {nf.number(bound, len(str(bound)) - 2)}"
    return f"p = {nf.number(p, 2)}"


def verdict(metric: str, versus: float, p: float, t: Text, nf, alpha: float = 0.05) -> str:
    """A segment's difference from the rest in plain words.

    ``metric`` is ``"churn"`` or ``"expansion"`` (``versus`` = the segment's rate / the rest's)
    or ``"nrr"``/``"grr"`` (``versus`` = the difference in rate points, as a fraction).

    >>> from ui.format import number_format
    >>> en = number_format("en")
    >>> verdict("churn", 2.13, 0.004, text("en"), en)
    'churns 2.1x the rest, p < 0.01'
    >>> verdict("nrr", -0.052, 0.02, text("en"), en)
    '5.2 pts below the rest, p < 0.05'
    >>> verdict("churn", 1.2, 0.4, text("en"), en)
    'no clear difference (p = 0.40)'
    """
    if p != p or versus != versus:
        return t("verdict.na")
    if p >= alpha:
        return t("verdict.same", p=p_text(p, nf))
    if metric in ("churn", "expansion"):
        side = "more" if versus >= 1 else "less"
        return t(f"verdict.{metric}_{side}", ratio=nf.number(versus, 1), p=p_text(p, nf))
    diff = f"{nf.number(abs(versus) * 100, 1)} {nf.points}"
    return t("verdict.above" if versus > 0 else "verdict.below", diff=diff, p=p_text(p, nf))
