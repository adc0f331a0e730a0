"""The frame every page calls first: page config, data, sidebar. A page never relies on app.py
having run (a deep link can open any page directly)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from .data import Analysis, Source, analysis, current_source

__all__ = ["Context", "page"]


@dataclass(frozen=True)
class Context:
    source: Source
    result: Analysis

    @property
    def movements(self) -> pd.DataFrame:
        return self.result.movements

    @property
    def monthly(self) -> pd.DataFrame:
        return self.result.monthly


def page(title: str, icon: str = "📈") -> Context:
    """Set up a page and return its data. Stops the page with a readable message on bad data."""
    st.set_page_config(page_title=f"{title} · mrrkit", page_icon=icon, layout="wide")
    source = current_source()
    try:
        result = analysis(source.key, source.lines)
    except ValueError as exc:
        st.error(f"This data cannot be analysed: {exc}")
        st.stop()
    with st.sidebar:
        st.caption(f"**Data:** {source.name}")
        as_of = result.movements.attrs.get("as_of")
        if as_of is not None:
            st.caption(f"As of {pd.Timestamp(as_of):%d %b %Y}")
    return Context(source=source, result=result)
