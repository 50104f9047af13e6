"""CallExpert Console: page setup, the sign-in gate and navigation. Each page lives in pages/."""

import streamlit as st

from pages._common import sign_in_gate

st.set_page_config(page_title="CallExpert Console", page_icon=":material/call:", layout="wide")
st.navigation(sign_in_gate()).run()
