"""The chat's HTML, viewer ranges, feedback lines and example questions (no server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.documents import make_document
from qa.examples import load_examples
from qa.feedback import append_feedback
from qa.html import ABSTAINED, answer_bubble, esc, marked, sources_panel
from qa.types import Answer, Citation, Span, source_url
from qa.viewer import BadRange, line_of, parse_range, viewer_page

TEXT = "Titre\n\nAlice Martin dirige le <b>club</b>. Il a 40 membres.\n"
START = TEXT.index("Alice")
END = TEXT.index(".", START) + 1


def citation(n: int, start: int, end: int) -> Citation:
    return Citation(n, "a/b.txt", "Titre", "2020-01", start, end, TEXT[start:end], 0.5,
                    source_url("a/b.txt", start, end))


def answer(highlight: Span | None = None, abstained: bool = False) -> Answer:
    c1, c2 = citation(1, 0, len(TEXT)), citation(2, START, END)
    if abstained:
        return Answer("Qui ?", "", (c1, c2), True, 0.1)
    return Answer("Qui ?", TEXT[START:END], (c1, c2), False, 0.9, 1, Span(START, END),
                  highlight)


def test_esc_leaves_no_markup_or_markdown() -> None:
    assert esc("<a href='x'>[y](javascript:z)</a> & $x$") == (
        "&#60;a href&#61;&#39;x&#39;&#62;&#91;y&#93;&#40;javascript&#58;z&#41;&#60;/a&#62; "
        "&#38; &#36;x&#36;")


def test_marked_wraps_only_a_span_inside_the_text() -> None:
    assert marked("abcdef", 10, Span(12, 14), "m") == 'ab<mark class="m">cd</mark>ef'
    assert marked("abcdef", 10, Span(15, 18), "m") == "abcdef"
    assert marked("a<b", 0, None, "m") == "a&#60;b"


def test_bubble_highlights_the_short_answer_and_links_markers() -> None:
    bubble = answer_bubble(answer(Span(START, START + 12)), {1: 1, 2: 3}, "Follow-up: x")
    name = '<mark class="qa-short">Alice Martin</mark>'
    assert f'<p class="qa-answer">«\u00a0{name} dirige le &#60;b&#62;club&#60;/b&#62;.' in bubble
    assert f'href="/source/a/b.txt?start={START}&amp;end={END}#cited"' in bubble
    assert 'href="/source/a/b.txt?start=0&amp;end=' in bubble
    assert bubble.count('class="qa-cite"') == 3
    assert "a/b.txt&#58;3" in bubble and "score 0.500" in bubble and "2020&#45;01" in bubble
    assert '<p class="qa-note">Follow&#45;up&#58; x</p>' in bubble
    assert "<b>" not in bubble


def test_abstention_says_so_and_lists_the_closest_passages() -> None:
    bubble = answer_bubble(answer(abstained=True), {})
    assert f"<strong>{ABSTAINED}</strong> Closest passages:" in bubble
    assert "qa-answer" not in bubble and bubble.count("qa-citation") == 2


def test_sources_panel_lists_every_passage_with_its_score() -> None:
    panel = sources_panel(answer(), {1: 1, 2: 3})
    assert panel.count('class="qa-citation"') == 2 and "score 0.500" in panel
    assert '<mark class="qa-in-quote">' in panel
    assert "Retrieved passages appear here." in sources_panel(None, {})


@pytest.mark.parametrize(("start", "end", "span"), [
    ("3", "8", Span(3, 8)), (None, None, Span(0, 0)), ("-5", "2", Span(0, 2)),
    ("40", "9999", Span(40, len(TEXT))), ("9", "4", Span(9, 9)), (" 2 ", "3", Span(2, 3)),
])
def test_parse_range_clamps(start: str | None, end: str | None, span: Span) -> None:
    assert parse_range(start, end, len(TEXT)) == span


@pytest.mark.parametrize("bad", ["x", "1.0", "1e3", "--1", "٣", "0x10", "1" * 19, "+-1"])
def test_parse_range_refuses_non_integers(bad: str) -> None:
    with pytest.raises(BadRange):
        parse_range(bad, "3", len(TEXT))


def test_viewer_page_escapes_and_marks_the_passage() -> None:
    page = viewer_page(make_document("a/b.txt", TEXT), Span(START, END))
    assert f'<mark id="cited">{esc(TEXT[START:END])}</mark>' in page
    assert "<b>" not in page and "a/b.txt · line 3" in page
    assert line_of(TEXT, 0) == 1 and line_of(TEXT, START) == 3


def test_feedback_lines_are_appended(tmp_path: Path) -> None:
    turn = {"n": 2, "question": "Qui ?", "followup_of": 1,
            "reply": {"answer": "A.", "abstained": False, "answer_citation": 1,
                      "citations": [{"n": 1, "source": "s.txt", "start": 0, "end": 2,
                                     "quote": "A.", "score": 0.5, "url": "/x", "title": "t"}]}}
    path = tmp_path / "deep" / "fb.jsonl"
    append_feedback(path, turn, True)
    append_feedback(path, turn, False)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["liked"] for line in lines] == [True, False]
    assert {k: lines[0][k] for k in ("turn", "question", "followup_of", "answer")} == {
        "turn": 2, "question": "Qui ?", "followup_of": 1, "answer": "A."}
    assert lines[0]["citations"] == [{"n": 1, "source": "s.txt", "start": 0, "end": 2,
                                      "quote": "A.", "score": 0.5}]


def test_examples_are_read_from_the_corpus_data_file(tmp_path: Path) -> None:
    assert load_examples(tmp_path) == []
    (tmp_path / ".examples.txt").write_text(
        "\ufeff# comment\n  Who?  \n\nWho?\nWhere  is it?\n", encoding="utf-8")
    assert load_examples(tmp_path) == ["Who?", "Where is it?"]
    assert load_examples(tmp_path, limit=1) == ["Who?"]
