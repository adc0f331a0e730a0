"""Data: upload a billing export (and a customers file), see how it was read, fix the column
mapping and the currencies, check every rejected row, then use the lines on every page for this
session. Reading is :func:`mrrkit.read_export`, cached on the upload's digest (ui.data)."""

import pandas as pd
import streamlit as st

from ui import data
from ui.format import number_format
from ui.shell import frame
from ui.tables import downloads

#: The fields the mapping editor offers, in the order of the form (mrrkit.read_export's roles).
ROLES = (
    "customer_id", "start", "end", "mrr", "amount", "interval", "interval_count", "quantity",
    "currency", "trial_end", "plan", "product", "churn_reason",
)
FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet"]
PREVIEW_ROWS = 200
_MAPPINGS = "_mrrkit_data_mappings"  # file digest -> the mapping the user applied
_MAPPING_ROUND = "_mrrkit_data_mapping_round"  # bumped to re-draw the form from a new mapping
_USED = "_mrrkit_data_used"  # (what was read, source key) of the last "Use this data"

fr = frame("Data", icon="📂")
t = fr.t
DL = (t("download.csv"), t("download.excel"))
ss = st.session_state


def _apply_mapping(digest: str, keys: dict[str, str]) -> None:
    ss.setdefault(_MAPPINGS, {})[digest] = {role: ss.get(key) for role, key in keys.items()}
    ss[_MAPPING_ROUND] = ss.get(_MAPPING_ROUND, 0) + 1


def _reset_mapping(digest: str) -> None:
    ss.get(_MAPPINGS, {}).pop(digest, None)
    ss[_MAPPING_ROUND] = ss.get(_MAPPING_ROUND, 0) + 1


def _use(read_key: tuple, name: str, lines, currency: str) -> None:
    source = data.upload_source(name, lines, currency)
    data.set_upload(source)
    ss[_USED] = (read_key, source.key)


st.title(t("data.title"))
st.caption(t("data.intro"))

source = data.current_source()
if data.is_sample(source):
    st.info(t("data.using_sample"), icon=":material/dataset:")
else:
    st.success(t("data.in_use", name=source.name), icon=":material/check_circle:")
    st.button(t("data.back"), on_click=data.clear_upload, icon=":material/undo:")

# --- files --------------------------------------------------------------------------------------
c1, c2 = st.columns(2)
export_file = c1.file_uploader(
    t("data.subscriptions"), type=FILE_TYPES, key="data.export", help=t("data.subscriptions_help"),
)
customers_file = c2.file_uploader(
    t("data.customers"), type=FILE_TYPES, key="data.customers", help=t("data.customers_help"),
)
if export_file is None:
    st.stop()
raw, digest = data.upload_bytes(export_file)
customers_raw, customers_digest = (
    data.upload_bytes(customers_file) if customers_file is not None else (None, None)
)

# --- currency (asked first: a file mixing currencies cannot be read without it) ------------------
st.subheader(t("data.money"))
m1, m2 = st.columns([1, 2])
typed = m1.text_input(
    t("data.reporting"), key="data.reporting", max_chars=3,
    placeholder=t("data.reporting_placeholder"), help=t("data.reporting_help"),
).strip().upper()
reporting = typed if len(typed) == 3 and typed.isascii() and typed.isalpha() else None
if typed and reporting is None:
    m1.warning(t("data.reporting_bad", code=typed))

mapping = ss.get(_MAPPINGS, {}).get(digest)
options = dict(mapping=mapping, reporting_currency=reporting, customers=customers_raw,
               digest=digest, customers_digest=customers_digest)
upload = data.read_upload(raw, **options)
rates = {}
if upload.result is not None and reporting:
    others = [c for c in data.file_currencies(upload.result) if c != reporting]
    if others:
        m2.markdown(f"**{t('data.rates', reporting=reporting)}**")
        table = m2.data_editor(
            pd.DataFrame({"currency": others, "rate": [None] * len(others)}).astype(
                {"currency": "str", "rate": "float64"}
            ),
            key=f"data.fx.{reporting}.{'.'.join(others)}",
            hide_index=True, num_rows="fixed", disabled=["currency"],
            column_config={
                "currency": st.column_config.TextColumn(t("data.currency")),
                "rate": st.column_config.NumberColumn(
                    t("data.rate"), min_value=0.0, format="%.6g",
                    help=t("data.rates_help", reporting=reporting),
                ),
            },
        )
        rates = data.rates_from_table(table)
if rates:
    upload = data.read_upload(raw, fx_rates=rates, **options)
read_key = (digest, customers_digest, repr(mapping), reporting, tuple(sorted(rates.items())))

