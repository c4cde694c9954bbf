"""Chinese line breaking (禁则, kinsoku): no line starts with closing punctuation (）。，、 ...)
and none ends with an opening bracket (（「《 ...). Shared by the receipt printer (columns)
and the kiosk's labels (pixels): the caller says what fits on a line.

Greedy: tokens (a Latin word whole, any other character alone) fill a line while they fit;
at a break the last tokens of the full line move down with the next one when the break
would leave a forbidden character at either end. Spaces at a break are dropped."""

from __future__ import annotations

from collections.abc import Callable

NO_LINE_START = frozenset("，。、；：？！）》」』”’】〕〉｝…—·～,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『“‘【〔〈｛([{")
MAX_CARRY = 3  # tokens moved down at one break; past that the text breaks where it must


def tokens(text: str) -> list[str]:
    """ASCII words stay whole; every other character (a space too) is a token of its own."""
    found: list[str] = []
    for ch in text:
        if found and ch < "\x80" and not ch.isspace() and found[-1][-1] < "\x80" \
                and not found[-1][-1].isspace():
            found[-1] += ch
        else:
            found.append(ch)
    return found


def _bad_break(before: list[str], after: list[str]) -> bool:
    ends = "".join(before).rstrip()
    starts = "".join(after).lstrip()
    return bool(ends and starts) and (ends[-1] in NO_LINE_END or starts[0] in NO_LINE_START)


def break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """One paragraph (no newlines) in lines that each `fits`, breaking by the rules above."""
    lines: list[list[str]] = [[]]
    for token in tokens(text):
        line = lines[-1]
        if fits("".join(line + [token]).lstrip()):
            line.append(token)
            continue
        if token.isspace():
            continue  # a space at a break point disappears
        if not fits(token):  # a word longer than a line: by character
            for ch in token:
                if lines[-1] and not fits("".join(lines[-1] + [ch]).lstrip()):
                    lines.append([])
                lines[-1].append(ch)
            continue
        carry: list[str] = [token]
        moved = 0
        while _bad_break(line, carry) and moved < MAX_CARRY and len(line) > 1 \
                and fits("".join([line[-1]] + carry).strip()):
            carry.insert(0, line.pop())
            moved += 1
        if _bad_break(line, carry):  # nothing to move: break where it must, as before
            line.extend(carry[:-1])
            carry = carry[-1:]
        lines.append(carry)
    return [text for text in ("".join(line).strip() for line in lines) if text] or [""]
