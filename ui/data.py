"""Where the app's data comes from, and the cached computations every page derives its views from.

Caches are keyed on the *content* (a digest of the source), never on a large frame, so Streamlit
does not hash millions of rows on every rerun.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import mrrkit
from mrrkit.sample import SAMPLE_PATH

__all__ = ["Source", "Analysis", "current_source", "analysis"]


@dataclass(frozen=True)
class Source:
    """A set of canonical lines and the digest that identifies its content."""

    name: str
    key: str
    lines: pd.DataFrame


@dataclass(frozen=True)
class Analysis:
    """Everything computed once per data source; pages slice and filter these."""

    movements: pd.DataFrame
    monthly: pd.DataFrame
    attributes: pd.DataFrame


def _file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@st.cache_data(show_spinner=False)
def _sample(digest: str) -> pd.DataFrame:
    # ``digest`` only keys the cache: a regenerated sample file is reloaded.
    return mrrkit.load_sample()


def sample_source() -> Source:
    digest = _file_digest(SAMPLE_PATH) if SAMPLE_PATH.exists() else "generated"
    return Source(name="Sample: a B2B SaaS, 4 years", key=f"sample:{digest}", lines=_sample(digest))


def current_source() -> Source:
    """This session's data: its upload if it made one, else the bundled sample."""
    uploaded = st.session_state.get("source")
    return uploaded if isinstance(uploaded, Source) else sample_source()


@st.cache_data(show_spinner="Computing MRR movements…", max_entries=16)
def analysis(key: str, _lines: pd.DataFrame) -> Analysis:
    """Movements, monthly table and customer attributes of a source (cached by ``key``)."""
    movements = mrrkit.movements(_lines)
    return Analysis(
        movements=movements,
        monthly=mrrkit.monthly(movements),
        attributes=mrrkit.customer_attributes(_lines),
    )
