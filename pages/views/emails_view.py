"""Emails: the outbox — who got what, and when; open one to read it and the invitation it carried."""

import streamlit as st

from lib.display_tables import email_language, email_title, invitation_view, local_medium_when
from lib.plaintext import escape_markdown
from lib.sections import sections_for
from pages.ui.run import page_context

PAGE = 25  # emails drawn at first, and added by each "Show more emails"
STATUS_ICON = {"queued": ":material/schedule:", "sent": ":material/check_circle:", "failed": ":material/error:"}

context = page_context("emails")
svc, actor = context.service, context.actor
show = sections_for(svc.settings, svc.route.pays_here)
st.title("Emails")

booking_id = st.text_input("Filter by booking id", value=st.query_params.get("booking", ""),
                           placeholder="all bookings").strip()
# The newest PAGE emails first, PAGE more at each "Show more": each email is a card with its text,
# HTML and invitation, and a long outbox drawn at once would keep the page waiting.
shown_key = f"emails-shown-{booking_id}"
shown = st.session_state.setdefault(shown_key, PAGE)
emails = svc.emails(limit=shown + 1, booking_id=booking_id or None, actor=actor)  # one more: are there others?
more = len(emails) > shown
emails = emails[:shown]
if not emails:
    st.info("No emails for that booking." if booking_id else "No emails yet; they appear once a booking is confirmed.")
st.caption(f"The newest {len(emails)} emails; older ones below “Show more emails”." if more
           else f"{len(emails)} email(s), newest first.")

for e in emails:
    # The title is in the console's words; the subject, in the email's own language, comes
    # inside on its own. Addresses and subjects are typed text: the label is Markdown, so escaped.
    with st.expander(escape_markdown(email_title(e, svc.tz)), icon=STATUS_ICON.get(e.status.value)):
        st.caption(f"Booking {escape_markdown(e.booking_id)} · queued {local_medium_when(e.created_at, svc.tz)}"
                   + (f" · sent {local_medium_when(e.sent_at, svc.tz)}" if e.sent_at else "")
                   + f" · attempts: {e.attempts}")
        language = email_language(e)
        st.markdown("**Subject**" + (f" (the email is in {language})" if language else ""))
        st.text(e.subject)
        if e.last_error:
            st.error(f"Last delivery error: {escape_markdown(e.last_error)}")
        invite = invitation_view(e, svc.tz)
        if invite is None:
            if show.invitations:  # with Google, its own invitations: none are expected here
                st.caption("No calendar invitation attached.")
        else:
            with st.container(border=True):
                st.markdown("**Calendar invitation** (.ics)")
                if invite.problem:
                    st.warning(escape_markdown(invite.problem))
                if invite.rows:
                    st.markdown("  \n".join(f"**{label}:** {escape_markdown(text)}" for label, text in invite.rows))
                # "ignore": a download changes nothing, so the page need not run again
                st.download_button("Download invitation", invite.ics, file_name=invite.file_name,
                                   mime="text/calendar", icon=":material/download:", key=f"ics-{e.id}",
                                   on_click="ignore")
        text, html = st.tabs(["Text", "HTML"])
        text.text(e.body_text)
        with html:
            st.html(e.body_html)  # sanitised by Streamlit; scripts never run

if more:
    st.button("Show more emails", icon=":material/expand_more:",
              on_click=lambda: st.session_state.update({shown_key: shown + PAGE}))
