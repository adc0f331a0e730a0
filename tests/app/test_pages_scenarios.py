"""Scenarios page: the retention model, forecast, backtest and what-if figures are mrrkit's, and a
link (its URL parameters) reproduces the scenarios exactly."""

from __future__ import annotations

import pytest

from mrrkit.models.forecast import backtest, forecast
from mrrkit.models.retention_fit import fit_retention, model_ltv
from mrrkit.models.scenarios import Scenario, scenario_inputs, scenario_summary
from tests._pages import assert_clean, open_page, sample, segment, shown_text, specs, tooltips
from tests.builders import lines as _lines
from ui.format import number_format

PAGE = "pages/5_Scenarios.py"
EN = number_format("en", "EUR")
LEVERS = [f for f in Scenario().to_dict() if f not in ("name", "scope")]
# Two scenarios, one scoped to a plan, every lever off its default somewhere.
LINK = {
    "sc.count": "2",
    "sc.1.name": "Price +8%",
    "sc.1.price_change_pct": "8",
    "sc.1.churn_elasticity": "0.5",
    "sc.1.cs_team_cost": "25000",
    "sc.1.new_business_growth_pct": "10",
    "sc.2.name": "Pro upsell",
    "sc.2.scope_dim": "plan",
    "sc.2.scope_value": "Pro monthly",
    "sc.2.upsell_conversion_rate": "0.3",
    "sc.2.avg_uplift_pct": "25",
    "sc.2.addon_adoption_rate": "0.07",
    "sc.2.addon_mrr": "12.5",
    "sc.2.churn_reduction_pct": "15",
    "sc.2.cs_team_cost": "25000",
}


@pytest.fixture(scope="module")
def scenarios_page():
    return open_page(PAGE)


@pytest.fixture(scope="module")
def linked_page():
    return open_page(PAGE, LINK)


@pytest.fixture(scope="module")
def backtest_page():
    """The page with its backtest section open (as a link with ``sc.backtest=1`` opens it)."""
    return open_page(PAGE, {"sc.backtest": "1"})


@pytest.fixture(scope="module")
def inputs():
    return scenario_inputs(sample()[1])


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _scenario_from_link(link: dict, i: int) -> Scenario:
    """What the link says scenario ``i`` is, through mrrkit's own decoder."""
    values = {f: link[f"sc.{i}.{f}"] for f in LEVERS if f"sc.{i}.{f}" in link}
    scope = None
    dim = link.get(f"sc.{i}.scope_dim", "all")
    if dim != "all":
        _, _, labels = sample()
        scope = labels.index[labels[dim] == link[f"sc.{i}.scope_value"]]
    return Scenario.from_dict({"name": link.get(f"sc.{i}.name", f"Scenario {i}"), **values,
                               "scope": scope})


def test_retention_model_is_mrrkit(scenarios_page):
    assert_clean(scenarios_page)
    _, mv, _ = sample()
    fit = fit_retention(mv)
    ltv = model_ltv(mv, fit)
    tiles = _tiles(scenarios_page)
    assert tiles["LTV (simple)"] == EN.money(ltv["simple_ltv"])
    assert tiles["LTV (retention model)"] == EN.money(ltv["model_ltv"])
    assert tiles["First-month churn"] == EN.pct(fit.alpha / (fit.alpha + fit.beta))
    assert tiles["Paying after 12 months"] == EN.pct(fit.survival(12))
    assert tiles["Median life (months)"] == EN.number(fit.median_lifetime(), 0)
    revenue = fit_retention(mv, weight="mrr")
    caption = next(c.value for c in scenarios_page.caption
                   if c.value.startswith("Revenue survival"))
    assert caption.startswith(
        f"Revenue survival: {EN.pct(revenue.survival(12))} of a new cohort's MRR")
    assert revenue.survival(12) > fit.survival(12)  # larger customers churn less
    table = scenarios_page.dataframe[0].value
    assert table.iloc[0]["LTV (retention model)"] == EN.money(ltv["model_ltv"])
    assert table.iloc[0]["Reliability"] == ""  # 2,892 customers over 47 months: no caveat
    # no alpha, beta, "seed 004", "sBG" or "Kaplan-Meier" for everyone: the parameters are in the
    # experts' expander, the model's name in the LTV's help
    assert "alpha" not in table.columns
    jargon = ("alpha", "eed 00", "sBG", "Kaplan")
    shown = [c.value for c in scenarios_page.caption if not c.value.startswith("Shifted-beta")]
    shown += [m.label for m in scenarios_page.metric] + list(table.columns)
    shown += [o for r in scenarios_page.radio for o in r.options]
    assert not [s for s in shown for word in jargon if word in str(s)]
    assert "eed 00" not in next(m.help for m in scenarios_page.metric if m.label == "LTV (simple)")
    assert "(sBG)" in next(m.help for m in scenarios_page.metric
                           if m.label == "LTV (retention model)")
    caption = next(c.value for c in scenarios_page.caption if c.value.startswith("A model of"))
    assert caption == ("A model of how long customers stay, fitted to every monthly cohort: "
                       "2,892 customers followed for up to 3.9 years.")
    expert = next(e for e in scenarios_page.expander if e.label == "Model parameters (for experts)")
    parameters = expert.dataframe[0].value
    assert parameters.iloc[0]["alpha"] == EN.ratio(fit.alpha)
    assert parameters.iloc[0]["beta"] == EN.ratio(fit.beta)
    assert parameters.iloc[0]["Fit used"] == "Its own"
    assert expert.caption[0].value.startswith("Shifted-beta-geometric model (Fader & Hardie 2007)")
    # the sample's retention rises with age: the model is worth more than the constant-churn LTV
    assert ltv["model_ltv"] > ltv["simple_ltv"]
    chart = specs(scenarios_page)[0]
    assert [layer["mark"]["type"] for layer in chart["layer"]] == ["line", "point", "line"]
    assert tooltips(chart)[2] == ["Segment", "Age", "Survival (model)",
                                  "Fitted month-on-month retention"]


