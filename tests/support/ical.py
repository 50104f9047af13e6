"""A strict reader of iCalendar text (RFC 5545, parameters per RFC 6868), written from the RFCs
and independent of the icalendar library that builds the console's invitations: a test reads
an invitation the way another calendar would, and finds what icalendar might get wrong.

It refuses what RFC 5545 refuses (bare line ends, lines over 75 octets, a parameter value with
a double quote or control character, unbalanced components) and resolves a ``TZID`` time only
through the calendar's own VTIMEZONE (its observances' DTSTART and RDATE onsets), never a zone
database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

_NAME = re.compile(r"[A-Za-z0-9-]+")
_DATE_TIME = re.compile(r"(\d{8})T(\d{6})(Z?)")
_OFFSET = re.compile(r"([+-])(\d{2})(\d{2})(\d{2})?")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class ICalError(ValueError):
    """The text is not valid iCalendar."""


@dataclass(frozen=True)
class Property:
    name: str  # upper case
    params: dict[str, list[str]]  # upper-case names; values decoded (RFC 6868), unquoted
    value: str  # raw value text (TEXT escapes not undone; see ``text``)

    def param(self, name: str) -> str | None:
        values = self.params.get(name.upper())
        return None if values is None else ",".join(values)

    @property
    def text(self) -> str:
        """The value as TEXT (RFC 5545 3.3.11), escapes undone."""
        out, i, value = [], 0, self.value
        while i < len(value):
            char = value[i]
            if char == "\\":
                if i + 1 >= len(value):
                    raise ICalError(f"{self.name}: a lone backslash ends the value")
                escaped = value[i + 1]
                if escaped in "nN":
                    out.append("\n")
                elif escaped in "\\;,":
                    out.append(escaped)
                else:
                    raise ICalError(f"{self.name}: unknown escape \\{escaped}")
                i += 2
                continue
            if char in ";," and self.name in ("SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT"):
                raise ICalError(f"{self.name}: an unescaped {char!r} in TEXT")
            out.append(char)
            i += 1
        return "".join(out)


@dataclass
class Component:
    name: str
    properties: list[Property] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def all(self, name: str) -> list[Property]:
        return [p for p in self.properties if p.name == name.upper()]

    def one(self, name: str) -> Property:
        found = self.all(name)
        if len(found) != 1:
            raise ICalError(f"{self.name} has {len(found)} {name} properties, not one")
        return found[0]

    def sub(self, name: str) -> list[Component]:
        return [c for c in self.components if c.name == name.upper()]


def _unfold(text: str) -> list[str]:
    if not text.endswith("\r\n"):
        raise ICalError("the text does not end with CRLF")
    raw = text[:-2].split("\r\n")
    for line in raw:
        if "\n" in line or "\r" in line:
            raise ICalError(f"a bare line end in {line!r}")
        if len(line.encode("utf-8")) > 75:
            raise ICalError(f"a line of {len(line.encode('utf-8'))} octets (at most 75): {line!r}")
    lines: list[str] = []
    for line in raw:
        if line[:1] in (" ", "\t"):
            if not lines:
                raise ICalError("a continuation line comes first")
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
        else:
            raise ICalError("an empty content line")
    return lines


def _rfc6868(value: str) -> str:
    return re.sub(r"\^([n^'])", lambda m: {"n": "\n", "^": "^", "'": '"'}[m.group(1)], value)


def _param_value(line: str, i: int) -> tuple[str, int]:
    if line[i:i + 1] == '"':
        end = line.find('"', i + 1)
        if end < 0:
            raise ICalError(f"an unclosed quoted parameter value in {line!r}")
        value, i = line[i + 1:end], end + 1
    else:
        end = i
        while end < len(line) and line[end] not in ';:,"':
            end += 1
        if line[end:end + 1] == '"':
            raise ICalError(f"a double quote inside a parameter value in {line!r}")
        value, i = line[i:end], end
    if _CONTROL.search(value):
        raise ICalError(f"a control character in a parameter value in {line!r}")
    return _rfc6868(value), i


def _content_line(line: str) -> Property:
    match = _NAME.match(line)
    if not match:
        raise ICalError(f"no property name in {line!r}")
    name, i = match.group(0).upper(), match.end()
    params: dict[str, list[str]] = {}
    while line[i:i + 1] == ";":
        pmatch = _NAME.match(line, i + 1)
        if not pmatch or line[pmatch.end():pmatch.end() + 1] != "=":
            raise ICalError(f"a malformed parameter in {line!r}")
        pname, i = pmatch.group(0).upper(), pmatch.end() + 1
        values = []
        while True:
            value, i = _param_value(line, i)
            values.append(value)
            if line[i:i + 1] != ",":
                break
            i += 1
        if pname in params:
            raise ICalError(f"parameter {pname} twice in {line!r}")
        params[pname] = values
    if line[i:i + 1] != ":":
        raise ICalError(f"no ':' before the value in {line!r}")
    value = line[i + 1:]
    if _CONTROL.search(value):
        raise ICalError(f"a control character in the value of {name}")
    return Property(name, params, value)


def parse(text: str) -> Component:
    """The one VCALENDAR in ``text``, or ``ICalError``."""
    stack: list[Component] = []
    root: Component | None = None
    for line in _unfold(text):
        prop = _content_line(line)
        if prop.name == "BEGIN":
            component = Component(prop.value.upper())
            if stack:
                stack[-1].components.append(component)
            elif root is not None:
                raise ICalError("a second object after the calendar")
            else:
                root = component
            stack.append(component)
        elif prop.name == "END":
            if not stack or stack[-1].name != prop.value.upper():
                raise ICalError(f"END:{prop.value} does not close {stack[-1].name if stack else 'anything'}")
            stack.pop()
        elif not stack:
            raise ICalError(f"{prop.name} outside any component")
        else:
            stack[-1].properties.append(prop)
    if root is None or stack or root.name != "VCALENDAR":
        raise ICalError("not one complete VCALENDAR")
    return root


def _local(value: str) -> datetime:
    match = _DATE_TIME.fullmatch(value)
    if not match:
        raise ICalError(f"not a DATE-TIME: {value!r}")
    return datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")


def _offset(value: str) -> timedelta:
    match = _OFFSET.fullmatch(value)
    if not match:
        raise ICalError(f"not a UTC offset: {value!r}")
    sign = -1 if match.group(1) == "-" else 1
    return sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3)), seconds=int(match.group(4) or 0))


def instant(calendar: Component, prop: Property) -> datetime:
    """The moment a DATE-TIME property names, in UTC: ``...Z`` as UTC, a ``TZID`` through the
    calendar's VTIMEZONE of that TZID (the observance with the latest onset at or before the
    local time), refusing a floating time."""
    if prop.value.endswith("Z"):
        return _local(prop.value[:-1]).replace(tzinfo=UTC)
    tzid = prop.param("TZID")
    if tzid is None:
        raise ICalError(f"{prop.name} is a floating time: no calendar can place it")
    zones = [z for z in calendar.sub("VTIMEZONE") if z.one("TZID").value == tzid]
    if len(zones) != 1:
        raise ICalError(f"{len(zones)} VTIMEZONE for TZID {tzid}")
    local = _local(prop.value)
    best: tuple[datetime, timedelta] | None = None
    for observance in zones[0].components:
        if observance.name not in ("STANDARD", "DAYLIGHT"):
            raise ICalError(f"{observance.name} inside VTIMEZONE")
        if observance.all("RRULE"):
            raise ICalError("RRULE observances are not read here")
        onsets = [_local(observance.one("DTSTART").value)]
        onsets += [_local(v) for p in observance.all("RDATE") for v in p.value.split(",")]
        to = _offset(observance.one("TZOFFSETTO").value)
        for onset in onsets:
            if onset <= local and (best is None or onset > best[0]):
                best = (onset, to)
    if best is None:
        raise ICalError(f"no observance of {tzid} covers {local}")
    return local.replace(tzinfo=timezone(best[1])).astimezone(UTC)
