"""Report rendering: HTML, PDF, XLSX and CSV from results the engine computed.

Nothing here runs the model or re-derives its figures; it selects, words and draws them.
Each format's renderer, and the heavy library it needs (matplotlib, WeasyPrint,
openpyxl), is imported when that format is first rendered, so that importing this
package (the command line does) costs little.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .document import REPORT_PERCENTILES, Report

__all__ = ["FORMATS", "REPORT_PERCENTILES", "Rendered", "Report", "render"]

#: format -> (media type, file extension)
FORMATS = {
    "html": ("text/html", "html"),
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv", "csv"),
}


@dataclass(frozen=True)
class Rendered:
    """A rendered report."""

    body: bytes
    media_type: str
    extension: str


def render(
    report: Report, fmt: str, *, samples: bool = False, check: Callable[[], None] | None = None
) -> Rendered:
    """Render ``report`` as ``fmt`` (``html``, ``pdf``, ``xlsx`` or ``csv``).

    ``check`` (the service's deadline) is called before rendering, between every few
    thousand sample rows, and after it; an exception it raises propagates.
    """
    media_type, extension = FORMATS[fmt]
    if check is not None:
        check()
    if fmt == "html":
        from .html import render_html

        body = render_html(report).encode("utf-8")
    elif fmt == "pdf":
        from .pdf import render_pdf

        body = render_pdf(report)
    elif fmt == "xlsx":
        from .tables import render_xlsx

        body = render_xlsx(report, samples=samples, check=check)
    else:
        from .tables import render_csv

        body = render_csv(report, samples=samples, check=check).encode("utf-8")
    if check is not None:
        check()
    return Rendered(body, media_type, extension)
