"""Session types as people write them: the JSON document of ``python -m lib types`` (and the
rows of the Availability page's table), checked into ``SessionType`` values with every refusal
in words, and back.

A document is ``{"types": [...]}`` (or the list alone); each type is::

    {"id": "...",                       # optional: an existing type of this expert, kept
     "names": {"en": "Career mentoring", "id": "Mentoring karier"},
     "durations": [30, 60],
     "price_per_hour": 250000,          # or "prices": {"30": 150000, "60": 250000}
     "description": "", "active": true}
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lib.domain import ALLOWED_DURATIONS, STANDARD_SESSION_TYPES, TYPE_LANGUAGES, SessionType
from lib.errors import InvalidInput
from lib.timefmt import rupiah
from lib.validation import MAX_PRICE, MAX_SESSION_TYPE, clean_text

LANGUAGE_NAMES = {"en": "English", "id": "Indonesian"}
MAX_DESCRIPTION = 300
MAX_TYPES = 30  # far more than one expert offers; keeps a pasted file from flooding the page
_KEYS = {"id", "names", "durations", "price_per_hour", "prices", "description", "active"}


def standard_types(expert_id: str, hourly_rate: int) -> list[SessionType]:
    """The standard types (``STANDARD_SESSION_TYPES``) for a new expert, at their hourly rate,
    every allowed duration."""
    return [SessionType(id=str(uuid.uuid4()), expert_id=expert_id, names={"en": en, "id": id_},
                        durations=ALLOWED_DURATIONS, hourly_rate=hourly_rate, position=i)
            for i, (en, id_) in enumerate(STANDARD_SESSION_TYPES)]


def _allowed() -> str:
    return ", ".join(str(d) for d in ALLOWED_DURATIONS)


def _whole(value: object) -> int | None:
    """A whole number as JSON or a form gives it (``60``, ``60.0``, ``"60"``), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


@dataclass(frozen=True)
class Wording:
    """How refusals name a type and its parts, in the words of the person who wrote them: the
    file's keys for ``python -m lib types --set`` (``FILE``), the Availability page's rows and
    column headings for its table (``table_wording``). Each label follows "the" in a sentence."""

    type_word: str  # "Type" (the n-th of the file) or "Row" (the n-th row of the table)
    names: Mapping[str, str]  # per email language
    durations: str
    price_per_hour: str
    prices: str
    description: str
    active: str
    numbers: tuple[int, ...] = ()  # the row of each type when empty rows were left out; else n

    def number(self, n: int) -> int:
        """What the person calls the ``n``-th type (from 1)."""
        return self.numbers[n - 1] if n <= len(self.numbers) else n

    def where(self, n: int, english: object = None) -> str:
        """``Type 2 (“Career mentoring”)``: the ``n``-th type, with its English name when it has one."""
        where = f"{self.type_word} {self.number(n)}"
        if isinstance(english, str) and english.strip():
            where += f" (“{english.strip()[:MAX_SESSION_TYPE]}”)"
        return where


FILE = Wording(type_word="Type", names={"en": "English name (en)", "id": "Indonesian name (id)"},
               durations="durations", price_per_hour="price per hour (price_per_hour)",
               prices="fixed prices (prices)", description="description", active="active")


def _price(value: object, what: str) -> int:
    amount = _whole(value)
    if amount is None:
        raise InvalidInput(f"{what} must be a whole number of rupiah, not “{value}”.")
    if amount < 0:
        raise InvalidInput(f"{what} is negative (Rp {amount}); a price is 0 rupiah or more.")
    if amount > MAX_PRICE:
        raise InvalidInput(f"{what} is more than Rp 2.000.000.000.")
    return amount


