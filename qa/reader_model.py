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
    "cos": 0.5013,
    "cos_gap": -0.3927,
    "lex": 0.5254,
    "lex_prev": -0.8762,
    "lex_next": 0.3683,
    "cos_prev_gap": 0.5454,
    "anaphor": -0.2590,
    "typed": 0.1070,
    "typed_strict": 0.9869,
    "novelty": 0.1561,
    "heading": -3.0000,
    "log_len": -1.2243,
    "passage": 2.8600,
    "first": -1.0000,
    "bigram": 0.4423,
    "head": 0.2408,
    "lex_gap": 0.5254,
    "lex_top_passage": 0.1253,
    "lex_doc": 0.0629,
    "cov_raw": -1.7590,
    "cov_dense": -0.7345,
    "cov_context": 2.6962,
    "cov_doc": 3.0712,
    "doc_cos": 0.8976,
    "passage_rank": -0.2121,
    "cos_local": 0.2330,
    "cos_local_gap": 0.2020,
    "align": 1.7098,
    "align_gap": 2.0471,
}
SENTENCE_CROSS = {
    "cos": 0.8417,
    "cos_gap": -0.3359,
    "lex": 0.2993,
    "lex_prev": -0.6030,
    "lex_next": -0.0159,
    "cos_prev_gap": 0.5595,
    "anaphor": -0.0200,
    "typed": 0.0417,
    "typed_strict": 0.9875,
    "novelty": -0.0397,
    "heading": -3.0000,
    "log_len": -1.1756,
    "passage": 4.5069,
    "first": -1.0000,
    "bigram": 0.0812,
    "head": 0.3373,
    "lex_gap": 0.2993,
    "lex_top_passage": 0.0311,
    "lex_doc": -0.4116,
    "cov_raw": -1.1629,
    "cov_dense": -0.7109,
    "cov_context": 1.1361,
    "cov_doc": 2.5718,
    "doc_cos": -0.1001,
    "passage_rank": -0.3258,
    "cos_local": 0.3881,
    "cos_local_gap": 0.3107,
    "align": 2.5684,
    "align_gap": 2.4290,
}
ABSTAIN = {
    "max_cos": 25.1326,
    "best_score": 0.2435,
    "coverage": 1.4787,
    "align": 5.9229,
    "max_align": 4.6633,
    "bias": -30.6899,
}
ABSTAIN_CROSS = {
    "max_cos": 23.2785,
    "best_score": 0.1868,
    "coverage": 0.0000,
    "align": 6.1119,
    "max_align": 14.2089,
    "bias": -35.7595,
}
