"""The first screen's scripts, announced in the page's head so that a first visit fetches them at once.

Streamlit's page lists its core scripts as ``modulepreload`` links, but each element's script (the Plotly
chart, the metric tile, the multiselect...) is fetched only when the first such element arrives from the
server, one after another, while the browser is busy drawing the elements before it. On a 2-core machine the
Plotly chart's script (4.7 MB) arrived a second after the data it draws. :class:`PreloadFirstScreen` adds a
``modulepreload`` link for every script the Portfolio's first screen uses, and for the scripts those import,
to each HTML page the server sends: the browser fetches and compiles them while it waits for the server.
The heaviest, Plotly's, is also evaluated while the page waits for the server's first run
(:func:`early_evaluation`), not after the charts' data has arrived.

The scripts' names carry a content hash that changes with each Streamlit release, so they are looked up in
the installed Streamlit's static folder when the server starts; an element whose script is not found there is
simply not announced (the page works as before, only its first visit is slower).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

import streamlit

STATIC = Path(streamlit.__file__).parent / "static"
# The elements of the Portfolio's first screen: charts, KPI tiles, the sidebar's filters and the heatmap's
# controls, the tables of its expanders.
FIRST_SCREEN = ("PlotlyChart", "Metric", "Multiselect", "Selectbox", "TextInput", "DataFrame")
# The first screen's heaviest element, whose script is also evaluated early (:func:`early_evaluation`).
EVALUATED_EARLY = ("PlotlyChart.",)
# Static imports in the bundler's output: import{a as b}from"./x.js" and import"./x.js" (not import("./x.js"),
# which loads on demand).
_STATIC_IMPORT = re.compile(r'(?:\bimport|\bfrom)\s*"\./([\w.$-]+\.js)"')
_ANNOUNCED = re.compile(r'static/js/([\w.$-]+\.js)"')

Message = MutableMapping[str, Any]


def first_screen_scripts(static: Path = STATIC, elements: Iterable[str] = FIRST_SCREEN) -> list[str]:
    """The script files (names in ``static/js``) of ``elements`` and every script they import, in the order
    found, without those the page already announces."""
    scripts = static / "static" / "js"
    page = static / "index.html"
    announced = set(_ANNOUNCED.findall(page.read_text(encoding="utf-8"))) if page.is_file() else set()
    pending = [found.name for element in elements for found in sorted(scripts.glob(f"{element}.*.js"))]
    seen: list[str] = []
    while pending:
        name = pending.pop(0)
        if name in seen or name in announced or not (scripts / name).is_file():
            continue
        seen.append(name)
        pending.extend(_STATIC_IMPORT.findall((scripts / name).read_text(encoding="utf-8", errors="replace")))
    return seen


def early_evaluation(scripts: Iterable[str]) -> bytes:
    """A module script that imports ``scripts`` as soon as the page has connected to the server: their
    evaluation then overlaps the wait for the server's first run instead of following it. Plotly's script
    takes about a second of the main thread to evaluate, which a first visit otherwise spends after the
    charts' data has arrived, with every element of the page (the KPI tiles too) waiting behind it.

    Not earlier: evaluated at the first idle moment, it delayed the page's own connection by that second. The
    page says it is connected in its ``data-test-connection-state`` attribute (a failed import, or a Streamlit
    release without the attribute, changes nothing: after 3 s the import is made anyway, and an element
    imports its script itself when first drawn)."""
    imports = ",".join(f'import("./static/js/{name}")' for name in scripts)
    if not imports:
        return b""
    script = (
        f"const load=()=>Promise.all([{imports}]).catch(()=>{{}});let started=false;"
        "const go=()=>{if(!started){started=true;setTimeout(load,0);}};"
        "const watch=new MutationObserver(()=>{if(document.querySelector("
        "'[data-test-connection-state=\"CONNECTED\"]')){watch.disconnect();go();}});"
        "watch.observe(document.documentElement,{subtree:true,childList:true,attributes:true,"
        "attributeFilter:['data-test-connection-state']});setTimeout(go,3000);"
    )
    return f'<script type="module">{script}</script>'.encode()


def preload_links(scripts: Iterable[str]) -> bytes:
    """``<link rel="modulepreload">`` tags for ``scripts``, relative like the page's own (so that they resolve
    under a base URL path)."""
    return "".join(f'<link rel="modulepreload" crossorigin href="./static/js/{name}">' for name in scripts).encode()


class PreloadFirstScreen:
    """ASGI middleware: every HTML page the server sends gets ``links`` before ``</head>``; everything else
    (scripts, data, downloads, the websocket) passes through untouched and unbuffered."""

    def __init__(self, app: Any, links: bytes | None = None) -> None:
        self.app = app
        if links is None:
            scripts = first_screen_scripts()
            links = preload_links(scripts) + early_evaluation(n for n in scripts if n.startswith(EVALUATED_EARLY))
        self.links = links

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or not self.links:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []  # the start of a page, held until its whole body has come
        body: list[bytes] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_page(message):
                held.append(message)
            elif not held:
                await send(message)
            elif message["type"] != "http.response.body":  # a server extension (a file sent by path): as it is
                await send(held.pop())
                await send(message)
            else:
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    await send_page(held.pop(), b"".join(body))

        async def send_page(start: Message, page: bytes) -> None:
            if _header(start, b"content-encoding") == b"gzip":  # a page of a few kB: sent uncompressed
                page = gzip.decompress(page)
            page = page.replace(b"</head>", self.links + b"</head>", 1)
            replaced = (b"content-length", b"content-encoding")
            headers = [(k, v) for k, v in start["headers"] if k.lower() not in replaced]
            await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)


def _header(start: Message, name: bytes) -> bytes:
    return next((v for k, v in start.get("headers", []) if k.lower() == name), b"")


def _is_page(start: Message) -> bool:
    """A complete HTML page (200), as it is or gzipped (Streamlit compresses the pages it serves at a path such
    as ``/portfolio``): the only response the links are written into."""
    html = start.get("status") == 200 and _header(start, b"content-type").startswith(b"text/html")
    return html and _header(start, b"content-encoding") in (b"", b"identity", b"gzip")
