"""Data: upload a billing export (and a customers file), see how it was read, fix the column
mapping and the currencies, check every rejected row, then use the lines on every page for this
session. The upload's bytes are read once (:func:`ui.uploads.inspect_upload`: format, columns, first
rows, currencies); its lines in the currency chosen follow without reading it again."""

import re

import pandas as pd
import streamlit as st

from mrrkit.io.drafts import MEANINGS
from mrrkit.io.ends import END_CONVENTIONS
from mrrkit.io.headers import guess_mapping
from mrrkit.io.meanings import LINE_TYPES, value_key
from mrrkit.io.vendors import VENDORS
from ui import browser_memory, data, messages, shell, state, uploads, warehouse
from ui.format import number_format, plain_md
from ui.tables import downloads, month_labels, right_aligned

#: The fields the mapping editor offers, in the order of the form (mrrkit.read_export's roles).
ROLES = (
    "customer_id", "start", "end", "mrr", "amount", "period_amount", "interval", "interval_count",
    "quantity", "currency", "trial_end", "plan", "product", "churn_reason", "status", "type",
    "tax", "discount", "shipping", "one_off",
)
# .xls is accepted only to be refused with a useful sentence (Streamlit's own refusal names a
# MIME type).
# JSON: a list of objects, Stripe's list output or JSON Lines (mrrkit.io.json_table).
FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "parquet", "json", "jsonl", "ndjson"]
RATE_FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet"]
#: Offered first in the currency picker (after the file's own); any other code can be typed.
COMMON_CURRENCIES = (
    "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
    "INR", "BRL", "MXN", "SGD", "HKD", "NZD", "ZAR",
)
PREVIEW_ROWS = 200
#: Values of a status or type column offered in the meanings editor (the most frequent first);
#: the others keep the usual words' meanings.
MAX_MEANINGS = 30
_MAPPINGS = "_mrrkit_data_mappings"  # file digest -> the mapping the user applied
_MAPPING_ROUND = "_mrrkit_data_mapping_round"  # bumped to re-draw the form from a new mapping
_MEANINGS = "_mrrkit_data_meanings"  # file digest -> what its status and type values mean
_ENDS = "_mrrkit_data_ends"  # file digest -> what its end dates are, as the user said
_PENDING = "_mrrkit_data_pending"  # the export uploaded and not used yet: name, bytes, digest
_USED = "_mrrkit_data_used"  # (what was read, source key) of the last "Use this data"
_USED_READING = "_mrrkit_data_used_reading"  # that reading: result, customers file, names

fr = shell.frame()
t = fr.t
DL = (t("download.csv"), t("download.excel"))
ss = st.session_state


def _apply_mapping(digest: str, keys: dict[str, str]) -> None:
    ss.setdefault(_MAPPINGS, {})[digest] = {role: ss.get(key) for role, key in keys.items()}
    ss[_MAPPING_ROUND] = ss.get(_MAPPING_ROUND, 0) + 1


def _keep_ends(digest: str, key: str) -> None:
    ss.setdefault(_ENDS, {})[digest] = ss[key]


def _reset_mapping(digest: str) -> None:
    ss.get(_MAPPINGS, {}).pop(digest, None)
    ss[_MAPPING_ROUND] = ss.get(_MAPPING_ROUND, 0) + 1


def _apply_meanings(digest: str, keys: dict[str, list[tuple[str, str]]]) -> None:
    """Keep what the user says each value means (every value shown, changed or not: the reading
    then no longer depends on the usual words)."""
    ss.setdefault(_MEANINGS, {})[digest] = {
        role: {value_key(value): ss.get(key) for value, key in pairs if ss.get(key)}
        for role, pairs in keys.items()
    }
    ss[_MAPPING_ROUND] = ss.get(_MAPPING_ROUND, 0) + 1


def _reset_meanings(digest: str) -> None:
    ss.get(_MEANINGS, {}).pop(digest, None)
    ss[_MAPPING_ROUND] = ss.get(_MAPPING_ROUND, 0) + 1


def _uploader_changed() -> None:
    """The user removed the file from the uploader (or chose another): forget the one kept."""
    if ss.get("data.export") is None:
        ss.pop(_PENDING, None)


