"""Demo mode's "View as" in the address: ``?as=<value>`` names whom the console is viewed as, so a
reload or a shared link keeps the role.

The value is readable and stable: ``ops`` for ops (the default, so an ops address carries none),
an expert by their name as a slug (``sari-wulandari``), or by their id when two experts' names
make the same slug or a name makes none. An expert's id is always understood too. A value that
names nobody falls back to ops. Only demo mode reads it: with sign-in configured the verified
email alone decides who is acting (``lib.access.resolve_actor``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from lib.domain import Expert

PARAM = "as"
OPS = "ops"


def slug(name: str) -> str:
    """``Sari Wulandari`` -> ``sari-wulandari``; letters and digits only, accents dropped (``é`` -> ``e``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _unique_slugs(experts: Sequence[Expert]) -> dict[str, Expert]:
    counts = Counter(slug(e.name) for e in experts)
    return {slug(e.name): e for e in experts if slug(e.name) and counts[slug(e.name)] == 1 and slug(e.name) != OPS}


def value_for(expert: Expert | None, experts: Sequence[Expert]) -> str:
    """The address's value for viewing as ``expert`` (``None``: ops, written ``ops``)."""
    if expert is None:
        return OPS
    name = slug(expert.name)
    return name if _unique_slugs(experts).get(name) == expert else expert.id


def expert_for(value: str | None, experts: Sequence[Expert]) -> Expert | None:
    """The expert ``value`` names (their slug or id), or ``None`` for ops: empty, ``ops``, or a
    value that names nobody (the caller tells that last case apart with ``names_someone``)."""
    wanted = (value or "").strip()
    if not wanted or wanted.lower() == OPS:
        return None
    by_id = next((e for e in experts if e.id == wanted), None)
    return by_id or _unique_slugs(experts).get(slug(wanted))


def names_someone(value: str | None, experts: Sequence[Expert]) -> bool:
    """Whether ``value`` is empty, ``ops`` or names an expert: otherwise it is a value that names
    nobody (a mistyped or outdated link), worth a note."""
    wanted = (value or "").strip()
    return not wanted or wanted.lower() == OPS or expert_for(wanted, experts) is not None