def test_forecast_is_mrrkit(scenarios_page):
    _, mv, _ = sample()
    fc = forecast(mv, months=24, method="sbg")
    table = scenarios_page.dataframe[2].value
    assert len(table) == 24
    for row in (0, 23):
        assert table.iloc[row]["MRR"] == EN.money(fc["mrr"].iloc[row])
        assert table.iloc[row]["MRR (low)"] == EN.money(fc["mrr_low"].iloc[row])
        assert table.iloc[row]["MRR (high)"] == EN.money(fc["mrr_high"].iloc[row])
        assert table.iloc[row]["ARR"] == EN.money(fc["arr"].iloc[row])
        assert table.iloc[row]["Customers"] == EN.count(fc["customers"].iloc[row])
    chart = specs(scenarios_page)[1]
    assert [layer["mark"]["type"] for layer in chart["layer"]] == ["area", "line"]
    assert tooltips(chart)[0] == ["Month", "80% band, low", "80% band, high"]


def test_the_backtest_is_computed_only_when_its_section_is_open(scenarios_page, monkeypatch):
    # Closed by default: its expander is there, its figures are not (nor computed).
    label = "Backtest: the forecast from 12 months ago against what happened"
    assert [e.label for e in scenarios_page.expander if e.label == label] == [label]
    assert "MRR error (MAPE)" not in _tiles(scenarios_page)
    assert len(scenarios_page.dataframe) == 4 and len(specs(scenarios_page)) == 3
    import importlib

    module = importlib.import_module("mrrkit")  # the page calls mrrkit.backtest
    calls = []
    real = module.backtest
    monkeypatch.setattr(module, "backtest",
                        lambda *a, **k: calls.append(k.get("method")) or real(*a, **k))
    # a filter value no other test chooses, so nothing comes from the caches
    at = open_page(PAGE, {"f.country": "SE", "sc.method": "empirical"})
    assert_clean(at)
    assert calls == [] and "MRR error (MAPE)" not in _tiles(at)
    at.session_state["w:sc.backtest"] = True  # the user opens the section
    at.run()
    assert_clean(at)
    assert calls == ["empirical"]
    bt = real(segment({"country": ["SE"]}), horizon=12, method="empirical")
    assert _tiles(at)["MRR error (MAPE)"] == EN.pct(bt.mape)
    assert at.query_params["sc.backtest"] == "1"  # a link keeps it open


def test_backtest_is_mrrkit(backtest_page):
    assert_clean(backtest_page)
    _, mv, _ = sample()
    bt = backtest(mv, horizon=12, method="sbg")
    assert _tiles(backtest_page)["MRR error (MAPE)"] == EN.pct(bt.mape)
    bt_table = backtest_page.dataframe[3].value
    assert bt_table.iloc[-1]["Actual MRR"] == EN.money(bt.table["actual_mrr"].iloc[-1])
    assert bt_table.iloc[-1]["Forecast MRR"] == EN.money(bt.table["forecast_mrr"].iloc[-1])
    assert tooltips(specs(backtest_page)[2])[0][:3] == ["Month", "Series", "MRR"]
    # the other sections are the same as with the backtest closed
    assert len(backtest_page.dataframe) == 5 and len(specs(backtest_page)) == 4