def _use(read_key: tuple, reading: dict) -> None:
    source = data.upload_source(reading["name"], reading["result"].lines, reading["currency"])
    data.set_upload(source)
    browser_memory.remember(source)  # a reload or a new tab of this browser finds it
    ss[_USED] = (read_key, source.key)
    # What was read, so that coming back to this page (the uploader is then empty) still shows
    # the report, the rejected rows and the lines in use. References to the cached reading.
    ss[_USED_READING] = {**reading, "source_key": source.key}


def _problem(kind: str, error: str, **values) -> None:
    """An unusable file in plain words, mrrkit's exact message one click away."""
    values = {**messages.problem_values(error, fr.lang), **values}  # a limit's figures
    st.error(t("data.error", error=t(f"problem.{kind}", **values)), icon=":material/error:")
    with st.expander(t("data.details")):
        st.caption(error)


def _listing(codes) -> str:
    return ", ".join(codes)


def _reasons(frame: pd.DataFrame, reasons: dict) -> pd.DataFrame:
    """A rejected-rows frame for people: translated reasons (``reasons``: the reading's, sentence
    -> Reason) and headers of the first two columns (the file's own headers are left as they
    are)."""
    words = messages.reasons_text(reasons, t)  # a few reasons, many rows
    shown = frame.assign(reason=frame["reason"].map(words))
    return shown.rename(columns={"row": t("data.row"), "reason": t("data.reason")})


def _plain_markdown(words: str) -> str:
    """Text shown as written by ``st.markdown``: a file's headers and cells may hold ``*``, ``_``
    or ``$`` (which Markdown and its LaTeX would read as markup)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~$-])", r"\\\1", words)


def _notes(result) -> str:
    """How the file was read: one bullet per note of mrrkit, in the reader's language."""
    return "\n".join(f"- {_plain_markdown(messages.note_text(n, t))}" for n in result.warnings)


def _column_label(column: str) -> str:
    """A canonical column's name for people (the downloads keep mrrkit's names)."""
    if column == "mrr":
        return "MRR"
    return t(f"role.{column}") if t.has(f"role.{column}") else t.label(column)


