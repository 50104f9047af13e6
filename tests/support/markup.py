"""HTML the console draws itself (the week view), read back element by element: each element's
tag, attributes and text, found by its class."""

from __future__ import annotations

from html.parser import HTMLParser


class Elements(HTMLParser):
    """Each element's tag, attributes and text, in document order (enough to read the week back)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, **dict(attrs), "text": "", "lines": []}
        self.found.append(element)
        if "cxw-line" in element.get("class", "").split() and self._open:
            self._open[-1]["lines"].append(element)  # a line of the block or agenda item it is in
        if tag not in ("br", "img", "input"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data


def elements(markup: str, cls: str) -> list[dict]:
    """The elements of ``markup`` that carry the class ``cls``, in document order."""
    parser = Elements()
    parser.feed(markup)
    return [e for e in parser.found if cls in e.get("class", "").split()]
