"""Midtrans: Snap for taking the payment, the Core API status for learning its outcome.

The customer pays on Midtrans's own Snap page (``redirect_url``). Whether money arrived is only
ever learnt from Midtrans itself: the transaction status API (``GET /v2/<order_id>/status``),
or an HTTP notification whose ``signature_key`` proves it came from Midtrans.

Built on the official ``midtransclient``, with one change: its HTTP client calls ``requests``
without a timeout, so a hung Midtrans would hang the page; every call here has one.
The server key lives only inside the midtransclient objects and in this object's private
attribute (to check signatures); it is in no ``repr``, message or log line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import midtransclient
import requests
from midtransclient.error_midtrans import JSONDecodeError as MidtransJSONError
from midtransclient.error_midtrans import MidtransAPIError

from lib.config import MidtransSettings
from lib.domain import Booking
from lib.errors import PaymentError, PaymentFailed, PaymentUnavailable
from lib.payments import PaymentResult, PaymentState

log = logging.getLogger(__name__)
T = TypeVar("T")

# Snap reads the times it is given in Jakarta time (GMT+7).
_WIB = ZoneInfo("Asia/Jakarta")
# Midtrans limits item names and ids to 50 characters.
_NAME_MAX = 50
_FAILED = {
    "deny": "Midtrans denied the payment",
    "cancel": "The payment was cancelled at Midtrans",
    "expire": "The payment expired at Midtrans before the customer paid",
    "failure": "The payment failed at Midtrans",
}
_AFTER_SETTLEMENT = ("refund", "partial_refund", "chargeback", "partial_chargeback")


class _TimeoutRequests:
    """Stands in for the ``requests`` module inside midtransclient's ``HttpClient``.

    midtransclient calls ``self.http_client.request(method, url, auth=..., ...)`` with no
    ``timeout``; this object has the same ``request`` and always adds one (connect, read).
    """

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout = (min(timeout_seconds, 5.0), timeout_seconds)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = self.timeout
        return requests.request(method, url, **kwargs)


def verify_notification(payload: Mapping[str, Any], server_key: str) -> bool:
    """Whether a Midtrans HTTP notification carries a valid ``signature_key``.

    Midtrans signs ``SHA512(order_id + status_code + gross_amount + server_key)`` over the exact
    strings it sent (``"250000.00"``, not a number re-formatted), so they are used as they are.
    """
    parts = [payload.get(k) for k in ("order_id", "status_code", "gross_amount", "signature_key")]
    if not server_key or not all(isinstance(p, str) and p for p in parts):
        return False
    order_id, status_code, gross_amount, signature = parts
    expected = hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()
    # Bytes, so a signature with non-ASCII characters is "no match", not a TypeError.
    return hmac.compare_digest(expected.encode(), str(signature).strip().lower().encode("utf-8", "replace"))


def snap_expiry(booking: Booking, expires_at: datetime) -> dict[str, Any]:
    """Snap's ``expiry`` object: the transaction can be paid from the booking's creation until
    ``expires_at``, in whole minutes rounded down so it never outlives the booking's hold.

    Snap reads ``start_time`` as ``yyyy-MM-dd HH:mm:ss Z`` (``2026-11-24 10:00:00 +0700``); without
    it the lifetime would count from the moment the customer picks a payment method.
    """
    start = (booking.created_at or expires_at).astimezone(_WIB).replace(microsecond=0)
    minutes = max(1, int((expires_at - start).total_seconds() // 60))
    return {"start_time": start.strftime("%Y-%m-%d %H:%M:%S %z"), "unit": "minute", "duration": minutes}


def transaction_params(booking: Booking, order_id: str, expires_at: datetime | None = None) -> dict[str, Any]:
    """The Snap ``create transaction`` body for ``booking``: amount in whole rupiah, the
    customer, the session as its only item (so the items add up to the gross amount), and,
    with ``expires_at``, the transaction's lifetime ending then."""
    name = f"{booking.session_type} - {booking.expert_name}"
    params: dict[str, Any] = {
        "transaction_details": {"order_id": order_id, "gross_amount": int(booking.price)},
        "customer_details": {"first_name": booking.customer_name, "email": booking.customer_email},
        "item_details": [{
            "id": f"session-{booking.id[:8]}",
            "price": int(booking.price),
            "quantity": 1,
            "name": name[:_NAME_MAX],
        }],
        "credit_card": {"secure": True},  # 3-D Secure for cards
    }
    if expires_at is not None:
        params["expiry"] = snap_expiry(booking, expires_at)
    return params


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and str(value).strip() else None
    except InvalidOperation:
        return None