def test_default_scenario_is_the_baseline(scenarios_page, inputs):
    summary = scenario_summary(inputs, Scenario())
    table = scenarios_page.dataframe[-1].value
    assert list(table.columns) == ["Baseline", "Scenario 1", "Scenario 1 vs baseline"]
    assert table.at["MRR", "Baseline"] == EN.money(summary.at["mrr", "baseline"])
    assert table.at["NRR", "Scenario 1"] == EN.pct(summary.at["nrr", "baseline"])
    assert table.at["MRR", "Scenario 1 vs baseline"] == EN.money(0)
    chart = specs(scenarios_page)[-1]
    assert chart["encoding"]["strokeDash"]["field"] == "dash"
    assert [t["title"] for t in chart["encoding"]["tooltip"]] == ["Month", "Scenario", "MRR",
                                                                  "vs baseline"]


def test_link_scenarios_are_mrrkit(linked_page, inputs):
    assert_clean(linked_page)
    assert not linked_page.toast
    table = linked_page.dataframe[-1].value
    assert list(table.columns) == ["Baseline", "Price +8%", "Price +8% vs baseline", "Pro upsell",
                                   "Pro upsell vs baseline"]
    for i, name in ((1, "Price +8%"), (2, "Pro upsell")):
        summary = scenario_summary(inputs, _scenario_from_link(LINK, i))
        assert table.at["MRR", name] == EN.money(summary.at["mrr", "scenario"])
        assert table.at["ARR", name] == EN.money(summary.at["arr", "scenario"])
        assert table.at["GRR", name] == EN.pct(summary.at["grr", "scenario"])
        assert table.at["LTV", name] == EN.money(summary.at["ltv", "scenario"])
        assert table.at["CS magic number", name] == EN.ratio(summary.at["cs_magic_number",
                                                                         "scenario"])
        assert table.at["NRR", f"{name} vs baseline"] == EN.pts(summary.at["nrr", "difference"])
        assert table.at["MRR", f"{name} vs baseline"] == EN.money(
            summary.at["mrr", "difference"], signed=True)
    # the price increase raises MRR; the scoped scenario only moves the Pro monthly customers
    assert table.at["MRR", "Price +8% vs baseline"].startswith("+")
    scope = next(c.value for c in linked_page.caption if c.value.startswith("In scope:"))
    mask = inputs.scope_mask(_scenario_from_link(LINK, 2).scope) & (inputs.age >= 0)
    assert scope.startswith(f"In scope: {EN.count(mask.sum())} customers")
    curves = specs(linked_page)[-1]
    assert curves["encoding"]["color"]["sort"] == ["Baseline", "Price +8%", "Pro upsell"]
    # one distinct hue per line (not the theme's light/dark pairs)
    assert curves["encoding"]["color"]["scale"]["range"] == ["#495057", "#1c7ed6", "#f76707"]


def test_a_copied_link_reproduces_the_scenarios_exactly(linked_page):
    """Move sliders in one session, open its URL in a fresh one: same values, same figures."""
    at = open_page(PAGE, LINK)
    at.slider(key="w:sc.1.price_change_pct").set_value(-5)
    at.slider(key="w:sc.2.upsell_conversion_rate").set_value(45)
    at.number_input(key="w:sc.1.addon_mrr").set_value(7.25)
    at.slider(key="w:sc.1.addon_adoption_rate").set_value(12)
    at.run()
    assert_clean(at)
    link = dict(at.query_params)
    # every lever of every scenario shown is spelled out, as Scenario.to_dict() has it
    assert {f"sc.{i}.{f}" for i in (1, 2) for f in LEVERS} <= set(link)
    assert link["sc.2.price_change_pct"] == "0"
    assert link["sc.1.price_change_pct"] == "-5"
    assert link["sc.2.upsell_conversion_rate"] == "0.45"  # the Scenario's value, a share
    assert link["sc.1.addon_mrr"] == "7.25"
    fresh = open_page(PAGE, link)
    assert_clean(fresh)
    assert not fresh.toast
    before = {w.key: w.value for w in [*at.slider, *at.number_input, *at.selectbox, *at.text_input]}
    after = {w.key: w.value for w in [*fresh.slider, *fresh.number_input, *fresh.selectbox,
                                      *fresh.text_input]}
    assert after == before
    assert fresh.dataframe[-1].value.equals(at.dataframe[-1].value)
    assert dict(fresh.query_params) == link
    # and the figures are those of the scenario the link describes
    summary = scenario_summary(scenario_inputs(sample()[1]), _scenario_from_link(link, 1))
    assert fresh.dataframe[-1].value.at["MRR", "Price +8%"] == EN.money(summary.at["mrr", "scenario"])


