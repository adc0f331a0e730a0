"""mrrkit's messages in the reader's language.

The readers give every message as a code and values (:mod:`mrrkit.io.messages`): a rejected
row's :class:`~mrrkit.io.messages.Reason`, a :class:`~mrrkit.io.messages.Note` on how a file was
read, the :class:`~mrrkit.io.messages.Refusal` of a file that cannot be used. Each is said here
from its code, with the ``reason.<code>``, ``warning.<code>`` and ``problem.<kind>`` texts of
:mod:`ui.i18n` (in the plural form its ``count`` asks for), its values written as the
language writes them. English reads as mrrkit wrote it, but where the page words it otherwise
(rows counted "1,204 rows" rather than "1204 row(s)", a mapping made in the column editor).
"""

from __future__ import annotations

import string

import numpy as np

from mrrkit.io.limits import LIMIT_CODES
from mrrkit.io.messages import REFUSALS, term_code

from .format import number_format

__all__ = [
    "PROBLEMS",
    "PROBLEM_OF",
    "note_text",
    "problem_kind",
    "problem_text",
    "problem_values",
    "reason_field",
    "reason_text",
    "reasons_text",
]

#: Why an upload cannot be used (:attr:`ui.upload.Upload.kind`); the Data page says each in plain
#: words (``problem.<kind>``).
PROBLEMS = (
    "empty", "pdf", "xls", "image", "binary", "not_table", "one_column", "no_rows", "no_columns",
    "no_id", "currencies", "paddle_classic_transactions", "json",
    # Past one of the server's limits (mrrkit.io.limits: too many columns, rows or cells, a line too
    # long, too much to unpack, a read too slow or too large): the refusal's own code.
    *LIMIT_CODES,
    "other",
)

#: The kind of problem each refusal of mrrkit is (every refusal code is listed: a new one is
#: given a kind of its own, or ``other``: "the file could not be read", mrrkit's words beside).
PROBLEM_OF = {
    "empty": "empty",
    "xls": "xls",
    "binary": "binary",
    "bad_xlsx": "binary",
    "not_table": "not_table",
    "one_column": "one_column",
    "no_rows": "no_rows",
    "no_columns": "no_columns",
    "no_format": "no_columns",
    "no_customer_column": "no_id",
    "currencies": "currencies",
    "paddle_classic_transactions": "paddle_classic_transactions",
    "bad_json": "json",
    "json_no_records": "json",
    **{code: code for code in LIMIT_CODES},
    **dict.fromkeys(
        [
            "cannot_open",
            "bad_header",
            "needs_openpyxl",
            "empty_sheet",
            "bad_parquet",
            "bad_parquet_table",
            "no_format_tried",
            "mapping_missing",
            "not_canonical",
            "not_this_format",
            "total_too_large",
            "paddle_no_net",
            "paddle_classic_no_amount",
        ],
        "other",
    ),
}
if set(PROBLEM_OF) != {key.split(".")[0] for key in REFUSALS}:  # pragma: no cover
    raise RuntimeError("every refusal of mrrkit needs a kind of problem (ui.messages.PROBLEM_OF)")

#: File signatures of documents people upload by mistake (said before any refusal of mrrkit).
_SIGNATURES = (
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),  # OLE2: Excel 97-2003 (also old Word)
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)

#: The fields of "<field>: cannot read ..." reasons that are no column role.
_FIELD_TEXTS = {"discount": "reason.field_discount", "tax": "reason.field_tax"}
#: Placeholders a text quotes itself, in the language's quotes (a header: « Début »); any other
#: value mrrkit quotes (``{status!r}``: a cell as the file writes it) is given quoted as mrrkit
#: quotes it (``'on_hold'``).
_QUOTED_BY_THE_TEXT = ("column",)


def problem_kind(data: bytes, error) -> str:
    """The kind of problem (:data:`PROBLEMS`) an unusable upload has, from its first bytes and
    the refusal mrrkit gave (``other`` for a message without a code).

    >>> from mrrkit.io.messages import Refusal
    >>> problem_kind(b"%PDF-1.7 ...", Refusal("binary")), problem_kind(b"a,b", Refusal("no_rows"))
    ('pdf', 'no_rows')
    >>> problem_kind(b"PK...", Refusal("unpacked_too_large", {"count": 900, "limit": 500,
    ...     "variable": "MRRKIT_MAX_UNPACKED_MB"})), problem_kind(b"x", "something else")
    ('unpacked_too_large', 'other')
    """
    code = getattr(error, "code", None)
    if code in LIMIT_CODES:
        return code
    head = data[:16]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return PROBLEM_OF.get(code, "other")


def problem_values(error, lang: str = "en") -> dict[str, str]:
    """The values a refusal was said with, written for ``lang`` (numbers grouped as that
    language groups them): what the sentence of its kind is filled with. Empty for a message
    without values.

    >>> from mrrkit.io.messages import Refusal
    >>> problem_values(Refusal("too_many_columns", {"count": 100000, "limit": 2000,
    ...                                              "variable": "MRRKIT_MAX_COLUMNS"}), "it")
    {'count': '100.000', 'limit': '2.000', 'variable': 'MRRKIT_MAX_COLUMNS'}
    >>> problem_values("the file is empty")
    {}
    """
    nf = number_format(lang)
    out = {}
    for name, value in (getattr(error, "values", None) or {}).items():
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[name] = nf.count(value) if float(value).is_integer() else nf.number(value, 1)
        else:
            out[name] = str(value)
    return out


