"""Helpers shared by the report, web and alert tests: HTML parsing, figure checks, the CLI's status."""

from __future__ import annotations

import base64
import json
import shutil
import socket
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from riskcurve.cli import app


@cache
def cli_status(db: str, as_of: str) -> dict[str, Any]:
    """`riskcurve status --json` for a store and as-of (once per session: the reference numbers), the
    status part: the forward-test ledger printed beside it has its own tests and its own endpoint."""
    result = CliRunner().invoke(app, ["status", "--as-of", as_of, "--json", "--db", db])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc.pop("ledger")["as_of"] == doc["as_of"]
    return doc


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""


class Page(HTMLParser):
    """Every element with its attributes; <script>, <td> and <h2> also keep their text."""

    KEEP_TEXT = frozenset({"script", "td", "h2", "p", "time"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag in self.KEEP_TEXT:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
        return found[0]


def _length(value: Any) -> int:
    """Points in a plotly data array: a list, or a typed array {"dtype", "bdata"} (base64)."""
    if isinstance(value, dict) and "bdata" in value:
        return len(base64.b64decode(value["bdata"]))
    if isinstance(value, list):
        return len(value)
    return 0


def trace_points(trace: dict[str, Any]) -> int:
    """Data points of one trace: y (or x) for scatter, the cells for a table."""
    if trace.get("type") == "table":
        return sum(len(column) for column in trace["cells"]["values"])
    return max(_length(trace.get("y")), _length(trace.get("x")))


def assert_figure_has_data(name: str, figure: dict[str, Any]) -> None:
    assert figure["data"], f"{name}: no traces"
    for trace in figure["data"]:
        assert trace_points(trace) > 0, f"{name}: trace {trace.get('name')!r} is empty"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def copy_store(source: Path, target_dir: Path) -> Path:
    """A private copy of the session's real store, for tests that write to it."""
    target = target_dir / "copy.duckdb"
    shutil.copy(source, target)
    return target