def test_bad_link_values_fall_back_with_a_notice():
    at = open_page(PAGE, {
        "sc.count": "2",
        "sc.1.price_change_pct": "500",      # outside the slider
        "sc.1.churn_elasticity": "0.55",     # off the slider's steps
        "sc.1.addon_mrr": "abc",             # not a number
        "sc.2.scope_dim": "plan",
        "sc.2.scope_value": "Platinum",      # no such plan
        "sc.months": "13",
        "sc.method": "magic",
        "sc.9.price_change_pct": "3",        # no such scenario
    })
    assert_clean(at)
    assert at.slider(key="w:sc.1.price_change_pct").value == 0
    assert at.slider(key="w:sc.1.churn_elasticity").value == 0.0
    assert at.number_input(key="w:sc.1.addon_mrr").value == 0.0
    assert at.selectbox(key="w:sc.2.scope_value").value == "Enterprise annual"
    assert at.selectbox(key="w:sc.months").value == 24
    assert at.radio(key="w:sc.method").value == "sbg"
    notices = shown_text(" | ".join(t.value for t in at.toast))
    for key in ("sc.1.price_change_pct=500", "sc.1.churn_elasticity=0.55", "sc.1.addon_mrr=abc",
                "sc.2.scope_value=Platinum", "sc.months=13", "sc.method=magic",
                "sc.9.price_change_pct"):
        assert key in notices
    assert at.query_params["sc.1.price_change_pct"] == "0"  # the default, written out


def test_filters_and_segments_change_the_numbers():
    at = open_page(PAGE, {"f.company_size": "1-10", "sc.ret_dim": "plan", "sc.method": "empirical",
                          "sc.months": "12", "lang": "fr"})
    assert_clean(at)
    part = segment({"company_size": ["1-10"]})
    fr = number_format("fr", "EUR")
    fc = forecast(part, months=12, method="empirical")
    table = at.dataframe[2].value
    assert len(table) == 12
    assert table.iloc[-1]["MRR"] == fr.money(fc["mrr"].iloc[-1])
    assert fc["mrr"].iloc[-1] < forecast(sample()[1], months=12, method="empirical")["mrr"].iloc[-1]
    # one fit per plan among the selected customers, each mrrkit's on that segment
    retention = at.dataframe[0].value
    row = retention.loc["Starter monthly"]
    starter = segment({"company_size": ["1-10"], "plan": ["Starter monthly"]})
    fit = fit_retention(starter)
    assert row["LTV (modèle de rétention)"] == fr.money(model_ltv(starter, fit)["model_ltv"])
    assert at.dataframe[1].value.loc["Starter monthly", "alpha"] == fr.ratio(fit.alpha)
    assert set(specs(at)[0]["layer"][-1]["encoding"]["color"]["sort"]) <= set(retention.index)


def _open_with(lines, params=None):
    """The page on an upload of ``lines`` (as the Data page would set it)."""
    from streamlit.testing.v1 import AppTest

    from tests._pages import ROOT, TIMEOUT
    from ui.data import Source, lines_digest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    # An export taken on its last day (not today): the test data's months are all there is.
    exported = max(lines["start"].max(), lines["end"].max())
    at.session_state["source"] = Source("upload", f"upload:{lines_digest(lines)}", lines,
                                        exported=exported)
    at.switch_page(PAGE)
    if params:
        at.query_params.update(params)
    return at.run()


NO_CHURN = [(f"c{i:02d}", f"2024-0{1 + i % 5}-0{1 + i % 9}", None, 10.0 + i) for i in range(40)]


def test_no_churn_says_so_and_the_empirical_curves_still_project():
    at = _open_with(_lines(NO_CHURN))
    assert_clean(at)
    infos = [i.value for i in at.info]
    assert any(i.startswith("No customer has churned yet: the retention model") for i in infos)
    assert any("no customer has churned yet, so the retention model cannot be fitted. Choose "
               "“Observed cohort curves” above" in i for i in infos)
    assert not at.get("vega_lite_chart")  # nothing drawn from a model that does not exist
    at = _open_with(_lines(NO_CHURN),
                    {"sc.method": "empirical", "lang": "fr", "sc.backtest": "1"})
    assert_clean(at)
    table = at.dataframe[2].value  # the forecast, without churn
    assert (table["Churn"] == number_format("fr", "EUR").money(0)).all()
    assert any("un backtest sur 12 mois demande au moins 14 mois complets" in i.value
               for i in at.info)


def test_too_little_data_says_what_is_missing():
    # One month and a half: nothing complete to project from.
    short = _lines([(f"c{i}", "2024-01-05", "2024-01-20" if i % 3 == 0 else None, 10.0)
                    for i in range(30)])
    at = _open_with(short, {"lang": "it"})
    assert_clean(at)
    infos = " | ".join(i.value for i in at.info)
    assert "servono almeno due mesi completi di dati" in infos
    # 15 customers: too few to fit, but enough to project (the forecast fits what it can).
    lines = sample()[0]
    few = lines[lines["customer_id"].isin(lines["customer_id"].unique()[:15])]
    at = _open_with(few)
    assert_clean(at)
    assert any(i.value.startswith("Too few customers for the retention model: it needs at least "
                                  "30 customers acquired before the last complete month, these "
                                  "data have 15") for i in at.info)
    assert len(at.dataframe[2].value) == 24


