"""The chat UI: a thin Gradio layer over `qa.service.QAService`.

`build_ui(service)` makes the Blocks (tests pass a service wired with fakes);
`create_app` adds the source viewer route; `serve` runs it with uvicorn. All the HTML
comes from `qa.html` and `qa.viewer`, where every piece of document text is escaped.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount

from qa.config import Settings
from qa.conversation import ask_turn
from qa.errors import USER_ERRORS, QAError
from qa.examples import load_examples
from qa.exposure import Credentials, basic_auth_ok, exposure_warning, login
from qa.feedback import append_feedback
from qa.html import answer_bubble, error_bubble, esc, sources_panel
from qa.render import answer_to_dict
from qa.server import Running, bind, run_server, start_server, url_of
from qa.service import QAService
from qa.startup import open_service
from qa.viewer import VIEWER_HEADERS, BadRange, inside_corpus, parse_range, viewer_page

CSS = """
.qa-reply,.qa-sources{white-space:normal}
.qa-reply details.qa-citation summary{cursor:pointer}
.qa-answer{font-size:1.05em;margin:.2em 0 .4em}
mark.qa-short{background:#ffd43b;font-weight:600;padding:0 .15em;border-radius:3px}
mark.qa-in-quote{background:#fff3bf}
.qa-cite{font-weight:600;text-decoration:none;margin-right:.2em}
.qa-citation{margin:.5em 0;font-size:.92em}
.qa-meta{color:#666;font-size:.85em}
.qa-note,.qa-confidence{color:#666;font-size:.85em;margin:0 0 .3em}
.qa-abstain{margin:0 0 .4em}
#sources{max-height:680px;overflow-y:auto}
"""


def _chat_handlers(service: QAService) -> tuple[Any, Any, Any]:
    """The functions behind the chat: answer a message, record a vote, answer the API."""

    def respond(message: str, history: list[Any], turns: list[dict[str, Any]], top_k: float
                ) -> tuple[str, list[Any], list[dict[str, Any]], str]:
        try:
            turn = ask_turn(service, message, turns, int(top_k))
        except USER_ERRORS as exc:
            record = {"n": len(turns) + 1, "question": message, "error": str(exc)}
            bubble, panel = error_bubble(str(exc)), sources_panel(None, {})
        else:
            record = turn.record()
            bubble = answer_bubble(turn.answer, turn.lines, turn.note)
            panel = sources_panel(turn.answer, turn.lines)
        history = [*history, {"role": "user", "content": esc(message)},
                   {"role": "assistant", "content": bubble}]
        return "", history, [*turns, record], panel

    def vote(turn: float, liked: bool, turns: list[dict[str, Any]]) -> str:
        n = int(turn)
        if not 1 <= n <= len(turns):
            raise gr.Error(f"no turn {n} in this conversation")
        append_feedback(service.settings.feedback_path, turns[n - 1], bool(liked))
        return f"feedback on turn {n} recorded"

    def ask(question: str) -> dict[str, Any]:
        """Answer a question from the documents with verbatim quotes and citations.

        Args:
            question: the question, in English or French.

        Returns:
            The answer: a verbatim sentence, its citation, and the numbered quotes.
        """
        try:
            return answer_to_dict(service.ask(question))
        except USER_ERRORS as exc:
            raise gr.Error(str(exc)) from exc

    return respond, vote, ask


def build_ui(service: QAService) -> gr.Blocks:
    """The Gradio Blocks: chat, sources panel, settings, examples, feedback, `ask` API."""
    respond, vote, ask = _chat_handlers(service)
    examples = load_examples(service.settings.corpus)
    with gr.Blocks(title="Ask the documents") as blocks:
        turns = gr.State([])
        gr.Markdown("## Ask the documents\nEvery answer is an exact quote; click a "
                    "citation to see it in its source.")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(elem_id="chat", label="Chat", height=560,
                                     render_markdown=False, latex_delimiters=[], line_breaks=False,
                                     sanitize_html=True, allow_tags=False)
                question = gr.Textbox(elem_id="question", show_label=False, submit_btn="Ask",
                                      placeholder="Ask a question in English or French")
                if examples:
                    gr.Examples([[q] for q in examples], inputs=[question], label="Examples")
            with gr.Column(scale=2):
                top_k = gr.Slider(1, max(20, service.settings.top_k), step=1,
                                  value=service.settings.top_k,
                                  label="Passages per answer", elem_id="top-k")
                sources = gr.HTML(sources_panel(None, {}), elem_id="sources")
        question.submit(respond, [question, chatbot, turns, top_k],
                        [question, chatbot, turns, sources], api_name="chat",
                        api_visibility="undocumented")
        with gr.Row(visible=False):
            turn_n, liked, status = gr.Number(precision=0), gr.Checkbox(), gr.Textbox()
            gr.Button().click(vote, [turn_n, liked, turns], [status], api_name="feedback",
                              api_visibility="undocumented")

        def on_like(data: gr.LikeData, records: list[dict[str, Any]]) -> None:
            index = data.index if isinstance(data.index, int) else data.index[0]
            if isinstance(data.liked, bool):  # each turn is two messages: question, reply
                vote(index // 2 + 1, data.liked, records)

        chatbot.like(on_like, [turns], None, api_visibility="private")
        chatbot.clear(lambda: ([], sources_panel(None, {})), None, [turns, sources],
                      api_visibility="private")
        gr.api(ask, api_name="ask")
    return blocks


def mcp_available() -> bool:
    """True when Gradio's MCP server can run (the `gradio[mcp]` extra is installed)."""
    return importlib.util.find_spec("mcp") is not None


def check_mcp(wanted: bool) -> bool:
    """Whether to serve MCP. Raises QAError when it is wanted but cannot run."""
    if wanted and not mcp_available():
        raise QAError("the MCP server needs the gradio[mcp] extra: pip install -e '.[mcp]'")
    return wanted


# Routes outside Gradio's own login check: guarded here when a login is asked for.
GUARDED = ("/source/", "/gradio_api/mcp")


def _signed_in(gradio_app: Any, request: Request, auth: Credentials) -> bool:
    """A Gradio login session (its cookie), or the same credentials as HTTP Basic."""
    cookie_id = getattr(gradio_app, "cookie_id", None)
    token = (request.cookies.get(f"access-token-{cookie_id}")
             or request.cookies.get(f"access-token-unsecure-{cookie_id}"))
    if token is not None and token in getattr(gradio_app, "tokens", {}):
        return True
    return basic_auth_ok(request.headers.get("authorization"), auth)


def _guard(app: FastAPI, auth: Credentials) -> None:
    """Refuse the routes Gradio does not guard to anyone not signed in."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if request.url.path.startswith(GUARDED):
            gradio_app = next(r.app for r in app.routes if isinstance(r, Mount))
            if not _signed_in(gradio_app, request, auth):
                return PlainTextResponse("log in first", status_code=401,
                                         headers={"WWW-Authenticate": 'Basic realm="qa"'})
        response: Response = await call_next(request)
        return response


def create_app(service: QAService, auth: Credentials | None = None) -> FastAPI:
    """The web app: Gradio at `/`, the source viewer at `/source/{path}`.

    Args:
        service: the answering service.
        auth: (user, password) to ask for a login everywhere; None for none.
    """
    app = FastAPI()
    if auth is not None:
        _guard(app, auth)

    @app.get("/source/{source:path}", response_model=None)
    def source(source: str, request: Request) -> Response:
        document = service.document(source)
        if document is None or not inside_corpus(service.settings.corpus, source):
            return PlainTextResponse("not in the index", status_code=404)
        params = request.query_params
        try:
            span = parse_range(params.get("start"), params.get("end"), len(document.text))
        except BadRange as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return HTMLResponse(viewer_page(document, span), headers=VIEWER_HEADERS)

    return gr.mount_gradio_app(app, build_ui(service), path="/", css=CSS,
                               mcp_server=check_mcp(service.settings.mcp), auth=auth)


def start(service: QAService, host: str = "127.0.0.1", port: int = 0,
          auth: Credentials | None = None) -> Running:
    """Serve the app in a background thread (port 0: a free port); for tests."""
    return start_server(create_app(service, auth), host, port)


def serve(settings: Settings) -> None:
    """Build the index if missing (with progress), then serve the UI until interrupted."""
    check_mcp(settings.mcp)
    auth = login(settings.auth)
    warning = exposure_warning(settings.host, auth)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    sock = bind(settings.host, settings.port)
    service = open_service(settings)
    print(f"Serving the chat UI at {url_of(sock)}", flush=True)
    run_server(create_app(service, auth), sock)
