"""HTML table rows for the report, with every cell escaped."""

from __future__ import annotations

import html


def table_row(*cells: object) -> str:
    """``<tr><td>…</td>…</tr>`` with each cell ``str()``-ed and HTML-escaped."""
    return "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