def test_too_few_churns_for_the_model_says_so():
    # 36 customers in the cohorts of January to March 2024, 3 of whom left in April.
    rows = [(f"c{i:02d}", f"2024-0{1 + i % 5}-0{1 + i % 9}", "2024-04-20" if i < 3 else None,
             10.0) for i in range(60)]
    at = _open_with(_lines(rows), {"lang": "fr"})
    assert_clean(at)
    assert any(i.value == "Trop peu de churns pour le modèle de rétention : il faut au moins 10 "
                          "clients partis pour estimer combien de temps les clients restent, ces "
                          "données en ont 3." for i in at.info)


def test_a_segment_too_small_gets_the_whole_base_fit_and_says_so():
    """Large customers by country: no country has both 30 customers and 10 first churns, so
    each gets the fit of every large customer (its own ARPA and observed curve kept), and the
    table says why, and that this fit is itself not pinned down by the data."""
    from mrrkit.models.segment_fits import fit_segments

    at = open_page(PAGE, {"f.company_size": "1000+", "sc.ret_dim": "country"})
    assert_clean(at)
    table = at.dataframe[0].value
    parameters = at.dataframe[1].value
    assert (parameters["Fit used"] == "Whole base").all()
    large = segment({"company_size": ["1000+"]})
    pooled = fit_segments(large)[0]
    assert (parameters["alpha"] == EN.ratio(pooled.fit.alpha)).all()
    assert table.loc["DE", "Reliability"].startswith(
        "Not enough data (17 customers, 30 needed): the whole base's fit is used; uncertain: ")
    assert table.loc["FR", "Reliability"].startswith(
        "Too few churns (3, 10 needed): the whole base's fit is used")
    # the figures are there: France's own ARPA times the whole base's discounted lifetime
    france = segment({"company_size": ["1000+"], "country": ["FR"]})
    own = model_ltv(france, pooled.fit)
    assert table.loc["FR", "LTV (retention model)"] == EN.money(own["model_ltv"])
    assert table.loc["FR", "LTV (simple)"] == EN.money(own["simple_ltv"])
    assert any(c.value.startswith("Segments with fewer than 30 customers in the fitted cohorts, "
                                  "10 first churns or 3 months of history are given the whole "
                                  "base's fit") for c in at.caption)
    # ... every country has its curve; the whole base's fit itself gets a warning
    assert specs(at)[0]["layer"][-1]["encoding"]["color"]["sort"] == list(table.index)
    assert [w.value for w in at.warning] == [
        "Uncertain: the data cannot tell how churn changes with age, so figures beyond the data "
        "are guesses; the median life of 12.4 years is extrapolated from 3.9 years of data"]


@pytest.mark.parametrize("lang, notes", [
    ("en", {"1-10": "",
            "201-1000": "The median life of 28.9 years is extrapolated from 3.9 years of data",
            "1000+": "Uncertain: the data cannot tell how churn changes with age, so figures "
                     "beyond the data are guesses; the median life of 12.4 years is "
                     "extrapolated from 3.9 years of data"}),
    ("fr", {"201-1000": "La vie médiane de 28,9 ans est extrapolée à partir de 3,9 ans de "
                        "données"}),
    ("it", {"201-1000": "La vita mediana di 28,9 anni è estrapolata da 3,9 anni di dati"}),
])
def test_fits_not_identified_or_extrapolated_are_said_in_plain_words(lang, notes):
    """The report's case: by company size, the 1000+ fit runs to the edge of the optimiser's
    box (beta 100,000) and 201-1000's median of 347 months rests on 47 months of data."""
    at = open_page(PAGE, {"sc.ret_dim": "company_size", "lang": lang})
    assert_clean(at)
    table = at.dataframe[0].value
    note = table.columns[0]
    assert note == {"en": "Reliability", "fr": "Fiabilité", "it": "Affidabilità"}[lang]
    for size, text in notes.items():
        assert table.loc[size, note] == text
    nf = number_format(lang, "EUR")
    assert at.dataframe[1].value.loc["1000+"].iloc[2] == nf.ratio(100_000)  # beta, for experts
    assert "alpha" not in table.columns