def _cell(value) -> str:
    """An attribute as text: blank when missing, numbers without a useless ``.0``."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _rate_months(values: pd.Series, nf) -> list[str]:
    """A rates file's months as the charts write them (``Nov 2025``); a cell that is no month
    as written (the rates reader says which rows it ignores)."""
    out = []
    for value in values.tolist():
        try:
            out.append(month_labels([pd.Period(str(value).strip(), freq="M")], nf)[0])
        except (ValueError, TypeError):
            out.append("" if value is None or value != value else str(value))
    return out


def _in_currency(lines: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """The lines as they are in use: amounts in ``currency``, said in the ``currency`` column;
    the currency each line was billed in, where another, kept as ``billing_currency`` (a CSV
    of them uploaded again is read in ``currency``, not converted twice)."""
    if not currency or "currency" not in lines.columns or (lines["currency"] == currency).all():
        return lines
    billed = lines["currency"]
    out = lines.drop(columns="currency").assign(currency=currency)
    return out.assign(billing_currency=billed) if "billing_currency" not in out else out


def _lines_for_people(lines: pd.DataFrame, nf) -> pd.DataFrame:
    """The first lines as people read them: dates without a time, money in their format, blank
    cells for missing attributes."""
    head = lines.head(PREVIEW_ROWS)
    shown = head.assign(
        start=head["start"].dt.strftime("%Y-%m-%d"),
        end=head["end"].dt.strftime("%Y-%m-%d").fillna(""),
        mrr=[nf.money(x, 2) for x in head["mrr"].tolist()],
    )
    attributes = [c for c in shown.columns if c not in ("customer_id", "start", "end", "mrr")]
    shown = shown.assign(**{c: [_cell(x) for x in shown[c].tolist()] for c in attributes})
    return shown.rename(columns={c: _column_label(c) for c in shown.columns})


def _validation(reading: dict, nf) -> None:
    """Rows read, kept, rejected and lines, and what the lines cover."""
    result = reading["result"]
    lines = result.lines
    st.subheader(t("data.report"))
    tiles = st.columns(4)
    for tile, (label, value) in zip(tiles, [
        ("data.rows_read", result.rows_read), ("data.rows_kept", result.rows_kept),
        ("data.rows_rejected", len(result.rejected)), ("data.lines", len(lines)),
    ]):
        tile.metric(t(label), nf.count(value), border=True)
    if lines.empty:
        st.warning(t("data.no_lines"), icon=":material/warning:")
        return
    share = uploads.rejected_share(result.rows_read, result.rejected)
    if share > uploads.MANY_REJECTED:  # said before "Use this data", which comes next
        st.warning(t("data.many_rejected", rejected=nf.count(len(result.rejected)),
                     read=nf.count(result.rows_read), share=nf.pct(share, 0),
                     limit=nf.pct(uploads.MANY_REJECTED, 0)), icon=":material/warning:")
    st.markdown(t(
        "data.summary", lines=nf.count(len(lines)),
        customers=nf.count(lines["customer_id"].nunique()),
        first=lines["start"].min().date().isoformat(), last=lines["start"].max().date().isoformat(),
        currency=reading["currency"],
    ))


def _details(reading: dict, nf) -> None:
    """Rejected rows, the lines and the validation report, each downloadable."""
    result, cust = reading["result"], reading["customers"]
    lines, rejected = _in_currency(result.lines, reading.get("currency")), result.rejected
    tab_rejected, tab_lines, tab_report = st.tabs([
        t("data.tab_rejected", rows=nf.count(len(rejected))),
        t("data.tab_lines", lines=nf.count(len(lines))),
        t("data.tab_report"),
    ])
    with tab_rejected:
        if len(rejected):
            by_reason = (
                rejected["reason"].value_counts().rename_axis("reason").rename("rows")
                .reset_index()
            )
            said = messages.reasons_text(result.reasons, t)
            by_reason["reason"] = [said[r] for r in by_reason["reason"].tolist()]
            st.dataframe(
                by_reason.rename(columns={"reason": t("data.reason"), "rows": t("data.rows")}),
                hide_index=True, width="stretch",
            )
            st.caption(t("data.rejected_help", shown=nf.count(PREVIEW_ROWS))
                       if len(rejected) > PREVIEW_ROWS else t("data.rejected_help_all"))
            st.dataframe(_reasons(rejected.head(PREVIEW_ROWS), result.reasons), hide_index=True,
                         width="stretch")
            downloads(_reasons(rejected, result.reasons), "rejected_rows", "data.rejected", DL)
        else:
            st.success(t("data.no_rejected"), icon=":material/done_all:")
        if cust is not None:
            st.markdown(f"**{t('data.customers_title')}**")
            st.caption(t(
                "data.customers_report", read=nf.count(cust.rows_read),
                kept=nf.count(len(cust.customers)), rejected=nf.count(len(cust.rejected)),
            ))
            if len(cust.rejected):
                st.dataframe(_reasons(cust.rejected.head(PREVIEW_ROWS), cust.reasons),
                             hide_index=True, width="stretch")
                downloads(_reasons(cust.rejected, cust.reasons), "rejected_customers",
                          "data.rejected_customers", DL)
    with tab_lines:
        if lines.empty:
            st.info(t("data.no_lines"))
        else:
            st.caption(t(
                "data.preview_caption", shown=nf.count(min(PREVIEW_ROWS, len(lines))),
                lines=nf.count(len(lines)),
            ))
            preview = _lines_for_people(lines, nf)
            st.dataframe(preview, hide_index=True, width="stretch",
                         column_config=right_aligned(preview, nf))
            downloads(lines, "canonical_lines", "data.lines", DL)
    with tab_report:
        st.caption(t("data.report_help"))
        report = uploads.validation_report(
            result, t, file=reading["file"], currency=reading["currency"], customers=cust,
            customers_name=reading["customers_name"],
        )
        shown = report.assign(**{report.columns[1]: [
            nf.count(v) if isinstance(v, int) else v for v in report.iloc[:, 1].tolist()
        ]})
        st.dataframe(shown, hide_index=True, width="stretch")
        downloads(report, "validation_report", "data.report", DL)


def _warehouse_panel(source) -> None:
    """The warehouse in use (issue 16): its name, its lines counted where they are, where it
    is (no credentials), its table, the columns mapped and the table's columns."""
    wnf = number_format(fr.lang, source.currency)
    try:
        rows = warehouse.row_count(source)
        described = warehouse.described(source)
    except Exception as exc:  # noqa: BLE001 - a database error: said, never a traceback
        st.error(t("warehouse.error", error=plain_md(str(exc))), icon=":material/database:")
        return
    st.success(t("warehouse.in_use", name=plain_md(source.name), rows=wnf.count(rows)),
               icon=":material/database:")
    with st.expander(t("warehouse.details"), icon=":material/database:"):
        st.caption(t("warehouse.help"))
        mapping = described["mapping"]
        facts = pd.DataFrame({
            "": [t("warehouse.where"), t("warehouse.table"), t("warehouse.rows"),
                 t("warehouse.mapping"), t("warehouse.columns")],
            " ": [described["url"], described["table"] or "–", wnf.count(rows),
                  ", ".join(f"{k} ← {v}" for k, v in mapping.items()) or t("warehouse.none"),
                  ", ".join(described["columns"])],
        })
        st.dataframe(facts, hide_index=True, width="stretch")


