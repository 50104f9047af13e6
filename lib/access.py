"""Who is acting, and what their role lets them do. Enforced by the booking service, not the UI."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.domain import Booking, Expert
from lib.errors import ConfigError, PermissionDenied

if TYPE_CHECKING:  # annotations only: the command line's --help starts without the settings models
    from lib.config import Settings


class Role(str, enum.Enum):
    OPS = "ops"  # staff: everything
    EXPERT = "expert"  # their own sessions only
    NONE = "none"  # signed in, but neither ops nor an expert
    SYSTEM = "system"  # the CLI, cron and demo seeding


@dataclass(frozen=True)
class Actor:
    """The person (or process) behind a service call; recorded in each booking's history."""

    role: Role
    email: str = ""
    expert_id: str | None = None
    # Signed in with an address the identity provider has not verified: no role, whatever the address.
    unverified: bool = False
    # Set when the public endpoint acts for a booking's customer through their self-service link
    # (token, form and policy checked first by lib.service.self_service): histories name them.
    customer: str = ""

    @property
    def label(self) -> str:
        if self.customer:
            return f"{CUSTOMER_PREFIX}{self.customer}"
        return f"{self.role.value}:{self.email}" if self.email else self.role.value

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.OPS, Role.SYSTEM)


SYSTEM = Actor(Role.SYSTEM)
CLI = Actor(Role.SYSTEM, email="cli")
# Who applies payment gateway notifications (the endpoint and `payment-notification`), as histories show it.
NOTIFICATION = Actor(Role.SYSTEM, email="payment-notification")
# Who follows a Join link's click-counting redirect (the endpoint's `/j/<token>`).
JOIN_REDIRECT = Actor(Role.SYSTEM, email="join-redirect")
DEMO_OPS = Actor(Role.OPS, email="demo")
# Who reads a booking for its customer's self-service pages (the endpoint's `/r/` and `/c/`).
SELF_SERVICE = Actor(Role.SYSTEM, email="self-service")
# How a history line made by a customer through their self-service link names its actor.
CUSTOMER_PREFIX = "customer:"


def customer_actor(email: str) -> Actor:
    """The endpoint acting for a booking's customer, once their link, form and the policy are
    checked (only ``lib.service.self_service`` makes one): allowed what the system is, labelled
    ``customer:<email>`` in the booking's history."""
    return Actor(Role.SYSTEM, email="self-service", customer=email)


def email_is_verified(claim: object, *, trust_missing: bool = False) -> bool:
    """Whether an ``email_verified`` claim vouches for the address.

    Present: true (or the string "true", as some providers send it) vouches, anything else does
    not. Absent (``None``): only when ``trust_missing`` is set, for a provider that issues nothing
    but addresses it controls and never sends the claim.
    """
    if claim is None:
        return trust_missing
    if isinstance(claim, str):
        return claim.strip().lower() == "true"
    return claim is True


def resolve_actor(email: str | None, ops_emails: Iterable[str], experts: Iterable[Expert], *,
                  email_verified: object, trust_missing_claim: bool = False) -> Actor:
    """The role of a signed-in email: ops if listed in settings, expert if it matches an expert row.

    Only a verified address gets a role (see ``email_is_verified``): anyone can type someone
    else's address into an account at a provider that does not check it.
    """
    address = (email or "").strip().lower()
    if not address:
        return Actor(Role.NONE)
    if not email_is_verified(email_verified, trust_missing=trust_missing_claim):
        return Actor(Role.NONE, email=address, unverified=True)
    if address in {e.strip().lower() for e in ops_emails}:
        return Actor(Role.OPS, email=address)
    for expert in experts:
        if expert.email.strip().lower() == address:
            return Actor(Role.EXPERT, email=address, expert_id=expert.id)
    return Actor(Role.NONE, email=address)


def expert_actor(expert: Expert) -> Actor:
    """Acting as ``expert`` (the demo's "View as" switcher)."""
    return Actor(Role.EXPERT, email=expert.email.lower(), expert_id=expert.id)


def require_staff(actor: Actor, what: str) -> None:
    """Refuse ``what`` unless ops (or the system) is acting."""
    if not actor.is_staff:
        raise PermissionDenied(f"Only ops staff can {what}.")


def require_known(actor: Actor, what: str) -> None:
    """Refuse ``what`` to someone who is signed in but has no role here."""
    if actor.role is Role.NONE:
        raise PermissionDenied(f"Your account has no role in this console, so it cannot {what}.")


def require_expert_or_staff(actor: Actor, expert_id: str, what: str) -> None:
    """Staff may act for any expert; an expert only for themselves."""
    if actor.is_staff:
        return
    if actor.role is Role.EXPERT and actor.expert_id == expert_id:
        return
    raise PermissionDenied(f"You can only {what} for your own sessions.")


def may_change_calendar_id(actor: Actor) -> bool:
    """Whether ``actor`` may change an expert's calendar id: staff only. The organizer's Google
    account reads the free/busy of whatever calendar is named, so an expert who named someone
    else's would see that person's busy times in their own free slots; an expert asks ops."""
    return actor.is_staff


def require_calendar_id_change(actor: Actor) -> None:
    """Refuse changing an expert's calendar id unless staff are acting (``may_change_calendar_id``)."""
    if may_change_calendar_id(actor):
        return
    if actor.role is Role.EXPERT:
        raise PermissionDenied("Only ops staff can change a calendar id; ask them to change yours.")
    raise PermissionDenied("Only ops staff can change a calendar id.")


def require_can_see(actor: Actor, booking: Booking) -> None:
    """Staff see every booking; an expert only their own. Others see none."""
    if actor.is_staff or (actor.role is Role.EXPERT and actor.expert_id == booking.expert_id):
        return
    raise PermissionDenied("This booking belongs to another expert; you can open only your own bookings.")


def production_adapters(settings: Settings) -> list[str]:
    """The configured adapters that reach real people, money or data (empty for the embedded defaults)."""
    found = []
    if settings.backend == "supabase":
        found.append("the Supabase backend")
    if settings.payment_gateway == "midtrans":
        found.append("the Midtrans payment gateway")
    if settings.email_backend == "smtp":
        found.append("SMTP email")
    if settings.meeting_provider == "google":
        found.append("Google meetings")
    return found


def check_demo_mode_allowed(settings: Settings) -> None:
    """Refuse demo mode (no sign-in, everyone is ops) with any production adapter, unless a
    setting allows it on purpose: anyone with the address could take payments, send email to
    customers, create meetings or read every booking."""
    if settings.sign_in or settings.allow_demo_mode:
        return
    adapters = production_adapters(settings)
    if adapters:
        raise ConfigError(
            f"Demo mode (no sign-in) is refused with {_and(adapters)}: anyone with the console's address "
            "would act as ops on them. Configure sign-in with an [auth] table in .streamlit/secrets.toml "
            "(see docs/sign-in.md), or set allow_demo_mode = true if this really is a demo."
        )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
