"""Learned weights of the reader (written by benchmarks/train_reader.py; see the README).

SENTENCE: one weight per `qa.features.FEATURES`, the sentence score is their dot product.
ABSTAIN: logistic weights over `qa.extract.ABSTAIN_FEATURES` plus a bias, giving the
probability that the corpus answers, shifted so that 0.5 is the chosen threshold
(train_reader.THRESHOLD); the answer is given when it is >= min_confidence (0.5).
"""

SENTENCE = {
    "cos": 1.0037,
    "cos_gap": 1.7265,
    "lex": 1.4069,
    "lex_prev": 0.0446,
    "lex_next": 0.5756,
    "cos_prev_gap": -0.0294,
    "anaphor": -0.7762,
    "typed": 0.0869,
    "typed_strict": 1.1751,
    "novelty": 0.1233,
    "heading": -3.0000,
    "log_len": -0.0269,
    "passage": 4.6593,
    "first": -1.0000,
    "bigram": 0.7760,
    "head": 0.5482,
    "lex_gap": 1.4069,
    "lex_top_passage": 0.7118,
}
ABSTAIN = {
    "max_cos": 34.5577,
    "best_score": 0.2156,
    "coverage": 2.4321,
    "bias": -29.6288,
}
