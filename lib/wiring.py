"""Build the booking service from settings: one adapter per port, chosen by configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib.access import SYSTEM
from lib.clock import Clock, system_clock
from lib.config import Settings
from lib.errors import ConfigError
from lib.meetings import MeetingProvider
from lib.notify import EmailSender
from lib.notify.in_app_sender import OutboxOnlySender
from lib.payments import PaymentGateway
from lib.payments.demo_gateway import DemoGateway
from lib.service import BookingService
from lib.store import BookingStore
from lib.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from lib.demo_data import DemoSeeding


def build_store(settings: Settings) -> BookingStore:
    if settings.backend == "sqlite":
        return SQLiteStore(settings.sqlite_path)
    if settings.backend == "supabase":
        from lib.store.supabase import SupabaseStore  # supabase-py loads only when used

        key = settings.supabase_service_role_key.get_secret_value()  # the secret leaves the settings only here
        return SupabaseStore.from_settings(settings.supabase_url, key, settings.supabase_timeout_seconds)
    raise ConfigError(f"Unknown backend {settings.backend!r}.")


def build_meetings(settings: Settings, store: BookingStore | None = None,
                   clock: Clock = system_clock) -> MeetingProvider:
    """Google Meet through Google Calendar, or Jitsi rooms. With a ``store``, Google's per-minute
    request budget is shared through it by every process of the deployment."""
    if settings.meeting_provider == "google":
        from lib.meetings.google import GoogleCalendarProvider  # the Google client is heavy; load only when used
        from lib.meetings.quota import SharedMinuteBudget

        google = settings.google
        budget = (SharedMinuteBudget(store, google.calendar_id, google.requests_per_minute, clock=clock)
                  if store else None)
        return GoogleCalendarProvider.from_settings(google, settings.timezone, budget=budget,
                                                     language=settings.email_language)
    from lib.meetings.jitsi import JitsiProvider

    return JitsiProvider(settings.jitsi_base_url)


def build_payments(settings: Settings) -> PaymentGateway:
    """Midtrans (Snap + status API) when ``payment_gateway`` is "midtrans"; the demo gateway otherwise."""
    if settings.payment_gateway == "midtrans":
        from lib.payments.midtrans import MidtransGateway  # midtransclient loads only when used

        return MidtransGateway.from_settings(settings.midtrans)
    if settings.payment_gateway == "demo":
        return DemoGateway()
    raise ConfigError(f"Unknown payment_gateway {settings.payment_gateway!r}.")


def build_sender(settings: Settings) -> EmailSender:
    """SMTP when ``email_backend`` is "smtp"; otherwise the outbox keeps every email, unsent.

    Whether emails carry an .ics invitation (``attach_ics``) is read by the booking service,
    which renders them, from the same settings.
    """
    if settings.email_backend == "smtp":
        from lib.notify.smtp import SmtpSender

        return SmtpSender(settings.smtp)
    if settings.email_backend == "outbox":
        return OutboxOnlySender()
    raise ConfigError(f"Unknown email_backend {settings.email_backend!r}.")


def build_service(settings: Settings, clock: Clock = system_clock) -> BookingService:
    """The service with the adapters the settings name; seeds demo data into an empty store."""
    store = build_store(settings)
    service = BookingService(
        store=store,
        meetings=build_meetings(settings, store, clock),
        payments=build_payments(settings),
        sender=build_sender(settings),
        settings=settings,
        clock=clock,
        background_dispatch=settings.email_backend == "smtp",
    )
    # Demo rows only ever go into the embedded database, never into a production project.
    if settings.seed_demo_data and settings.backend == "sqlite" and not service.experts(actor=SYSTEM):
        from lib.demo_data import seed_demo

        seed_demo(service)
    return service


# The demo bookings consoles of this process are making in the background, by database file.
_DEMO_SEEDING: dict[str, DemoSeeding] = {}


def build_console_service(settings: Settings) -> BookingService:
    """``build_service`` for a console's start: on an empty embedded database with ``seed_demo_data``
    the demo's experts, hours and customers are made at once and its bookings in the background
    (``lib.demo_data.start_demo_seeding``), so a fresh ``make run`` shows its first page without
    waiting for the whole story (``demo_bookings_coming`` says while they are on their way)."""
    if not (settings.seed_demo_data and settings.backend == "sqlite"):
        return build_service(settings)
    service = build_service(settings.with_changes(seed_demo_data=False))
    if not service.experts(actor=SYSTEM):
        from lib.demo_data import start_demo_seeding

        _DEMO_SEEDING[settings.sqlite_path] = start_demo_seeding(service)
    return service


def demo_bookings_coming(settings: Settings) -> bool:
    """Whether the demo bookings of this console's database are still being made."""
    seeding = _DEMO_SEEDING.get(settings.sqlite_path)
    return seeding is not None and seeding.running


def wait_for_demo_data(timeout: float | None = None) -> bool:
    """Wait until the demo bookings every ``build_console_service`` started are made; whether they are."""
    return all(seeding.wait(timeout) for seeding in list(_DEMO_SEEDING.values()))
