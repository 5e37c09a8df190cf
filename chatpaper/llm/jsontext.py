"""Where a reply's JSON object ends: the first balanced object, whatever runs on after it.

A small model closes its object and goes on (a second object, prose, a fence), or runs into its output
limit before closing. The chain's guards parse the first object; a streaming provider stops reading there.
"""
from __future__ import annotations

import json
from collections.abc import Iterator


def _outside_strings(text: str, start: int) -> Iterator[tuple[int, str]]:
    """(index, character) of every character from `start` that is not inside a JSON string: braces and
    commas in a quoted value (a caption's "{x, y}") are text, not structure."""
    in_string, escaped = False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        else:
            yield i, ch


def _balanced_end(text: str, start: int) -> int | None:
    """The index just past the object that opens at `start`, or None when the text ends first (a cut reply)."""
    depth = 0
    for i, ch in _outside_strings(text, start):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def first_json_object(text: str) -> str | None:
    """The first balanced JSON object in `text`; None when none closes.

    A `{` in prose before the JSON is skipped because what it opens does not parse.
    """
    start = text.find("{")
    while start != -1:
        end = _balanced_end(text, start)
        if end is None:
            return None  # cut at the output limit: no later "{" can close either
        candidate = text[start:end]
        try:
            if isinstance(json.loads(candidate), dict):
                return candidate
        except ValueError:
            pass
        start = text.find("{", start + 1)
    return None


def is_cut(text: str) -> bool:
    """The text opens a JSON object and ends before closing it: the reply ran into its output limit."""
    start = text.find("{")
    return start != -1 and first_json_object(text) is None and _balanced_end(text, start) is None


def complete_members(text: str) -> dict | None:
    """The members of a cut object that were complete before the cut ({"a": 1, "b": "cu -> {"a": 1});
    None when the text opens no object."""
    start = text.find("{")
    if start == -1:
        return None
    depth, ends = 0, []
    for i, ch in _outside_strings(text, start):
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        elif ch == "," and depth == 1:
            ends.append(i)  # a top-level member ended here
    for end in reversed(ends):
        try:
            data = json.loads(text[start:end] + "}")
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}
