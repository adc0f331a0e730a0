"""Scenarios: the retention model fitted to the data (sBG over the cohorts' logo survival, by
segment, with its LTV next to the simple one; a segment too small gets the whole base's fit, and
mrrkit's flags on each fit -- not identified, extrapolated -- are said in plain words, the model's
parameters kept in an expander for experts), the baseline forecast with its band and backtest,
and up to three what-if scenarios against the baseline (levers in the reader's number format).

Every input is in the URL (``sc.*`` keys; a scenario's levers as :meth:`mrrkit.Scenario.to_dict`
values, its scope as a segment -- dimension and value -- not as customer ids), so a link
reproduces the scenarios exactly. The forecast inputs are estimated once per data source,
filters and method; a slider move only re-projects that scenario. The backtest (a whole second
estimation) is computed only while its section is open (``sc.backtest=1`` in the URL).
"""

import math

import pandas as pd
import streamlit as st

from mrrkit import FORECAST_METHODS, SCENARIO_METRICS, ForecastError, Scenario
# The per-segment fit's thresholds, which the page explains (the model's own constants).
from mrrkit.models.segment_fits import (
    FALLBACK_CODES,
    MAX_LOG_SE,
    MIN_FIT_CHURNS,
    MIN_FIT_CUSTOMERS,
    MIN_FIT_MONTHS,
)
from ui import charts, shell, state, views
from ui.format import plain_md
from ui.tables import show_table

ctx = shell.context()
t, nf = ctx.t, ctx.nf
DL = (t("download.csv"), t("download.excel"))
EVERYONE = views.EVERYONE  # URL value of "no segment" (retention split, scenario scope)
MAX_SCENARIOS = 3
dims = list(ctx.base.dimensions)

st.title(t("scenarios.title"))
shell.definitions_caption(ctx)


def dim_label(d: str) -> str:
    return t("scenarios.everyone") if d == EVERYONE else ctx.label(d)


def selected_values(dim: str) -> list[str]:
    """The values of ``dim`` that the selected customers have, in the dimension's order."""
    sizes = views.label_sizes(ctx.data, dim)
    return [v for v, n in sizes.items() if n > 0]


def static_table(frame, name, key, formats, headers):
    """``show_table`` for a table that does not move with the scenario sliders (formatted once
    per content by ``show_table`` itself, not on every slider move)."""
    show_table(frame, name, key, nf, formats, headers=headers, labels=DL)


# --- retention model ------------------------------------------------------------------------------
st.header(t("scenarios.retention"))
r1, r2 = st.columns([2, 1])
ret_dim = state.selectbox(
    t("scenarios.retention_by"), [EVERYONE, *dims], key="sc.ret_dim", default=EVERYONE,
    format_func=dim_label, container=r1,
)
ret_cohorts = state.segmented(
    t("scenarios.cohorts"), ["all", "period"], key="sc.ret_cohorts",
    format_func=lambda c: t(f"scenarios.cohorts.{c}"), container=r2,
    help=t("scenarios.cohorts_help"),
)
#: The cohorts fitted: every one (None), or those acquired in the reporting period.
fitted_cohorts = (None if ret_cohorts == "all" else
                  tuple(str(p) for p in pd.period_range(ctx.start, ctx.end, freq="M")))


def lifetime_text(months: float, unit: bool = True) -> str:
    """A lifetime in months as text: "∞" when infinite, "42" or "42 months"."""
    if math.isinf(months):
        return "∞"
    value = nf.number(months, 1 if months % 1 else 0)
    return t("scenarios.n_months", n=value) if unit else value


def duration_text(months: float) -> str:
    """A span of time in words: "18 months" under two years, else "3.9 years"."""
    if math.isinf(months):
        return t("scenarios.over_100_years")
    if months < 24:
        return t("scenarios.n_months", n=nf.number(months, 0))
    years = round(months / 12, 1)
    return t("scenarios.n_years", n=nf.number(years, 1 if years % 1 else 0))


