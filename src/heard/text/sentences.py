"""Sentences of spoken text, including machine transcripts with no or wrong punctuation.

Punctuation is used where it exists ("3.5" and "Mr." do not end a sentence). A stretch of speech with
no sentence-ending mark is then cut before words that start a new thought in speech - "okay so",
"let me", "i'll", "can you", "did that" - once the piece before has at least `MIN_WORDS` words, so an
unpunctuated run-on turn still yields sentence-sized pieces of evidence. Spans are character offsets
into the text, so evidence can be highlighted in the original.
"""

from __future__ import annotations

import itertools
import re

Span = tuple[int, int]

MIN_WORDS = 4
END = re.compile(r"(?<![A-Z][a-z])(?<!\b[A-Za-z])(?<!\d)[.!?]+(?=\s|$)|(?<=\d)[.!?]+(?=\s+[A-Za-z]|$)")
# Words that open a new sentence in speech; matched case-insensitively at a word boundary.
OPENERS = re.compile(
    r"\b(?:(?:okay|ok|alright|all right|right|perfect|great|awesome|sure|absolutely|so|and so|now|um so|uh so)"
    r"(?=\s+(?:so|i|i'm|i'll|let|what|we|you|it|that|is|are|can|do|did|the|your|if|just|for|once|as)\b)"
    r"|let me|let's|i'm going to|i'm gonna|i am going to|i'll|i will|we'll|we will|you'll|you will|you should|"
    r"i can see|i see that|it looks like|it says|it shows|looks like|i understand|i'm sorry|i am sorry|sorry about|"
    r"i apologi[sz]e|unfortunately|the reason|that's because|that is because|what happened|what happens|"
    r"can you|could you|would you|do you|did you|have you|are you|is there|is it|is that|was it|does that|"
    r"did that|what(?:'s| is| was| do| did| does| kind| type)|when did|when was|how (?:long|many|much|can|did|do)|"
    r"which one|where (?:did|do|is|are)|why (?:did|do|is)|thank you|thanks|bear with me|one moment|give me a|"
    r"hold on|hang on|is there anything|anything else)\b",
    re.I,
)
WORD = re.compile(r"\S+")
BINDING = frozenset("what that which who whom whose where when how if to the a an of for is was be i my your "
                    "their our this these those".split())
CONJUNCTIONS = frozenset("and but or so then because cause".split())


def split(text: str) -> list[Span]:
    """The sentences of `text` as (start, end) spans, stripped of surrounding spaces."""
    spans: list[Span] = []
    start = 0
    for mark in END.finditer(text):
        spans += _spoken(text, start, mark.end())
        start = mark.end()
    spans += _spoken(text, start, len(text))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of `text` as strings."""
    return [text[a:b] for a, b in split(text)]


def _spoken(text: str, start: int, end: int) -> list[Span]:
    """One punctuated piece, cut further at spoken sentence openers when it is long enough to hold several."""
    cuts = [start]
    for m in OPENERS.finditer(text, start, end):
        before = WORD.findall(text[cuts[-1]:m.start()])
        if len(before) < MIN_WORDS:
            continue
        previous = before[-1].lower().strip(",;:")
        if previous in BINDING:          # "what i'm gonna do", "the thing is that i'll": one clause
            continue
        if text[cuts[-1]:m.start()].rstrip().endswith(("-", "–", ":")):
            continue
        at = m.start()
        if previous in CONJUNCTIONS:     # "...for you and | you should see it": the "and" opens the new piece
            at = text.rindex(before[-1], cuts[-1], m.start())
            if len(before) - 1 < MIN_WORDS:
                continue
        cuts.append(at)
    cuts.append(end)
    out = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        left = a + len(piece) - len(piece.lstrip())
        right = b - (len(piece) - len(piece.rstrip()))
        if right > left and re.search(r"\w", text[left:right]):
            out.append((left, right))
    return out

