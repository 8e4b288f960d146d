"""Learned weights of the reader (written by benchmarks/train_reader.py; see the README).

SENTENCE: one weight per `qa.features.FEATURES`, the sentence score is their dot product.
ABSTAIN: logistic weights over `qa.abstain.ABSTAIN_FEATURES` plus a bias, giving the
probability that the corpus answers, shifted so that 0.5 is the chosen threshold
(train_reader.THRESHOLD); the answer is given when it is >= min_confidence (0.5).
SENTENCE_CROSS, ABSTAIN_CROSS: the same for a question in another language than the
text (features of `feature_matrix(..., cross=True)`), trained on the French questions
reduced to the words two languages share (names, numbers, acronyms).
"""

SENTENCE = {
    "cos": 0.4618,
    "cos_gap": 0.4336,
    "lex": 0.3200,
    "lex_prev": -0.8604,
    "lex_next": 0.4298,
    "cos_prev_gap": 0.5539,
    "anaphor": -0.4962,
    "typed": 0.1413,
    "typed_strict": 1.0607,
    "novelty": 0.3540,
    "heading": -3.0000,
    "log_len": 0.0601,
    "passage": 1.3437,
    "first": -1.0000,
    "bigram": 0.3878,
    "head": 0.4730,
    "lex_gap": 0.3200,
    "lex_top_passage": 0.4303,
    "lex_doc": 0.5058,
    "cov_raw": -1.0150,
    "cov_dense": -0.3097,
    "cov_context": 2.7406,
    "cov_doc": 3.7508,
    "doc_cos": 2.1786,
    "passage_rank": -0.1051,
    "cos_local": 0.4045,
    "cos_local_gap": 0.4288,
}
SENTENCE_CROSS = {
    "cos": 1.2050,
    "cos_gap": 0.8896,
    "lex": -0.1982,
    "lex_prev": -0.5518,
    "lex_next": 0.0446,
    "cos_prev_gap": 0.5751,
    "anaphor": -0.3085,
    "typed": 0.0759,
    "typed_strict": 1.0503,
    "novelty": 0.4556,
    "heading": -3.0000,
    "log_len": 0.4857,
    "passage": 2.9416,
    "first": -1.0000,
    "bigram": 0.2328,
    "head": 0.6311,
    "lex_gap": -0.1982,
    "lex_top_passage": 0.3231,
    "lex_doc": -0.0402,
    "cov_raw": -0.9538,
    "cov_dense": -0.6266,
    "cov_context": 1.2931,
    "cov_doc": 2.8620,
    "doc_cos": 1.7444,
    "passage_rank": -0.2288,
    "cos_local": 0.8221,
    "cos_local_gap": 0.6996,
}
ABSTAIN = {
    "max_cos": 32.6775,
    "best_score": 0.2809,
    "coverage": 1.3713,
    "bias": -27.3984,
}
ABSTAIN_CROSS = {
    "max_cos": 43.6468,
    "best_score": 0.1238,
    "coverage": 0.0000,
    "bias": -35.4731,
}