st.title(t("data.title"))
st.caption(t("data.intro"))

source = data.current_source()
if warehouse.is_warehouse(source):
    _warehouse_panel(source)
elif data.is_sample(source):
    st.info(t("data.using_sample"), icon=":material/dataset:")
else:
    st.success(t("data.in_use", name=plain_md(source.name)), icon=":material/check_circle:")
    # Kept for this browser: until when, and "Forget this data" instead of "Back to the sample".
    if not browser_memory.data_page_status(t, fr.lang, source):
        st.button(t("data.back"), on_click=data.clear_upload, icon=":material/undo:",
                  key="data.back")

# Spreadsheets and Parquet files are read in a child process: start the server it forks from.
uploads.warm_reader()

# --- files --------------------------------------------------------------------------------------
# Streamlit's uploaders write their own English ("Upload", "200MB per file"): the reader's words
# instead, for the three uploaders of this page (a style block only, taking no room).
st.html(data.uploader_style(t, st.get_option("server.maxUploadSize"), {
    "data.export": FILE_TYPES, "data.customers": FILE_TYPES, "data.fx_file": RATE_FILE_TYPES,
}))
c1, c2 = st.columns(2)
export_file = c1.file_uploader(
    t("data.subscriptions"), type=FILE_TYPES, key="data.export", help=t("data.subscriptions_help"),
    on_change=_uploader_changed,
)
customers_file = c2.file_uploader(
    t("data.customers"), type=FILE_TYPES, key="data.customers", help=t("data.customers_help"),
)
pending = ss.get(_PENDING)
used = ss.get(_USED)
if pending is not None and used is not None and used[0][0] == pending["digest"]:
    pending = None  # in use: shown as such below
if export_file is not None:
    export_name = export_file.name
elif pending is not None:
    # Back on this page before "Use this data": Streamlit's uploader forgot the file (a page
    # change unmounts it), this page did not. It stays until used, removed or forgotten.
    export_name = pending["name"]
    p1, p2 = st.columns([3, 1])
    p1.info(t("data.pending", name=plain_md(export_name)), icon=":material/draft:")
    p2.button(t("data.pending_forget"), on_click=ss.pop, args=(_PENDING, None),
              key="data.pending_forget", width="stretch")
if export_file is None and pending is None:
    if customers_file is not None:
        st.info(t("data.export_first"), icon=":material/info:")
    in_use = ss.get(_USED_READING)
    if in_use is not None and not data.is_sample(source) and in_use["source_key"] == source.key:
        # Back on this page after "Use this data": the uploader forgot the file, not the reading.
        st.caption(t("data.showing_in_use", name=plain_md(in_use["name"])))
        in_use_nf = number_format(fr.lang, in_use["currency"])
        _validation(in_use, in_use_nf)
        _details(in_use, in_use_nf)
    else:
        with st.expander(t("data.where"), icon=":material/help:"):
            st.markdown(t("data.where_body"))
    state.stop()

