"""A test client that checks every HTML page it fetches (after GOV.UK Notify's).

Each page must parse, have exactly one <h1> (full pages) and a <title>, no duplicate ids, a
label for every visible input, an action on every form, and nothing the strict CSP would
block (inline scripts, inline styles, on* handlers).
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from flask.testing import FlaskClient

_SELF_CLOSING_INPUTS = {"input", "select", "textarea"}
_UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageProblems(AssertionError):
    pass


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1 = 0
        self.title = ""
        self._in_title = False
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.forms: list[dict[str, str | None]] = []
        self.problems: list[str] = []
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "id" in attributes and attributes["id"]:
            self.ids[attributes["id"]] += 1
        for name, _value in attrs:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")
            if name.startswith("hx-on"):
                self.problems.append(f"{name} needs eval, refused by our CSP")
        if tag == "h1":
            self.h1 += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"] or "")
        elif tag in _SELF_CLOSING_INPUTS:
            attributes["_wrapped"] = "yes" if self._label_depth else None
            self.inputs.append(attributes)
        elif tag == "form":
            self.forms.append(attributes)
        elif tag == "script" and not attributes.get("src"):
            self.problems.append("inline <script>")
        elif tag == "style":
            self.problems.append("inline <style>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "label":
            self._label_depth = max(0, self._label_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def check_html(html: str, *, fragment: bool = False) -> None:
    collector = _Collector()
    collector.feed(html)
    problems = list(collector.problems)
    if not fragment:
        if collector.h1 != 1:
            problems.append(f"expected one <h1>, found {collector.h1}")
        if not collector.title.strip():
            problems.append("missing or empty <title>")
    duplicates = [i for i, n in collector.ids.items() if n > 1]
    if duplicates:
        problems.append(f"duplicate ids: {duplicates}")
    for field in collector.inputs:
        if (field.get("type") or "text") in _UNLABELLED_TYPES:
            continue
        labelled = (
            field.get("id") in collector.label_for
            or field.get("_wrapped")
            or field.get("aria-label")
            or field.get("aria-labelledby")
        )
        if not labelled:
            problems.append(f"input without label: {field.get('name') or field}")
    for form in collector.forms:
        if not form.get("action"):
            problems.append(f"form without action: {form}")
        if (form.get("method") or "get").lower() == "post" and "novalidate" not in form:
            problems.append("post form without novalidate (server-side messages only)")
    if problems:
        raise PageProblems("; ".join(problems))


class PageCheckingClient(FlaskClient):
    def open(self, *args, **kwargs):  # type: ignore[override]
        response = super().open(*args, **kwargs)
        if response.mimetype == "text/html" and response.status_code != 304:
            fragment = response.request.headers.get("HX-Request") == "true"
            check_html(response.get_data(as_text=True), fragment=fragment)
        return response
