"""Availability: an expert's weekly hours, date overrides and the rules around each session, with
the free slots of the coming week as they would be, shown before saving.

An expert edits their own; ops pick an expert (``?expert=<id>`` keeps the choice bookmarkable).
The fields are read by ``lib.scheduling.form``, which refuses what the command line refuses; each
refused field gets its reason in words right under it, and the save state says how many to fix.
With Google, the calendar whose busy time blocks the slots is shown; ops change it, saved on its own
(``set_calendar_id``). Beside the hours, the expert's session types: ops edit them, the expert
reads them.
"""

from datetime import date, timedelta
from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from lib.access import may_change_calendar_id
from lib.domain import ALLOWED_DURATIONS, DEFAULT_DURATION
from lib.errors import CallExpertError
from lib.plaintext import escape_markdown
from lib.scheduling import ALLOWED_STEPS, WEEKDAYS
from lib.scheduling.form import DAY_FIELD_MAX_CHARS, OVERRIDES, OVERRIDES_MAX_CHARS, PAGE_LIMITS, AvailabilityForm
from lib.scheduling.model import MAX_OVERRIDE_DAYS_AHEAD, MAX_OVERRIDES, MAX_RANGES_PER_DAY
from lib.scheduling.words import DAY_NAMES as DAY_WORDS
from lib.scheduling.words import RULE_NAMES, RULE_UNITS, fix_fields
from lib.sections import sections_for
from lib.timefmt import long_date
from lib.validation import MAX_CALENDAR_ID
from pages.ui.expert import chosen_expert
from pages.ui.flash import show_error
from pages.ui.run import page_context
from pages.ui.session_type_editor import session_types_section

DAY_NAMES = dict(zip(WEEKDAYS, DAY_WORDS, strict=True))
PREVIEW_DAYS = 7

context = page_context("availability")
svc, actor = context.service, context.actor
show = sections_for(svc.settings, svc.route.pays_here)  # only what the providers have
st.title("Availability")

expert = chosen_expert(context, "av_expert")
expert_id = expert.id

view = svc.availability_view(expert, actor=actor)  # the hours and session types in one store call
stored = view.availability
unreadable = view.problem  # stored past the console: no hours until saved
unreadable_note = st.empty()  # cleared once a save replaces those hours
if unreadable:
    unreadable_note.warning(escape_markdown(unreadable), icon=":material/warning:")
start = AvailabilityForm.of(stored)
k = f"av-{expert_id}-"  # every field keyed per expert: picking another expert starts from their hours

# -- the calendar whose busy time counts ------------------------------------------------------
# Only with Google: under Jitsi no calendar is read, so there is nothing to set or show. Only ops
# change it (``lib.access.may_change_calendar_id``); an expert sees theirs and asks ops.
if show.google:
    st.subheader("Google Calendar")
    if may_change_calendar_id(actor):
        st.caption("Times that are busy in this calendar are not offered (with the Google meeting provider). Usually "
                   "the expert's email; a calendar id such as `abc123@group.calendar.google.com` works too. Name only "
                   "a calendar of the expert's own: the organizer's account reads whichever is named. It must be "
                   "shared with that account, at least its free/busy.")
        calendar_id = st.text_input("Calendar id", value=expert.calendar_id, key=f"{k}calendar_id",
                                    help=f"No spaces, at most {MAX_CALENDAR_ID} characters.")
        if st.button("Save calendar id", key=f"{k}calendar_save", disabled=calendar_id == expert.calendar_id):
            try:
                expert = svc.set_calendar_id(expert_id, calendar_id, actor=actor)
            except CallExpertError as exc:
                show_error(exc)  # empty, a space, too long: nothing saved
            else:
                st.success(f"Saved: the busy time of {escape_markdown(expert.name)} is now read from "
                           f"{escape_markdown(expert.calendar_id)}.")
        st.text(f"Busy time is read from: {expert.calendar_id}")
    else:
        st.caption("Times that are busy in this calendar are not offered. It must be shared with the organizer's "
                   "account, at least its free/busy.")
        st.text(f"Busy time is read from: {expert.calendar_id}")
        st.caption("Only ops change the calendar id: ask them if your busy time should be read from another calendar.")


# -- what the expert offers (ops edit; an expert reads) ----------------------------------------
session_types_section(svc, actor, expert, view.session_types)

# -- weekly hours ----------------------------------------------------------------------------
# Every field gets a place right under it for the reason it is refused, filled once all are read.
notes = {}
st.subheader("Weekly hours")
st.caption(f"Each day's hours as ranges, e.g. 09:00-12:00, 13:00-17:00, at most {MAX_RANGES_PER_DAY} a day. Leave "
           "empty (or write off) for a day without hours. Ranges may not overlap or touch.")
weekly = {}
for row in (WEEKDAYS[:4], WEEKDAYS[4:]):
    for column, day in zip(st.columns(4), row, strict=False):
        weekly[day] = column.text_input(DAY_NAMES[day], value=start.weekly[day], key=f"{k}{day}",
                                        placeholder="off", max_chars=DAY_FIELD_MAX_CHARS)
        notes[day] = column.empty()

