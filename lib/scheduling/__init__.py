"""Expert availability and free slots: pure values and functions, no I/O.

``model``: ``Availability`` (weekly hours, overrides, buffers, notice, step, daily maximum,
horizon, zone); ``parse``: to and from the CLI's JSON shape; ``form``: the Availability page's
fields; ``words``: the words of their refusals, one source for both; ``slots``: ``free_slots``,
``why_not`` and ``nearest_free``, one rule set for the picker and the booking check.
"""

from lib.scheduling.model import (
    ALLOWED_STEPS,
    APP_TIMEZONE,
    DEFAULT_AVAILABILITY,
    WEEKDAYS,
    Availability,
    TimeRange,
)
from lib.scheduling.parse import from_json, to_json
from lib.scheduling.slots import Interval, Reason, Refusal, Slot, free_slots, nearest_free, why_not, window

__all__ = [
    "ALLOWED_STEPS", "APP_TIMEZONE", "DEFAULT_AVAILABILITY", "WEEKDAYS", "Availability", "Interval",
    "Reason", "Refusal", "Slot", "TimeRange", "free_slots", "from_json", "nearest_free", "to_json",
    "why_not", "window",
]