def test_a_segment_with_too_few_churns_uses_the_whole_base_fit():
    at = open_page(PAGE, {"sc.ret_dim": "product"})
    assert_clean(at)
    table, parameters = at.dataframe[0].value, at.dataframe[1].value
    assert table.loc["Premium support", "Reliability"] == (
        "Too few churns (9, 10 needed): the whole base's fit is used")
    assert parameters.loc["Premium support", "Fit used"] == "Whole base"
    fit = fit_retention(sample()[1])
    assert parameters.loc["Premium support", "alpha"] == EN.ratio(fit.alpha)
    assert parameters.loc["Platform", "Fit used"] == "Its own"
    assert table.loc["Platform", "Reliability"] == ""


@pytest.mark.parametrize("lang, percent, elasticity, addon, cost", [
    ("en", "%d%%", "0.5: a 10% price rise loses 5% of the customers", "€12.50 a month",
     "€25,000 a month"),
    ("fr", "%d\u00a0%%", "0,5 : une hausse de prix de 10 % fait partir 5\u00a0% des clients",
     "12,50\u00a0€ par mois", "25\u202f000\u00a0€ par mois"),
    ("it", "%d%%", "0,5: un aumento di prezzo del 10% fa perdere il 5% dei clienti",
     "12,50\u00a0€ al mese", "25.000\u00a0€ al mese"),
])
def test_the_levers_speak_the_language(lang, percent, elasticity, addon, cost):
    """Percent sliders with the language's % sign; the levers printf cannot write in the
    language (a decimal mark, a currency) say their value in words next to them."""
    at = open_page(PAGE, {**LINK, "lang": lang})
    assert_clean(at)
    assert at.slider(key="w:sc.1.price_change_pct").proto.format == percent
    assert at.slider(key="w:sc.2.upsell_conversion_rate").proto.format == percent
    captions = [c.value for c in at.caption]
    assert elasticity in captions  # scenario 1: elasticity 0.5
    assert addon in captions  # scenario 2: an add-on at 12.50
    assert cost in captions  # both: a CS team at 25,000 a month
    # the values the widgets hold (and the link) are unchanged
    assert at.slider(key="w:sc.1.churn_elasticity").value == 0.5
    assert at.number_input(key="w:sc.2.addon_mrr").value == 12.5


def test_one_scenario_spreads_its_levers_over_three_columns():
    def keys(node):
        children = getattr(node, "children", None)
        if not children:
            key = str(getattr(node, "key", ""))
            return [key] if key.startswith(("w:sc.1.", "sc.1.")) else []
        return [k for child in children.values() for k in keys(child)]

    def groups(at):  # the innermost columns holding scenario 1's widgets
        found = [keys(c) for c in at.columns if keys(c)]
        return [g for g in found if not any(set(other) < set(g) for other in found)]

    want = [[f"w:sc.1.{f}" for f in group] for group in (
        ("price_change_pct", "churn_elasticity", "churn_reduction_pct"),
        ("upsell_conversion_rate", "avg_uplift_pct", "addon_adoption_rate", "addon_mrr"),
        ("new_business_growth_pct", "cs_team_cost"))]
    assert groups(open_page(PAGE)) == want
    assert sorted(k for g in want for k in g) == sorted(f"w:sc.1.{f}" for f in LEVERS)
    # Two scenarios side by side: each one's levers in one column (its box).
    assert groups(open_page(PAGE, {"sc.count": "2"})) == [
        ["sc.1.name", "w:sc.1.scope_dim", *(k for g in want for k in g)]]


def test_a_lagging_address_does_not_put_a_moved_slider_back():
    """A rerun request carries the browser's address, which can lag behind the server's (a
    slider moved again before the previous run's address arrived): a value this session wrote
    a moment ago is not a link to follow. A value it never wrote is."""
    at = open_page(PAGE)
    slider = "w:sc.1.price_change_pct"
    at.slider(key=slider).set_value(3).run()
    at.slider(key=slider).set_value(-5)
    at.query_params["sc.1.price_change_pct"] = "3"  # the address of the run before
    at.run()
    assert_clean(at)
    assert at.slider(key=slider).value == -5
    assert at.query_params["sc.1.price_change_pct"] == "-5"
    at.query_params["sc.1.price_change_pct"] = "0"  # the first run's, also lagging
    at.run()
    assert at.slider(key=slider).value == -5
    # A link followed inside the app: a value the session never wrote.
    at.query_params["sc.1.price_change_pct"] = "7"
    at.run()
    assert at.slider(key=slider).value == 7
    assert at.query_params["sc.1.price_change_pct"] == "7"


# --------------------------------------------------------------------------- in a real browser