def result_from(data: Mapping[str, Any], order_id: str) -> PaymentResult:
    """Map a transaction status (from the status API or a notification) to the booking's terms.

    ``settlement``, or ``capture`` with ``fraud_status`` ``accept``: paid. ``capture`` with
    ``challenge``: still pending, a person must review it in the Midtrans dashboard.
    ``pending``: waiting for the customer. ``deny``, ``cancel``, ``expire``, ``failure``: failed.
    """
    status = str(data.get("transaction_status") or "").strip().lower()
    fraud = str(data.get("fraud_status") or "").strip().lower()
    word = f"{status}/{fraud}" if fraud and status == "capture" else status
    amount = _amount(data.get("gross_amount"))

    def result(state: PaymentState, message: str, review: bool = False) -> PaymentResult:
        return PaymentResult(state, reference=order_id, message=message, gateway_status=word, amount=amount,
                             needs_review=review)

    if status == "settlement" or (status == "capture" and fraud == "accept"):
        return result(PaymentState.PAID, f"Midtrans reports the payment settled ({word}).")
    if status == "capture":
        return result(PaymentState.PENDING,
                      f"Midtrans flagged this card payment for review ({word}): accept or deny it in the Midtrans "
                      "dashboard; the booking waits until then.", review=True)
    if status == "pending":
        return result(PaymentState.PENDING, "Awaiting the customer's payment at Midtrans (pending).")
    if status in _FAILED:
        said = str(data.get("status_message") or "").strip()
        detail = f": {said}" if said and status == "deny" else ""
        return result(PaymentState.FAILED, f"{_FAILED[status]} ({status}{detail}).")
    if status == "authorize":
        return result(PaymentState.PENDING, "Midtrans holds an authorized card payment that is not captured yet "
                                            "(authorize): capture it in the Midtrans dashboard.", review=True)
    if status in _AFTER_SETTLEMENT:
        return result(PaymentState.PENDING, f"Midtrans reports {status} for this order: handle it in the Midtrans "
                                            "dashboard; the console changes nothing.", review=True)
    return result(PaymentState.PENDING, f"Midtrans reports the unknown status {status or '(none)'!r}; "
                                        "nothing changed.", review=True)


