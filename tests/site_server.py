"""A built site served as GitHub Pages serves it: below its base path, with its 404 page for the rest.

For the browser tests (``conftest.py``'s ``site_url``) and the Lighthouse benchmark, which adds gzip.
"""

from __future__ import annotations

import functools
import threading
import xml.etree.ElementTree as ET
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class SiteHandler(SimpleHTTPRequestHandler):
    """GitHub Pages in miniature: the site below ``base``, and its 404 page, with status 404, for the rest."""

    def __init__(self, *args, site: Path, base: str, **kwargs):
        self.site, self.base = site, base
        super().__init__(*args, directory=str(site), **kwargs)

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(self.base):
            return str(self.site / "\0outside the site")
        return super().translate_path("/" + path[len(self.base) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.site / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def base_path(site: Path) -> str:
    """The path the site lives under, as its sitemap says (from ``site_url``): "/asyncio-together/"."""
    first = ET.parse(site / "sitemap.xml").getroot().find("{*}url/{*}loc")
    return urlsplit(first.text.strip()).path if first is not None else "/"


def serve(site: Path, handler: type[SiteHandler] = SiteHandler) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``site`` on 127.0.0.1 from a thread: the server (to shut down) and the site's address."""
    base = base_path(site)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, site=site, base=base))
    threading.Thread(target=server.serve_forever, name="site-server", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}{base}"
