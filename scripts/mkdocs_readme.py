"""MkDocs hook: the site's home page is the README, so the README stays the one source.

The README links to the guides as ``docs/<page>.md`` (paths from the repository root); on the site
the home page sits inside ``docs/``, so those links lose their ``docs/`` prefix.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File, Files

README = Path(__file__).resolve().parents[1] / "README.md"


def on_files(files: Files, config) -> Files:
    files.append(File.generated(config, "index.md", content=README.read_text(encoding="utf-8")))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    return re.sub(r"\]\(docs/", "](", markdown)
