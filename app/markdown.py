"""Markdown for lesson text and descriptions, rendered safely.

markdown-it-py in CommonMark mode with raw HTML off: any HTML in the source is shown as
text, and its link validation refuses javascript:, vbscript: and data: URLs (except images).
"""

from __future__ import annotations

from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render(text: str | None) -> Markup:
    return Markup(_renderer.render(text or ""))  # noqa: S704  (html is off: the output is safe)


def init_app(app: Flask) -> None:
    app.add_template_filter(render, "markdown")
