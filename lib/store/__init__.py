"""Booking stores: where bookings live (SQLite by default, Supabase in production).

What a store does is split by concern, one small protocol per module, each with the contract
both stores keep (tests/test_store_contract*.py, one module per protocol):

* ``ports_booking_life.BookingLifeStore``: a booking's transitions, each with its history line;
* ``ports_booking_records.BookingRecordStore``: one booking as stored, and its history;
* ``ports_people.PeopleStore``: experts and customers;
* ``ports_schedules.ScheduleStore``: session types, availability and the times bookings hold;
* ``ports_lists.BookingListStore``: the pages' lists, the ops counts and the Overview's figures;
* ``ports_outbox.OutboxStore``: the email outbox;
* ``ports_calendar.CalendarWorkStore``: each booking's durable calendar work;
* ``ports_jobs.JobRunStore``: the background workers' runs;
* ``ports_budget.RequestBudgetStore``: the calendar's shared per-minute request budget;
* ``ports_attendance.AttendanceStore``: Join links and clicks, Google Meet attendance;
* ``ports_self_service.SelfServiceStore``: the customer's Reschedule and Cancel links;
* ``ports_booking_reads.BookingReadStore``: what booking one session, or showing one, reads, in one read.
* ``ports_expert_pages.ExpertPageStore``: what My sessions and Availability show of one expert, one call each;
* ``ports_ops_page.OpsPageStore``: what the Ops page shows, in one call.

``BookingStore`` is all of them, what ``lib.wiring`` builds and ``lib.service.ports.Ports`` carries;
each part of the service reads it as the few protocols it uses.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lib.store.ports_attendance import AttendanceStore
from lib.store.ports_booking_life import EXPIRE_BATCH, BookingLifeStore, EmailsFor, LineFor
from lib.store.ports_booking_reads import BookingInputs, BookingReadStore, BookingView
from lib.store.ports_booking_records import BookingRecordStore
from lib.store.ports_budget import RequestBudgetStore
from lib.store.ports_calendar import CalendarWorkStore
from lib.store.ports_expert_pages import ExpertPageStore
from lib.store.ports_jobs import JobRunStore
from lib.store.ports_lists import BookingListStore
from lib.store.ports_ops_page import OpsPageStore
from lib.store.ports_outbox import OutboxStore
from lib.store.ports_people import PeopleStore
from lib.store.ports_schedules import ScheduleStore
from lib.store.ports_self_service import SelfServiceStore

__all__ = ["EXPIRE_BATCH", "STORE_PROTOCOLS", "AttendanceStore", "BookingInputs", "BookingLifeStore",
           "BookingListStore", "BookingReadStore", "BookingRecordStore", "BookingStore", "BookingView",
           "CalendarWorkStore", "EmailsFor", "ExpertPageStore", "JobRunStore", "LineFor", "OpsPageStore",
           "OutboxStore", "PeopleStore", "RequestBudgetStore", "ScheduleStore", "SelfServiceStore"]


@runtime_checkable
class BookingStore(BookingLifeStore, BookingRecordStore, PeopleStore, ScheduleStore, BookingListStore, OutboxStore,
                   CalendarWorkStore, JobRunStore, RequestBudgetStore, AttendanceStore, SelfServiceStore,
                   BookingReadStore, ExpertPageStore, OpsPageStore, Protocol):
    """Every read and write of the booking service: each store protocol at once (for wiring)."""


# Each protocol a store implements, in the order above; the contract tests hold one module per protocol.
STORE_PROTOCOLS: tuple[type, ...] = (BookingLifeStore, BookingRecordStore, PeopleStore, ScheduleStore, BookingListStore,
                                     OutboxStore, CalendarWorkStore, JobRunStore, RequestBudgetStore, AttendanceStore,
                                     SelfServiceStore, BookingReadStore, ExpertPageStore,
                                     OpsPageStore)
