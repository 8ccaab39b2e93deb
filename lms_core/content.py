"""Shared pieces of the content import (``flask --app wsgi content import content/``).

Each module validates and imports its own files through the ``hocvu_content_validate``
and ``hocvu_content_apply`` hooks. The command validates everything first and imports
nothing when any file is wrong; errors name the file and the line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


class ContentError(Exception):
    """One problem in a content file; ``line`` is 1-based, 0 when the whole file is meant.
    Returned in lists by the validate hooks, raised by ``load_yaml``."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentError) and (self.path, self.line, self.message) == (
            other.path,
            other.line,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.line, self.message))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


LineOf = Callable[..., int]


def load_yaml(path: Path) -> tuple[Any, LineOf]:
    """Parse a YAML file and return its data with ``line_of(*keys)``: the 1-based line of
    the value at that key path (``line_of("lessons", 2, "file")``), or of the nearest
    parent that exists. Raises ``ContentError`` for unreadable or invalid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(path, 0, f"cannot read the file as UTF-8: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(
            path, mark.line + 1 if mark else 0, f"invalid YAML: {getattr(exc, 'problem', exc)}"
        ) from None

    def line_of(*keys: Any) -> int:
        current = node
        line = current.start_mark.line + 1 if current is not None else 0
        for key in keys:
            child = None
            if isinstance(current, yaml.MappingNode):
                for key_node, value_node in current.value:
                    if key_node.value == key:
                        line, child = key_node.start_mark.line + 1, value_node
                        break
            elif isinstance(current, yaml.SequenceNode) and isinstance(key, int) and key < len(current.value):
                child = current.value[key]
                line = child.start_mark.line + 1
            if child is None:
                return line
            current = child
        return line

    return data, line_of