def _browser_or_skip():
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no browser at /usr/bin/chromium (make test installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt)")
    return sync_playwright


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``streamlit run app.py`` on a free port (``MRRKIT_E2E_PORTS=first-last`` to choose)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from tests._pages import ROOT

    sync_playwright = _browser_or_skip()
    wanted = os.environ.get("MRRKIT_E2E_PORTS", "").strip()
    first, _, last = wanted.partition("-")
    candidates = range(int(first), int(last or first) + 1) if wanted else [0]
    port = None
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = sock.getsockname()[1]
            break
    assert port, f"no free port in MRRKIT_E2E_PORTS={wanted}"
    tmp = tmp_path_factory.mktemp("scenarios_e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRRKIT_")}
    env["MRRKIT_VIEWS_DIR"] = str(tmp / "views")
    (tmp / "secrets.toml").write_text("")
    log = tmp / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
         "--secrets.files", str(tmp / "secrets.toml")],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, timeout=30_000,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                yield browser, f"http://127.0.0.1:{port}"
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _new_page(browser, downloads: bool = False):
    """A page in a fresh browser context, with its runs read from the websocket."""
    from tests._browser import Runs

    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  accept_downloads=downloads)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page, Runs(page)


def _settle(page, runs, since: int | None = None) -> None:
    """Wait until the page has been drawn to its end (the 12-month table's download) and its
    last run has finished (read from the websocket, :class:`tests._browser.Runs`: a fixed
    quiet time of 1.5 s a step made this module's browser tests 40 s). ``since``: the number
    of runs asked for before an action, which must ask for one more (a selection typed then
    Enter asks a moment later, after an idle page could already be seen)."""
    import time

    if since is not None:
        deadline = time.monotonic() + 30
        while len(runs.requested) <= since and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert len(runs.requested) > since, "the action asked for no run"
    page.wait_for_selector(".st-key-dl-csv-scenarios", timeout=120_000)
    runs.idle()


def _widget(page, key: str):
    from ui.state import widget_key

    return page.locator(".st-key-" + widget_key(key).replace(":", "-").replace(".", "-"))


def _csv(page, key: str) -> str:
    with page.expect_download() as download:
        page.locator(f".st-key-dl-csv-{key} button").click()
    return open(download.value.path(), encoding="utf-8-sig").read()


