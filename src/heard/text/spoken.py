"""A turn read as spoken words: lower-case tokens without fillers ("um", "uh") or stutters ("i'll i'll"), joined
by single spaces so phrase patterns can run over them, with each token's characters in the turn kept so evidence
points at what was really said. Shared by the analysers that read phrases in disfluent transcripts (handoff,
heavy, promises)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

FILLERS = frozenset("um umm uh uhh uhm er erm ah eh hmm mm".split())
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.?!;,]", re.I)
SENTENCE_END = frozenset(".?!;")
PUNCT = SENTENCE_END | {","}


@dataclass
class Words:
    """A turn's tokens (`tokens`), joined by single spaces (`text`); `starts` is each token's offset in `text`,
    `spans` its characters in the turn."""

    tokens: list[str]
    starts: list[int]
    spans: list[tuple[int, int]]
    text: str

    def index(self, offset: int) -> int:
        """The first token at or after `offset` in `text`."""
        return bisect_left(self.starts, offset)

    def source(self, first: int, last: int) -> tuple[int, int]:
        """The turn's characters from token `first` to token `last` (inclusive)."""
        return self.spans[first][0], self.spans[last][1]


def spoken_words(text: str, *, token: re.Pattern[str] = TOKEN,
                 normalise: Callable[[str], str] | None = None) -> Words:
    """`text` as spoken words; `normalise` may rewrite each lower-cased token first (an empty result drops it)."""
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in token.finditer(text.replace("’", "'")):
        word = m.group(0).lower()
        if normalise is not None:
            word = normalise(word)
        if not word or word in FILLERS or (tokens and word == tokens[-1] and word not in PUNCT):
            continue
        tokens.append(word)
        spans.append(m.span())
    starts, offset = [], 0
    for word in tokens:
        starts.append(offset)
        offset += len(word) + 1
    return Words(tokens, starts, spans, " ".join(tokens))