def problem_text(error, t) -> str:
    """A file refused for one of the server's limits, in the reader's language; any other
    problem as mrrkit (or the page) wrote it (``t`` is the page's :class:`ui.i18n.Text`).

    >>> from mrrkit.io.messages import Refusal
    >>> from ui.i18n import text
    >>> problem_text("a rates file needs columns currency, month and rate", text("fr"))
    'a rates file needs columns currency, month and rate'
    >>> problem_text(Refusal("read_timeout", {"limit": 60, "variable": "MRRKIT_READ_SECONDS"}),
    ...              text("fr"))[:38]
    'la lecture du fichier a pris plus de 6'
    """
    code = getattr(error, "code", None)
    if code in LIMIT_CODES:
        return t(f"problem.{code}", **problem_values(error, t.lang))
    return str(error)


def reason_field(field: str, t) -> str:
    """What a "<field>: cannot read ..." reason of mrrkit reads (one of its words for a role),
    in the language of ``t``.

    >>> from ui.i18n import text
    >>> reason_field("trial end", text("fr")), reason_field("discount", text("it"))
    ("Fin d'essai", 'Sconto')
    """
    code = term_code("field", field) or field
    if t.has(f"role.{code}"):
        return t(f"role.{code}")
    if code in _FIELD_TEXTS:
        return t(_FIELD_TEXTS[code])
    return field


def reason_text(reason, t) -> str:
    """A rejection reason of mrrkit (a :class:`~mrrkit.io.messages.Reason`) in the language of
    ``t``; a sentence without a code is shown as written.

    >>> from mrrkit.io.messages import reason
    >>> from ui.i18n import text
    >>> reason_text(reason("missing_customer"), text("fr"))
    'identifiant client manquant'
    >>> reason_text(reason("bad_date", field="start", column="Début"), text("it"))
    "Data di inizio: data illeggibile nella colonna 'Début'"
    >>> reason_text(reason("no_rate.reporting", currency="USD", reporting="EUR"), text("en"))
    'no exchange rate for USD'
    >>> reason_text("something new", text("fr"))
    'something new'
    """
    code = getattr(reason, "code", None)
    if code is None:
        return str(reason)
    quoted = {
        name
        for _, name, _, conversion in string.Formatter().parse(reason.template)
        if conversion == "r" and name not in _QUOTED_BY_THE_TEXT
    }
    values = {}
    for name, value in reason.values.items():
        if name == "field":
            values[name] = reason_field(value, t)
        else:
            values[name] = repr(value) if name in quoted else str(value)
    return t(f"reason.{code}", **values)


def reasons_text(reasons: dict, t) -> dict[str, str]:
    """Each reason of a reading (``ExportResult.reasons``: sentence -> Reason) in the language of
    ``t``: sentence -> what the page shows.

    >>> from mrrkit import read_export
    >>> from ui.i18n import text
    >>> result = read_export(b"customer_id,start,mrr\\na,2024-01-01,-1\\n")
    >>> reasons_text(result.reasons, text("fr"))
    {'negative amount': 'montant négatif'}
    """
    return {sentence: reason_text(found, t) for sentence, found in reasons.items()}


def _note_value(name: str, value, t, nf) -> str:
    """A value of a note as the reader's language writes it: mrrkit's words translated, counts
    and numbers in the language's format, each name of a list quoted."""
    code = term_code(name, value) if isinstance(value, str) else None
    if code is not None:
        return t(f"warning.{name}.{code}")
    if name == "months":  # a billing period in months: "every month", "every 3 months"
        if value == 1:
            return t("warning.every_month")
        return t("warning.every_months", months=nf.number(value, 0 if value == int(value) else 2))
    if isinstance(value, (list, tuple)):
        return ", ".join(t("warning.quoted", value=v) for v in value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return nf.count(value)
    return str(value)


def note_text(note, t) -> str:
    """A note of mrrkit on how a file was read (``ExportResult.warnings``) as a sentence in the
    language of ``t``, from the note's code and values; a sentence without a code is shown as
    written.

    >>> from mrrkit.io.messages import note
    >>> from ui.i18n import text
    >>> n = note("currency_filled", count=1204, currency="EUR")
    >>> note_text(n, text("en")), note_text(n, text("fr"))
    ('1,204 rows without a currency read as EUR', '1\u202f204 lignes sans devise lues en EUR')
    >>> note_text(note("date_convention", column="Début", convention="DD/MM/YYYY"), text("it"))
    "'Début': date lette nel formato GG/MM/AAAA"
    >>> note_text("something new", text("fr"))
    'something new'
    """
    code = getattr(note, "code", None)
    if code is None:
        return str(note)
    nf = number_format(t.lang)
    values = {name: _note_value(name, v, t, nf) for name, v in note.values.items()}
    # The number picks the text's plural form (ui.i18n: CLDR rules, so 0 is singular in French).
    said = t.plural(f"warning.{code}", note.values.get("count"), **values)
    return said[:1].upper() + said[1:]
