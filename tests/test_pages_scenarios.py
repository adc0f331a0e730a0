"""Scenarios page: the retention model, forecast, backtest and what-if figures are mrrkit's, and a
link (its URL parameters) reproduces the scenarios exactly."""

from __future__ import annotations

import pytest

from mrrkit.forecast import backtest, forecast
from mrrkit.retention_model import fit_retention, model_ltv
from mrrkit.scenarios import Scenario, scenario_inputs, scenario_summary
from tests._pages import assert_clean, open_page, sample, segment, specs, tooltips
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
    assert tiles["LTV (sBG model)"] == EN.money(ltv["model_ltv"])
    assert tiles["First-month churn"] == EN.pct(fit.alpha / (fit.alpha + fit.beta))
    assert tiles["Still paying after 12 months"] == EN.pct(fit.survival(12))
    table = scenarios_page.dataframe[0].value
    assert table.iloc[0]["alpha"] == EN.ratio(fit.alpha)
    assert table.iloc[0]["LTV (sBG model)"] == EN.money(ltv["model_ltv"])
    # the sample's retention rises with age: the model is worth more than the constant-churn LTV
    assert ltv["model_ltv"] > ltv["simple_ltv"]
    chart = specs(scenarios_page)[0]
    assert [layer["mark"]["type"] for layer in chart["layer"]] == ["line", "point", "line"]
    assert tooltips(chart)[2] == ["Segment", "Age", "Fitted survival (sBG)",
                                  "Fitted month-on-month retention"]


def test_forecast_and_backtest_are_mrrkit(scenarios_page):
    _, mv, _ = sample()
    fc = forecast(mv, months=24, method="sbg")
    table = scenarios_page.dataframe[1].value
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

    bt = backtest(mv, horizon=12, method="sbg")
    assert _tiles(scenarios_page)["MRR error (MAPE)"] == EN.pct(bt.mape)
    bt_table = scenarios_page.dataframe[2].value
    assert bt_table.iloc[-1]["Actual MRR"] == EN.money(bt.table["actual_mrr"].iloc[-1])
    assert bt_table.iloc[-1]["Forecast MRR"] == EN.money(bt.table["forecast_mrr"].iloc[-1])
    assert tooltips(specs(scenarios_page)[2])[0][:3] == ["Month", "Series", "MRR"]


def test_default_scenario_is_the_baseline(scenarios_page, inputs):
    summary = scenario_summary(inputs, Scenario())
    table = scenarios_page.dataframe[3].value
    assert list(table.columns) == ["Baseline", "Scenario 1", "Scenario 1 vs baseline"]
    assert table.at["MRR", "Baseline"] == EN.money(summary.at["mrr", "baseline"])
    assert table.at["NRR", "Scenario 1"] == EN.pct(summary.at["nrr", "baseline"])
    assert table.at["MRR", "Scenario 1 vs baseline"] == EN.money(0)
    chart = specs(scenarios_page)[3]
    assert chart["encoding"]["strokeDash"]["field"] == "dash"
    assert [t["title"] for t in chart["encoding"]["tooltip"]] == ["Month", "Scenario", "MRR",
                                                                  "vs baseline"]


def test_link_scenarios_are_mrrkit(linked_page, inputs):
    assert_clean(linked_page)
    assert not linked_page.toast
    table = linked_page.dataframe[3].value
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
    curves = specs(linked_page)[3]
    assert curves["encoding"]["color"]["sort"] == ["Baseline", "Price +8%", "Pro upsell"]


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
    assert fresh.dataframe[3].value.equals(at.dataframe[3].value)
    assert dict(fresh.query_params) == link
    # and the figures are those of the scenario the link describes
    summary = scenario_summary(scenario_inputs(sample()[1]), _scenario_from_link(link, 1))
    assert fresh.dataframe[3].value.at["MRR", "Price +8%"] == EN.money(summary.at["mrr", "scenario"])


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
    notices = " | ".join(t.value for t in at.toast)
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
    table = at.dataframe[1].value
    assert len(table) == 12
    assert table.iloc[-1]["MRR"] == fr.money(fc["mrr"].iloc[-1])
    assert fc["mrr"].iloc[-1] < forecast(sample()[1], months=12, method="empirical")["mrr"].iloc[-1]
    # one fit per plan among the selected customers, each mrrkit's on that segment
    retention = at.dataframe[0].value
    row = retention.loc["Starter monthly"]
    starter = segment({"company_size": ["1-10"], "plan": ["Starter monthly"]})
    fit = fit_retention(starter)
    assert row["LTV (modèle sBG)"] == fr.money(model_ltv(starter, fit)["model_ltv"])
    assert row["alpha"] == fr.ratio(fit.alpha)
    assert set(specs(at)[0]["layer"][-1]["encoding"]["color"]["sort"]) <= set(retention.index)