class MidtransGateway:
    """``PaymentGateway`` on Midtrans Snap (payment page) and the Core API (status)."""

    name = "midtrans"
    is_demo = False
    settles_in_process = False  # Midtrans sees every order id: each attempt is numbered first

    def __init__(self, server_key: str, client_key: str, *, is_production: bool = False,
                 timeout_seconds: float = 10.0) -> None:
        self._server_key = server_key.strip()
        self._client_key = client_key.strip()
        self.is_production = is_production
        self.timeout_seconds = timeout_seconds
        self._snap = midtransclient.Snap(is_production=is_production, server_key=self._server_key,
                                         client_key=self._client_key)
        self._core = midtransclient.CoreApi(is_production=is_production, server_key=self._server_key,
                                            client_key=self._client_key)
        transport = _TimeoutRequests(timeout_seconds)
        self._snap.http_client.http_client = transport
        self._core.http_client.http_client = transport

    @classmethod
    def from_settings(cls, settings: MidtransSettings) -> MidtransGateway:
        """The gateway of the ``[midtrans]`` settings (validated by ``lib.config``)."""
        return cls(settings.server_key.get_secret_value(), settings.client_key.get_secret_value(),
                   is_production=settings.is_production,
                   timeout_seconds=settings.timeout_seconds)

    def __repr__(self) -> str:
        return f"MidtransGateway(environment={self.environment!r}, timeout_seconds={self.timeout_seconds:g})"

    @property
    def environment(self) -> str:
        """``sandbox`` (test payments) or ``production`` (real money)."""
        return "production" if self.is_production else "sandbox"

    @property
    def label(self) -> str:
        """How pages name it: ``Midtrans (sandbox)``."""
        return f"Midtrans ({self.environment})"

    # -- the protocol ---------------------------------------------------------------------------
    def start(self, booking: Booking, order_id: str, *, expires_at: datetime | None = None) -> PaymentResult:
        """Create a Snap transaction that can be paid until ``expires_at``; ``PENDING`` with its
        token and the page to pay on."""
        params = transaction_params(booking, order_id, expires_at)
        data = self._call(lambda: self._snap.create_transaction(params), "creating the payment")
        token, url = data.get("token"), data.get("redirect_url")
        if not token or not url:
            raise PaymentFailed("Midtrans answered without a payment token or page; nothing was stored. Try again, "
                               "and check the Midtrans dashboard if it keeps happening.")
        return PaymentResult(PaymentState.PENDING, reference=order_id, message="Awaiting the customer's payment.",
                             redirect_url=str(url), token=str(token), gateway_status="created")

    def status(self, order_id: str) -> PaymentResult:
        """The order's transaction status, from Midtrans's status API."""
        try:
            data = self._call(lambda: self._core.transactions.status(order_id), "checking the payment")
        except _OrderNotFound:
            # Snap creates the Core transaction only once the customer picks a payment method.
            return PaymentResult(PaymentState.PENDING, reference=order_id, gateway_status="not found",
                                 message="No payment yet: the customer has not chosen a payment method on "
                                         "Midtrans's page.")
        return result_from(data, order_id)

    def read_notification(self, payload: Mapping[str, Any]) -> PaymentResult:
        """Verify the notification's signature, then read its status; ``PaymentError`` if it is forged."""
        if not verify_notification(payload, self._server_key):
            raise PaymentFailed("Refused: the notification's signature_key does not match. It was not sent by "
                               "Midtrans for this account (or `midtrans.server_key` is another account's).")
        return result_from(payload, str(payload["order_id"]))

    def expire(self, order_id: str) -> None:
        """Expire the order at Midtrans (POST /v2/<order>/expire) so its Snap page can no longer be paid."""
        try:
            self._call(lambda: self._core.transactions.expire(order_id), "closing the payment")
        except _OrderNotFound:
            return  # no transaction yet: the Snap page expires on its own and nothing was paid
        except PaymentUnavailable:
            raise
        except PaymentError:
            # Midtrans refuses to expire an order that is no longer pending: fine if it expired or
            # failed already, not if the customer paid it a moment ago.
            if self.status(order_id).state is PaymentState.PAID:
                raise PaymentFailed("The customer has already paid this booking at Midtrans, so it was not "
                                   "cancelled: use \"Check payment\" to confirm it, then cancel (and refund) "
                                   "if that is still wanted.") from None

    def refund(self, order_id: str, amount: int, refund_key: str, reason: str) -> str:
        """Pay ``amount`` of a settled order back (POST /v2/<order>/refund); returns the refund
        key. ``refund_key`` makes it idempotent: asked again with the same key (after a lost
        answer) Midtrans does not refund twice. Midtrans answers 200 with its own status_code;
        anything but 200 is refused with its message (e.g. a payment method without refunds)."""
        params = {"refund_key": refund_key, "amount": int(amount), "reason": reason[:255]}
        data = self._call(lambda: self._core.transactions.refund(order_id, params), "refunding the payment")
        code = str(data.get("status_code", "200")) if isinstance(data, Mapping) else "200"
        if code != "200":
            said = self._scrub(str(data.get("status_message") or "no message"))[:300]
            raise PaymentFailed(f"Midtrans refused the refund ({code}): {said}. Nothing was paid back; refund it "
                                "from the Midtrans dashboard or by hand, then record it.")
        return refund_key

        # -- errors ---------------------------------------------------------------------------------
    def _call(self, call: Callable[[], T], doing: str) -> T:
        """Run one midtransclient call; turn its errors into messages a person can act on."""
        try:
            return call()
        except MidtransAPIError as exc:
            raise self._api_error(exc, doing) from None
        except requests.Timeout:
            raise PaymentUnavailable(f"Midtrans did not answer within {self.timeout_seconds:g} s while {doing}; "
                                     "nothing changed. Try again in a moment.") from None
        except requests.RequestException as exc:
            raise PaymentUnavailable(f"Could not reach Midtrans while {doing} ({type(exc).__name__}); nothing "
                                     "changed. Check the network and try again.") from None
        except MidtransJSONError:
            raise PaymentUnavailable(f"Midtrans answered with something that is not JSON while {doing} (an outage "
                                     "or a proxy page); nothing changed. Try again in a moment.") from None

    def _api_error(self, exc: MidtransAPIError, doing: str) -> PaymentError:
        # `from None` above and no exc text here: midtransclient's own message embeds the raw
        # response, and its error object holds the request, Authorization header included.
        body = exc.api_response_dict if isinstance(exc.api_response_dict, Mapping) else {}
        code = str(body.get("status_code") or exc.http_status_code or "")
        http = exc.http_status_code
        if code == "404" or http == 404:
            return _OrderNotFound("The order is not known to Midtrans.")
        said = body.get("error_messages") or body.get("status_message") or ""
        text = "; ".join(str(m) for m in said) if isinstance(said, list) else str(said)
        text = self._scrub(text)[:300] or "no message"
        if http == 401 or code == "401":
            return PaymentFailed(
                f"Midtrans refused the server key while {doing} (401): check `midtrans.server_key` and "
                "`midtrans.is_production` (sandbox keys start with SB-Mid-server- and need is_production = false)."
            )
        if http == 429 or http >= 500 or code.startswith("5"):
            return PaymentUnavailable(f"Midtrans is busy or unavailable ({code or http}) while {doing}: {text}. "
                                      "Nothing changed; try again in a moment.")
        return PaymentFailed(f"Midtrans refused {doing} ({code or http}): {text}")

    def _scrub(self, text: str) -> str:
        for secret in (self._server_key, self._client_key):
            if secret:
                text = text.replace(secret, "[key]")
        return text


class _OrderNotFound(PaymentFailed):
    """Midtrans has no transaction under this order id (yet)."""
