"""Every text exists in every language with the same placeholders; plural texts follow CLDR."""

from __future__ import annotations

import string
import tomllib

import pytest
from babel import Locale

from ui.i18n import LANGUAGES, LOCALES, PLURAL_FORMS, TEXTS, text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _forms(entry) -> dict[str, str]:
    return entry if isinstance(entry, dict) else {"other": entry}


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_same_keys_and_placeholders(lang):
    assert set(TEXTS[lang]) == set(TEXTS["en"])
    for key, entry in TEXTS["en"].items():
        theirs = _forms(TEXTS[lang][key])
        assert isinstance(TEXTS[lang][key], dict) == isinstance(entry, dict), key
        # A form may drop a placeholder its number makes obvious ("1 day"), but the "other"
        # form of every language names the same values.
        assert _fields(theirs["other"]) == _fields(_forms(entry)["other"]), key
        for form, template in theirs.items():
            assert _fields(template) <= _fields(theirs["other"]) | {"count"}, (key, form)


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_plural_texts_give_the_forms_the_language_uses(lang):
    # Babel's CLDR rules: "one" for 1 in every language here, and for 0 in French. The "many"
    # form (a million rows) falls back to "other", which says it right in all three.
    used = set(Locale.parse(lang).plural_form.tags) - {"many"}
    for key, entry in TEXTS[lang].items():
        if isinstance(entry, dict):
            assert set(entry) <= set(PLURAL_FORMS), key
            assert used | {"other"} <= set(entry), key


def test_plural_form_follows_the_language():
    en, fr, it = text("en"), text("fr"), text("it")
    assert en("warning.lines_skipped", count=1) == "1 line above the header skipped"
    assert en("warning.lines_skipped", count=0) == "0 lines above the header skipped"
    assert fr("warning.lines_skipped", count=0).startswith("0 ligne ")  # singular in French
    assert fr("warning.lines_skipped", count=2).startswith("2 lignes ")
    assert it("warning.lines_skipped", count=0).startswith("0 righe ")
    with pytest.raises(TypeError, match="count"):
        en("warning.lines_skipped")


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_files_parse_and_keys_are_not_repeated(lang):
    # tomllib refuses a key given twice, so a copy-paste slip cannot silently drop a text.
    with open(LOCALES / f"{lang}.toml", "rb") as file:
        assert tomllib.load(file)


def test_translations_differ_where_they_should():
    fr, it = text("fr"), text("it")
    assert fr("page.customers") == "Clients" and it("page.customers") == "Clienti"
    assert fr.label("company_size") == "Taille d'entreprise"
    assert text("en").label("some_new_column") == "Some new column"
