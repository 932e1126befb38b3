"""The first screen's scripts announced in each page (ui.preload): which scripts, and how pages are rewritten."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path
from typing import Any

import pytest

from ui.preload import (
    EVALUATED_EARLY,
    FIRST_SCREEN,
    STATIC,
    PreloadFirstScreen,
    early_evaluation,
    first_screen_scripts,
    preload_links,
)

PAGE = b'<html><head><script type="module" src="./static/js/index.A1.js"></script></head><body></body></html>'
LINKS = b'<link rel="modulepreload" crossorigin href="./static/js/Chart.B2.js">'


def static_folder(tmp_path: Path, scripts: dict[str, str]) -> Path:
    """A folder laid out like Streamlit's ``static`` one: the page announcing index.A1.js, and ``scripts``."""
    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "index.html").write_bytes(PAGE)
    for name, text in scripts.items():
        (tmp_path / "static" / "js" / name).write_text(text)
    return tmp_path


def test_an_elements_script_comes_with_what_it_imports_but_not_what_the_page_announces(tmp_path: Path) -> None:
    static = static_folder(tmp_path, {
        "index.A1.js": "export const a = 1;",
        "Chart.B2.js": 'import{a}from"./index.A1.js";import"./util.C3.js";const later=()=>import("./Lazy.D4.js");',
        "util.C3.js": 'import{b}from"./deep.E5.js";',
        "deep.E5.js": "export const b = 2;",
        "Lazy.D4.js": "export default 3;",
        "Metric.F6.js": 'import"./util.C3.js";',
    })  # fmt: skip
    assert first_screen_scripts(static, ["Chart", "Metric", "Absent"]) == [
        "Chart.B2.js", "Metric.F6.js", "util.C3.js", "deep.E5.js",
    ]  # fmt: skip


def test_an_import_of_a_missing_file_is_not_announced(tmp_path: Path) -> None:
    static = static_folder(tmp_path, {"Chart.B2.js": 'import"./gone.Z9.js";'})
    assert first_screen_scripts(static, ["Chart"]) == ["Chart.B2.js"]


def test_the_installed_streamlit_has_a_script_for_every_element_of_the_first_screen() -> None:
    """A Streamlit release that renames an element's script fails here, rather than silently slowing the first
    visit: FIRST_SCREEN then needs the new name."""
    scripts = first_screen_scripts()
    for element in FIRST_SCREEN:
        assert any(name.startswith(f"{element}.") for name in scripts), f"no script for {element} in {STATIC}"
    assert all((STATIC / "static" / "js" / name).is_file() for name in scripts)
    announced = (STATIC / "index.html").read_text()
    assert not any(f"static/js/{name}" in announced for name in scripts)


def asgi_app(status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> Any:
    async def app(scope: dict, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for k, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": k < len(chunks) - 1})

    return app


def respond(app: Any, method: str = "GET") -> list[dict]:
    """The messages the middleware sends for one request to ``app``."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(PreloadFirstScreen(app, LINKS)({"type": "http", "method": method, "path": "/"}, None, send))
    return sent


def body_and_headers(sent: list[dict]) -> tuple[bytes, dict[bytes, bytes]]:
    return b"".join(m.get("body", b"") for m in sent[1:]), dict(sent[0]["headers"])


def test_a_page_gets_the_links_in_its_head_with_its_length_corrected() -> None:
    html = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(PAGE)).encode())]
    sent = respond(asgi_app(200, html, [PAGE[:40], PAGE[40:]]))
    body, headers = body_and_headers(sent)
    assert body == PAGE.replace(b"</head>", LINKS + b"</head>")
    assert headers[b"content-length"] == str(len(body)).encode()
    assert set(sent[0]) == {"type", "status", "headers"}  # a plain ASGI start message, nothing of ours in it


def test_a_page_sent_by_path_goes_out_as_it_is() -> None:
    """A server that sends files by path (the ASGI pathsend extension) gets the page's start and the path."""
    html = [(b"content-type", b"text/html")]

    async def app(scope: dict, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": html})
        await send({"type": "http.response.pathsend", "path": "/static/index.html"})

    sent = respond(app)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert sent[0]["headers"] == html


def test_a_gzipped_page_is_sent_uncompressed_with_the_links() -> None:
    html = [(b"content-type", b"text/html"), (b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
    body, headers = body_and_headers(respond(asgi_app(200, html, [gzip.compress(PAGE)])))
    assert body == PAGE.replace(b"</head>", LINKS + b"</head>")
    assert b"content-encoding" not in headers and headers[b"content-length"] == str(len(body)).encode()


@pytest.mark.parametrize(
    ("status", "headers", "method"),
    [
        (200, [(b"content-type", b"application/javascript")], "GET"),  # a script
        (200, [(b"content-type", b"text/html"), (b"content-encoding", b"br")], "GET"),  # compressed otherwise
        (304, [(b"content-type", b"text/html")], "GET"),  # not modified: no body
        (200, [(b"content-type", b"text/html")], "POST"),
    ],
)
def test_everything_else_passes_untouched_and_unbuffered(
    status: int, headers: list[tuple[bytes, bytes]], method: str
) -> None:
    chunks = [b"<head>", b"</head>"]
    sent = respond(asgi_app(status, headers, chunks), method=method)
    assert [m.get("body") for m in sent[1:]] == chunks  # each chunk as it came
    assert sent[0]["headers"] == headers


def test_links_are_relative_like_the_pages_own() -> None:
    assert preload_links(["a.B1.js"]) == b'<link rel="modulepreload" crossorigin href="./static/js/a.B1.js">'


def test_the_chart_script_is_evaluated_once_the_page_has_connected() -> None:
    script = early_evaluation(["PlotlyChart.B2.js"]).decode()
    assert script.startswith('<script type="module">') and script.endswith("</script>")
    assert 'import("./static/js/PlotlyChart.B2.js")' in script  # relative, like the links
    assert "data-test-connection-state" in script and "CONNECTED" in script
    assert early_evaluation([]) == b""


def test_the_installed_streamlit_has_the_script_evaluated_early() -> None:
    """The script evaluated early is one of the first screen's, so a Streamlit release that renames it fails
    here rather than silently losing the overlap."""
    assert any(name.startswith(EVALUATED_EARLY) for name in first_screen_scripts())
