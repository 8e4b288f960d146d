"""Learned weights of the reader (written by benchmarks/train_reader.py; see the README).

SENTENCE: one weight per `qa.features.FEATURES`, the sentence score is their dot product.
ABSTAIN: logistic weights over `qa.extract.ABSTAIN_FEATURES` plus a bias, giving the
probability that the corpus answers, shifted so that 0.5 is the chosen threshold
(train_reader.THRESHOLD); the answer is given when it is >= min_confidence (0.5).
"""

SENTENCE = {
    "cos": 1.0042,
    "cos_gap": 1.7254,
    "lex": 1.4094,
    "lex_prev": 0.0460,
    "lex_next": 0.5767,
    "cos_prev_gap": -0.0293,
    "anaphor": -0.7789,
    "typed": 0.0952,
    "typed_strict": 1.1680,
    "novelty": 0.1107,
    "heading": -3.0000,
    "log_len": -0.0204,
    "passage": 4.6565,
    "first": -1.0000,
    "bigram": 0.7714,
    "lex_gap": 1.4094,
    "lex_top_passage": 0.7107,
}
ABSTAIN = {
    "max_cos": 34.5585,
    "best_score": 0.2204,
    "coverage": 2.4072,
    "bias": -29.6449,
}