def fit_note(fit) -> str:
    """What to know about a segment's fit, in the reader's words, from mrrkit's flags: why the
    whole base's fit is used, whether the data pin the fit down, how far a figure extrapolates."""
    notes = []
    reason = next((f for f in fit.flags if f.code in FALLBACK_CODES), None)
    if reason is not None:
        counts = {k: nf.count(v) for k, v in reason.values.items()}
        notes.append(t("scenarios.note.pooled" if fit.source == "pooled" else
                       "scenarios.note.unfitted", reason=t(f"scenarios.flag.{reason.code}",
                                                           **counts)))
    if fit.fit is not None and not fit.identified:
        notes.append(t("scenarios.note.unidentified"))
    median = fit.flag("median_beyond_data")
    if median is not None:
        notes.append(t("scenarios.note.median_beyond",
                       median=duration_text(median["median_months"]),
                       observed=duration_text(median["observed_months"])))
    ltv = fit.flag("ltv_beyond_data")
    if ltv is not None:
        notes.append(t("scenarios.note.ltv_beyond", share=nf.pct(ltv["share"], 0),
                       observed=duration_text(ltv["observed_months"])))
    text = "; ".join(notes)
    return text[:1].upper() + text[1:]


everyone = views.retention_fits(ctx.data, EVERYONE, fitted_cohorts)[0]
if everyone.fit is None:
    reason = everyone.flags[0]
    value = {"too_few_customers": "customers", "too_few_churns": "churned",
             "too_few_months": "months"}.get(reason.code)
    st.info(t("scenarios.no_churn_fit") if value is None else
            t(f"scenarios.no_fit.{reason.code}", n=nf.count(reason["minimum"]),
              found=nf.count(reason[value])))
else:
    row = everyone.figures()
    st.caption(t("scenarios.retention_caption", customers=nf.count(row["customers"]),
                 months=duration_text(everyone.observed_months),
                 cohorts=t(f"scenarios.cohorts_text.{ret_cohorts}", start=ctx.month(ctx.start),
                           end=ctx.month(ctx.end))))
    tiles = [
        ("scenarios.simple_ltv", nf.money(row["simple_ltv"]), t("scenarios.simple_ltv_help")),
        ("scenarios.model_ltv", nf.money(row["model_ltv"]), t("scenarios.model_ltv_help")),
        ("scenarios.first_month_churn", nf.pct(row["first_month_churn"]), None),
        ("scenarios.survival_12m", nf.pct(row["survival_12m"]), None),
        ("scenarios.median_lifetime", lifetime_text(row["median_lifetime"], unit=False),
         t("scenarios.median_lifetime_help",
           mean=lifetime_text(row["expected_lifetime_months"]))),
    ]
    for col, (key, value, help_text) in zip(st.columns(len(tiles)), tiles):
        col.metric(t(key), value, help=help_text, border=True)
    note = fit_note(everyone)
    if note and not everyone.identified:
        st.warning(note, icon=":material/warning:")
    elif note:
        st.caption(note)
    st.caption(t("scenarios.revenue_caption", revenue=nf.pct(row["revenue_survival_12m"]),
                 logos=nf.pct(row["survival_12m"])))

fits = ((everyone,) if ret_dim == EVERYONE
        else views.retention_fits(ctx.data, ret_dim, fitted_cohorts)[1:])
# (The fits' curves are indexed by age: the chart reads it as a column.)
curves = [f.curves.rename_axis("age").reset_index()
          .assign(segment=EVERYONE if f.segment is None else f.segment)
          for f in fits if f.curves is not None]
if curves:
    curves = pd.concat(curves, ignore_index=True)
    shown_curves = curves.assign(segment=curves["segment"].map(
        lambda v: t("scenarios.everyone") if v == EVERYONE else ctx.value_label(v)))
    cohort_lines = None
    if ret_dim == EVERYONE:
        cohort_lines = views.cohort_survivors(ctx.data)
        if fitted_cohorts is not None:
            cohort_lines = cohort_lines[cohort_lines.index.isin(
                pd.PeriodIndex(fitted_cohorts, freq="M"))]
    ctx.chart(charts.retention_fit_chart, shown_curves, cohort_lines)
    st.caption(t("scenarios.retention_chart_help" if ret_dim == EVERYONE
                 else "scenarios.retention_segments_help"))


def segment_name(fit) -> str:
    return t("scenarios.everyone") if fit.segment is None else ctx.value_label(fit.segment)


ret_columns = ["note", "customers", "churned", "first_month_churn", "survival_12m",
               "revenue_survival_12m", "median_lifetime", "arpa", "mean_churn_rate",
               "simple_ltv", "del_months", "expected_lifetime_months", "model_ltv",
               "ltv_beyond_share"]