with st.spinner(t("data.reading"), show_time=True):
    if export_file is not None:
        raw, digest = uploads.upload_bytes(export_file)
        ss[_PENDING] = {"name": export_name, "raw": raw, "digest": digest}
    else:
        raw, digest = pending["raw"], pending["digest"]
    customers_raw, customers_digest = (
        uploads.upload_bytes(customers_file) if customers_file is not None else (None, None)
    )
    # The customers file's id column, when the user had to name it (see below).
    customers_id_key = f"data.customers_id.{(customers_digest or '')[:16]}"
    customers_id = ss.get(customers_id_key) if customers_raw is not None else None
    cust, cust_error = (
        uploads.read_customers_upload(customers_raw, customers_digest, customers_id)
        if customers_raw is not None else (None, None)
    )
    mapping = ss.get(_MAPPINGS, {}).get(digest)
    # What the file's end dates are: told by the file ("auto") until the user says (below).
    # (Kept apart from the radio, whose key holds the language: its words change with it.)
    ends = ss.get(_ENDS, {}).get(digest, "auto")
    ends_key = f"data.ends.{digest[:16]}.{fr.lang}"
    # The file read once: its format, columns and currencies; every reading below starts from it.
    meanings = ss.get(_MEANINGS, {}).get(digest)
    inspection = uploads.inspect_upload(raw, digest, mapping, ends, meanings)
    headers = inspection.headers
    options = dict(mapping=mapping, customers=customers_raw, digest=digest,
                   customers_digest=customers_digest, customers_id=customers_id, end=ends,
                   meanings=meanings)
    # The reporting currency picked on the previous run (the picker is drawn below, once the
    # file's currencies are known); None = as in the file.
    reporting_key = f"data.reporting.{digest[:16]}"
    chosen = ss.get(reporting_key)
    asked = chosen.strip().upper() if uploads.is_currency_code(chosen) else None
    upload = uploads.read_upload(raw, reporting_currency=asked, **options)
    # A file mixing currencies shows its format, columns and currencies until a reporting
    # currency is chosen.
    known = inspection if upload.result is not None or upload.kind == "currencies" else None
    currencies = inspection.currencies

# --- how the file was read ------------------------------------------------------------------------
if customers_raw is not None and (cust is None or customers_id is not None):
    kind = None if cust is not None else messages.problem_kind(customers_raw, cust_error)
    if kind is not None:
        st.warning(t("data.customers_error", error=t(
            f"problem.{kind}", **messages.problem_values(cust_error, fr.lang))),
                   icon=":material/warning:")
        with st.expander(t("data.details")):
            st.caption(cust_error)
    customer_headers = uploads.customers_headers(customers_raw, customers_digest)
    if kind in ("no_id", None) and customer_headers:
        # No header says "customer": let the user name the column.
        st.selectbox(
            t("data.customers_id"), customer_headers, key=customers_id_key, index=None,
            placeholder=t("data.customers_id_placeholder"), help=t("data.customers_id_help"),
        )
result = upload.result
if known is not None:
    st.success(t("data.format", format=t(f"format.{known.format}")), icon=":material/task:")
if upload.kind == "currencies":
    st.warning(t("problem.currencies", currencies=_listing(currencies)), icon=":material/payments:")
elif result is None:
    guessed = guess_mapping(headers) if upload.kind == "no_columns" and headers else {}
    if guessed:
        # Some roles were recognised: name only the ones still to pick.
        needed = {"customer_id": t("role.customer_id"), "start": t("role.start"),
                  "mrr": f"{t('role.mrr')} / {t('role.amount')}"}
        missing = [name for role, name in needed.items() if role not in guessed
                   and not (role == "mrr" and "amount" in guessed)]
        _problem("no_columns_some", upload.error,
                 missing=", ".join(t("warning.quoted", value=m) for m in missing))
    else:
        _problem(upload.kind, upload.error)
    if upload.kind != "no_columns":  # that one is fixed below, in the column mapping
        st.caption(t("data.try_again"))
if result is not None and mapping is not None:
    st.caption(t("data.mapping_on"))
