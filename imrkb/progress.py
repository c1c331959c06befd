"""Progress on stderr for long runs: a redrawn line on a terminal, a line per ``every`` items otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts items and reports progress on ``stream`` (stderr by default).

    On a terminal one line is redrawn at most every ``interval`` seconds; elsewhere (logs, CI, pipes)
    a plain line is printed every ``every`` items, so short runs stay silent. Use :meth:`note` to print
    other lines without garbling the progress line.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        every: int = 1000,
        interval: float = 0.2,
    ) -> None:
        self.label = label
        self.total = total
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.interval = interval
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def _line(self) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.count / elapsed
        if self.total:
            pct = 100 * self.count / self.total
            eta = (self.total - self.count) / rate if rate else 0.0
            return (
                f"{self.label}: {self.count:,}/{self.total:,} ({pct:.0f}%), {rate:,.0f}/s, "
                f"{int(eta) // 60}:{int(eta) % 60:02d} left"
            )
        return f"{self.label}: {self.count:,}, {rate:,.0f}/s"

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= self.interval or self.count == self.total:
                self.stream.write(f"\r{self._line()}\x1b[K")
                self.stream.flush()
                self._last_draw = now
                self._drawn = True
        elif self.every and self.count % self.every == 0:
            print(self._line(), file=self.stream, flush=True)

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def note(self, line: str, stream: TextIO | None = None) -> None:
        """Print ``line`` on ``stream`` (default: the progress stream) without garbling the progress line."""
        self._clear()
        print(line, file=stream if stream is not None else self.stream, flush=True)

    def close(self) -> None:
        """Remove the progress line (terminal) so the summary starts on a clean line."""
        self._clear()