def check_type(item: object, number: int, expert_id: str, words: Wording = FILE) -> SessionType:
    """One type of a document (the ``number``-th, from 1), checked; ``InvalidInput`` says which
    type and what to fix, naming its parts as ``words`` does."""
    if not isinstance(item, Mapping):
        raise InvalidInput(f"{words.where(number)} must be an object with names, durations and a price.")
    names_in = item.get("names")
    where = words.where(number, names_in.get("en") if isinstance(names_in, Mapping) else None)
    unknown = sorted(str(k) for k in item if k not in _KEYS)
    if unknown:  # only a file has keys of its own
        raise InvalidInput(f"{where}: “{unknown[0]}” is not a part of a session type; use names, durations, "
                           "price_per_hour or prices, description and active.")
    if not isinstance(names_in, Mapping) or not names_in:
        raise InvalidInput(f"{where} has no names; give one per email language, e.g. "
                           "{\"en\": \"Career mentoring\", \"id\": \"Mentoring karier\"}.")
    names: dict[str, str] = {}
    for language, name in names_in.items():
        if language not in TYPE_LANGUAGES:
            known = " and ".join(f"{code} ({LANGUAGE_NAMES[code]})" for code in TYPE_LANGUAGES)
            raise InvalidInput(f"{where}: “{language}” is not an email language; names are given in {known}.")
        names[language] = clean_text(name, f"{where}: the {words.names[language]}", MAX_SESSION_TYPE)
    for language in TYPE_LANGUAGES:
        if language not in names:
            raise InvalidInput(f"{where} has no {words.names[language]}; give a name in each email language.")
    durations_in = item.get("durations")
    if durations_in is None or (isinstance(durations_in, Sequence) and not isinstance(durations_in, str)
                                and not durations_in):
        raise InvalidInput(f"{where} offers no duration; give at least one of {_allowed()} minutes in the "
                           f"{words.durations}.")
    if isinstance(durations_in, str) or not isinstance(durations_in, Sequence):
        raise InvalidInput(f"{where}: the {words.durations} must be a list of minutes, e.g. [30, 60].")
    durations: list[int] = []
    for value in durations_in:
        minutes = _whole(value)
        if minutes is None:
            raise InvalidInput(f"{where}: “{value}” in the {words.durations} is not a number of minutes; "
                               f"choose from {_allowed()}.")
        if minutes not in ALLOWED_DURATIONS:
            raise InvalidInput(f"{where}: {minutes} minutes is not a length sessions are offered in; "
                               f"choose from {_allowed()}.")
        if minutes in durations:
            raise InvalidInput(f"{where} lists {minutes} minutes twice in the {words.durations}.")
        durations.append(minutes)
    durations.sort()
    per_hour, fixed_in = item.get("price_per_hour"), item.get("prices")
    has_fixed = not (fixed_in is None or fixed_in == {})
    if per_hour is not None and has_fixed:
        raise InvalidInput(f"{where} has both a {words.price_per_hour} and {words.prices}; keep one of the two.")
    if per_hour is None and not has_fixed:
        raise InvalidInput(f"{where} has no price; give a {words.price_per_hour} or {words.prices} for each "
                           "duration.")
    hourly_rate: int | None = None
    fixed: dict[int, int] = {}
    if per_hour is not None:
        hourly_rate = _price(per_hour, f"{where}: the {words.price_per_hour}")
    else:
        if not isinstance(fixed_in, Mapping):
            raise InvalidInput(f"{where}: the {words.prices} must map minutes to rupiah, e.g. {{\"30\": 150000}}.")
        for key, amount in fixed_in.items():
            minutes = _whole(key)
            if minutes is None:
                raise InvalidInput(f"{where}: “{key}” in the {words.prices} is not a number of minutes.")
            if minutes not in durations:
                raise InvalidInput(f"{where}: the {words.prices} give a price for {minutes} minutes, which is not "
                                   f"among the {words.durations}.")
            fixed[minutes] = _price(amount, f"{where}: the price for {minutes} minutes in the {words.prices}")
        for minutes in durations:
            if minutes not in fixed:
                raise InvalidInput(f"{where}: the {words.prices} give no price for {minutes} minutes.")
    description = item.get("description") or ""
    if description:
        description = clean_text(description, f"{where}: the {words.description}", MAX_DESCRIPTION)
    active = item.get("active", True)
    if not isinstance(active, bool):
        raise InvalidInput(f"{where}: {words.active} must be true or false.")
    type_id = item.get("id") or ""
    if not isinstance(type_id, str):  # only a file gives ids; the page keeps them hidden
        raise InvalidInput(f"{where}: the id must be text, as `python -m lib types EXPERT --json` shows it.")
    return SessionType(id=type_id.strip() or str(uuid.uuid4()), expert_id=expert_id, names=names,
                       durations=tuple(durations), hourly_rate=hourly_rate, fixed_prices=fixed,
                       description=description, active=active, position=number - 1)


def check_document(document: object, expert_id: str, words: Wording = FILE) -> list[SessionType]:
    """Every type of a document, checked, in its order; names unique per language. Refusals name
    the types and their parts as ``words`` does (``FILE``: the keys of ``python -m lib types``)."""
    items = document.get("types") if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise InvalidInput("The file must hold a list of session types, or an object with one under “types”.")
    if len(items) > MAX_TYPES:
        raise InvalidInput(f"At most {MAX_TYPES} session types per expert, not {len(items)}.")
    types = [check_type(item, n, expert_id, words) for n, item in enumerate(items, 1)]
    seen: dict[tuple[str, str], int] = {}
    ids: dict[str, int] = {}
    for n, t in enumerate(types, 1):
        earlier = ids.setdefault(t.id, n)
        if earlier != n:
            raise InvalidInput(f"{words.where(n, t.name())} is the same type as {words.type_word.lower()} "
                               f"{words.number(earlier)}; each type appears once.")
        for language, name in t.names.items():
            earlier = seen.setdefault((language, name.casefold()), n)
            if earlier != n:
                raise InvalidInput(f"{words.type_word}s {words.number(earlier)} and {words.number(n)} have the "
                                   f"same {words.names[language]}, “{name}”; give each type its own name.")
    return types


