"""The week as HTML and CSS: seven day columns with the sessions as links at their times, and below
640 px wide a day-by-day agenda instead.

Every value a person typed (names, session types) and every id is escaped, so it shows as text.
Each line of a block is cut with an ellipsis inside the block and the block's ``title`` holds its
full text (shown on hover); a block gets only as many lines as its height holds, so a 30-minute
block shows one readable line and nothing spills over the next block or day.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date

from lib.timefmt import CONSOLE_LOCALE, long_date, short_date, zone_abbreviation
from lib.week import Block, Week

HOUR_PX = 48  # one hour's height in the columns
_LINE_PX = 14  # one line of a block's text
_PAD_PX = 2  # a block's padding above and below its lines

_CSS = f"""
.cxw {{ font-size: 12px; color: #1f2328; }}
.cxw a {{ text-decoration: none; }}
.cxw-grid {{ display: grid; grid-template-columns: 3.2em repeat(7, minmax(0, 1fr)); column-gap: 2px; }}
.cxw-head {{ text-align: center; padding: 4px 0; font-weight: 600; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; border-bottom: 1px solid #d0d7de; }}
.cxw-head.cxw-today {{ color: #cf222e; }}
.cxw-axis, .cxw-col {{ position: relative; }}
.cxw-col {{ background: #f6f8fa repeating-linear-gradient(to bottom, #d8dee4 0 1px, transparent 1px {HOUR_PX}px);
  overflow: hidden; }}
.cxw-col.cxw-today {{ background-color: #fff8c5; }}
.cxw-hour {{ position: absolute; right: 4px; transform: translateY(-50%); color: #656d76; font-size: 11px; }}
.cxw-free {{ position: absolute; left: 0; right: 0; background: #d7efe0; }}
.cxw-block {{ position: absolute; left: 2px; right: 2px; box-sizing: border-box; overflow: hidden;
  padding: {_PAD_PX}px 4px; border-radius: 4px; background: #1f6feb; color: #ffffff !important;
  line-height: {_LINE_PX}px; font-size: 11.5px; border: 1px solid #ffffff; }}
.cxw-block.cxw-past {{ background: #6e7781; }}
.cxw-block.cxw-paid {{ background: #9a6700; }}
.cxw-block:hover, .cxw-item:hover {{ outline: 2px solid #0969da; }}
.cxw-line {{ display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.cxw-now {{ position: absolute; left: 0; right: 0; height: 0; border-top: 2px solid #cf222e; z-index: 2; }}
.cxw-now::before {{ content: ""; position: absolute; left: -1px; top: -5px; width: 8px; height: 8px;
  border-radius: 50%; background: #cf222e; }}
.cxw-agenda {{ display: none; }}
.cxw-day {{ margin: 0 0 10px 0; }}
.cxw-dayname {{ font-size: 14px; font-weight: 600; padding: 4px 0; border-bottom: 1px solid #d0d7de;
  margin-bottom: 4px; }}
.cxw-dayname.cxw-today {{ color: #cf222e; }}
.cxw-item {{ display: block; box-sizing: border-box; overflow: hidden; margin: 4px 0; padding: 6px 8px;
  border-radius: 6px; border-left: 4px solid #1f6feb; background: #f6f8fa; color: #1f2328 !important;
  line-height: 18px; font-size: 14px; }}
.cxw-item.cxw-past {{ border-left-color: #6e7781; color: #57606a !important; }}
.cxw-item.cxw-paid {{ border-left-color: #9a6700; }}
.cxw-empty {{ color: #656d76; padding: 2px 0; font-size: 14px; }}
.cxw-nowline {{ color: #cf222e; font-weight: 600; border-top: 2px solid #cf222e; padding-top: 2px; margin: 4px 0; }}
@media (max-width: 640px) {{
  .cxw-grid {{ display: none; }}
  .cxw-agenda {{ display: block; }}
}}
"""


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _title(block: Block, tz: ZoneInfo) -> str:
    """The full text of a block, for hover (``title``) and screen readers."""
    lines = [f"{block.session} with {block.customer}",
             f"{long_date(block.day)}, {block.time} {zone_abbreviation(tz, block.day)}",
             " · ".join(p for p in (block.status, block.note) if p)]
    return "\n".join(lines)


def _classes(block: Block, base: str) -> str:
    extra = " cxw-past" if block.past else " cxw-paid" if block.status == "Paid" else ""
    return base + extra


def _block_lines(block: Block, height: float) -> list[str]:
    """What a block of ``height`` pixels says, one entry a line, as many as fit."""
    room = max(1, int((height - 2 * _PAD_PX - 2) // _LINE_PX))
    start = block.time.split("–")[0]
    if room == 1:
        return [f"{start} {block.session}"]
    if room == 2:
        return [f"{start} {block.session}", block.customer]
    return [block.time, block.session, block.customer, block.note or block.status][:room]


def _line(text: str) -> str:
    return f'<span class="cxw-line">{_text(text)}</span>'


def _hhmm(hour: float) -> str:
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _grid(week: Week, link: Callable[[str], str], tz: ZoneInfo) -> str:
    height = (week.bottom - week.top) * HOUR_PX
    parts = ['<div class="cxw-grid">', '<div class="cxw-head"></div>']
    for day in week.days:
        today = " cxw-today" if day == week.today else ""
        label = f"{short_date(day)}" + (" · Today" if today else "")
        parts.append(f'<div class="cxw-head{today}" title="{_text(long_date(day))}">{_text(label)}</div>')
    parts.append(f'<div class="cxw-axis" style="height:{height}px">')
    parts += [f'<span class="cxw-hour" style="top:{(h - week.top) * HOUR_PX}px">{h:02d}:00</span>'
              for h in range(week.top + 1, week.bottom)]
    parts.append("</div>")

    def y(hour: float) -> float:
        return round((hour - week.top) * HOUR_PX, 1)

    for day in week.days:
        today = " cxw-today" if day == week.today else ""
        parts.append(f'<div class="cxw-col{today}" data-day="{day.isoformat()}" style="height:{height}px">')
        parts += [f'<div class="cxw-free" style="top:{y(h.start)}px;height:{y(h.end) - y(h.start)}px"></div>'
                  for h in week.hours if h.day == day]
        for block in week.blocks_on(day):
            top, size = y(block.start), y(block.end) - y(block.start)
            lines = "".join(_line(t) for t in _block_lines(block, size))
            parts.append(f'<a class="{_classes(block, "cxw-block")}" href="{_text(link(block.booking_id))}" '
                         f'target="_self" title="{_text(_title(block, tz))}" data-booking="{_text(block.booking_id)}" '
                         f'style="top:{top}px;height:{size}px">{lines}</a>')
        if today and week.now is not None and week.top <= week.now <= week.bottom:
            parts.append(f'<div class="cxw-now" style="top:{y(week.now)}px" title="Now, {_hhmm(week.now)}"></div>')
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def _agenda(week: Week, link: Callable[[str], str], tz: ZoneInfo) -> str:
    parts = ['<div class="cxw-agenda">']
    for day in week.days:
        today = day == week.today
        mark = " cxw-today" if today else ""
        label = long_date(day) + (" · Today" if today else "")
        parts.append(f'<div class="cxw-day" data-day="{day.isoformat()}"><div class="cxw-dayname{mark}">'
                     f"{_text(label)}</div>")
        blocks = week.blocks_on(day)
        now_shown = not today or week.now is None
        for block in blocks:
            if not now_shown and block.start >= week.now:  # type: ignore[operator]
                parts.append(_now_line(week.now))  # type: ignore[arg-type]
                now_shown = True
            what = " · ".join(p for p in (block.status, block.note) if p)
            parts.append(f'<a class="{_classes(block, "cxw-item")}" href="{_text(link(block.booking_id))}" '
                         f'target="_self" title="{_text(_title(block, tz))}" data-booking="{_text(block.booking_id)}">'
                         f"{_line(f'{block.time} {block.session}')}{_line(block.customer)}{_line(what)}</a>")
        if not blocks:
            parts.append('<div class="cxw-empty">No sessions</div>')
        if not now_shown:
            parts.append(_now_line(week.now))  # type: ignore[arg-type]
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def _now_line(hour: float) -> str:
    return f'<div class="cxw-nowline">Now, {_hhmm(hour)}</div>'


def week_html(week: Week, link: Callable[[str], str], tz: ZoneInfo) -> str:
    """The week as one HTML fragment with its own styles: the columns, and the agenda that
    replaces them below 640 px. ``link(booking_id)`` is the address a block opens."""
    return f'<style>{_CSS}</style><div class="cxw">{_grid(week, link, tz)}{_agenda(week, link, tz)}</div>'


def week_caption(week: Week) -> str:
    """``30 November – 6 December 2026``: the week shown, as a title."""
    first, last = week.first_day, week.last_day
    start = format_date(first, "d MMMM" if first.year == last.year else "d MMMM y", locale=CONSOLE_LOCALE)
    return f"{start} – {format_date(last, 'd MMMM y', locale=CONSOLE_LOCALE)}"


def zone_note(week: Week, tz: ZoneInfo) -> str:
    """What the colours and times mean, under the week."""
    count = len({b.booking_id for b in week.blocks})
    return (f"Times in {zone_abbreviation(tz, week.first_day)}. Green: working hours from Availability; blue: "
            f"sessions to come; brown: paid, link not made yet; grey: past sessions ({count} this week). "
            "Click a session to open it.")

