"""The chat UI: a thin Gradio layer over `qa.service.QAService`.

`build_ui(service)` makes the Blocks (tests pass a service wired with fakes);
`create_app` adds the source viewer route; `serve` runs it with uvicorn.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from qa.config import Settings
from qa.errors import QAError
from qa.render import answer_to_dict
from qa.service import QAService
from qa.types import Answer


def reply_markdown(answer: Answer) -> str:
    """The chat bubble: the answer, then the numbered quotes (document text escaped)."""
    parts = []
    if answer.abstained:
        parts.append("**Not found in the documents.** Closest passages:")
    else:
        parts.append(f"{html.escape(answer.text)} [{answer.answer_citation}]")
    for c in answer.citations:
        quote = html.escape(" ".join(c.quote.split()))
        parts.append(f"[{c.n}] {quote} — *{html.escape(c.title)}* ({html.escape(c.source)})")
    return "\n\n".join(parts)


def build_ui(service: QAService) -> gr.Blocks:
    """The Gradio Blocks: a chat, and the `ask` API endpoint returning the JSON contract."""

    def chat(message: str, history: list[dict[str, Any]]) -> str:
        try:
            return reply_markdown(service.ask(message))
        except QAError as exc:
            return html.escape(str(exc))

    def ask(question: str) -> dict[str, Any]:
        return answer_to_dict(service.ask(question))

    with gr.Blocks(title="Ask the documents") as blocks:
        gr.ChatInterface(chat, title="Ask the documents")
        gr.api(ask, api_name="ask")
    return blocks


def create_app(service: QAService) -> FastAPI:
    """The web app: Gradio at `/`, the source viewer at `/source/{path}`."""
    app = FastAPI()

    @app.get("/source/{source:path}", response_class=HTMLResponse)
    def source(source: str, start: int = 0, end: int = 0) -> HTMLResponse:
        document = service.stores.docs.get_document(source)
        if document is None:
            return HTMLResponse("not found", status_code=404)
        text = document.text
        start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
        body = (html.escape(text[:start]) + '<mark id="cited">' + html.escape(text[start:end])
                + "</mark>" + html.escape(text[end:]))
        title = html.escape(document.title)
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{title}</title>"
                            f"<pre style='white-space:pre-wrap'>{body}</pre>")

    return gr.mount_gradio_app(app, build_ui(service), path="/")


def serve(settings: Settings) -> None:
    """Open the index and serve the UI until interrupted."""
    import uvicorn

    service = QAService.open(settings)
    print(f"Serving the chat UI at http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(create_app(service), host=settings.host, port=settings.port, log_level="warning")
