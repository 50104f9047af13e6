"""CallExpert Console: page setup, the sign-in gate and navigation, the only router.

The pages are listed in pages/ui/registry.py; their scripts live in pages/views/.
"""

import streamlit as st

from pages.ui.gate import sign_in_gate
from pages.ui.run import hand_over

st.set_page_config(page_title="CallExpert Console", page_icon=":material/call:", layout="wide")
context, pages = sign_in_gate()
hand_over(context)
st.navigation(pages).run()
