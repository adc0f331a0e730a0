"""The definitions the figures follow (issue 15): the sidebar's choice (URL key ``defs``), the
caption under each page's title, and what they change (the Overview's "What changes")."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

import mrrkit

from . import state, views

#: How each compared figure is written (a kind of ui.format) and its change.
_FIGURES = {"mrr": "money", "net_new_12m": "money", "customer_churn_rate_12m": "pct",
            "nrr_12m": "pct", "grr_12m": "pct", "quick_ratio_12m": "ratio", "ltv": "money"}
#: The precision each kind is shown at (the difference is that of the figures as shown).
_DIGITS = {"money": 0, "pct": 3, "ratio": 2}
#: "Never" (no window) in the switches' choices: a selectbox shows None as no choice at all.
_NEVER = "never"


#: The "advanced" panel: each switch's choices (URL key ``d.<switch>``, written only when it
#: differs from the preset's), in the order of mrrkit.Definitions.
SWITCHES = {
    "reactivation_window": (_NEVER, 30, 60, 90, 180, 365),
    "reactivation_as": ("reactivation", "new", "expansion"),
    "grain": ("event", "month"),
    "churn_at": ("end", "request"),
    "pauses": ("zero", "keep", "state"),
    "delinquency": ("as_read", "keep", 14, 30, 60, 90),
    "churn_rate_base": ("start", "average", "start_plus_new"),
    "same_month_churn": ("count", "exclude", "ignore"),
    "quick_ratio_reactivation": (True, False),
    "retention": ("customers", "movements"),
    "ltv_churn": ("customer", "revenue"),
    "ltv_months": (1, 3, 6, 12),
    "ltv_current_month": (True, False),
    "gross_margin": (1.0, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5),
    "discounts": ("all", "recurring", "none"),
}


_BY_HAND = "_mrrkit_definitions_by_hand"  # whether the last run's switches left the preset's


def _parse(raw: str):
    """A switch's value as the URL writes it (``str`` of the value)."""
    if raw in ("None", "True", "False"):
        return {"None": None, "True": True, "False": False}[raw]
    for number in (int, float):
        try:
            return number(raw)
        except ValueError:
            pass
    return raw


def _said(t, switch: str, value) -> str:
    """A switch's value in words."""
    if switch == "discounts":
        return t(f"definitions.value.discounts_{value}")
    if value is None or value == _NEVER:
        return t("definitions.value.none")
    if isinstance(value, bool):
        return t(f"definitions.value.{str(value).lower()}")
    if switch == "gross_margin":
        return f"{value:.0%}"
    if isinstance(value, int):
        return t.plural(f"definitions.value.{'months' if switch == 'ltv_months' else 'days'}",
                        value, count=str(value))
    return t(f"definitions.value.{value}")


def _new_preset() -> None:
    """Another preset chosen: the switches start again from its values."""
    state.reset(lambda key: not key.startswith("d."))


def choose(fr) -> mrrkit.Definitions | None:
    """The sidebar's choice: mrrkit's definitions (None), a tool's, or either with switches
    set by hand in the "advanced" panel."""
    t = fr.t
    name = state.selectbox(
        t("definitions.label"), list(mrrkit.DEFINITION_PRESETS), key="defs", default="mrrkit",
        format_func=lambda n: t(f"definitions.preset.{n}"), container=fr.data_box,
        help=t("definitions.help"), on_change=_new_preset,
    )
    preset = mrrkit.Definitions.preset(name)
    chosen = {}
    # Open while switches are set by hand (in this session, or by a link's d.* keys).
    set_by_hand = st.session_state.get(_BY_HAND, False) or any(
        k.startswith("d.") for k in state.incoming_keys())
    with fr.data_box.expander(t("definitions.advanced"), expanded=set_by_hand):
        st.caption(t("definitions.advanced_help"))
        for switch, options in SWITCHES.items():
            default = getattr(preset, switch)
            default = _NEVER if default is None else default
            offered = list(options) if default in options else [default, *options]
            value = state.selectbox(
                t(f"definitions.switch.{switch}"), offered, key=f"d.{switch}", default=default,
                format_func=lambda v, s=switch: _said(t, s, v), parse=_parse,
                help=t(f"definitions.switch_help.{switch}"),
            )
            chosen[switch] = None if value == _NEVER else value
    definitions = dataclasses.replace(preset, **chosen)
    st.session_state[_BY_HAND] = definitions != preset
    return None if definitions == mrrkit.Definitions() else definitions


