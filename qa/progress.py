"""Progress bars for long work: shown on a terminal, silent otherwise or with --quiet."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tqdm import tqdm


class Bars:
    """A `ProgressFactory` making tqdm bars with rate and time left; `close()` ends them.

    Args:
        quiet: never show anything.
    """

    def __init__(self, quiet: bool = False) -> None:
        self.disabled = quiet or not sys.stderr.isatty()
        self._bars: list[tqdm] = []

    def __call__(self, total: int, label: str) -> Callable[[int], None]:
        unit = {"embedding": "text", "tagging": "sentence"}.get(label, "file")
        bar = tqdm(total=total, desc=label, unit=unit, disable=self.disabled,
                   file=sys.stderr, dynamic_ncols=True)
        self._bars.append(bar)

        def tick(n: int) -> None:
            bar.update(n)
            if bar.n >= total:  # done: freeze its elapsed time and rate now
                bar.close()

        return tick

    def close(self) -> None:
        """Finish every bar."""
        for bar in self._bars:
            bar.close()
        self._bars.clear()
