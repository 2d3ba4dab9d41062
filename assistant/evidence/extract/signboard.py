"""The signboard: the business's name."""

from __future__ import annotations

import re

from assistant.evidence.extract.lexicon import NAME_ENDINGS, SLOGAN_WORDS
from assistant.evidence.extract.page import _field, _Page, _Piece, _Value
from assistant.evidence.model import Field

_PHONE = re.compile(r"\d[\d\s-]{6,}\d")
_URL = re.compile(r"www\.|https?:|\.com|\.cn|\.net", re.IGNORECASE)


def _name_candidates(pieces: list[_Piece]) -> list[_Piece]:
    """Lines that could be a business's name: Chinese, not a number, a web address or a slogan."""
    return [
        piece
        for piece in pieces
        if len(re.findall(r"[\u4e00-\u9fff]", piece.text)) >= 2
        and not _PHONE.search(piece.text)
        and not _URL.search(piece.text)
        and not any(word in re.sub(r"\s", "", piece.text) for word in SLOGAN_WORDS)
    ]


def read(page: _Page) -> dict[str, Field]:
    """The name in the largest letters; with the line under it when it was set in two."""
    candidates = _name_candidates([p for row in page.rows for p in row])
    if not candidates:
        return {}
    biggest = max(candidates, key=lambda p: p.height)
    peers = [p for p in candidates if p.height >= 0.8 * biggest.height]
    # A name spaced wide across the board may come as several boxes in one row.
    line = sorted(
        (p for p in peers if abs(p.middle - biggest.middle) <= 0.5 * biggest.height),
        key=lambda p: p.left,
    )
    chosen = [line[0]]
    for piece in line[1:]:
        if piece.left - chosen[-1].right > 1.5 * biggest.height:
            break
        chosen.append(piece)
    if biggest not in chosen:
        chosen = [biggest]
    text = "".join(re.sub(r"\s+", "", p.text) for p in chosen)
    for other in peers:
        if other in chosen:
            continue
        above, below = sorted((chosen, [other]), key=lambda group: group[0].top)
        top_text = "".join(p.text for p in above)
        overlap = min(above[-1].right, below[-1].right) - max(above[0].left, below[0].left)
        if (
            0 <= below[0].top - above[0].bottom <= 0.8 * biggest.height
            and overlap > 0
            and not top_text.endswith(NAME_ENDINGS)
        ):
            chosen = [*above, *below]
            text = "".join(re.sub(r"\s+", "", p.text) for p in chosen)
            break
    read = _Value(text, tuple(chosen), chosen[0].left)
    return {"name": _field("name", text, read)}