if result is not None and known.format in ("generic", "canonical") and (
        result.end_convention is not None or ends != "auto"):
    # How the end dates were read (the note below says why): the user may say otherwise.
    detected = result.end_convention if ends == "auto" else None
    st.radio(
        t("data.ends"), list(END_CONVENTIONS), key=ends_key, horizontal=True,
        on_change=_keep_ends, args=(digest, ends_key),
        index=END_CONVENTIONS.index(ends),
        format_func=lambda c: (t(f"data.ends.detected_{detected}") if c == "auto" and detected
                               else t(f"data.ends.{c}")),
        help=t("data.ends_help"),
    )
# Filled once the reading is final (the currency chosen below may read the file again).
notes_box = st.container()

# The mapping can fix a file that was read, or whose columns were not recognised; not one that
# is empty, has no rows or is no table at all.
if headers and (known is not None or upload.kind in ("no_columns", "other")):
    # Columns not recognised as a whole: still pre-fill the roles some header names (an
    # "amount" column without a customer column is the amount), so only the rest is to pick.
    shown = dict(mapping if mapping is not None
                 else known.mapping if known is not None else guess_mapping(headers))
    if known is not None and mapping is None and known.format in VENDORS and VENDORS[
            known.format].periods and "amount" in shown and "period_amount" not in shown:
        # A vendor's billed periods: read through a mapping, each amount is its row's period's.
        shown["period_amount"] = shown.pop("amount")
    vendor = known is not None and mapping is None and known.format not in ("generic", "canonical")
    with st.expander(
        t("data.mapping"), icon=":material/table_edit:",
        expanded=upload.kind == "no_columns" or mapping is not None,
    ):
        st.caption(t("data.mapping_help"))
        head = inspection.head
        if head is not None and len(head):
            st.caption(t("data.mapping_head", count=len(head), rows=len(head)))
            st.dataframe(head, hide_index=True, width="stretch")
        st.caption(t("data.mapping_needed"))
        if vendor:
            st.warning(t("data.mapping_vendor", format=t(f"format.{known.format}")))
        round_ = ss.get(_MAPPING_ROUND, 0)
        # Keys hold the language: a language switch draws the form again in its words.
        keys = {role: f"data.map.{digest[:16]}.{round_}.{fr.lang}.{role}" for role in ROLES}
        choices = [None, *headers]
        with st.form(f"data.mapping.{digest[:16]}.{round_}.{fr.lang}", border=False):
            columns = st.columns(3)
            for i, role in enumerate(ROLES):
                current = shown.get(role)
                columns[i % 3].selectbox(
                    t(f"role.{role}"), choices, key=keys[role],
                    index=choices.index(current) if current in choices else 0,
                    format_func=lambda h: t("data.no_column") if h is None else h,
                )
            b1, b2, _ = st.columns([1, 1, 1])
            b1.form_submit_button(
                t("data.mapping_apply"), on_click=_apply_mapping, args=(digest, keys),
                type="primary" if upload.kind == "no_columns" else "secondary", width="stretch",
            )
            if mapping is not None:
                b2.form_submit_button(
                    t("data.mapping_reset"), on_click=_reset_mapping, args=(digest,),
                    width="stretch",
                )
# What the values of the status and line-type columns mean: the usual words' meanings, shown and
# editable (a value with none rejects its rows).
value_roles = [role for role in ("status", "type") if known is not None
               and known.format == "generic" and known.mapping.get(role)]
