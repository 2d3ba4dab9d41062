"""The second stage: features relative to the best candidate, the fitted order, the fit itself."""

import numpy as np

from assistant.knowledge.rerank import FEATURES, WEIGHTS, Candidate, features, fit, rerank


def candidate(key: str, fused: float, *, question: float = 0.80, lexical: float = 1.0) -> Candidate:
    return Candidate(key, fused, 0.80, max(question, 0.80), 0.80, question, 0.78, lexical)


def test_features_are_relative_to_the_best_candidate():
    rows = features([candidate("a", 0.10, question=0.90), candidate("b", 0.08, lexical=4.0)])
    assert rows.shape == (2, len(FEATURES))
    question, lexical = FEATURES.index("question"), FEATURES.index("lexical")
    assert rows[0, question] == 0.0 and rows[1, question] < 0.0
    assert rows[1, lexical] == 1.0 and rows[0, lexical] == 0.25
    assert rows[0, FEATURES.index("rank")] > rows[1, FEATURES.index("rank")]
    assert features([]).shape == (0, len(FEATURES))


def test_an_entry_whose_own_questions_match_goes_before_a_slightly_higher_fused_one():
    first = candidate("flow.interview.collateral", 0.100, question=0.84)
    second = candidate("signals.collateral", 0.095, question=0.90)
    assert [c.id for c in rerank([first, second])] == ["signals.collateral", first.id]


def test_a_clear_first_stage_lead_is_kept_and_ties_keep_first_stage_order():
    ahead = candidate("a", 0.10, question=0.90, lexical=5.0)
    behind = candidate("b", 0.05, question=0.85, lexical=1.0)
    assert [c.id for c in rerank([ahead, behind])] == ["a", "b"]
    twins = [candidate("x", 0.1), candidate("y", 0.1)]
    assert [c.id for c in rerank(twins, weights=[0.0] * len(WEIGHTS))] == ["x", "y"]


def test_the_prior_multiplies_an_entrys_odds():
    a, b = candidate("a", 0.1), candidate("b", 0.1)
    assert [c.id for c in rerank([a, b], prior={"b": 1.5})] == ["b", "a"]


def test_fit_learns_which_feature_tells_the_right_entry_and_is_deterministic():
    rng = np.random.default_rng(7)
    groups = []
    for _ in range(60):
        x = rng.normal(size=(5, 3))
        y = np.zeros(5)
        y[int(np.argmax(x[:, 1]))] = 1.0
        groups.append((x, y))
    weights = fit(groups)
    assert weights[1] > abs(weights[0]) and weights[1] > abs(weights[2])
    assert np.array_equal(weights, fit(groups))
    right = sum(1 for x, y in groups if y[int(np.argmax(x @ weights))] == 1)
    assert right >= 0.9 * len(groups)
