"""The PDF report: the HTML report through WeasyPrint, with no network access."""

from __future__ import annotations

from typing import Any, NoReturn

import weasyprint
from weasyprint.urls import URLFetcher

from .document import Report
from .html import render_html

__all__ = ["FetchRefused", "RefusingFetcher", "render_pdf"]


class FetchRefused(ValueError):
    """A report tried to load an outside resource."""


class RefusingFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that fetches nothing: a report is self-contained, and a
    server must not be made to reach out to addresses a document names."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> NoReturn:
        self.refused.append(url)
        raise FetchRefused(f"reports load no outside resources (refused {url})")


def render_pdf(report: Report) -> bytes:
    """PDF bytes of ``report`` (Letter, page numbers, the summary on page 1)."""
    html = weasyprint.HTML(string=render_html(report), url_fetcher=RefusingFetcher(), base_url=".")
    pdf: bytes = html.write_pdf()
    return pdf