def to_document(types: Sequence[SessionType]) -> list[dict[str, Any]]:
    """The types as the document lists them (what ``check_document`` reads back the same)."""
    out: list[dict[str, Any]] = []
    for t in types:
        item: dict[str, Any] = {"id": t.id, "names": dict(t.names), "durations": list(t.durations)}
        if t.hourly_rate is not None:
            item["price_per_hour"] = t.hourly_rate
        else:
            item["prices"] = {str(m): p for m, p in sorted(t.fixed_prices.items())}
        item["description"] = t.description
        item["active"] = t.active
        out.append(item)
    return out


def price_words(t: SessionType) -> str:
    """How the type is priced, in the console's words (``Rp 250.000 per hour``, ``30 min Rp 150.000``)."""
    if t.hourly_rate is not None:
        return f"{rupiah(t.hourly_rate)} per hour"
    return ", ".join(f"{m} min {rupiah(p)}" for m, p in sorted(t.fixed_prices.items()))


def find_type(types: Sequence[SessionType], name: str) -> SessionType | None:
    """The active type named ``name`` in any language (case-insensitively), else ``None``."""
    wanted = name.strip().casefold()
    return next((t for t in types if t.active and any(n.casefold() == wanted for n in t.names.values())), None)


# The Availability page's table of types: one row per type, the columns as people read them.
COLUMNS = ("English name", "Indonesian name", "Durations (minutes)", "Price per hour", "Fixed prices",
           "Description", "Offered")


def to_rows(types: Sequence[SessionType]) -> list[dict[str, Any]]:
    """The types as the page's table rows (``COLUMNS`` plus a hidden ``id``)."""
    return [{"id": t.id, "English name": t.name("en"), "Indonesian name": t.name("id"),
             "Durations (minutes)": ", ".join(str(m) for m in t.durations),
             "Price per hour": t.hourly_rate,
             "Fixed prices": ", ".join(f"{m}: {p}" for m, p in sorted(t.fixed_prices.items())),
             "Description": t.description, "Offered": t.active} for t in types]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str)
                                                                              and not value.strip())


def _empty_row(row: Mapping[str, Any]) -> bool:
    return all(_blank(row.get(c)) or c == "Offered" for c in COLUMNS)


def _cell(row: Mapping[str, Any], column: str) -> str:
    """A text cell as typed; a new row's untouched cell (``None``, or NaN from pandas) is empty."""
    value = row.get(column)
    return "" if _blank(value) else str(value).strip()


def _heading(column: str) -> str:
    return f"“{column}”"


def table_wording(rows: Sequence[Mapping[str, Any]]) -> Wording:
    """How refusals name the page's table: ``Row 3 (“Career mentoring”)``, counted from the top
    as the table shows them (empty rows too, though ``from_rows`` leaves them out), and its column
    headings."""
    return Wording(type_word="Row", names={"en": _heading("English name"), "id": _heading("Indonesian name")},
                   durations=_heading("Durations (minutes)"), price_per_hour=_heading("Price per hour"),
                   prices=_heading("Fixed prices"), description=_heading("Description"),
                   active=_heading("Offered"),
                   numbers=tuple(n for n, row in enumerate(rows, 1) if not _empty_row(row)))


def from_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The page's table rows as a document for ``check_document`` (with ``table_wording(rows)``,
    which names the rows and columns): durations typed ``30, 60``, fixed prices ``30: 150000,
    60: 250000``; wholly empty rows are left out."""
    items: list[dict[str, Any]] = []
    for n, row in enumerate(rows, 1):
        if _empty_row(row):
            continue
        durations = _cell(row, "Durations (minutes)").replace(",", " ").split()
        item: dict[str, Any] = {"names": {"en": "" if _blank(row.get("English name")) else row["English name"],
                                          "id": "" if _blank(row.get("Indonesian name")) else row["Indonesian name"]},
                                "durations": durations,
                                "description": "" if _blank(row.get("Description")) else row["Description"],
                                "active": bool(row.get("Offered", True)) if not _blank(row.get("Offered")) else True}
        if not _blank(row.get("id")):
            item["id"] = str(row["id"])
        if not _blank(row.get("Price per hour")):
            item["price_per_hour"] = row["Price per hour"]
        fixed = _cell(row, "Fixed prices")
        if fixed:
            prices: dict[str, str] = {}
            for pair in fixed.split(","):
                minutes, sep, amount = pair.partition(":")
                if not sep:
                    where = table_wording([]).where(n, item["names"]["en"])
                    raise InvalidInput(f"{where}: write the “Fixed prices” as minutes: rupiah, e.g. "
                                       "“30: 150000, 60: 250000”.")
                prices[minutes.strip()] = amount.strip().replace(".", "")
            item["prices"] = prices
        items.append(item)
    return items