ret_table = pd.DataFrame(
    [{**f.figures(), "note": fit_note(f)} for f in fits],
    index=pd.Index([segment_name(f) for f in fits], name="segment"),
).reindex(columns=ret_columns)
ret_headers = {c: t(f"scenarios.col.{c}") for c in ret_columns}
ret_headers["segment"] = t("col.segment") if ret_dim == EVERYONE else ctx.label(ret_dim)
static_table(
    ret_table, f"retention_model_{ret_dim}_{ret_cohorts}", "retention",
    {"note": "text", "customers": "count", "churned": "count", "first_month_churn": "pct",
     "survival_12m": "pct", "revenue_survival_12m": "pct", "median_lifetime": "number",
     "arpa": "money", "mean_churn_rate": "pct", "simple_ltv": "money", "del_months": "number",
     "expected_lifetime_months": "number", "model_ltv": "money", "ltv_beyond_share": "pct"},
    ret_headers,
)
if any(f.source != "own" for f in fits):
    st.caption(t("scenarios.too_small", n=nf.count(MIN_FIT_CUSTOMERS),
                 churns=nf.count(MIN_FIT_CHURNS), months=nf.count(MIN_FIT_MONTHS)))
# The model's parameters, for those who know it: out of the way of everyone else.
with st.expander(t("scenarios.parameters"), icon=":material/functions:"):
    st.caption(t("scenarios.parameters_caption", max_se=nf.number(MAX_LOG_SE, 0),
                 cohorts=t(f"scenarios.cohorts_text.{ret_cohorts}", start=ctx.month(ctx.start),
                           end=ctx.month(ctx.end))))
    par_columns = ["source", "alpha", "beta", "log_se_alpha", "log_se_beta", "fit_months"]
    par_table = pd.DataFrame(
        [{"source": t(f"scenarios.source.{f.source}"), "alpha": f.figures()["alpha"],
          "beta": f.figures()["beta"], "log_se_alpha": f.log_se[0], "log_se_beta": f.log_se[1],
          "fit_months": f.fit_months if f.fit is not None else float("nan")} for f in fits],
        index=ret_table.index,
    )
    par_headers = {c: t(f"scenarios.col.{c}") for c in par_columns}
    par_headers["segment"] = ret_headers["segment"]
    static_table(
        par_table, f"retention_parameters_{ret_dim}_{ret_cohorts}", "retention_parameters",
        {"source": "text", "alpha": "ratio", "beta": "ratio", "log_se_alpha": "ratio",
         "log_se_beta": "ratio", "fit_months": "count"},
        par_headers,
    )

# --- baseline forecast ----------------------------------------------------------------------------
st.header(t("scenarios.forecast_title"))
c1, c2, c3 = st.columns(3)
method = state.segmented(
    t("scenarios.method"), list(FORECAST_METHODS), key="sc.method",
    format_func=lambda m: t(f"scenarios.method.{m}"), container=c1,
)
months = state.selectbox(
    t("scenarios.months"), [12, 18, 24, 30, 36], key="sc.months", default=24, parse=int,
    format_func=lambda m: t("scenarios.n_months", n=m), container=c2,
)
metric = state.segmented(
    t("scenarios.metric"), ["mrr", "arr", "customers"], key="sc.metric",
    format_func=lambda m: t(f"col.{m}"), container=c3,
)


def why_not(exc: ForecastError) -> str:
    """A user's words for what the data lacks (mrrkit's reasons, not its English text)."""
    return t(f"scenarios.why.{exc.reason}", method=t("scenarios.method.empirical"))


try:
    inputs = views.forecast_inputs(ctx.data, method)
    projection = views.forecast(ctx.data, method).iloc[:months]
except ForecastError as exc:
    st.info(t("scenarios.no_forecast", error=why_not(exc)))
    state.stop()
origin = inputs.origin
history = inputs.history.loc[min(ctx.start, origin - 11):]
st.caption(t("scenarios.forecast_caption", origin=ctx.month(origin), months=months,
             method=t(f"scenarios.method.{method}")))
ctx.chart(charts.forecast_chart, history, projection, metric,
          frames=charts.forecast_chart_frames)
fc_columns = ["mrr", "mrr_low", "mrr_high", "arr", "customers", "customers_low", "customers_high",
              "new", "expansion", "contraction", "churn", "reactivation", "net_new"]
fc_table = projection[fc_columns].set_axis(
    pd.Index([ctx.month(m) for m in projection.index], name="month"), axis=0)
