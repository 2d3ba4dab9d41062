"""Which kind of document a photo shows, and how sure that is."""

from __future__ import annotations

import math
import re
import statistics

from assistant.evidence.extract.lexicon import CLASS_KEYWORDS, CLASS_THRESHOLD, NAME_ENDINGS
from assistant.evidence.extract.numbers import normalize
from assistant.evidence.extract.page import _pieces
from assistant.evidence.extract.signboard import _name_candidates
from assistant.evidence.model import DocumentType, OcrResult


def classify(result: OcrResult) -> tuple[DocumentType | None, float]:
    """Which document ``result`` reads, and how sure that is (0–1); None when nothing fits.

    A document is told by its printed words; a signboard has few words but a line of large
    text; a photo of a room with a calendar or a carton in it is neither.
    """
    text = re.sub(r"\s+", "", normalize(result.text)).lower()
    scores = {
        doc_type: sum(weight for word, weight in words.items() if word in text)
        for doc_type, words in CLASS_KEYWORDS.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_second, runner_up) = ranked[0], ranked[1]
    if top >= CLASS_THRESHOLD:
        strength = 1 - math.exp(-top / 4)
        margin = (top - runner_up) / top
        return best, round(strength * (0.5 + 0.5 * margin), 3)
    sign = _signboard_confidence(result)
    if sign > 0:
        return DocumentType.SIGNBOARD, sign
    return None, 0.0


def _signboard_confidence(result: OcrResult) -> float:
    pieces = _pieces(result)
    names = _name_candidates(pieces)
    if not names or len(pieces) > 15 or not result.height:
        return 0.0
    median = statistics.median(p.height for p in pieces)
    biggest = max(names, key=lambda p: p.height)
    share = biggest.height / result.height
    if share < 0.05 or (len(pieces) > 2 and biggest.height < 1.3 * median):
        return 0.0
    confidence = 0.5 + (0.2 if share >= 0.1 else 0.0)
    if re.sub(r"\s", "", biggest.text).endswith(NAME_ENDINGS):
        confidence += 0.2
    return confidence
