"""Entity tagging over two processes: half of each batch in a worker, half here.

Tagging the sentences of a large corpus with spaCy runs on one core, after the
embedding, while the other core idles. `SplitTagger` starts `python -m
index.tag_worker`, which loads the same pipeline (`index.ner`) on the other core
while this process loads its own; each batch of `SplitTagger.tag` then goes half
to the worker and half to the in-process tagger, at the same time. spaCy tags
each sentence on its own, so the entities are the ones one process would find.

If the worker cannot start, stops, answers with an error, or hangs (no reply long
after this process finished its own half: see WAIT_FLOOR), its half is tagged
here: the split changes the time taken, never the result.

Protocol: one JSON line per request, {"texts": [...]}; one JSON line per reply,
{"entities": [[[start, end, label], ...], ...]} (one list per text) or
{"error": message}. The worker exits at end of input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from index.ner import Entities, EntityTagger
from index.worker_process import command, reply_stream

MIN_SPLIT = 256  # a batch of fewer than twice this many texts is tagged here alone
WORKER = command("index.tag_worker")
# Once this process has tagged its half, the worker's reply is awaited at most
# WAIT_FLOOR seconds plus WAIT_FACTOR times as long as that half took: it has as
# much to tag, and a pipeline to load (4-15 s) the first time. A worker still
# silent then is hung (a stuck load, a stopped process) and is stopped.
WAIT_FLOOR = 60.0
WAIT_FACTOR = 3.0


class SplitTagger:
    """Tags texts in this process and in a worker process, half each.

    The worker starts with the first batch large enough to split. After a failure
    (it cannot start, stops, or answers wrongly), every batch is tagged here.

    Args:
        tagger: the in-process tagger.
        command: the worker's command line (tests replace it).
    """

    def __init__(self, tagger: EntityTagger, command: Sequence[str] | None = None,
                 wait_floor: float = WAIT_FLOOR) -> None:
        self._tagger = tagger
        self._command = list(command or _worker_command(tagger))
        self._wait_floor = wait_floor
        self._proc: subprocess.Popen[bytes] | None = None
        self._failed = False

    @property
    def split(self) -> bool:
        """True while batches may still go half to the worker."""
        return not self._failed

    def tag(self, texts: list[str], tick: Callable[[int], None] | None = None
            ) -> list[Entities] | None:
        """Entities of every text, as `EntityTagger.tag` returns them; the second half
        tagged by the worker while this process tags the first. `tick` gets 1 per text
        tagged here, then the size of the worker's half when its reply arrives.

        Returns:
            One tuple per text, or None when spaCy cannot load here.
        """
        proc = self._worker() if len(texts) >= 2 * MIN_SPLIT else None
        if proc is None:
            return self._tagger.tag(texts, tick)
        half = len(texts) // 2
        theirs = texts[half:]
        sending = threading.Thread(target=_send, args=(proc, theirs), daemon=True)
        sending.start()  # in a thread: the worker reads only once its pipeline has loaded
        began = time.monotonic()
        mine = self._tagger.tag(texts[:half], tick)
        if mine is None:  # no spaCy here: the worker's half is of no use
            self._fail()
            sending.join()
            return None
        wait = self._wait_floor + WAIT_FACTOR * (time.monotonic() - began)
        found = _receive(proc, len(theirs), wait)
        if found is None:  # the worker failed: its half, and every later batch, here
            self._fail()  # killed first: a request it is not reading no longer blocks
            sending.join()
            found = self._tagger.tag(theirs)
            if found is None:
                return None
        else:
            sending.join()  # done: the reply came after the whole request
        if tick:
            tick(len(theirs))
        return mine + found

    def _worker(self) -> subprocess.Popen[bytes] | None:
        """The running worker, started on first use; None after a failure."""
        if self._proc is None and not self._failed:
            try:
                self._proc = subprocess.Popen(self._command, stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE)
            except OSError:
                self._failed = True
        return self._proc

    def _fail(self) -> None:
        self.close()
        self._failed = True

    def close(self) -> None:
        """Stop the worker, at once: it keeps nothing (it may be tagging a batch that a
        Ctrl-C left unread)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe:
                    pipe.close()  # stdin may still hold a request it cannot flush
            except OSError:
                pass


def _send(proc: subprocess.Popen[bytes], texts: list[str]) -> None:
    """Write one request; a worker that has stopped leaves the reply missing."""
    assert proc.stdin is not None
    try:
        proc.stdin.write(json.dumps({"texts": texts}).encode() + b"\n")
        proc.stdin.flush()
    except (OSError, ValueError):  # a broken pipe, or closed by `close`
        pass


def _receive(proc: subprocess.Popen[bytes], count: int, wait: float) -> list[Entities] | None:
    """The worker's entities for `count` texts, or None when it failed or gave no
    reply within `wait` seconds (then it is killed)."""
    got: list[list[Entities] | None] = []
    reading = threading.Thread(target=lambda: got.append(_read(proc, count)), daemon=True)
    reading.start()
    reading.join(wait)
    if reading.is_alive():  # hung: killing it ends the read (and a blocked request)
        proc.kill()
        reading.join()
        return None
    return got[0]


def _read(proc: subprocess.Popen[bytes], count: int) -> list[Entities] | None:
    """Read one reply of `count` texts' entities; None when there is none or it is wrong."""
    assert proc.stdout is not None
    try:
        reply = json.loads(proc.stdout.readline() or b"null")
        found = reply["entities"]
        if len(found) != count:
            return None
        return [tuple((int(a), int(b), str(label)) for a, b, label in spans)
                for spans in found]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def serve(tagger: EntityTagger, requests: IO[bytes], out: IO[bytes]) -> None:
    """Load the pipeline now, then answer each request line of `requests` on `out`."""
    tagger.tag([])  # loads the pipeline (without torch) before the first request arrives
    for line in requests:
        reply: dict[str, Any]
        try:
            found = tagger.tag(list(json.loads(line)["texts"]))
            reply = ({"error": "spaCy or its French model cannot load"} if found is None
                     else {"entities": found})
        except (ValueError, KeyError, TypeError) as exc:
            reply = {"error": str(exc)}
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()


def _worker_command(tagger: EntityTagger) -> list[str]:
    """The worker's command line, sharing `tagger`'s compiled-pattern cache."""
    if tagger.regex_cache is None:
        return WORKER
    return [*WORKER, f"--regex-cache={tagger.regex_cache}"]  # WORKER read now: tests swap it


def main(argv: Sequence[str] | None = None) -> None:
    """Worker entry point: `python -m index.tag_worker [--regex-cache DIR]`."""
    parser = argparse.ArgumentParser(prog="python -m index.tag_worker")
    parser.add_argument("--regex-cache", type=Path, help="see index.regex_cache")
    args = parser.parse_args(argv)
    replies = reply_stream()
    try:
        serve(EntityTagger(regex_cache=args.regex_cache), sys.stdin.buffer, replies)
        replies.flush()
    except BrokenPipeError:  # the caller has gone: nothing to answer
        os._exit(0)


if __name__ == "__main__":
    main()
