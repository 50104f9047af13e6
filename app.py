"""CallExpert Console: page setup and navigation. Each page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="CallExpert Console", page_icon=":material/call:", layout="wide")

st.navigation(
    [
        st.Page("pages/book.py", title="Book a session", icon=":material/event_available:", url_path="book",
                default=True),
        st.Page("pages/confirmation.py", title="Confirmation", icon=":material/task_alt:", url_path="confirmation"),
        st.Page("pages/my_sessions.py", title="My sessions", icon=":material/calendar_month:",
                url_path="my-sessions"),
        st.Page("pages/ops.py", title="Ops", icon=":material/build:", url_path="ops"),
        st.Page("pages/emails.py", title="Emails", icon=":material/mail:", url_path="emails"),
    ]
).run()
