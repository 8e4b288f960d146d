"""The `qa` command: index, ask, serve. Expected failures print one line and exit 1."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.errors import IndexingError
from qa.config import Settings
from qa.errors import QAError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, help="index folder (default .qa/store)")
    parser.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--model", help="embedding model name or folder")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `qa` and its subcommands."""
    parser = argparse.ArgumentParser(prog="qa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index of a corpus folder")
    _common(p)
    p.add_argument("--corpus", type=Path, help="folder of documents (default seeds)")
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    p.add_argument("--verify", action="store_true",
                   help="read every file, even those whose size and time are unchanged")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p = sub.add_parser("ask", help="answer a question with quotes and citations")
    _common(p)
    p.add_argument("--top-k", type=int, help="number of citations (default 5)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print one JSON object")
    mode.add_argument("--jsonl", action="store_true",
                      help="read questions from stdin, one per line; one JSON object per line")
    p.add_argument("question", nargs="?", help="the question")
    p = sub.add_parser("serve", help="start the chat UI")
    _common(p)
    p.add_argument("--corpus", type=Path, help="folder of documents (default seeds)")
    p.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--mcp", action="store_true", default=None,
                   help="also serve the ask API as an MCP tool (needs the gradio[mcp] extra)")
    p.add_argument("--auth", metavar="USER:PASS",
                   help="ask for this login (default: none; QA_AUTH in the environment)")
    p = sub.add_parser("eval", help="measure answers on a question set over a JSONL corpus")
    _common(p)
    p.add_argument("--questions", type=Path, required=True, help="JSONL questions")
    p.add_argument("--corpus", type=Path, required=True, help="JSONL corpus or folder")
    p.add_argument("--out", type=Path, help="per-question results (default .qa/eval/...)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--index-dir", type=Path, help="keep (and reuse) the index here")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    keys = ("store", "chroma_url", "model", "corpus", "top_k", "host", "port", "mcp", "auth")
    return Settings.load(**{k: getattr(args, k, None) for k in keys})


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from qa.indexing import run_index
    from qa.progress import Bars
    from qa.service import make_embedder

    bars = Bars(quiet=args.quiet)
    try:
        summary = run_index(settings, make_embedder(settings), rebuild=args.rebuild,
                            verify=args.verify, progress=bars)
    finally:
        bars.close()
    for line in summary.lines():
        print(line)
    return 0


def _emit(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, ensure_ascii=False), flush=True)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa.render import answer_to_dict, answer_to_text
    from qa.service import QAService, clean_question, make_worker_embedder

    if args.jsonl:
        if args.question:
            raise QAError("--jsonl reads questions from standard input: drop the argument")
        service = QAService.open(settings)
        for line in sys.stdin:
            if line.strip():
                try:
                    _emit(answer_to_dict(service.ask(line, args.top_k)))
                except QAError as exc:
                    _emit({"question": line.strip(), "error": str(exc)})
        return 0
    if args.question is None:
        raise QAError('no question: qa ask "your question"')
    clean_question(args.question, settings.max_question_chars)  # fail before loading
    # The model loads in a worker process on the other core while this one opens
    # the index and, when the question needs it, loads spaCy.
    embedder = make_worker_embedder(settings)
    try:
        service = QAService.open(settings, embedder)
        service.prepare(args.question, without_torch=True)
        answer = service.ask(args.question, args.top_k)
    finally:
        embedder.close()
    if args.json:
        _emit(answer_to_dict(answer))
    else:
        print(answer_to_text(answer))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from qa.eval import format_summary, run_eval
    from qa.progress import Bars
    from qa.service import make_embedder

    for path in (args.questions, args.corpus):
        if not path.exists():
            raise QAError(f"{path} does not exist: give an existing file")
    out = args.out or Path(".qa/eval") / f"{args.questions.stem}.results.jsonl"
    bars = Bars(quiet=args.quiet)
    try:
        summary = run_eval(settings, make_embedder(settings), args.questions, args.corpus, out,
                           progress=bars, limit=args.limit, index_dir=args.index_dir)
    finally:
        bars.close()
    print(json.dumps(summary, ensure_ascii=False) if args.json else format_summary(summary))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from qa.exposure import login, parse_auth

    if args.auth is not None:
        parse_auth(args.auth)  # an empty --auth is an error, not "no login"
    login(settings.auth)  # a malformed QA_AUTH fails before gradio is imported
    import app

    app.serve(settings)
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "serve": cmd_serve, "eval": cmd_eval}


def main(argv: Sequence[str] | None = None) -> int:
    """Run `qa`; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        code = COMMANDS[args.command](args, settings)
        if argv is None and args.command == "ask":
            # The answer is printed and nothing is left to write: skip tearing down
            # torch and chromadb at exit (~2 s of cold start on 2 busy cores).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except (IndexingError, QAError) as exc:
        print(f"qa {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"qa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