if value_roles:
    with st.expander(t("data.meanings"), icon=":material/rule:",
                     expanded=meanings is not None  # (the user's choices stay in sight)
                     or any(known.values(r)["meaning"].isna().any() for r in value_roles)):
        st.caption(t("data.meanings_help"))
        round_ = ss.get(_MAPPING_ROUND, 0)
        keys = {}
        with st.form(f"data.meanings.{digest[:16]}.{round_}.{fr.lang}", border=False):
            for role in value_roles:
                found = known.values(role)
                st.markdown(t(f"data.meanings_{role}", column=_plain_markdown(known.mapping[role])))
                if len(found) > MAX_MEANINGS:
                    st.caption(t.plural("data.meanings_more", len(found) - MAX_MEANINGS,
                                        count=number_format(fr.lang).count(len(found) - MAX_MEANINGS)))
                options_ = [None, *(MEANINGS if role == "status" else LINE_TYPES)]
                keys[role] = []
                columns = st.columns(3)
                for i, (value, rows, meaning) in enumerate(
                        found.head(MAX_MEANINGS).itertuples(index=False)):
                    key = f"data.meaning.{digest[:16]}.{round_}.{fr.lang}.{role}.{i}"
                    keys[role].append((value, key))
                    columns[i % 3].selectbox(
                        t.plural("data.meaning_of", rows, value=value or t("data.blank_value"),
                                 count=number_format(fr.lang).count(rows)),
                        options_, key=key, index=options_.index(meaning),
                        format_func=lambda c: (t("data.meaning_none") if c is None
                                               else t(f"data.meaning.{c}")),
                    )
            c1, c2, _ = st.columns([1, 1, 1])
            c1.form_submit_button(t("data.meanings_apply"), on_click=_apply_meanings,
                                  args=(digest, keys), width="stretch")
            if meanings is not None:
                c2.form_submit_button(t("data.meanings_reset"), on_click=_reset_meanings,
                                      args=(digest,), width="stretch")

if known is None:
    state.stop()

# --- currency and exchange rates ----------------------------------------------------------------
st.subheader(t("data.money"))
has_currency = bool(known.mapping.get("currency"))
file_single = currencies[0] if has_currency and len(currencies) == 1 else None
offered = list(dict.fromkeys([*currencies, *COMMON_CURRENCIES]))
if chosen and chosen not in offered:
    offered.append(chosen)  # a code the user typed earlier
if not has_currency:
    default = "EUR"  # shown, never silently assumed: the user sees and can change it
elif file_single:
    default = file_single
else:
    default = None  # several currencies: the user must choose
m1, m2 = st.columns([1, 2])
picked = m1.selectbox(
    t("data.amounts_in") if not has_currency else t("data.reporting"),
    offered, key=reporting_key, index=None if default is None else offered.index(default),
    placeholder=t("data.choose_currency"), accept_new_options=True,
    help=t("data.reporting_help"),
)
reporting = picked.strip().upper() if uploads.is_currency_code(picked) else None
if picked and reporting is None:
    m1.warning(t("data.reporting_bad", code=picked))
if not has_currency:
    m2.caption(t("data.no_currency_column"))
elif len(currencies) > 1:
    m2.caption(t("data.file_currencies", currencies=_listing(currencies)))
elif file_single:
    m2.caption(t("data.file_currency", currency=file_single))

currency = reporting or file_single or "EUR"
nf = number_format(fr.lang, currency)

# What read_export is told: a single-currency file shown in its own currency, or a file without a
# currency column, reads the same without it (one cached read instead of two).
wanted = reporting if has_currency and (reporting != file_single) else None
if wanted != asked:
    with st.spinner(t("data.reading"), show_time=True):
        upload = uploads.read_upload(raw, reporting_currency=wanted, **options)
if upload.result is None:
    if upload.kind == "currencies":
        st.info(t("data.need_reporting"), icon=":material/payments:")
    else:
        _problem(upload.kind, upload.error)
    state.stop()

