"""The slot picker of the Book page and the reschedule form: the days of the coming weeks with
their number of free starts, the free starts of the chosen day, and for ops a time of their own
with a reason. What it offers comes from ``service.free_slots``, the same rules ``book`` and
``reschedule`` check; the shapes come from ``lib.picker``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import streamlit as st

from lib.access import Actor
from lib.errors import CallExpertError, SlotUnavailable
from lib.picker import (
    calendar_notice,
    day_choices,
    first_free_day,
    in_zone,
    page_of,
    slot_key,
    slots_on,
    time_label,
    window,
)
from lib.plaintext import escape_markdown
from lib.scheduling import Slot
from lib.service import BookingService
from lib.timefmt import long_date, short_date, zone_abbreviation
from pages.ui.flash import show_error

OVERRIDE_STEP = timedelta(minutes=5)


@dataclass(frozen=True)
class Pick:
    """What the picker hands the form: a start as the app zone's wall clock (what a booking
    stores; None until chosen) and, for an ops time of their own, the reason they gave."""

    day: date | None = None
    at: time | None = None
    override: bool = False
    override_reason: str | None = None


def _today(svc: BookingService, zone: object) -> date:
    return svc.clock().astimezone(zone).date()  # type: ignore[arg-type]


def _go_to(key: str, slot_start: str, today: date) -> None:
    """Select the start ``slot_start`` (ISO) in the picker ``key``: its window, day and time."""
    start = datetime.fromisoformat(slot_start)
    st.session_state[f"{key}-page"] = page_of(start.date(), today)
    st.session_state[f"{key}-day"] = start.date().isoformat()
    st.session_state[f"{key}-time"] = slot_start
    st.session_state[f"{key}-override"] = False


def _move(key: str, by: int) -> None:
    st.session_state[f"{key}-page"] = st.session_state.get(f"{key}-page", 0) + by


def slot_picker(svc: BookingService, actor: Actor, expert_id: str, duration: int, *, key: str,
                exclude_booking: str | None = None, around: date | None = None) -> Pick:
    """Draw the picker for ``duration`` minutes with the expert and return the pick.

    ``key`` prefixes every widget key (``{key}-day``, ``{key}-time``...). ``exclude_booking``:
    the booking being rescheduled (its own time counts as free). ``around``: a day to open the
    window on (the booking's current day) instead of today.
    """
    try:
        availability = svc.availability(expert_id, actor=actor)
    except CallExpertError as exc:
        show_error(exc)
        return Pick()
    zone = availability.zone
    today = _today(svc, zone)
    page_key, day_key, time_key = f"{key}-page", f"{key}-day", f"{key}-time"
    if page_key not in st.session_state:
        st.session_state[page_key] = page_of(around, today) if around else 0
    shown = window(today, availability.horizon_days, st.session_state[page_key])
    st.session_state[page_key] = shown.page  # a page beyond the horizon comes back to the last one
    try:
        found = svc.free_slots(expert_id, duration, shown.first_day, shown.days, actor=actor,
                               exclude_booking=exclude_booking)
    except CallExpertError as exc:
        show_error(exc)
        return Pick()
    notice = calendar_notice(found.calendar)
    if notice:
        st.warning(escape_markdown(notice), icon=":material/event_busy:")

    earlier, span, later = st.columns([1, 3, 1], vertical_alignment="center")
    earlier.button("Earlier days", key=f"{key}-earlier", disabled=not shown.has_earlier,
                   on_click=_move, args=(key, -1), icon=":material/chevron_left:")
    span.caption(f"{short_date(shown.first_day)} – {short_date(shown.last_day)}, "
                 f"times in {availability.timezone} ({zone_abbreviation(zone, shown.first_day)})")
    later.button("Later days", key=f"{key}-later", disabled=not shown.has_later,
                 on_click=_move, args=(key, 1), icon=":material/chevron_right:")

    choices = day_choices(found.slots, shown.first_day, shown.days)
    labels = {c.day.isoformat(): c.label for c in choices}
    if st.session_state.get(day_key) not in labels:
        # The day to open on (the booking's own, when rescheduling), else the first with a free start.
        first = around if around and around.isoformat() in labels else first_free_day(choices)
        st.session_state[day_key] = first.isoformat() if first else None
    picked_day = st.pills("Day (free start times)", list(labels), format_func=labels.__getitem__, key=day_key)
    pick = Pick()
    if picked_day is None:
        st.caption("No free start in these days; see later days." if not any(c.free for c in choices)
                   else "Pick a day to see its free start times.")
    else:
        day = date.fromisoformat(picked_day)
        starts = {slot_key(s): s for s in slots_on(found.slots, day)}
        if not starts:
            st.info(f"No free start on {long_date(day)}; pick another day.")
        else:
            picked = st.pills(f"Start time on {long_date(day)} ({zone_abbreviation(zone, day)})", list(starts),
                              format_func=lambda k: time_label(starts[k]), key=time_key)
            if picked is not None:
                pick = Pick(*in_zone(starts[picked].start, svc.tz))
    if actor.is_staff:
        return _override(svc, key, pick)
    return pick


def _override(svc: BookingService, key: str, pick: Pick) -> Pick:
    """Ops only: a date and time of their own with a required reason, kept in the history."""
    with st.expander("Book another time (ops)", expanded=bool(st.session_state.get(f"{key}-override"))):
        use = st.toggle("Use this time instead of the picked one", key=f"{key}-override")
        left, right = st.columns(2)
        today = svc.today()
        # No bounds: a date outside them would be silently replaced; the service names a bad one.
        day = left.date_input("Date", value=pick.day or today + timedelta(days=1), key=f"{key}-override-date")
        at = right.time_input(f"Start time ({zone_abbreviation(svc.tz, today)})", value=pick.at or time(10, 0),
                              step=OVERRIDE_STEP, key=f"{key}-override-time")
        reason = st.text_input("Reason (required for a time that is not free; kept in the booking's history)",
                               key=f"{key}-override-reason").strip()
        if use and not reason:
            st.warning("Give the reason: a time that is not free is booked only with one.", icon=":material/edit:")
    if not use:
        return pick
    return Pick(day, at, override=True, override_reason=reason or None)


def remember_refusal(key: str, pick: Pick, exc: SlotUnavailable) -> None:
    """Keep a refusal of ``pick`` to show (with its nearest free times) while the pick stays."""
    st.session_state[f"{key}-refused"] = (pick, str(exc), [slot_key(s) for s in exc.nearest])


def show_refusal(svc: BookingService, actor: Actor, expert_id: str, key: str, pick: Pick) -> None:
    """The service's refusal of ``pick`` and its nearest free times as buttons that pick them."""
    kept = st.session_state.get(f"{key}-refused")
    if not kept or kept[0] != pick:
        return
    _, message, nearest = kept
    st.error(escape_markdown(message))
    if not nearest:
        return
    zone = svc.availability(expert_id, actor=actor).zone
    today = _today(svc, zone)
    st.caption("Nearest free times:")
    columns = st.columns(len(nearest))
    for i, (column, start) in enumerate(zip(columns, nearest, strict=True)):
        moment = datetime.fromisoformat(start)
        column.button(f"{short_date(moment.date())} {time_label(Slot(moment, moment))}", key=f"{key}-nearest-{i}",
                      on_click=_go_to, args=(key, start, today))