# --- how the file was read -------------------------------------------------------------------------
if customers_raw is not None:
    cust, cust_error = data.read_customers_upload(customers_raw, customers_digest)
    if cust_error:
        st.warning(t("data.customers_error", error=cust_error))
result = upload.result
if result is None:
    st.error(t("data.error", error=upload.error), icon=":material/error:")
else:
    st.success(t("data.format", format=t(f"format.{result.format}")))
    if mapping is not None:
        st.caption(t("data.mapping_on"))
    if result.warnings:
        with st.expander(t("data.notes")):
            st.markdown("\n".join(f"- {note}" for note in result.warnings))

headers = data.file_headers(raw, digest)
if headers:
    shown = mapping if mapping is not None else (result.mapping if result is not None else {})
    with st.expander(t("data.mapping"), expanded=result is None or mapping is not None):
        st.caption(t("data.mapping_help"))
        if result is not None and mapping is None and result.format not in ("generic", "canonical"):
            st.caption(t("data.mapping_vendor", format=t(f"format.{result.format}")))
        round_ = ss.get(_MAPPING_ROUND, 0)
        keys = {role: f"data.map.{digest[:16]}.{round_}.{role}" for role in ROLES}
        choices = [None, *headers]
        with st.form(f"data.mapping.{digest[:16]}.{round_}", border=False):
            columns = st.columns(3)
            for i, role in enumerate(ROLES):
                current = shown.get(role)
                columns[i % 3].selectbox(
                    t(f"role.{role}"), choices, key=keys[role],
                    index=choices.index(current) if current in choices else 0,
                    format_func=lambda h: t("data.no_column") if h is None else h,
                )
            st.form_submit_button(
                t("data.mapping_apply"), on_click=_apply_mapping, args=(digest, keys),
            )
        if mapping is not None:
            st.button(t("data.mapping_reset"), on_click=_reset_mapping, args=(digest,))
if result is None:
    st.stop()

# --- validation report ------------------------------------------------------------------------------
currency = reporting or data.single_currency(result) or "EUR"
nf = number_format(fr.lang, currency)
st.subheader(t("data.report"))
tiles = st.columns(4)
for tile, (label, value) in zip(tiles, [
    ("data.rows_read", result.rows_read), ("data.rows_kept", result.rows_kept),
    ("data.rows_rejected", len(result.rejected)), ("data.lines", len(result.lines)),
]):
    tile.metric(t(label), nf.count(value), border=True)
rejected = result.rejected
if len(rejected):
    by_reason = (
        rejected["reason"].value_counts().rename_axis(t("data.reason")).rename(t("data.rows"))
        .reset_index()
    )
    st.dataframe(by_reason, hide_index=True, width="stretch")
    st.markdown(f"**{t('data.rejected')}**")
    st.caption(t("data.rejected_help"))
    st.dataframe(rejected.head(PREVIEW_ROWS), hide_index=True, width="stretch")
    downloads(rejected, "rejected_rows", "data.rejected", DL)
else:
    st.success(t("data.no_rejected"))
if customers_raw is not None and cust is not None:
    st.caption(t(
        "data.customers_report", read=nf.count(cust.rows_read),
        kept=nf.count(len(cust.customers)), rejected=nf.count(len(cust.rejected)),
    ))
    if len(cust.rejected):
        downloads(cust.rejected, "rejected_customers", "data.rejected_customers", DL)

# --- canonical lines --------------------------------------------------------------------------------
lines = result.lines
st.subheader(t("data.preview"))
if lines.empty:
    st.warning(t("data.no_lines"))
    st.stop()
st.caption(t(
    "data.preview_caption", lines=nf.count(len(lines)),
    customers=nf.count(lines["customer_id"].nunique()),
    first=lines["start"].min().date().isoformat(), last=lines["start"].max().date().isoformat(),
    currency=currency, shown=nf.count(min(PREVIEW_ROWS, len(lines))),
))
st.dataframe(lines.head(PREVIEW_ROWS), hide_index=True, width="stretch")
downloads(lines, "canonical_lines", "data.lines", DL)

# --- use it -----------------------------------------------------------------------------------------
name = export_file.name + (f" + {customers_file.name}" if customers_file is not None else "")
used = ss.get(_USED)
in_use = used is not None and used[0] == read_key and source.key == used[1]
st.button(
    t("data.use"), type="primary", icon=":material/check:", disabled=in_use,
    help=t("data.use_help"), key="data.use", on_click=_use, args=(read_key, name, lines, currency),
)
if in_use:
    st.page_link("app.py", label=t("data.go_overview"), icon=":material/dashboard:")