others = [c for c in currencies if c != wanted] if wanted else []
fx = None
rates_ignored = 0
if others:
    mode = st.radio(
        t("data.rates_mode"), ["currency", "month"], key=f"data.fx_mode.{digest[:16]}",
        horizontal=True, format_func=lambda m: t(f"data.rates_{m}"),
    )
    if mode == "currency":
        st.caption(t("data.rates_help", reporting=wanted))
        table = st.columns([2, 3])[0].data_editor(
            pd.DataFrame({"currency": others, "rate": [None] * len(others)}).astype(
                {"currency": "str", "rate": "float64"}
            ),
            key=f"data.fx.{digest[:16]}.{wanted}.{'.'.join(others)}",
            hide_index=True, num_rows="fixed", disabled=["currency"],
            column_config={
                "currency": st.column_config.TextColumn(t("data.currency")),
                "rate": st.column_config.NumberColumn(
                    t("data.rate"), min_value=0.0, format="%.6g",
                    help=t("data.rates_help", reporting=wanted),
                ),
            },
        )
        fx = uploads.rates_from_table(table) or None
    else:
        st.caption(t("data.rates_month_help", reporting=wanted))
        r1, r2 = st.columns([3, 2])
        rates_file = r2.file_uploader(
            t("data.rates_file"), type=RATE_FILE_TYPES, key="data.fx_file",
            help=t("data.rates_file_help"),
        )
        table = None
        if rates_file is not None:
            rates_raw, rates_digest = uploads.upload_bytes(rates_file)
            table, rates_error = uploads.read_rates_upload(rates_raw, rates_digest)
            if table is None:
                r2.warning(t("data.rates_file_error", error=messages.problem_text(rates_error, t)))
        if table is None:
            table = r1.data_editor(
                pd.DataFrame({"currency": others, "month": [None] * len(others),
                              "rate": [None] * len(others)}).astype(
                    {"currency": "str", "month": "datetime64[s]", "rate": "float64"}
                ),
                key=f"data.fx_month.{digest[:16]}.{wanted}.{'.'.join(others)}",
                hide_index=True, num_rows="dynamic",
                column_config={
                    "currency": st.column_config.SelectboxColumn(
                        t("data.currency"), options=others, required=True,
                    ),
                    "month": st.column_config.DateColumn(t("data.month"), format="YYYY-MM"),
                    "rate": st.column_config.NumberColumn(
                        t("data.rate"), min_value=0.0, format="%.6g",
                        help=t("data.rates_help", reporting=wanted),
                    ),
                },
            )
        else:
            rates_shown = table.assign(month=_rate_months(table["month"], nf)).rename(
                columns={"currency": t("data.currency"), "month": t("data.month"),
                         "rate": t("data.rate")})
            r1.dataframe(rates_shown, hide_index=True, width="stretch", column_config=right_aligned(
                rates_shown, nf, kinds={t("data.rate"): "ratio"}))
        monthly, rates_ignored = uploads.monthly_rates(table)
        fx = monthly if len(monthly) else None
    if rates_ignored:
        st.caption(t("data.rates_ignored", rows=nf.count(rates_ignored)))
if fx is not None:
    with st.spinner(t("data.reading"), show_time=True):
        upload = uploads.read_upload(raw, reporting_currency=wanted, fx_rates=fx, **options)
    if upload.result is None:
        _problem(upload.kind, upload.error)
        state.stop()
result = upload.result
if result.warnings:
    with notes_box.expander(t("data.notes"), icon=":material/info:"):
        st.markdown(_notes(result))
if others:
    no_rate = uploads.rows_without_rate(result)
    if no_rate:
        missing = uploads.currencies_without_rate(result)
        st.warning(
            t("data.rates_missing", rows=nf.count(no_rate), currencies=_listing(missing)),
            icon=":material/currency_exchange:",
        )
    elif fx is not None:
        st.caption(t("data.rates_all", reporting=wanted))
rates_key = None if fx is None else uploads.rates_key(fx)
read_key = (digest, customers_digest, repr(mapping), repr(meanings), wanted, rates_key)

# --- validation and details ---------------------------------------------------------------------
name = export_name + (f" + {customers_file.name}" if customers_file is not None else "")
reading = {
    "result": result, "customers": cust, "file": export_name,
    "customers_name": None if customers_file is None else customers_file.name,
    "name": name, "currency": currency,
}
_validation(reading, nf)
if not result.lines.empty:
    used = ss.get(_USED)
    in_use = used is not None and used[0] == read_key and source.key == used[1]
    u1, u2 = st.columns([1, 3], vertical_alignment="center")
    u1.button(
        t("data.use"), type="primary", icon=":material/check:", disabled=in_use,
        help=t("data.use_help"), key="data.use", on_click=_use, args=(read_key, reading),
        width="stretch",
    )
    if in_use:
        u2.page_link(shell.PAGES[0].path, label=t("data.go_overview"), icon=":material/dashboard:")
    elif not data.is_sample(source) and source.name == name:
        u2.caption(t("data.in_use_older"))
_details(reading, nf)
