"""Whose page this is: an expert always sees their own; ops pick one, kept in ``?expert=``."""

from __future__ import annotations

import streamlit as st

from lib.access import Role
from lib.domain import Expert
from lib.plaintext import escape_markdown
from pages.ui.run import RunContext


def chosen_expert(context: RunContext, key: str) -> Expert:
    """The expert the page is about; stops the page with a note when there is none yet."""
    experts = {e.id: e for e in context.experts}
    if not experts:
        st.info("There are no experts yet.")
        st.stop()
    if context.actor.role is Role.EXPERT:  # their own, whatever the address says
        expert = experts[context.actor.expert_id]
        st.caption(f"{escape_markdown(expert.name)} — {escape_markdown(expert.expertise)}")
        return expert
    wanted = st.query_params.get("expert")
    ids = list(experts)
    expert_id = st.selectbox("Expert", ids, index=ids.index(wanted) if wanted in experts else 0,
                             format_func=lambda i: f"{experts[i].name} — {experts[i].expertise}", key=key)
    st.query_params["expert"] = expert_id
    return experts[expert_id]