st.subheader("Date overrides")
overrides = st.text_area("One date per line: other hours that day, or off", value=start.overrides,
                         key=f"{k}overrides", placeholder="2026-12-24: 09:00-12:00\n2026-12-25: off",
                         max_chars=OVERRIDES_MAX_CHARS,
                         help=f"At most {MAX_OVERRIDES} dates, each at most {MAX_OVERRIDE_DAYS_AHEAD} days ahead.")
notes[OVERRIDES] = st.empty()

# -- rules -----------------------------------------------------------------------------------
# No bounds on the number fields: the browser would only outline an out-of-range number in red and
# never send it; the page's own check says what is wrong next to the field instead.
st.subheader("Rules")
left, middle, right = st.columns(3)


def number_field(column, key: str, label: str, value: int, step: int) -> int:
    """A whole-number rule's field, its bounds in the help, and the place for its note under it."""
    low, high = PAGE_LIMITS[key]
    widget = {"min_notice_minutes": "notice", "horizon_days": "horizon"}.get(key, key)  # keys as before
    typed = column.number_input(label, value=value, step=step, key=f"{k}{widget}",
                                help=f"From {low} to {high} {RULE_UNITS[key]}.")
    notes[key] = column.empty()
    return int(typed)


buffer_before = number_field(left, "buffer_before", f"{RULE_NAMES['buffer_before']} (minutes)",
                             start.buffer_before, 5)
buffer_after = number_field(left, "buffer_after", f"{RULE_NAMES['buffer_after']} (minutes)", start.buffer_after, 5)
notice = number_field(middle, "min_notice_minutes", f"{RULE_NAMES['min_notice_minutes']} (minutes)",
                      start.min_notice_minutes, 15)
step = middle.selectbox(f"{RULE_NAMES['slot_step_minutes']} (minutes)", ALLOWED_STEPS,
                        index=ALLOWED_STEPS.index(start.slot_step_minutes), key=f"{k}step")
notes["slot_step_minutes"] = middle.empty()
max_per_day = number_field(right, "max_per_day", f"{RULE_NAMES['max_per_day']} (0: no limit)", start.max_per_day, 1)
horizon = number_field(right, "horizon_days", RULE_NAMES["horizon_days"], start.horizon_days, 1)
zones = sorted(available_timezones() | {start.timezone})
timezone = st.selectbox(RULE_NAMES["timezone"], zones, index=zones.index(start.timezone), key=f"{k}timezone")
notes["timezone"] = st.empty()

form = AvailabilityForm(weekly=weekly, overrides=overrides, buffer_before=buffer_before, buffer_after=buffer_after,
                        min_notice_minutes=notice, slot_step_minutes=int(step), max_per_day=max_per_day,
                        horizon_days=horizon, timezone=timezone)
reading = form.read(now=svc.clock())
for name, problem in reading.problems.items():
    notes[name].error(escape_markdown(problem), icon=":material/error:")
edited = reading.availability
if edited is None:  # nothing below can be drawn from refused fields, and nothing can be saved
    st.subheader("Free slots of the coming week")
    st.caption("Shown once the fields above are fixed.")
    st.button("Save availability", type="primary", key=f"{k}save", disabled=True)
    st.error(fix_fields(len(reading.problems)), icon=":material/edit_off:")
    st.stop()

# -- what these hours leave free -------------------------------------------------------------
today = svc.today()
st.subheader("Free slots of the coming week")
duration = st.selectbox("For a session of (minutes)", ALLOWED_DURATIONS,
                        index=ALLOWED_DURATIONS.index(DEFAULT_DURATION), key="av_duration")
try:
    preview = svc.preview_slots(expert_id, edited, duration, today, PREVIEW_DAYS, actor=actor, expert=expert)
except CallExpertError as exc:
    show_error(exc)
    st.stop()
per_day: dict[date, list[str]] = {today + timedelta(days=i): [] for i in range(PREVIEW_DAYS)}
for slot in preview.slots:
    per_day.setdefault(slot.start.date(), []).append(f"{slot.start:%H:%M}")
st.dataframe(pd.DataFrame({"Day": [long_date(d) for d in per_day],
                           "Free": [len(times) for times in per_day.values()],
                           "Start times": [", ".join(times) or "none" for times in per_day.values()]}),
             hide_index=True, width="stretch")
calendar = f" Google Calendar: {escape_markdown(preview.calendar)}." if show.google else ""
st.caption(f"As these fields stand, with {escape_markdown(expert.name)}'s bookings; times in "
           f"{escape_markdown(edited.timezone)}.{calendar}")

# -- save ------------------------------------------------------------------------------------
changed = edited != stored or bool(unreadable)  # saving replaces an unreadable row, even with no hours
if st.button("Save availability", type="primary", key=f"{k}save", disabled=not changed):
    try:
        svc.set_availability(expert_id, edited, actor=actor)
    except CallExpertError as exc:
        show_error(exc)
    else:
        unreadable_note.empty()
        st.success(f"Saved the availability of {escape_markdown(expert.name)}. "
                   "New bookings follow these hours; existing bookings stay as they are.")
elif changed:
    st.caption("Not saved yet: the changes above take effect once saved.")
else:
    st.caption("No unsaved changes.")