def _no_exception(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert not shown.count(), shown.first.inner_text()


def _sliders(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries(
        Array.from(document.querySelectorAll('[class*="st-key-w-sc-"]'))
            .filter(e => e.querySelector('input[type=range]'))
            .map(e => [Array.from(e.classList).find(c => c.startsWith('st-key-')),
                       e.querySelector('input[type=range]').value]))""")


@pytest.mark.e2e
def test_in_a_browser_a_copied_link_reproduces_the_scenarios(served, inputs):
    """Move sliders with the keyboard (quickly: the address lags behind the server), type a
    name and a cost, scope a scenario to a plan; open the page's address in a fresh browser
    context: the same sliders, the same 12-month table (its CSV download, byte for byte), and
    the figures mrrkit gives for the scenarios the address spells out."""
    import csv
    import io
    from urllib.parse import parse_qs, urlsplit

    browser, base = served
    context, page, runs = _new_page(browser, downloads=True)
    page.goto(f"{base}/Scenarios?sc.count=2&sc.2.scope_dim=plan")
    _settle(page, runs)
    for key, presses in (("sc.1.price_change_pct", 5), ("sc.1.churn_elasticity", 3),
                         ("sc.2.upsell_conversion_rate", 30), ("sc.2.avg_uplift_pct", 20)):
        _widget(page, key).locator("input[type=range]").focus()
        since = len(runs.requested)
        for _ in range(presses):  # as fast as the keyboard repeats
            page.keyboard.press("ArrowRight")
        _settle(page, runs, since)
    cost = _widget(page, "sc.1.cs_team_cost").locator("input")
    cost.fill("20000")
    since = len(runs.requested)
    cost.press("Enter")
    _settle(page, runs, since)
    name = _widget(page, "sc.1.name").locator("input")
    name.fill("Price +5%")
    since = len(runs.requested)
    name.press("Enter")
    _settle(page, runs, since)
    plan = _widget(page, "sc.2.scope_value").locator("input").first
    plan.click()
    plan.fill("Pro monthly")
    page.get_by_role("option", name="Pro monthly", exact=True).wait_for()
    since = len(runs.requested)
    page.keyboard.press("Enter")
    _settle(page, runs, since)
    # (the address is written by the run after: read it from the page, not Playwright's copy)
    page.wait_for_function("location.search.includes('sc.2.scope_value=Pro')", timeout=30_000)
    _no_exception(page)
    moved = _sliders(page)
    assert moved["st-key-w-sc-1-price_change_pct"] == "5"
    assert moved["st-key-w-sc-1-churn_elasticity"] == "0.3"
    assert moved["st-key-w-sc-2-upsell_conversion_rate"] == "30"
    assert moved["st-key-w-sc-2-avg_uplift_pct"] == "20"
    table = _csv(page, "scenarios")
    link = page.evaluate("location.href")

    fresh, other, other_runs = _new_page(browser, downloads=True)
    other.goto(link)
    _settle(other, other_runs)
    _no_exception(other)
    assert not other.locator('[data-testid="stToast"]').count()
    assert _sliders(other) == moved
    assert _csv(other, "scenarios") == table
    assert other.evaluate("location.href") == link

    # The figures are mrrkit's for what the address says.
    params = {k: v[-1] for k, v in parse_qs(urlsplit(link).query).items()}
    assert params["sc.1.name"] == "Price +5%" and params["sc.2.scope_value"] == "Pro monthly"
    rows = {r["Metric"]: r for r in csv.DictReader(io.StringIO(table))}
    for i, name in ((1, "Price +5%"), (2, "Scenario 2")):
        want = scenario_summary(inputs, _scenario_from_link(params, i))
        assert float(rows["MRR"][name]) == pytest.approx(want.at["mrr", "scenario"], rel=1e-9)
        assert float(rows["NRR"][name]) == pytest.approx(want.at["nrr", "scenario"], rel=1e-9)
    assert float(rows["MRR"]["Price +5% vs baseline"]) > 0
    context.close()
    fresh.close()


def test_the_model_fitted_to_the_reporting_period_cohorts():
    """'Acquired in the reporting period': the fit, the curves and the table are those of the
    cohorts from the period's first month to its last (mrrkit's with ``cohorts=``)."""
    import pandas as pd

    at = open_page(PAGE, {"sc.ret_cohorts": "period", "from": "2025-01", "to": "2025-12"})
    assert_clean(at)
    _, mv, _ = sample()
    months = [str(p) for p in pd.period_range("2025-01", "2025-12", freq="M")]
    fit = fit_retention(mv, cohorts=months)
    everyone = fit_retention(mv)
    assert abs(fit.alpha - everyone.alpha) > 1e-3  # not the all-cohort fit
    assert at.dataframe[1].value.iloc[0]["alpha"] == EN.ratio(fit.alpha)
    tiles = _tiles(at)
    assert tiles["LTV (retention model)"] == EN.money(model_ltv(mv, fit)["model_ltv"])
    assert tiles["Paying after 12 months"] == EN.pct(fit.survival(12))
    caption = next(c.value for c in at.caption if c.value.startswith("A model of"))
    assert "the monthly cohorts acquired from Jan 2025 to Dec 2025" in caption
    survivors = mrrkit_cohort_survivors(mv)
    assert f": {EN.count(survivors.loc['2025-01':'2025-12', 0].sum())} customers followed" in caption
    # the grey cohort lines are those cohorts only
    from tests._pages import chart_data

    lines = [d for d in chart_data(at, 0).values() if "cohort" in d.columns]
    assert lines and set(lines[0]["cohort"].astype(str)) == set(months)
    assert at.query_params["sc.ret_cohorts"] == "period"


def mrrkit_cohort_survivors(mv):
    from mrrkit.models.retention_fit import cohort_survivors

    return cohort_survivors(mv)


@pytest.mark.e2e
def test_in_a_browser_the_backtest_opens_on_demand_and_its_link_keeps_it_open(served):
    """The backtest section starts closed (nothing computed); opening it reruns the page with
    the backtest, mrrkit's figures, and puts ``sc.backtest=1`` in the address, which opens it
    again in a fresh browser."""
    from urllib.parse import parse_qs, urlsplit

    browser, base = served
    bt = backtest(segment({"channel": ["partner"]}), horizon=12, method="sbg")
    mape = f"{bt.mape * 100:.1f}%"
    context, page, runs = _new_page(browser)
    page.goto(f"{base}/Scenarios?f.channel=partner")
    _settle(page, runs)
    section = _widget(page, "sc.backtest")
    assert section.count() == 1
    assert not page.get_by_text("MRR error (MAPE)").count()
    section.locator("summary").click()
    page.get_by_text("MRR error (MAPE)").wait_for()
    _settle(page, runs)
    _no_exception(page)
    assert section.locator('[data-testid="stMetricValue"]').first.inner_text() == mape
    page.wait_for_function("location.search.includes('sc.backtest=1')", timeout=30_000)
    link = page.evaluate("location.href")
    assert parse_qs(urlsplit(link).query)["sc.backtest"] == ["1"]
    fresh_context, fresh, fresh_runs = _new_page(browser)
    fresh.goto(link)
    _settle(fresh, fresh_runs)
    _no_exception(fresh)
    assert _widget(fresh, "sc.backtest").locator('[data-testid="stMetricValue"]').first \
        .inner_text() == mape
    context.close()
    fresh_context.close()
