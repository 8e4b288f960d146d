"""The launched app, through gradio_client and plain HTTP (fake embedder, tiny corpus)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

import app
from qa.config import Settings
from qa.errors import QAError
from qa.html import esc
from tests.apps import CORPUS, launch_fake
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """The app on a free port, over a service wired with the fake embedder."""
    launched = launch_fake(tmp_path_factory.mktemp("app"))
    yield launched.url, launched.settings
    launched.stop()


@pytest.fixture
def client(served: tuple[str, Settings]) -> Client:
    return Client(served[0], verbose=False)


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_ask_endpoint_returns_the_contract(client: Client, served: tuple[str, Settings]) -> None:
    reply = client.predict("Qui dirige l'office central ?", api_name="/ask")
    assert reply["question"] == "Qui dirige l'office central ?"
    assert reply["answer"] == "Jean Dupont dirige l'office central depuis 2019."
    assert reply["abstained"] is False
    cited = reply["citations"][reply["answer_citation"] - 1]
    assert cited["source"] == "office.txt"
    corpus = served[1].corpus
    for c in reply["citations"]:
        text = (corpus / c["source"]).read_text(encoding="utf-8")
        assert text[c["start"]:c["end"]] == c["quote"]
        assert c["url"] == f"/source/{c['source']}?start={c['start']}&end={c['end']}#cited"
    text = (corpus / "office.txt").read_text(encoding="utf-8")
    assert text[reply["answer_start"]:reply["answer_end"]] == reply["answer"]
    assert set(reply["timings_ms"]) >= {"embed", "total"}


def test_ask_endpoint_reports_an_empty_question(client: Client) -> None:
    with pytest.raises(Exception, match="empty question"):
        client.predict("   ", api_name="/ask")


def test_chat_reply_quotes_the_answer_with_linked_markers(client: Client) -> None:
    _, history, panel = client.predict("Qui dirige l'office central ?", [], 3, api_name="/chat")
    bubble = history[-1]["content"][0]["text"]
    assert history[0]["content"][0]["text"] == "Qui dirige l&#39;office central ?"
    assert '<p class="qa-answer">' in bubble
    assert "Jean Dupont dirige l&#39;office central depuis 2019." in bubble
    assert 'href="/source/office.txt?start=0&amp;end=' in bubble
    assert bubble.count('class="qa-cite"') == 4  # the answer's marker, then 3 citations
    assert "office.txt&#58;1" in bubble  # file and line
    assert panel.count('class="qa-citation"') == 3


def answer_of(history: list) -> str:
    """The answer paragraph of the last reply, without its tags."""
    bubble = history[-1]["content"][0]["text"]
    return re.sub(r"<[^>]+>", "", bubble[bubble.index('<p class="qa-answer">'):].split("</p>")[0])


def test_followup_searches_with_the_previous_turn(client: Client) -> None:
    _, history, _ = client.predict("Qui dirige l'office central ?", [], 3, api_name="/chat")
    _, history, _ = client.predict("Combien d'agents emploie-t-il ?", history, 3,
                                   api_name="/chat")
    assert "Jean Dupont emploie 120.000 agents." in answer_of(history)
    assert ("Follow&#45;up&#58; searched with turn 1 &#40;«\u00a0Qui dirige l&#39;office "
            "central ? Jean Dupont\u00a0»&#41;.") in history[-1]["content"][0]["text"]
    # The same words after a question on the museum answer about the museum.
    other = Client(client.src, verbose=False)
    _, history, _ = other.predict("Qui dirige le musée des arts ?", [], 3, api_name="/chat")
    _, history, _ = other.predict("Combien d'agents emploie-t-il ?", history, 3,
                                  api_name="/chat")
    assert "Paul Martin emploie 40 agents." in answer_of(history)


def test_feedback_is_appended_with_question_answer_and_citations(
        client: Client, served: tuple[str, Settings]) -> None:
    path = served[1].feedback_path
    before = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    client.predict("Qui dirige l'office central ?", [], 2, api_name="/chat")
    assert client.predict(1, False, api_name="/feedback") == "feedback on turn 1 recorded"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    record = json.loads(lines[-1])
    assert record["liked"] is False and record["turn"] == 1
    assert record["question"] == "Qui dirige l'office central ?"
    assert record["answer"] == "Jean Dupont dirige l'office central depuis 2019."
    assert [c["n"] for c in record["citations"]] == [1, 2]
    assert record["citations"][0]["source"] == "office.txt"
    with pytest.raises(Exception, match="no turn 5"):
        client.predict(5, True, api_name="/feedback")


def test_document_markup_stays_text_in_chat_and_panel(client: Client) -> None:
    _, history, panel = client.predict("piège script javascript", [], 3, api_name="/chat")
    bubble = history[-1]["content"][0]["text"]
    for html in (bubble, panel):
        assert "sub/piege.txt" in html
        for part in ("<script>window.__xss = 1</script>", "[x](javascript:alert(1))",
                     '<img src=x onerror="window.__xss = 2">'):
            assert esc(part) in html
        assert "<script" not in html and "<img" not in html and "](javascript" not in html


def test_viewer_shows_the_whole_document_with_the_passage_marked(
        served: tuple[str, Settings]) -> None:
    url, settings = served
    text = (settings.corpus / "office.txt").read_text(encoding="utf-8")
    start = text.index("Jean Dupont")
    end = text.index("2019.") + 5
    status, page, headers = get(f"{url}/source/office.txt?start={start}&end={end}")
    assert status == 200
    assert '<mark id="cited">Jean Dupont dirige l&#39;office central depuis 2019.</mark>' in page
    assert "M. Dupont est commissaire divisionnaire." in page
    assert "script-src" not in headers["content-security-policy"]
    assert headers["content-security-policy"].startswith("default-src 'none'")


def test_viewer_opens_a_citation_url_with_odd_characters(client: Client,
                                                         served: tuple[str, Settings]) -> None:
    reply = client.predict("Combien d'heures dort la girafe ?", api_name="/ask")
    cited = reply["citations"][reply["answer_citation"] - 1]
    assert cited["source"] == "notes/été 2020 #1?.txt"
    assert cited["url"].startswith("/source/notes/%C3%A9t%C3%A9%202020%20%231%3F.txt?start=")
    status, page, _ = get(served[0] + cited["url"].split("#")[0])
    assert status == 200
    assert f'<mark id="cited">{esc(cited["quote"])}</mark>' in page


def test_viewer_keeps_document_markup_inert(served: tuple[str, Settings]) -> None:
    status, page, _ = get(f"{served[0]}/source/sub/piege.txt?start=0&end=5")
    assert status == 200
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert esc("<script>window.__xss = 1</script>") in page


@pytest.mark.parametrize("path", [
    "../outside.txt", "..%2Foutside.txt", "%2e%2e/outside.txt", "%252e%252e%252foutside.txt",
    "sub/../../outside.txt", "sub%2F..%2F..%2Foutside.txt", "..%5Coutside.txt",
    "sub%5Cpiege.txt", "%2Fetc%2Fpasswd", "/etc/passwd", "%252Fetc%252Fpasswd",
    "leak.txt", "missing.txt", "office.txt%00", "office.txt/", "./office.txt", "OFFICE.TXT",
])
def test_viewer_answers_404_outside_the_index(served: tuple[str, Settings], path: str) -> None:
    status, body, _ = get(f"{served[0]}/source/{path}?start=0&end=3")
    assert status == 404, body
    assert "secret" not in body and "root:" not in body


@pytest.mark.parametrize(("query", "status", "marked"), [
    ("start=x&end=3", 400, None), ("start=1.5&end=3", 400, None), ("start=&end=", 200, ""),
    ("start=-4&end=3", 200, "Fic"), ("start=0&end=99999999999999", 200, None),
    ("start=9&end=2", 200, ""), ("start=1e3&end=3", 400, None), ("start=%00&end=3", 400, None),
    ("start=999999999999999999999&end=1", 400, None), ("", 200, ""),
])
def test_viewer_sanitises_offsets(served: tuple[str, Settings], query: str, status: int,
                                  marked: str | None) -> None:
    got, page, _ = get(f"{served[0]}/source/office.txt?{query}")
    assert got == status, page
    if marked is not None:
        expected = marked.replace("'", "&#39;")
        assert f'<mark id="cited">{expected}</mark>' in page


def test_examples_come_from_the_corpus_data_file(served: tuple[str, Settings]) -> None:
    status, config, _ = get(f"{served[0]}/config")
    assert status == 200
    assert "Qui dirige le musée ?" in json.loads(config).__repr__()
    assert "# comment" not in config


def test_serve_builds_a_missing_index_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import qa.startup

    monkeypatch.setattr(qa.startup, "make_embedder", lambda settings: FakeEmbedder())
    settings = Settings.load({}, corpus=write_corpus(tmp_path / "c", CORPUS),
                             store=tmp_path / "store", model="fake-hash-64", min_confidence=0.0)
    service = qa.startup.open_service(settings, quiet=True)
    try:
        assert service.ask("Qui dirige le musée des arts ?").text.startswith("Paul Martin")
    finally:
        service.close()
    err = capsys.readouterr().err
    assert f"No index at {settings.store}: indexing {settings.corpus} first..." in err
    assert "5 files seen: 5 added" in err


def test_mcp_setting_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "mcp_available", lambda: False)
    with pytest.raises(QAError, match=r"pip install -e '\.\[mcp\]'"):
        app.check_mcp(True)
    assert app.check_mcp(False) is False


def test_a_store_damaged_while_serving_is_a_message_in_the_chat_and_the_api(
        served: tuple[str, Settings]) -> None:
    import gradio as gr

    from index.errors import StoreError

    message = "the index at .qa/store is damaged (boom): run `qa index --rebuild`"

    class DamagedService:
        settings = served[1]

        def ask(self, question: str, top_k: int | None = None) -> None:
            raise StoreError(message)

    respond, _, ask = app._chat_handlers(DamagedService())  # type: ignore[arg-type]
    _, history, turns, panel = respond("Qui dirige ?", [], [], 3)
    assert history[-1]["content"] == f'<div class="qa-reply"><p class="qa-error">{esc(message)}</p></div>'
    assert turns == [{"n": 1, "question": "Qui dirige ?", "error": message}]
    with pytest.raises(gr.Error, match="run `qa index --rebuild`"):
        ask("Qui dirige ?")


HOSTILE = {
    "100,000 characters": "Qui dirige l'office central ? " + "a" * 100_000,
    "control characters": "Qui\x00 dirige\x1b[31m l'office\x7f central ?\x08",
    "mixed scripts": "Кто руководит l'office central 中央 ? مكتب",
    "emoji": "🚓 Qui dirige l'office central ? 👮‍♀️🇫🇷",
    "only emoji": "🙂🙂🙂",
}


@pytest.mark.parametrize("question", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_questions_get_a_reply_never_a_crash(client: Client, question: str,
                                                     served: tuple[str, Settings]) -> None:
    """Through the API and the chat: an answer (exact quotes) or one clear message."""
    try:
        reply = client.predict(question, api_name="/ask")
    except Exception as exc:  # gradio_client re-raises the app's gr.Error
        assert "empty question" in str(exc) and "Traceback" not in str(exc)
        reply = None
    if reply is not None:
        corpus = served[1].corpus
        for c in reply["citations"]:
            text = (corpus / c["source"]).read_text(encoding="utf-8")
            assert text[c["start"]:c["end"]] == c["quote"]
        long = len(question) > served[1].max_question_chars
        assert reply["notice"] == ("question cut to its first 2000 characters" if long else "")
    _, history, _ = client.predict(question, [], 3, api_name="/chat")
    bubble = history[-1]["content"][0]["text"]
    assert bubble.startswith('<div class="qa-reply">') and "Traceback" not in bubble
    assert ('class="qa-error"' in bubble) == (reply is None)