band = ("mrr_low", "mrr_high", "customers_low", "customers_high")
fc_headers = {c: t(f"scenarios.col.{c}") if c in band else t.label(c) for c in fc_columns}
fc_headers["month"] = t("col.month")
static_table(
    fc_table, f"forecast_{method}_{months}m", "forecast",
    {c: ("count" if c.startswith("customers") else "money") for c in fc_columns},
    fc_headers,
)


def backtest_section(wkey: str) -> bool:
    """The backtest's expander; it reruns the page when opened or closed, and the backtest is
    computed only while it is open (a filter change does not pay for a closed one)."""
    sections["backtest"] = st.expander(t("scenarios.backtest"), key=wkey, on_change="rerun",
                                       icon=":material/history:")
    return bool(sections["backtest"].open)


sections = {}
# ``state`` has no expander helper: bind through its generic one, like the levers below.
backtest_open = state.bind(
    "sc.backtest", False,
    decode=lambda raw: {"1": True, "0": False}[raw[-1]],
    encode=lambda v: ["1" if v else "0"],
    valid=lambda v: isinstance(v, bool), make=backtest_section,
)
bt = None
if backtest_open:
    try:
        bt = views.backtest(ctx.data, method)
    except ForecastError as exc:
        reason = "backtest_short" if exc.reason == "too_short" else exc.reason
        sections["backtest"].info(t("scenarios.no_backtest", error=t(
            f"scenarios.why.{reason}", method=t("scenarios.method.empirical"))))
if bt is not None:
    with sections["backtest"]:
        m1, m2 = st.columns(2)
        m1.metric(t("scenarios.mape"), nf.pct(bt.mape), border=True, help=t("scenarios.mape_help"))
        m2.metric(t("scenarios.mape_customers"), nf.pct(bt.mape_customers), border=True)
        st.caption(t("scenarios.backtest_caption", origin=ctx.month(bt.origin),
                     first=ctx.month(bt.origin + 1), last=ctx.month(bt.table.index[-1])))
        before = ctx.monthly["mrr"].loc[bt.origin - 11: bt.origin]
        ctx.chart(charts.backtest_chart, bt.table, before)
        bt_columns = ["actual_mrr", "forecast_mrr", "error", "pct_error", "actual_customers",
                      "forecast_customers", "customers_error", "customers_pct_error"]
        bt_table = bt.table[bt_columns].set_axis(
            pd.Index([ctx.month(m) for m in bt.table.index], name="month"), axis=0)
        bt_headers = {c: t(f"scenarios.col.{c}") for c in bt_columns}
        bt_headers["month"] = t("col.month")
        static_table(
            bt_table, f"backtest_{method}", "backtest",
            {"actual_mrr": "money", "forecast_mrr": "money", "error": "signed_money",
             "pct_error": "pct", "actual_customers": "count", "forecast_customers": "count",
             "customers_error": "count", "customers_pct_error": "pct"},
            bt_headers,
        )

# --- what-if scenarios ----------------------------------------------------------------------------
st.header(t("scenarios.whatif"))
st.caption(t("scenarios.whatif_caption", origin=ctx.month(origin)))

#: Lever -> (widget, min, max, step, scale, display format). ``scale`` turns the Scenario value
#: into what the widget shows (shares per year as percentages); the URL holds the Scenario value.
LEVERS = {
    "price_change_pct": ("slider", -50, 50, 1, 1, "%d%%"),
    "churn_elasticity": ("slider", 0.0, 3.0, 0.1, 1, "%.1f"),
    "upsell_conversion_rate": ("slider", 0, 100, 1, 100, "%d%%"),
    "avg_uplift_pct": ("slider", 0, 100, 1, 1, "%d%%"),
    "addon_adoption_rate": ("slider", 0, 100, 1, 100, "%d%%"),
    "addon_mrr": ("number", 0.0, 100_000.0, 5.0, 1, "%.2f"),
    "churn_reduction_pct": ("slider", 0, 100, 1, 1, "%d%%"),
    "new_business_growth_pct": ("slider", -50, 100, 1, 1, "%d%%"),
    "cs_team_cost": ("number", 0.0, 10_000_000.0, 500.0, 1, "%.0f"),
}
DEFAULTS = Scenario().to_dict()
#: Levers shown together: price, upsell and add-ons, then churn, new business and costs.
LEVER_GROUPS = (
    ("price_change_pct", "churn_elasticity", "churn_reduction_pct"),
    ("upsell_conversion_rate", "avg_uplift_pct", "addon_adoption_rate", "addon_mrr"),
    ("new_business_growth_pct", "cs_team_cost"),
)


