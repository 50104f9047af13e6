"""The expert commands of ``python -m lib``: an expert's hours (``availability``, printed or set
from a JSON file), their session types (``types``, likewise) and their free slots (``slots``).
Each takes the service and the parsed arguments."""

from __future__ import annotations

import argparse
import json
import sys

from lib.access import CLI
from lib.domain import Expert
from lib.errors import CallExpertError, NotFound
from lib.scheduling import from_json, to_json
from lib.scheduling.parse import MAX_FILE_BYTES, document_size
from lib.service import BookingService
from lib.service.expert_availability import when_text
from lib.session_type_document import price_words, to_document


def find_expert(service: BookingService, key: str) -> Expert:
    """The expert whose id or email (any case) is ``key``."""
    wanted = key.strip().lower()
    for expert in service.experts(actor=CLI):
        if expert.id == key.strip() or expert.email.lower() == wanted:
            return expert
    raise NotFound(f"No expert with id or email {key!r}.")


def availability_file(path: str) -> tuple[object, str | None]:
    """The parsed JSON of an availability file, or why it cannot be one (``(None, why)``): a file
    past ``MAX_FILE_BYTES`` is refused unread, a document past ``MAX_DOCUMENT_BYTES`` before its fields are read."""
    try:
        with open(path, "rb") as source:
            raw = source.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            return None, (f"{path} is too large: an availability file can be at most {MAX_FILE_BYTES} bytes "
                          f"({MAX_FILE_BYTES // 1024} KB); nothing was saved")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read {path}: {exc}"
    except json.JSONDecodeError as exc:
        return None, f"{path} is not JSON ({exc.msg}, line {exc.lineno})"
    except RecursionError:
        return None, f"{path} is not an availability: its lists are nested too deeply"
    size = document_size(json.dumps(data))  # the document itself, without the file's indentation
    if size:
        return None, f"{path} is too large: {size}; nothing was saved"
    return data, None


def availability(service: BookingService, args: argparse.Namespace) -> int:
    """Print an expert's schedule as JSON, or load one (``--set FILE``) validated like the page;
    ``--calendar-id`` changes the Google calendar whose busy time blocks their slots."""
    expert = find_expert(service, args.expert)
    if args.calendar_id is not None:
        expert = service.set_calendar_id(expert.id, args.calendar_id, actor=CLI)  # InvalidInput: nothing saved
        if not args.json and not args.set:
            print(f"Saved the calendar id of {expert.name}: {expert.calendar_id}.")
            return 0
    if args.set:
        data, problem = availability_file(args.set)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        # A key left out takes the app's default (its timezone and booking horizon), as an expert
        # without stored hours has. InvalidInput names the field; nothing is saved.
        availability = from_json(data, expert=expert.id, base=service.default_availability(actor=CLI))
        service.set_availability(expert.id, availability, actor=CLI)
        if not args.json:
            print(f"Saved the availability of {expert.name}.")
            return 0
    unreadable = service.availability_problem(expert.id, actor=CLI)
    if unreadable:
        print(f"warning: {unreadable}", file=sys.stderr)
    schedule = to_json(service.availability(expert.id, actor=CLI), expert=expert.id)
    if args.json:
        print(json.dumps(schedule, indent=2))
        return 0
    a = service.availability(expert.id, actor=CLI)
    print(f"{expert.name} ({a.timezone}), calendar {expert.calendar_id}")
    for day, ranges in schedule["weekly"].items():
        print(f"  {day}: {', '.join(f'{s}-{e}' for s, e in ranges) or 'no hours'}")
    for day, ranges in schedule["overrides"].items():
        print(f"  {day}: {', '.join(f'{s}-{e}' for s, e in ranges) or 'day off'}")
    print(f"  buffers {a.buffer_before}/{a.buffer_after} min, notice {a.min_notice_minutes} min, "
          f"every {a.slot_step_minutes} min, "
          f"{f'at most {a.max_per_day} per day' if a.max_per_day else 'no daily maximum'}, "
          f"{a.horizon_days} days ahead")
    return 0


MAX_TYPES_FILE_BYTES = 64 * 1024  # thirty types with descriptions take a few KB


def types(service: BookingService, args: argparse.Namespace) -> int:
    """Print an expert's session types (``--json``: the document ``--set`` reads back), or replace
    them from a JSON file (``--set FILE``), checked as a whole: a bad file saves nothing."""
    expert = find_expert(service, args.expert)
    if args.set:
        try:
            with open(args.set, "rb") as source:
                raw = source.read(MAX_TYPES_FILE_BYTES + 1)
            if len(raw) > MAX_TYPES_FILE_BYTES:
                raise CallExpertError(f"{args.set} is too large: a session types file can be at most "
                                      f"{MAX_TYPES_FILE_BYTES // 1024} KB; nothing was saved.")
            data = json.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: cannot read {args.set}: {exc}", file=sys.stderr)
            return 2
        except json.JSONDecodeError as exc:
            print(f"error: {args.set} is not JSON ({exc.msg}, line {exc.lineno}); nothing was saved.", file=sys.stderr)
            return 2
        types = service.set_session_types(expert.id, data, actor=CLI)  # InvalidInput in words: nothing saved
        if not args.json:
            offered = sum(t.active for t in types)
            print(f"Saved the session types of {expert.name}: {offered} offered, {len(types) - offered} retired.")
            return 0
    types = service.session_types(expert.id, actor=CLI)
    if args.json:
        print(json.dumps({"expert": {"id": expert.id, "name": expert.name, "email": expert.email},
                          "types": to_document(types)}, indent=2, ensure_ascii=False))
        return 0
    print(f"{expert.name}: {sum(t.active for t in types)} session types offered")
    for t in types:
        state = "" if t.active else " (retired)"
        print(f"  {t.name('en')} / {t.name('id')}{state}: {', '.join(map(str, t.durations))} min, {price_words(t)}")
        if t.description:
            print(f"    {t.description}")
    return 0


def slots(service: BookingService, args: argparse.Namespace) -> int:
    """Print an expert's free slots (``--json``: the shape scripts read)."""
    expert = find_expert(service, args.expert)
    first = args.first or service.today()
    found = service.free_slots(expert.id, args.duration, first, args.days, actor=CLI)
    if args.json:
        print(json.dumps({"expert": expert.id, "duration": found.duration,
                          "slots": [{"start": s.start.isoformat(), "end": s.end.isoformat()} for s in found.slots],
                          "calendar": found.calendar}, indent=2))
        return 0
    print(f"Free {found.duration}-minute slots of {expert.name} from {first} for {args.days} day(s); "
          f"calendar: {found.calendar}")
    for slot in found.slots:
        print(f"  {when_text(slot.start)}")
    if not found.slots:
        print("  (none)")
    return 0
