"""Every text exists in every language with the same placeholders."""

from __future__ import annotations

import string

import pytest

from ui.i18n import LANGUAGES, TEXTS, text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_same_keys_and_placeholders(lang):
    assert set(TEXTS[lang]) == set(TEXTS["en"])
    for key, template in TEXTS["en"].items():
        assert _fields(TEXTS[lang][key]) == _fields(template), key


def test_translations_differ_where_they_should():
    fr, it = text("fr"), text("it")
    assert fr("page.customers") == "Clients" and it("page.customers") == "Clienti"
    assert fr.label("company_size") == "Taille d'entreprise"
    assert text("en").label("some_new_column") == "Some new column"