def widget_format(fmt: str) -> str:
    """A lever's printf format in the reader's language where printf can say it: a percentage
    with the language's sign and spacing (``8 %`` in French). Decimal marks and currencies it
    cannot write: :func:`lever_value` says those next to the widget."""
    if fmt.endswith("%%"):
        return (nf.percent_prefix.replace("%", "%%") + fmt[:-2]
                + nf.percent_suffix.replace("%", "%%"))
    return fmt


def lever_value(field: str, value: float) -> str | None:
    """The lever's value as the language writes it, for the levers whose widget cannot (a
    decimal, an amount of money); None for the others."""
    if field == "churn_elasticity":
        return t("scenarios.lever.churn_elasticity.value", value=nf.number(value, 1),
                 lost=nf.pct(value * 0.10, 0))
    if field in ("addon_mrr", "cs_team_cost"):
        return t("scenarios.per_month", amount=nf.money(value, 2 if field == "addon_mrr" else 0))
    return None


def url_number(x: float) -> str:
    """A number as the URL shows it: shortest exact text (``0.2``, ``8``, ``12.5``)."""
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def lever(i: int, field: str, container):
    """One lever's widget, bound to URL key ``sc.<i>.<field>`` (the Scenario value, e.g.
    ``0.2`` for a 20% conversion rate); a value outside the widget's range or off its steps
    falls back to the default with a notice."""
    kind, lo, hi, step, scale, fmt = LEVERS[field]
    whole = all(isinstance(v, int) for v in (lo, hi, step))

    def snap(v: float):
        # A slider takes values on its steps only: accept those (to rounding), refuse others.
        k = round((v - lo) / step)
        if kind == "slider" and abs((v - lo) / step - k) > 1e-6:
            raise ValueError(f"{v} is not on the slider's steps")
        v = lo + k * step if kind == "slider" else v
        return round(v) if whole else round(float(v), 10)

    def valid(v) -> bool:
        return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                and lo <= v <= hi and (not whole or isinstance(v, int)))

    label = t(f"scenarios.lever.{field}")
    help_text = t(f"scenarios.lever.{field}.help")

    def make(wkey):
        if kind == "slider":
            return container.slider(label, lo, hi, step=step, format=widget_format(fmt), key=wkey,
                                    help=help_text)
        return container.number_input(label, lo, hi, step=step, format=fmt, key=wkey,
                                      help=help_text)

    # ``state`` has no slider helper yet: bind through its generic one (same URL rules).
    value = state.bind(
        f"sc.{i}.{field}", snap(DEFAULTS[field] * scale),
        decode=lambda raw: snap(float(raw[-1]) * scale),
        encode=lambda v: [url_number(round(v / scale, 10))],
        valid=valid, make=make,
        always=True,  # every lever in the link, defaults too: it spells the whole scenario out
    )
    value = round(value / scale, 10)
    in_words = lever_value(field, value)
    if in_words is not None:
        container.caption(in_words)
    return value


def scenario_widgets(i: int, container) -> tuple[Scenario, str, str | None]:
    """Scenario ``i``'s inputs: name, scope (dimension and value) and levers."""
    default_name = t("scenarios.default_name", n=i)
    name = state.text_input(t("scenarios.name"), key=f"sc.{i}.name", default=default_name,
                            container=container, native=True).strip() or default_name
    scope_dim = state.selectbox(
        t("scenarios.scope"), [EVERYONE, *dims], key=f"sc.{i}.scope_dim", default=EVERYONE,
        format_func=dim_label, container=container, help=t("scenarios.scope_help"), always=True,
    )
    scope_value = None
    if scope_dim != EVERYONE:
        scope_value = state.selectbox(
            t("scenarios.scope_value"), selected_values(scope_dim), key=f"sc.{i}.scope_value",
            format_func=ctx.value_label, container=container, always=True,
        )
        if scope_value is None:  # nobody selected has this dimension: everyone
            scope_dim = EVERYONE
    # One scenario gets the page's width: its levers in three groups side by side.
    columns = container.columns(3) if count == 1 else [container] * 3
    values = {}
    for column, group in zip(columns, LEVER_GROUPS):
        for field in group:
            values[field] = lever(i, field, column)
    return Scenario.from_dict({"name": name, **values}), scope_dim, scope_value


