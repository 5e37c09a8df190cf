"""The "answer" field of a JSON reply, decoded while the reply is still being written.

A model streams `{"answerable": true, "answer": "The authors train on ...`; `AnswerTextStream.feed`
takes each piece and returns the answer text it adds, so a reader sees the answer grow before the
reply is complete (and before its quotes are checked: the final Answer is what counts).
"""
from __future__ import annotations

import re

_FIELD = re.compile(r'"answer"\s*:\s*"')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class AnswerTextStream:
    """Feed the reply's pieces; get back the newly decoded characters of its "answer" string."""

    def __init__(self) -> None:
        self.buffer = ""
        self.start: int | None = None  # where the answer string's characters begin in buffer
        self.at = 0  # next character of buffer to decode
        self.done = False  # the closing quote was seen
        self.text = ""  # the answer decoded so far

    def feed(self, piece: str) -> str:
        self.buffer += piece
        if self.done:
            return ""
        if self.start is None:
            found = _FIELD.search(self.buffer)
            if found is None:
                return ""
            self.start = self.at = found.end()
        out: list[str] = []
        buffer = self.buffer
        while self.at < len(buffer):
            ch = buffer[self.at]
            if ch == '"':
                self.done = True
                break
            if ch != "\\":
                out.append(ch)
                self.at += 1
                continue
            if self.at + 1 >= len(buffer):
                break  # an escape cut between two pieces: wait for the rest
            code = buffer[self.at + 1]
            if code == "u":
                value, used = _unicode_escape(buffer, self.at)
                if used == 0:
                    break  # cut between two pieces
                out.append(value)
                self.at += used
                continue
            out.append(_ESCAPES.get(code, code))
            self.at += 2
        new = "".join(out)
        self.text += new
        return new


def _unicode_escape(buffer: str, at: int) -> tuple[str, int]:
    """The character of the \\uXXXX escape at AT (a surrogate pair is two escapes) and its length; 0: incomplete."""
    digits = buffer[at + 2:at + 6]
    if len(digits) < 4:
        return "", 0
    try:
        code = int(digits, 16)
    except ValueError:
        return digits, 6
    if 0xD800 <= code < 0xDC00:  # a high surrogate: its low half follows as a second escape
        low = buffer[at + 6:at + 12]
        if len(low) < 6:
            return "", 0
        try:
            second = int(low[2:], 16) if low.startswith("\\u") else -1
        except ValueError:
            second = -1
        if 0xDC00 <= second < 0xE000:
            return chr(0x10000 + ((code - 0xD800) << 10) + (second - 0xDC00)), 12
        return "\ufffd", 6
    if 0xDC00 <= code < 0xE000:
        return "\ufffd", 6
    return chr(code), 6
