"""The slot picker of the Book page and the reschedule form: the days of the coming weeks with
their number of free starts, the free starts of the chosen day, and for ops a time of their own
with a reason. What it offers comes from ``service.free_slots``, the same rules ``book`` and
``reschedule`` check; the shapes come from ``lib.slot_choices``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import streamlit as st

from lib.access import Actor
from lib.domain import Expert
from lib.errors import CallExpertError, SlotUnavailable
from lib.plaintext import escape_markdown
from lib.scheduling import Availability, Slot
from lib.service import BookingService, SlotList
from lib.slot_choices import (
    WINDOW_DAYS,
    Window,
    calendar_notice,
    day_choices,
    first_free_day,
    in_zone,
    page_of,
    pick_missing,
    refusal_words,
    slot_key,
    slots_on,
    time_label,
    window,
)
from lib.store import BookingInputs
from lib.timefmt import long_date, short_date, zone_abbreviation
from pages.ui.flash import show_error

OVERRIDE_STEP = timedelta(minutes=5)


@dataclass(frozen=True)
class Pick:
    """What the picker hands the form: a start as the app zone's wall clock (what a booking
    stores; None until chosen) and, for an ops time of their own, the reason they gave.

    ``start`` is the picked free start as the picker offered it (ISO, the expert's zone; None for
    an ops time), ``chosen_day`` the day picked (the expert's), even before a start is, and
    ``vanished`` says the picked start is no longer among the free ones (taken meanwhile): it is
    kept, so that booking it is refused for what happened to it, not for a missing date.
    """

    day: date | None = None
    at: time | None = None
    override: bool = False
    override_reason: str | None = None
    start: str | None = None
    chosen_day: date | None = None
    vanished: bool = False


# The pick is kept under keys of its own, apart from the pills that show it: Streamlit empties a
# pill whose value left its options (another window of days, a start taken meanwhile), and the
# pick must survive both. Only a person's click (the callbacks below) changes it.
def _chosen(key: str) -> tuple[str | None, str | None]:
    return st.session_state.get(f"{key}-chosen-day"), st.session_state.get(f"{key}-chosen-time")


def _choose(key: str, day: str | None, start: str | None) -> None:
    st.session_state[f"{key}-chosen-day"] = day
    st.session_state[f"{key}-chosen-time"] = start


def _day_clicked(key: str) -> None:
    day = st.session_state.get(f"{key}-day")
    if day is not None and day != _chosen(key)[0]:  # clicking the chosen day again keeps it
        _choose(key, day, None)


def _time_clicked(key: str) -> None:
    _choose(key, _chosen(key)[0], st.session_state.get(f"{key}-time"))


def forget_start(key: str) -> None:
    """Drop the picked start of the picker ``key`` (after it was booked) and an ops time of their
    own: the day stays chosen while it has free starts left, else the picker opens again on the
    first day with one."""
    _choose(key, _chosen(key)[0], None)
    st.session_state[f"{key}-reopen"] = True


def reset_picker(key: str) -> None:
    """Forget everything of the picker ``key``: it opens again on the first day with a free start."""
    for part in ("chosen-day", "chosen-time", "page", "for", "reopen", "refused"):
        st.session_state.pop(f"{key}-{part}", None)


def _today(svc: BookingService, zone: object) -> date:
    return svc.clock().astimezone(zone).date()  # type: ignore[arg-type]


def _go_to(key: str, slot_start: str, today: date) -> None:
    """Select the start ``slot_start`` (ISO) in the picker ``key``: its window, day and time."""
    start = datetime.fromisoformat(slot_start)
    st.session_state[f"{key}-page"] = page_of(start.date(), today)
    _choose(key, start.date().isoformat(), slot_start)
    st.session_state[f"{key}-override"] = False


def _move(key: str, by: int) -> None:
    st.session_state[f"{key}-page"] = st.session_state.get(f"{key}-page", 0) + by


def window_start(svc: BookingService, key: str, around: date | None = None) -> date:
    """The first day of the window the picker ``key`` is about to show (app timezone; the
    expert's may differ by a day, which ``service.booking_desk`` reads around): what to read
    before drawing it, so the picker draws from that one read."""
    today = svc.today()
    if f"{key}-page" in st.session_state:
        page = st.session_state[f"{key}-page"]
    else:
        chosen = _chosen(key)[0]
        opening = date.fromisoformat(chosen) if chosen else around
        page = page_of(opening, today) if opening else 0
    return today + timedelta(days=page * WINDOW_DAYS)


def slot_picker(svc: BookingService, actor: Actor, expert_id: str, duration: int, *, key: str,
                exclude_booking: str | None = None, around: date | None = None,
                known: BookingInputs | None = None, expert: Expert | None = None,
                availability: Availability | None = None) -> Pick:
    """Draw the picker for ``duration`` minutes with the expert and return the pick.

    ``key`` prefixes every widget key (``{key}-day``, ``{key}-time``...). ``exclude_booking``:
    the booking being rescheduled (its own time counts as free). ``around``: a day to open the
    window on (the booking's current day) instead of the first day with a free start. What the page
    read already is not read again: ``known`` (what ``service.booking_desk`` read for
    ``window_start``), or ``expert`` with ``availability`` (their hours; then only their bookings
    are read for the slots).
    """
    given: tuple[Expert, Availability] | None = None
    if expert is not None and availability is not None:
        given = (expert, availability)
    else:
        try:
            availability = svc.availability(expert_id, actor=actor, known=known)
        except CallExpertError as exc:
            show_error(exc)
            return Pick()
    zone = availability.zone
    today = _today(svc, zone)
    page_key, day_key, time_key = f"{key}-page", f"{key}-day", f"{key}-time"
    chosen_day, chosen_time = _chosen(key)
    reopen = st.session_state.pop(f"{key}-reopen", False)
    if reopen:  # the pick was booked: an ops time of their own goes with it
        st.session_state.update({f"{key}-override": False, f"{key}-override-reason": ""})
    # Another expert or duration: the pick stays only where it is still free (checked below).
    recheck = st.session_state.get(f"{key}-for") != (expert_id, duration, exclude_booking)
    st.session_state[f"{key}-for"] = (expert_id, duration, exclude_booking)
    if page_key not in st.session_state:
        opening = date.fromisoformat(chosen_day) if chosen_day else around
        st.session_state[page_key] = page_of(opening, today) if opening else 0
    try:
        shown, found = _read(svc, actor, expert_id, duration, exclude_booking, today, availability.horizon_days,
                             st.session_state[page_key], known, given)
        choices = day_choices(found.slots, shown.first_day, shown.days)
        starts_of = {c.day.isoformat(): c.free for c in choices}
        if recheck or reopen:
            free_starts = {slot_key(s) for s in found.slots}
            if chosen_time not in free_starts:
                chosen_time = None
            if not starts_of.get(chosen_day or ""):
                chosen_day = None
            _choose(key, chosen_day, chosen_time)
        if chosen_day is None:  # opening: on the first day with a free start, in later windows if need be
            first = around if around and starts_of.get(around.isoformat()) else first_free_day(choices)
            while first is None and shown.has_later:
                shown, found = _read(svc, actor, expert_id, duration, exclude_booking, today,
                                     availability.horizon_days, shown.page + 1, known, given)
                choices = day_choices(found.slots, shown.first_day, shown.days)
                first = first_free_day(choices)
            st.session_state[page_key] = shown.page
            chosen_day = first.isoformat() if first else None
            _choose(key, chosen_day, None)
    except CallExpertError as exc:
        show_error(exc)
        return Pick()
    st.session_state[page_key] = shown.page  # a page beyond the horizon comes back to the last one
    notice = calendar_notice(found.calendar)
    if notice:
        st.warning(escape_markdown(notice), icon=":material/event_busy:")

    # The two buttons side by side at their own width (never cut to "E…" in a narrow column);
    # the span of days under them.
    with st.container(horizontal=True, key=f"{key}-paging"):
        st.button("Earlier days", key=f"{key}-earlier", disabled=not shown.has_earlier,
                  on_click=_move, args=(key, -1), icon=":material/chevron_left:", width="content")
        st.button("Later days", key=f"{key}-later", disabled=not shown.has_later,
                  on_click=_move, args=(key, 1), icon=":material/chevron_right:", width="content")
    st.caption(f"{short_date(shown.first_day)} – {short_date(shown.last_day)}, "
               f"times in {availability.timezone} ({zone_abbreviation(zone, shown.first_day)})")

    labels = {c.day.isoformat(): c.label for c in choices}
    st.session_state[day_key] = chosen_day if chosen_day in labels else None
    st.pills("Day (free start times)", list(labels), format_func=labels.__getitem__, key=day_key,
             on_change=_day_clicked, args=(key,))
    day = date.fromisoformat(chosen_day) if chosen_day else None
    vanished = False
    if day is None:
        st.caption("No free start up to the expert's horizon." if not shown.has_later
                   and not any(c.free for c in choices) else "No free start in these days; see later days.")
    elif chosen_day not in labels:  # paged away from the pick: it stays, and says where it is
        at = f", {datetime.fromisoformat(chosen_time):%H:%M}" if chosen_time else ""
        side = "earlier" if day < shown.first_day else "later"
        st.caption(f"Your pick: {long_date(day)}{at} (under {side} days).")
    else:
        starts = {slot_key(s): s for s in slots_on(found.slots, day)}
        vanished = chosen_time is not None and chosen_time not in starts
        st.session_state[time_key] = chosen_time if chosen_time in starts else None
        if not starts:
            st.info(f"No free start on {long_date(day)}; pick another day.")
        else:
            st.pills(f"Start time on {long_date(day)} ({zone_abbreviation(zone, day)})", list(starts),
                     format_func=lambda k: time_label(starts[k]), key=time_key, on_change=_time_clicked, args=(key,))
    pick = Pick(chosen_day=day)
    if chosen_time is not None:
        pick = Pick(*in_zone(datetime.fromisoformat(chosen_time), svc.tz), start=chosen_time, chosen_day=day,
                    vanished=vanished)
    if actor.is_staff:
        return _override(svc, key, pick)
    return pick


def _read(svc: BookingService, actor: Actor, expert_id: str, duration: int, exclude_booking: str | None,
          today: date, horizon_days: int, page: int, known: BookingInputs | None = None,
          given: tuple[Expert, Availability] | None = None) -> tuple[Window, SlotList]:
    """The window ``page`` and the expert's free starts in it (``known``, ``given``: as read already)."""
    shown = window(today, horizon_days, page)
    expert, availability = given if given is not None else (None, None)
    return shown, svc.free_slots(expert_id, duration, shown.first_day, shown.days, actor=actor,
                                 exclude_booking=exclude_booking, known=known, expert=expert,
                                 availability=availability)


def _override(svc: BookingService, key: str, pick: Pick) -> Pick:
    """Ops only: a date and time of their own with a required reason, kept in the history."""
    with st.expander("Book another time (ops)", expanded=bool(st.session_state.get(f"{key}-override"))):
        use = st.toggle("Use this time instead of the picked one", key=f"{key}-override")
        left, right = st.columns(2)
        today = svc.today()
        # No bounds: a date outside them would be silently replaced; the service names a bad one.
        day = left.date_input("Date", value=pick.day or pick.chosen_day or today + timedelta(days=1),
                              key=f"{key}-override-date")
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
    """Keep a refusal of ``pick`` to show (with its nearest free times) while the pick stays: the
    service's words, led by what happened to a start the picker had offered ("14:00 was just
    booked.")."""
    words = refusal_words(None if pick.override else pick.start, exc.reason, str(exc))
    st.session_state[f"{key}-refused"] = (pick, words, [slot_key(s) for s in exc.nearest])


def show_refusal(svc: BookingService, actor: Actor, expert_id: str, key: str, pick: Pick,
                 known: BookingInputs | None = None) -> bool:
    """The refusal of ``pick`` and its nearest free times as buttons that pick them; True when
    there was one to show (``known``: as for ``slot_picker``)."""
    kept = st.session_state.get(f"{key}-refused")
    if not kept or kept[0] != pick:
        return False
    _, message, nearest = kept
    st.error(escape_markdown(message), icon=":material/event_busy:")
    if not nearest:
        return True
    zone = svc.availability(expert_id, actor=actor, known=known).zone
    today = _today(svc, zone)
    st.caption("Pick one of the nearest free times instead:")
    with st.container(horizontal=True, key=f"{key}-nearest"):
        for i, start in enumerate(nearest):
            moment = datetime.fromisoformat(start)
            st.button(f"{short_date(moment.date())} {time_label(Slot(moment, moment))}", key=f"{key}-nearest-{i}",
                      on_click=_go_to, args=(key, start, today), width="content")
    return True


def still_to_pick(pick: Pick) -> str | None:
    """What is missing from ``pick`` in words ("Pick a start time on Tuesday, 8 December 2026"), or None."""
    if pick.override:
        return None  # ops typed a date and a time: both are always there
    return pick_missing(pick.chosen_day, pick.at)