def _preset() -> mrrkit.Definitions:
    """The preset chosen in the sidebar (the switches set by hand start from it)."""
    name = state.peek("defs")
    return mrrkit.Definitions.preset(name if name in mrrkit.DEFINITION_PRESETS else "mrrkit")


def _named(ctx) -> str:
    """The definitions in words: "the ChartMogul definitions", or "your definitions (from
    ChartMogul's)" when switches were set by hand."""
    t, d = ctx.t, ctx.definitions
    if d.name != "custom":
        return t("definitions.of_preset", name=t(f"definitions.preset.{d.name}"))
    return t("definitions.of_custom", name=t(f"definitions.preset.{_preset().name}"))


def caption(ctx) -> None:
    """Under a page's title: the definitions its figures follow, when not mrrkit's own; set by
    hand, the switches changed from the preset's."""
    d = ctx.definitions
    if d is None:
        return
    t = ctx.t
    said = t("definitions.caption", definitions=_named(ctx))
    if d.name == "custom":
        changes = d.changes(_preset())
        said += " · " + "; ".join(
            t("definitions.change", switch=t(f"definitions.switch.{k}"), value=_said(t, k, v))
            for k, (_, v) in changes.items())
    st.caption(said, help=t("definitions.caption_help"))


def _written(nf, kind: str, value: float, signed: bool = False) -> str:
    """A compared figure (``signed``: a difference; of rates, in percentage points)."""
    if kind == "money":
        return nf.money(value, 0, signed=signed)
    if kind == "pct":
        return nf.pts(value, 1) if signed else nf.pct(value, 1)
    return nf.ratio(value, 2, signed=signed)


def effect(ctx) -> None:
    """What the chosen definitions change over the 12 months ending with the period's end:
    the headline figures under mrrkit's and theirs, and the customers classified otherwise
    (one click to the Customers page, listing them)."""
    if ctx.definitions is None:
        return
    t, nf, named = ctx.t, ctx.nf, _named(ctx)
    with st.expander(t("definitions.effect", definitions=named), icon=":material/compare_arrows:"):
        st.caption(t("definitions.effect_help", month=ctx.month(ctx.end), definitions=named))
        table = views.definitions_effect(ctx.data, ctx.end)
        kinds = [_FIGURES[f] for f in table.index]
        # The figures as shown, and the difference of those (not of the unrounded ones).
        own = [round(v, _DIGITS[k]) for k, v in zip(kinds, table["mrrkit"])]
        other = [round(v, _DIGITS[k]) for k, v in zip(kinds, table["other"])]
        shown = pd.DataFrame({
            t("definitions.figure"): [t(f"definitions.figure.{f}") for f in table.index],
            t("definitions.preset.mrrkit"): [_written(nf, k, v) for k, v in zip(kinds, own)],
            t("definitions.theirs"): [_written(nf, k, v) for k, v in zip(kinds, other)],
            t("definitions.difference"): [_written(nf, k, b - a, signed=True)
                                          for k, a, b in zip(kinds, own, other)],
        })
        st.dataframe(shown, hide_index=True, width="stretch")
        changed = views.reclassified_count(ctx.data, ctx.end)
        st.caption(t.plural("definitions.reclassified", changed,
                            count=nf.count(changed), definitions=named)
                   if changed else t("definitions.reclassified_none", definitions=named))
        if changed:
            # A link, not a button and st.switch_page (which refuses while the page's own keys
            # are in the address): this view's keys, and the Customers page's list of them.
            params = {k: v for k, v in state.snapshot().items() if not k.startswith("cus.")}
            st.page_link("pages/4_Customers.py", label=t("definitions.see_them"),
                         icon=":material/group:", query_params={**params, "cus.diff": "changed"})
