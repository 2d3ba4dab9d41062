"""Second-stage ranking: the first few entries of the fused ranking, reordered by a small linear
model over how each one matched the question.

The fused ranking (dense and BM25 by reciprocal rank) keeps the right entry among its first three
almost always, but often second: an entry on what to ask about the collateral before the one on
collateral warning signs, an overview before its part. What separates them is spread over several
signals that reciprocal-rank fusion throws away: how close the entry's example questions, bullet
points and title each come, by how much, and how much of the lexical score it holds. Eight
weights, fitted by ``benchmarks/retrieval.py --fit-ranker`` on the team's question sets and the
tuning halves (never the held-out half), combine them; every feature is relative to the best
candidate's, so the weights do not depend on how many entries the bank adds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# How many of the fused ranking's first entries are reordered.
CANDIDATES = 6
FEATURES = ("rank", "fused", "dense", "closest", "point", "question", "title", "lexical")
# benchmarks/retrieval.py --fit-ranker: on the six development sets (448 questions), each scored
# with weights fitted on the other five, recall@1 0.848 -> 0.891.
WEIGHTS = (0.79, 1.05, 1.11, 1.21, 0.91, 1.39, 0.82, 1.90)
# Differences of similarity are a few hundredths; scaled so that the weights are of order one.
SIMILARITY_SCALE = 10.0


@dataclass(frozen=True)
class Candidate:
    """How one entry matched a question, as the first stage saw it.

    ``dense`` is the entry's first-stage dense score (the mean of its closest vectors); ``closest``
    its single closest vector; ``point``, ``question`` and ``title`` the closest of its bullet
    points, example questions and title line; ``lexical`` its BM25 score.
    """

    id: str
    fused: float
    dense: float
    closest: float
    point: float
    question: float
    title: float
    lexical: float


def features(candidates: Sequence[Candidate]) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate, in first-stage order."""
    if not candidates:
        return np.zeros((0, len(FEATURES)))
    best = {
        name: max(getattr(c, name) for c in candidates)
        for name in ("dense", "closest", "point", "question", "title", "lexical")
    }
    top = candidates[0].fused or 1.0
    rows = []
    for position, c in enumerate(candidates, start=1):
        rows.append(
            [
                SIMILARITY_SCALE / (SIMILARITY_SCALE + position),
                c.fused / top,
                *(
                    (getattr(c, name) - best[name]) * SIMILARITY_SCALE
                    for name in ("dense", "closest", "point", "question", "title")
                ),
                c.lexical / best["lexical"] if best["lexical"] > 0 else 0.0,
            ]
        )
    return np.asarray(rows, dtype=np.float64)


def rerank(
    candidates: Sequence[Candidate],
    weights: Sequence[float] = WEIGHTS,
    prior: dict[str, float] | None = None,
) -> list[Candidate]:
    """The candidates best first. ``prior`` multiplies an entry's odds (the borrower at hand);
    equal scores keep first-stage order."""
    if len(candidates) < 2:
        return list(candidates)
    scores = features(candidates) @ np.asarray(weights, dtype=np.float64)
    if prior:
        scores = scores + np.asarray([math.log(prior.get(c.id, 1.0)) for c in candidates])
    order = sorted(range(len(candidates)), key=lambda i: (-round(float(scores[i]), 9), i))
    return [candidates[i] for i in order]


def fit(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    l2: float = 0.03,
    steps: int = 600,
    rate: float = 0.5,
) -> np.ndarray:
    """Weights that put a right entry first: a softmax over each question's candidates,
    maximising the probability of its right ones (``groups``: features, 0/1 labels), with an L2
    penalty. Plain gradient descent from zero, so the same data gives the same weights."""
    usable = [(x, y) for x, y in groups if len(y) and y.sum() > 0]
    if not usable:
        raise ValueError("no question with a right entry among its candidates")
    weights = np.zeros(usable[0][0].shape[1])
    for _ in range(steps):
        gradient = l2 * weights
        for x, y in usable:
            scores = x @ weights
            p = np.exp(scores - scores.max())
            p /= p.sum()
            right = p * y
            right /= right.sum()
            gradient -= x.T @ (right - p) / len(usable)
        weights -= rate * gradient
    return weights