count = int(state.segmented(t("scenarios.count"), ["1", "2", "3"], key="sc.count", native=True))
boxes = st.columns(count)
chosen = []
for i in range(1, count + 1):
    box = boxes[i - 1].container(border=True)
    chosen.append(scenario_widgets(i, box))

# Distinct names: they label the chart's lines and the table's columns.
names, seen = [], set()
for s, _, _ in chosen:
    name = s.name
    while name in seen or name == t("scenarios.baseline"):
        name += "*"
    seen.add(name)
    names.append(name)

baseline = views.baseline(ctx.data, method, months)
results = []
for (s, scope_dim, scope_value), box in zip(chosen, boxes):
    levers = tuple((k, v) for k, v in s.to_dict().items() if k not in ("name", "scope"))
    results.append(views.scenario(ctx.data, method, months, levers, scope_dim, scope_value))
    if scope_dim != EVERYONE:
        scope = views.scope_masses(ctx.data, method, scope_dim, scope_value)
        box.caption(t("scenarios.scope_caption", customers=nf.count(scope.customers.sum()),
                      mrr=nf.money(scope.mrr_micros.sum() / 1e6), origin=ctx.month(origin)))

st.subheader(t("scenarios.curves", metric=t(f"col.{metric}")))
base_name = t("scenarios.baseline")
curves = pd.DataFrame({base_name: baseline[metric],
                       **{n: r[0][metric] for n, r in zip(names, results)}})
# Every line starts from the actual figure at the origin.
start_row = pd.DataFrame({c: [float(inputs.history.at[origin, metric])] for c in curves.columns},
                         index=pd.PeriodIndex([origin], name="month"))
curves = pd.concat([start_row, curves]).rename_axis("month")

# The chart's layout depends on the series' names and the metric only: a slider move re-uses it
# and sends the new curves alone (building the Altair chart costs more than the re-projection
# itself). The curves go inside the spec, so that Vega never draws the chart empty first (which
# logged "Infinite extent" warnings in the browser console).
st.vega_lite_chart(
    charts.scenario_spec_with_data(ctx.chart_layout(charts.scenario_chart, curves, metric), curves),
    width="stretch",
)

st.subheader(t("scenarios.summary", month=ctx.month(origin + 12)))
summaries = [r[1] for r in results]
costs = {s.cs_team_cost for s, _, _ in chosen}
base_col = summaries[0]["baseline"].copy()
if len(costs) > 1:  # the baseline's magic number depends on the cost: no single figure
    base_col["cs_magic_number"] = float("nan")
raw = pd.DataFrame({t("scenarios.baseline"): base_col})
for n, summary in zip(names, summaries):
    raw[n] = summary["scenario"]
    raw[t("scenarios.difference", name=n)] = summary["difference"]
raw.index = [t(f"scenarios.metric.{m}") for m in raw.index]
raw.index.name = t("scenarios.metric_col")
kinds = [SCENARIO_METRICS[m][1] for m in summaries[0].index]


def cell(kind: str, x: float, difference: bool) -> str:
    if not difference:
        return {"money": nf.money, "count": nf.count, "pct": nf.pct, "ratio": nf.ratio}[kind](x)
    if kind == "pct":
        return nf.pts(x)
    return {"money": nf.money, "count": nf.count, "ratio": nf.ratio}[kind](x, signed=True)


diff_cols = {t("scenarios.difference", name=n) for n in names}
shown = pd.DataFrame(
    {c: [cell(k, x, c in diff_cols) for k, x in zip(kinds, raw[c])] for c in raw.columns},
    index=raw.index,
)
show_table(shown, "scenarios_12m", "scenarios", nf, labels=DL, download=raw)
if len(costs) > 1:
    st.caption(t("scenarios.magic_note"))
elif costs == {0.0}:
    st.caption(t("scenarios.magic_needs_cost"))
st.caption(t("scenarios.summary_help"))

# Unknown sc.* link keys (a typo, a removed lever): say so once, like the shell does.
known = {"sc.ret_dim", "sc.ret_cohorts", "sc.method", "sc.months", "sc.metric", "sc.count",
         "sc.backtest"} | {
    f"sc.{i}.{f}" for i in range(1, MAX_SCENARIOS + 1)
    for f in ("name", "scope_dim", "scope_value", *LEVERS)
}
for key in state.incoming_keys():
    if key.startswith("sc.") and key not in known:
        state.notice(key, key, t("notice.unknown_key", key=plain_md(key)))
        state.forget(key)
