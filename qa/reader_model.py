"""Learned weights of the reader (written by benchmarks/train_reader.py; see the README).

SENTENCE: one weight per `qa.features.FEATURES`, the sentence score is their dot product.
ABSTAIN: logistic weights over `qa.extract.ABSTAIN_FEATURES` plus a bias, giving the
probability that the best sentence answers; the answer is given when it is >= 0.5.
"""

SENTENCE = {
    "cos": 0.0, "cos_gap": 1.0, "lex": 1.0, "lex_prev": 0.3, "lex_next": 0.0,
    "cos_prev_gap": 0.1, "anaphor": 0.0, "typed": 0.5, "typed_strict": 1.0, "novelty": 0.5,
    "heading": -2.0, "log_len": 0.0, "passage": 0.5, "first": 0.0,
}
ABSTAIN = {"max_cos": 40.0, "best_score": 0.0, "coverage": 2.0, "bias": -33.0}
