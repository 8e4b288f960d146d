"""The chat in a real Chromium (Debian's, driven by Playwright). Screenshots in test-output/.

Without /usr/bin/chromium these tests skip on a workstation and fail in CI (CI=true):
`make test` installs it with apt-get.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apps import Launched, launch_fake, launch_seeds
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "test-output"
TIMEOUT = 60_000  # ms, for an answer from the real model on a busy machine


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh Chromium profile; the tests open their pages in it."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} missing: apt-get install -y chromium (make test does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        ctx = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=ARGS, viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(TIMEOUT)
        yield ctx
        ctx.close()


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    launched = launch_fake(tmp_path_factory.mktemp("fake-app"))
    yield launched
    launched.stop()


@pytest.fixture(scope="module")
def seeds_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    launched = launch_seeds(tmp_path_factory.mktemp("seeds-app"))
    yield launched
    launched.stop()


class Chat:
    """A page of the chat, with the steps a person takes."""

    def __init__(self, context: Any, url: str) -> None:
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_selector("#question textarea")

    def ask(self, question: str) -> Any:
        """Type `question`, press Enter, and return the new reply once it is shown."""
        before = self.page.locator("#chat .qa-reply").count()
        self.page.fill("#question textarea", question)
        self.page.press("#question textarea", "Enter")
        self.page.wait_for_function(
            f"document.querySelectorAll('#chat .qa-reply').length > {before}")
        return self.page.locator("#chat .qa-reply").nth(before)

    def open_citation(self, reply: Any) -> Any:
        """Click the answer's citation marker; return the viewer page it opens."""
        with self.page.context.expect_page() as opened:
            reply.locator(".qa-answer a.qa-cite").click()
        viewer = opened.value
        viewer.wait_for_load_state()
        return viewer

    def shot(self, name: str, page: Any = None) -> None:
        (page or self.page).screenshot(path=str(SHOTS / name))


def in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 50) <= height


def test_answer_markers_and_viewer_scrolled_to_the_passage(context: Any,
                                                           fake_app: Launched) -> None:
    chat = Chat(context, fake_app.url)
    reply = chat.ask("Combien mesure le phare de Brest ?")
    answer = reply.locator(".qa-answer").inner_text()
    assert answer.startswith("«\u00a0Le phare de Brest mesure 52 mètres de haut.\u00a0» [")
    markers = reply.locator("a.qa-cite").all_inner_texts()
    assert markers[1:] == [f"[{n}]" for n in range(1, 6)]  # top-k 5 citations
    assert answer.endswith(markers[0]) and markers[0] in markers[1:]
    chat.shot("fake-answer.png")
    viewer = chat.open_citation(reply)
    assert viewer.url.startswith(f"{fake_app.url}/source/long.txt?start=")
    assert viewer.url.endswith("#cited")
    cited = viewer.locator("mark#cited")
    assert cited.inner_text() == "Le phare de Brest mesure 52 mètres de haut."
    assert viewer.evaluate("window.scrollY") > 1000  # 120 lines above the passage
    assert in_view(viewer, "mark#cited")
    chat.shot("fake-viewer.png", viewer)


def test_document_markup_never_runs(context: Any, fake_app: Launched) -> None:
    chat = Chat(context, fake_app.url)
    reply = chat.ask("piège script javascript")
    time.sleep(0.5)  # give an injected handler the time it would need
    shown = '<script>window.__xss = 1</script> et <img src=x onerror="window.__xss = 2">'
    assert shown in reply.locator(".qa-answer").inner_text()
    assert shown in chat.page.locator("#sources").inner_text()
    assert "[x](javascript:alert(1))" in chat.page.locator("#sources").inner_text()
    for where in ("#chat", "#sources"):
        assert chat.page.locator(f"{where} script, {where} img").count() == 0
        assert chat.page.locator(f"{where} a[href^='javascript']").count() == 0
    assert chat.page.evaluate("typeof window.__xss") == "undefined"
    chat.shot("inert-markup.png")
    viewer = chat.open_citation(reply)
    assert shown in viewer.locator("pre").inner_text()
    assert viewer.locator("script, img").count() == 0
    assert viewer.evaluate("typeof window.__xss") == "undefined"
    assert chat.dialogs == []


def test_followup_and_thumbs_up(context: Any, fake_app: Launched) -> None:
    chat = Chat(context, fake_app.url)
    chat.ask("Qui dirige l'office central ?")
    reply = chat.ask("Combien d'agents emploie-t-il ?")
    assert "Jean Dupont emploie 120.000 agents." in reply.locator(".qa-answer").inner_text()
    assert reply.locator(".qa-note").inner_text().startswith("Follow-up: searched with turn 1")
    path = fake_app.settings.feedback_path
    before = len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0
    chat.page.locator("#chat button[aria-label='Like']").last.click()
    for _ in range(100):
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        if len(lines) > before:
            break
        time.sleep(0.1)
    record = json.loads(lines[-1])
    assert (record["liked"], record["turn"], record["followup_of"]) == (True, 2, 1)
    assert "L'office central de Jean Dupont emploie 120.000 agents." in record["answer"]
    chat.page.locator("#chat button[aria-label='Clear']").click()  # a new conversation
    chat.page.wait_for_function("document.querySelectorAll('#chat .qa-reply').length == 0")
    assert chat.ask("Combien d'agents emploie-t-il ?").locator(".qa-note").count() == 0


@pytest.mark.integration
def test_seeds_used_by_question_then_followup(context: Any, seeds_app: Launched) -> None:
    chat = Chat(context, seeds_app.url)
    reply = chat.ask("who leads the OCRTEH?")
    chat.shot("chat.png")
    answer = reply.locator(".qa-answer")
    assert answer.count() == 1, f"no answer: {reply.inner_text()[:400]}"
    assert "Jean-Marc Droguet" in answer.inner_text()
    assert "Jean-Marc Droguet" in answer.locator("mark.qa-short").inner_text()
    marker = answer.locator("a.qa-cite").inner_text()  # the answer's citation, [1] if ranked first
    assert reply.locator(".qa-citation a.qa-cite").all_inner_texts()[:2] == ["[1]", "[2]"]
    assert marker in reply.locator(".qa-citation a.qa-cite").all_inner_texts()
    sentence = answer.inner_text().split("\u00a0")[1]
    viewer = chat.open_citation(reply)
    assert viewer.locator("mark#cited").inner_text() == sentence
    assert in_view(viewer, "mark#cited")
    chat.shot("seeds-viewer.png", viewer)
    followup = chat.ask("what is his rank?")
    chat.shot("seeds-followup.png")
    assert followup.locator(".qa-answer").count() == 1, followup.inner_text()[:400]
    assert "commissaire divisionnaire" in followup.locator(".qa-answer").inner_text()
    assert followup.locator(".qa-note").inner_text().startswith(
        "Follow-up: searched with turn 1")
