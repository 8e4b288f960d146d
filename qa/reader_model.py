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
    "cos": 0.9790,
    "cos_gap": 1.3026,
    "lex": 0.1012,
    "lex_prev": -0.9938,
    "lex_next": 0.2865,
    "cos_prev_gap": 0.4338,
    "anaphor": -0.7368,
    "typed": 0.1412,
    "typed_strict": 1.0874,
    "novelty": 0.2722,
    "heading": -3.0000,
    "log_len": 0.0966,
    "passage": 1.2353,
    "first": -1.0000,
    "bigram": 0.4759,
    "head": 0.4450,
    "lex_gap": 0.1012,
    "lex_top_passage": 0.4337,
    "lex_doc": 0.8580,
    "cov_raw": -0.5367,
    "cov_dense": 0.0041,
    "cov_context": 2.5163,
    "cov_doc": 3.8267,
    "doc_cos": 1.8926,
    "passage_rank": -0.0747,
}
SENTENCE_CROSS = {
    "cos": 2.2071,
    "cos_gap": 2.6036,
    "lex": -0.6285,
    "lex_prev": -0.5782,
    "lex_next": -0.0731,
    "cos_prev_gap": 0.3174,
    "anaphor": -0.8812,
    "typed": 0.0747,
    "typed_strict": 1.0753,
    "novelty": 0.4362,
    "heading": -3.0000,
    "log_len": 0.5254,
    "passage": 2.8513,
    "first": -1.0000,
    "bigram": 0.3685,
    "head": 0.6044,
    "lex_gap": -0.6285,
    "lex_top_passage": 0.3326,
    "lex_doc": 0.3653,
    "cov_raw": -0.5404,
    "cov_dense": -0.3328,
    "cov_context": 1.3620,
    "cov_doc": 2.8964,
    "doc_cos": 1.1180,
    "passage_rank": -0.1914,
}
ABSTAIN = {
    "max_cos": 32.8345,
    "best_score": 0.2828,
    "coverage": 1.1797,
    "bias": -27.6819,
}
ABSTAIN_CROSS = {
    "max_cos": 43.9757,
    "best_score": 0.1011,
    "coverage": 0.0000,
    "bias": -35.7797,
}
