"""Feedback help for leaders: flags written feedback that judges, generalises or labels, and suggests curious rewrites.

`check(text)` reads an evaluation comment, coaching note or dispute answer and returns a `FeedbackReport`: one
`Flag` per problem, each with the character spans it rests on, why it matters in a plain sentence, and two or
three rewrites built from the feedback's own words. Three kinds are about a sentence (judgemental, absolute,
label_not_behaviour) and three about the feedback as a whole (no_specific_moment, no_recognition, no_question).

Everything is word lists and regular expressions, so every flag can be explained and nothing leaves the machine.
It is written for feedback as people type it: lowercase, no punctuation, "u" for "you", "youre", "ur". Words in
quotes are what someone said on the call, so they never trigger a flag ("when you said 'I completely understand'"
is not absolute). Negation is read: "not always" is no generalisation, "you never fail to" and "you never once
lost your cool" are praise, "I don't think you're careless" is no label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from heard.text.sentences import split

__all__ = ["KINDS", "FeedbackReport", "Flag", "Scores", "check", "load_labelled", "measure"]

Kind = Literal["judgemental", "absolute", "label_not_behaviour", "no_specific_moment", "no_recognition",
               "no_question"]
KINDS: tuple[Kind, ...] = ("judgemental", "absolute", "label_not_behaviour", "no_specific_moment",
                           "no_recognition", "no_question")
Span = tuple[int, int]

WHY: dict[Kind, str] = {
    "judgemental": "{quote} tells or judges instead of describing and asking, so the agent is more likely to defend "
                   "themselves than to think about the call.",
    "absolute": "{quote} turns some calls into all of them; one exception the agent remembers is enough to dismiss "
                "the whole point.",
    "label_not_behaviour": "{quote} describes who the agent is rather than what they did; people can change a "
                           "behaviour, but a label about them invites a defence.",
    "no_specific_moment": "It names no call, time, turn or quoted words, so the agent cannot listen back to the "
                          "moment you mean, and you may not be talking about the same thing.",
    "no_recognition": "Nothing recognises effort or what went well, so the agent hears only what to change and not "
                      "what to keep.",
    "no_question": "There is no question asking for the agent's view, so it reads as a verdict rather than the start "
                   "of a conversation about what to try next.",
}


@dataclass(frozen=True)
class Flag:
    """One problem in a piece of feedback: what kind, where (character spans), why, and rewrites to consider."""

    kind: Kind
    spans: tuple[Span, ...]
    why: str
    suggestions: tuple[str, ...]

    def to_dict(self, text: str) -> dict[str, Any]:
        return {"kind": self.kind, "spans": [list(s) for s in self.spans],
                "evidence": [text[a:b] for a, b in self.spans], "why": self.why,
                "suggestions": list(self.suggestions)}


@dataclass(frozen=True)
class FeedbackReport:
    """What `check` found in one piece of feedback."""

    text: str
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    @property
    def kinds(self) -> set[str]:
        return {f.kind for f in self.flags}

    def of(self, kind: Kind) -> list[Flag]:
        return [f for f in self.flags if f.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "flags": [f.to_dict(self.text) for f in self.flags]}


# ---------------------------------------------------------------------------------------------------------------
# Reading the text: one lowercase copy with the same offsets, and one with quoted words masked.

PLAIN_QUOTES = str.maketrans("’‘“”`", "''\"\"'")
YOU = r"(?:you|u|ya)"
YOURE = r"(?:you'?re|you\s+are|u\s+r|u\s+are|ur|you\s+were|u\s+were|you\s+seem(?:\s+to\s+be)?|you\s+come\s+across\s+as)"
QUOTE = re.compile(r"(?:(?<=^)|(?<=[\s(:,]))(['\"])(?=\S)(.+?)(?<=\S)\1(?=[\s.,;:!?)—–-]|$)")


def _normalise(text: str) -> str:
    """Lowercase with typographic quotes made plain; same length, so offsets hold."""
    return text.lower().translate(PLAIN_QUOTES)


def _quotes(low: str) -> list[Span]:
    """Spans of quoted words (inside the quote marks)."""
    return [(m.start(2), m.end(2)) for m in QUOTE.finditer(low)]


def _masked(low: str, quotes: list[Span]) -> str:
    """`low` with quoted words replaced by x's: what was said on the call never triggers a flag or a cut."""
    chars = list(low)
    for a, b in quotes:
        for i in range(a, b):
            if not chars[i].isspace():
                chars[i] = "x"
    return "".join(chars)


def _clean(phrase: str) -> str:
    """A phrase from the feedback made presentable in a suggestion: "u"→"you", "ur"→"your", tidy spaces."""
    phrase = re.sub(r"\bu\b", "you", phrase)
    phrase = re.sub(r"\bur\b", "your", phrase)
    phrase = re.sub(r"\byoure\b", "you're", phrase)
    phrase = re.sub(r"\bcustomers\s+name\b", "customer's name", phrase)
    phrase = re.sub(r"\s+", " ", phrase)
    return phrase.strip(" ,.;:!?—–-")


# ---------------------------------------------------------------------------------------------------------------
# Word lists.

POSITIVE = (r"calm\w*|warm\w*|friendly|kind\w*|patien\w*|great|good|help\w*|first|quick\w*|proud|smil\w*|greet\w*|"
            r"laugh\w*|polite|steady|thank\w*|clear|lovely|brilliant|amazing|excellent|well|gentle|careful|"
            r"thorough|cheer\w*|positive|listen\w* (?:carefully|well)|find a way|go(?:es)? the extra mile|"
            r"happy to help|on time|practice")
NEGATIVE = (r"rush\w*|forget\w*|forgot\w*|interrupt\w*|argu\w*|complain\w*|late|talk\w* over|bored|script\w*|"
            r"negative|ignor\w*|miss\w*|wrong|rude|fail\w*|slow|quiet|flat|cold|upset|mistake\w*|sloppy|poor|"
            r"skip\w*|lose|lost|raise\w*|snap\w*|sigh\w*|mumbl\w*|mutter\w*|lazy|careless|shout\w*|angry|"
            r"without|bad|hang\w* up|hung up|cut\w* (?:off|in)|put\w* (?:people|customers|them|callers) on hold")
# Verbs that make "never X" praise: you never lose your cool, never miss a step, never fail to greet.
NEVER_PRAISE = (r"fail\w*|lose|lost|los\w+|raise\w*|miss\w*|forget\w*|forgot\w*|interrupt\w*|rush\w*|snap\w*|"
                r"complain\w*|argu\w*|give up|gave up|let (?:a|the|any)\w* (?:customer|caller)s? down|"
                r"mak\w+ (?:a )?mistakes?|sound\w* (?:rushed|bored|annoyed)|hang\w* up|hung up|put \w+ on hold "
                r"without|leave \w+ waiting|left \w+ waiting|sigh\w*|shout\w*|swear\w*|swore")

TRAITS = (r"careless|lazy|rude|arrogant|sloppy|cold|robotic|unprofessional|incompetent|useless|negative|"
          r"defensive|difficult|disorgani[sz]ed|impatient|(?:too |so )?emotional|slow|uncaring|selfish|hopeless|"
          r"clueless|unreliable|moody|abrasive|aggressive|dismissive|stubborn|entitled|bossy|sarcastic|"
          r"condescending|patroni[sz]ing|rigid|uninterested|unmotivated|disrespectful|cocky|a liability|"
          r"(?:a |an )?(?:bad|poor|terrible|awful|lousy) (?:listener|agent|communicator|fit)|a problem|"
          r"not a people person|not cut out for|not a team player|a robot|a lost cause|hostile|incapable|"
          r"inattentive|indifferent|lacking|apathetic|thoughtless|insensitive|clumsy|unhelpful|not empathetic|"
          r"not very empathetic|just not empathetic")
# What a label usually points at, described as something that happened, for the rewrites.
TRAIT_BEHAVIOUR = {
    "careless": "a step was missed", "lazy": "part of the after-call work wasn't finished",
    "rude": "your tone got sharp", "negative": "the call sounded flat", "defensive": "our conversation got tense",
    "impatient": "the pace picked up", "robotic": "the words sounded scripted", "cold": "the words sounded scripted",
    "emotional": "the call got heated", "slow": "the call ran long", "listener": "the customer had to repeat herself",
    "people person": "the customer didn't hear a warm word", "attitude": "the tone changed",
    "unprofessional": "[what was said] came across badly", "incompetent": "[the step] went wrong",
    "uncaring": "the customer's worry wasn't answered", "care": "the customer's worry wasn't answered",
    "empath": "the customer's worry wasn't answered", "liability": "[the step] went wrong",
}

VERDICTS = (r"unacceptable|sloppy|poor|terrible|awful|appalling|atrocious|pathetic|useless|rubbish|a mess|"
            r"disappointing|disappointed|not good enough|not acceptable|worst|lacks?\b[^.?!]*|"
            r"needs? (?:a lot of )?(?:work|improvement|improving)|embarrassing|shocking|ridiculous|"
            r"was wrong|were wrong|all wrong|a disaster|horrible|lame|amateur\w*|inexcusable")
IMPERATIVE_EXCEPT = r"worry|be (?:hard|too hard)|hesitate|forget to (?:take|look after)|stress|panic"


# ---------------------------------------------------------------------------------------------------------------
# Sentence-level detectors. Each yields (span of the words, the words' kind of problem, the behaviour phrase).

@dataclass(frozen=True)
class _Hit:
    span: Span
    rule: str
    behaviour: str = ""
    extra: str = ""


_J_DIRECTIVE = re.compile(
    rf"\b(?:{YOU}\s+(?:really\s+|just\s+|seriously\s+|still\s+)?(?:need|needs|have|has|'ve\s+got|got|gotta)\s+to|"
    rf"{YOU}\s+(?:really\s+)?must(?!\s+be\b)|{YOU}\s+(?:really\s+)?should(?!\s+be\s+(?:proud|pleased|happy|glad))"
    rf"(?:\s+have|'ve)?|{YOU}\s+shouldn'?t(?:\s+have)?|i\s+need\s+{YOU}\s+to|(?<!to\s)(?:please\s+)?make\s+sure\b|"
    rf"(?:the\s+)?agents?\s+(?:must|should|needs?\s+to|has\s+to)|must\s+(?:always\s+)?(?!be\b)\w+)\s+(?P<b>[^.?!;]*)")
_J_IMPERATIVE = re.compile(
    rf"^(?:please\s+|so\s+|just\s+|and\s+)?(?P<v>stop|quit|don'?t(?!\s+(?:{IMPERATIVE_EXCEPT}))(?:\s+ever)?|"
    rf"do\s+not(?!\s+(?:{IMPERATIVE_EXCEPT}))|never(?!\s+once)|always|be\s+(?:more|less)|start)\b\s*(?P<b>[^.?!;]*)")
_J_STOP = re.compile(r"\b(?:stop|quit)\s+(?P<b>\w+ing\b[^.?!;]*)")
_J_BLAME = re.compile(
    rf"\bwhy\s+(?:didn'?t|did\s+not|don'?t|do|would|wouldn'?t|can'?t|won'?t|did|on\s+earth|are|were|is\s+it\s+so)"
    rf"\s+{YOU}\b(?:\s+(?:not|always|never|even|keep))?\s*(?P<b>[^.?!;]*)|"
    rf"\bwhy\s+(?:do|does)\s+(?:this|it)\s+keep\b(?P<b2>[^.?!;]*)|"
    rf"\bwhat\s+were\s+{YOU}\s+thinking\b\s*(?P<b3>[^.?!;]*)|\bhow\s+many\s+times\b[^.?!;]*|"
    rf"\bseriously\b|\bare\s+{YOU}\s+(?:kidding|joking|serious)\b|\b{YOU}\s+must\s+be\s+(?:joking|kidding)\b|"
    rf"\bit'?s\s+not\s+(?:that\s+)?(?:hard|difficult|rocket\s+science)\b|\bif\s+{YOU}\s+(?:tried|bothered|cared)\b|"
    rf"\bi'?ve\s+(?:had\s+to\s+)?(?:told|tell)\s+{YOU}\b|\bhad\s+to\s+tell\s+{YOU}\b|\bthe\s+\w+\s+time\s+i'?ve\b|"
    rf"\bas\s+i'?ve\s+said\b|\b{YOU}'?(?:re|\s+are)\s+the\s+reason\b|\bmakes?\s+me\s+wonder\b|"
    rf"\bnobody\s+wants\b|\bno\s+one\s+wants\b|\b(?:always|again)\s+(?:do|doing)\s+this\b|"
    rf"\bthe\s+same\s+with\s+{YOU}\b|\bclearly\s+(?:{YOU}\s+)?(?:don'?t|didn'?t|do\s+not|did\s+not|not|can'?t|"
    rf"haven'?t|weren'?t|aren'?t)\b|\b{YOU}\s+clearly\s+(?:don'?t|didn'?t|do\s+not|can'?t|aren'?t|weren'?t)\b|"
    rf"^obviously\b|\bwhat\s+is\s+wrong\s+with\s+{YOU}\b|\bwhat'?s\s+wrong\s+with\s+{YOU}\b|"
    rf"\bnothing\s+{YOU}\s+(?:said|did)\b|\bshowed\s+{YOU}\s+cared\b|\b{YOU}\s+(?:don'?t|do\s+not)\s+care\b")
_J_VERDICT = re.compile(rf"\b(?P<w>{VERDICTS})")
# "poor" is sympathy when it is about the customer: "the poor woman", "poor thing".
_SYMPATHY = re.compile(r"\bpoor\s+(?:thing|woman|man|guy|lady|customer|caller|soul|lad|girl|kid|person|love)\b")


def _judgemental(s: str) -> Iterator[_Hit]:
    for m in _J_BLAME.finditer(s):
        group = next((g for g in ("b", "b2", "b3") if m.group(g) is not None), None)
        if group is None:
            yield _Hit((m.start(), m.end()), "blame", "", m.group(0))
            continue
        b = _cut(m.group(group))
        yield _Hit((m.start(), m.start(group) + len(b)), "blame", b.strip(), s[m.start():m.start(group)].strip())
    for m in _J_DIRECTIVE.finditer(s):
        head, b = s[m.start():m.start("b")], _cut(m.group("b"))
        rule = "hindsight" if re.search(r"should(?:'ve|\s+have)|shouldn'?t", head) else "directive"
        yield _Hit((m.start(), m.start("b") + len(b)), rule, b.strip(), head.strip())
    m2 = _J_IMPERATIVE.match(s)
    if m2 and not (m2.group("v") in ("always", "never") and re.match(r"\w+ing\b", m2.group("b"))):
        b = _cut(m2.group("b"))
        yield _Hit((m2.start(), m2.start("b") + len(b)), "imperative", b.strip(), m2.group("v"))
    for m in _J_STOP.finditer(s):
        b = _cut(m.group("b"))
        yield _Hit((m.start(), m.start("b") + len(b)), "stop", b.strip(), "stop")
    for m in _J_VERDICT.finditer(s):
        if m.group("w").startswith("poor") and _SYMPATHY.match(s, m.start()):
            continue
        if m.group("w").startswith("lack") and re.search(rf"\b(?:agent|{YOU})\s+$", s[:m.start()]):
            continue                                   # "this agent lacks empathy" is a label, flagged as one
        if re.search(r"\b(?:not|n't|never|wasn'?t|isn'?t)\s+(?:\w+\s+)?$", s[:m.start()]) and \
                not m.group("w").startswith("not"):
            continue
        yield _Hit((m.start(), m.end()), "verdict", "", m.group("w").split()[0])


_ABS = re.compile(r"\b(?P<w>always|never(?:,?\s+ever)?|every\s+(?:single\s+)?time|each\s+time|every\s+single\s+\w+|"
                  r"constantly|continually|all\s+the\s+time|not\s+once|nobody|no\s+one|nothing|everything|"
                  r"every\s+(?:customer|caller|call|sentence|person|one|day|shift|week|question)|"
                  r"(?:do|did)n'?t\s+ever|don'?t\s+ever|totally|completely|entirely|100%)\b")
_NEGATED_ABS = re.compile(r"(?:\bnot|n't|\bnever)\s+(?:\w+\s+){0,1}$|\bnot\s+saying\s+(?:that\s+)?\w+\s+$|"
                          r"\bi\s+don'?t\s+think\s+\w+\s+$|\bisn'?t\s+that\s+\w+\s+$")


def _clause_after(s: str, end: int) -> str:
    """The words after an absolute up to the next break: "always rush the close, thanks" -> "rush the close"."""
    return re.split(r"[.,;:!?—–]|\s-\s|\bbut\b|\bwhich\b|\bso\b", s[end:], maxsplit=1)[0].strip()


def _absolute(s: str) -> Iterator[_Hit]:
    has_negative = re.search(rf"\b(?:{NEGATIVE})\b", s) is not None
    for m in _ABS.finditer(s):
        word = re.sub(r"\s+", " ", m.group("w"))
        before = s[:m.start()]
        after = _clause_after(s, m.end())
        if _NEGATED_ABS.search(before) and not word.startswith(("never", "don", "didn")):
            continue                                   # "not always", "don't always", "not every call"
        if re.search(r"\b(?:not|n't)\s+saying\s+(?:that\s+)?\w+\s+$", before):
            continue                                   # "I'm not saying you never ..."
        if re.match(r"^(?:please\s+|so\s+|just\s+)?$", before) and word in ("always", "never") and \
                not re.match(r"\w+ing\b", after):
            continue                                   # "Always verify the caller": an instruction, not a claim
        if word == "all the time" and re.match(r"(?:she|he|they|the customer|the caller|it|in the world)\b",
                                                after):
            continue                                   # "you gave her all the time she needed"
        if word in ("nothing", "everything") and not has_negative and not re.search(r"\bnothing\s+(?:you|u)\b", s):
            continue                                   # "I have nothing to add"
        if word.startswith("every ") and not word.startswith(("every time", "every single")) and not has_negative:
            continue                                   # "every customer deserves to feel heard"
        if word in ("totally", "completely", "entirely", "100%") and not re.match(rf"(?:{NEGATIVE})\b", after):
            continue                                   # only "totally ignored", "completely missed"
        if re.search(rf"\b{PERSON}\s+$", before):
            continue                                   # "the customer never got an answer": one call, not a habit
        if word.startswith("never") or word == "not once":
            if re.match(rf"(?:once\s+|ever\s+|\w+\s+)?(?:{NEVER_PRAISE})\b", after) or \
                    re.search(r"\bwithout\b", after):
                continue                               # "never fail to", "never once raised your voice"
        elif word in ("always", "constantly", "continually", "all the time", "every time", "each time") or \
                word.startswith("every single"):
            head = " ".join(after.split()[:3])
            positive = re.search(rf"\b(?:{POSITIVE})\b", head or after) is not None
            negative = re.search(rf"\b(?:{NEGATIVE})\b", head or after) is not None
            if positive and not negative:
                continue                               # "you always stay calm": praise, not a generalisation
        yield _Hit((m.start(), m.end()), word, after)


_LABEL = re.compile(
    rf"\b(?:{YOURE}|this\s+agent\s+is|the\s+agent\s+is|(?:you|u)\s+(?:need\s+to\s+)?stop\s+being|(?:you|u)'?re\s+being|"
    rf"(?:you|u)\s+are\s+being)\s+(?P<mod>(?:(?:so|really|such|too|very|just|clearly|kind\s+of|kinda|a\s+bit|quite|"
    rf"always|being|honestly|totally|completely|pretty|extremely|incredibly|actually|basically|often|"
    rf"sometimes)\s+)*)(?P<t>{TRAITS})\b(?P<tail>[^.?!;,]*)|"
    rf"\b(?:{YOU}|this\s+agent|the\s+agent)\s+(?:has|have|ha?ve\s+got)\s+(?:a\s+|an\s+)?(?:real\s+|bad\s+|serious\s+)?"
    rf"(?P<t2>attitude(?:\s+problem)?)\b(?P<tail2>[^.?!;,]*)|"
    rf"\b(?P<t3>(?:your|ur)\s+attitude)\b(?P<tail3>[^.?!;,]*)|"
    rf"\b(?:this|the)\s+agent\s+(?P<t4>lacks\s+\w+|has\s+no\s+\w+|doesn'?t\s+care)(?P<tail4>[^.?!;,]*)|"
    rf"\b{YOU}\s+(?:never\s+|clearly\s+|just\s+|really\s+)?(?:seem\s+to\s+)?(?P<t5>(?:don'?t|do\s+not|never\s+seem\s+to)"
    rf"\s+care|seem\s+to\s+not\s+care)\b(?P<tail5>[^.?!;,]*)|"
    rf"\b{YOU}\s+never\s+seem\s+to\s+(?P<t6>care)\b(?P<tail6>[^.?!;,]*)")
_LABEL_NEGATED = re.compile(
    r"(?:\bnot|n't|\bnever)\s+(?:think|say|saying|said|mean|believe|call(?:ing)?|thinks?|that)\s+(?:that\s+)?"
    r"(?:\w+\s+){0,2}$|\b(?:nobody|no\s+one)\s+(?:thinks|says|is\s+saying)\s+(?:\w+\s+){0,2}$|\bnot\s+because\s+$")


def _label(s: str) -> Iterator[_Hit]:
    for m in _LABEL.finditer(s):
        trait = next(g for g in (m.group("t"), m.group("t2"), m.group("t3"), m.group("t4"), m.group("t5"),
                                 m.group("t6")) if g)
        tail = next((g for g in (m.group("tail"), m.group("tail2"), m.group("tail3"), m.group("tail4"),
                                 m.group("tail5"), m.group("tail6")) if g), "")
        head = s[m.start():m.start() + 30]
        if m.group("t") and re.search(r"\bnot\s+$", m.group("mod") or "") and not trait.startswith("not"):
            continue
        if re.match(rf"{YOURE}\s+not\b", head) and not re.search(r"not (?:a people|cut out|a team|very|empathetic)",
                                                                 head):
            continue                                   # "you're not careless"
        if _LABEL_NEGATED.search(s[:m.start()]):
            continue                                   # "I don't think you're careless"
        if m.group("t3") and not re.search(rf"\b(?:{NEGATIVE}|terrible|awful|stinks|problem|needs|sucks|bad)\b",
                                           tail):
            continue                                   # "your attitude" alone is no label; "...is terrible" is
        yield _Hit((m.start(), m.end() - len(tail)), "label", _clean(tail), _clean(trait))


# ---------------------------------------------------------------------------------------------------------------
# Whole-feedback detectors.

DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
PERSON = r"(?:she|he|they|the\s+customer|the\s+caller|the\s+client|the\s+member|the\s+guy|the\s+man|the\s+woman|" \
         r"the\s+lady|mr\.?\s+\w+|mrs\.?\s+\w+|ms\.?\s+\w+|miss\s+\w+)"
_MOMENT = re.compile(
    rf"\b\d{{1,2}}[:.]\d{{2}}\b|\b\d{{1,2}}\s?(?:am|pm)\b|\bat\s+\d{{1,2}}\s+(?:this|that|in\s+the)\b|"
    rf"\bturns?\s+\d+\b|\b(?:first|last|final|opening|closing)\s+(?:\d+\s+|few\s+|two\s+|three\s+)?(?:minutes?|seconds?)\b|"
    rf"\b(?:{DAYS})(?:'s)?\b|\byesterday\b|\b(?:this|that|yesterday)\s+(?:morning|afternoon|evening)\b|"
    rf"\blast\s+night\b|"
    rf"\b(?:when|after|before|as|while|once|until)\s+{PERSON}\s+(?:\w+\s+){{0,2}}?(?:said|told|asked|mentioned|"
    rf"explained|was|were|got|went|raised|started|threatened|swore|called|shouted|hung|cried|sighed|paused|"
    rf"laughed|complained|interrupted|repeated|needed|wanted|'d|had|did|didn'?t|couldn'?t|wasn'?t|gave|"
    rf"brought|said|became|began|stopped|lost)\b|"
    rf"\b{PERSON}\s+(?:\w+\s+)?(?:said|told|asked|mentioned|explained|was\s+(?:crying|shouting|upset|angry|"
    rf"confused|worried|scared|struggling)|got\s+(?:upset|angry|louder|quiet)|went\s+(?:quiet|silent)|hung\s+up|"
    rf"started|threatened|swore|had\s+to|cried|sighed|interrupted)\b|"
    rf"\bwhat\s+(?:she|he|they|the\s+customer|the\s+caller)\s+(?:said|told|asked|mentioned)\b|"
    rf"\b(?:the|that|this)\s+(?:\w+\s+){{0,1}}(?:customer|caller|guy|man|woman|lady|gentleman|member|client|"
    rf"widow|pensioner|student|son|daughter)\s+(?:who|whose|with\s+the|at\s+\d)\b|"
    rf"\b(?:the|that|this)\s+(?:[\w'-]+\s+){{0,4}}?call\b(?!s|back|er|ing)|\bcall\s+(?:with|from|about)\s+\w+|"
    rf"\bhad\s+a\s+(?:\w+\s+)?call\b|"
    rf"\b(?:the|that|this)\s+(?:[\w'-]+\s+)?(?:hold|transfer|escalation|complaint|outage|moment|recap|greeting|"
    rf"opening|close|closing|disclosure|verification|silence|pause)\b(?!\s+(?:rules|etiquette|times|policy|process))|"
    rf"\b(?:start|end|beginning|middle|close|top)\s+of\s+(?:the|that|this)\s+call\b|"
    rf"\bon\s+(?:the|that)\s+(?:\w+\s+)?(?:queue|shift)\b")
# A sentence about a habit ("you don't always ... before ending the call") names no moment even if it says "the call".
_HABIT = re.compile(r"\b(?:always|never|usually|often|every\s+time|each\s+time|whenever|tend\s+to|constantly|"
                    r"normally|generally|typically|need\s+to|needs\s+to|have\s+to|has\s+to|must|"
                    r"should(?!\s+be\s+(?:proud|pleased|happy|glad))|"
                    r"make\s+sure)\b")
_SPOKE = re.compile(r"\b(?:said|told|asked|replied|answered|went|wrote|say(?:ing)?\s+to\s+(?:her|him|them))\s*"
                    r"(?:\w+\s+){0,3}$")


def _moments(low: str, masked: str, quotes: list[Span], sentences: list[Span]) -> list[Span]:
    found: list[Span] = []
    for a, b in sentences:
        s = masked[a:b]
        habit = _HABIT.search(s) is not None
        for m in _MOMENT.finditer(s):
            if habit and not re.search(r"\d", m.group(0)):
                continue
            found.append((a + m.start(), a + m.end()))
    for qa, qb in quotes:
        if _SPOKE.search(low[max(0, qa - 40):qa - 1]):
            found.append((qa - 1, qb + 1))
    return found


RECOGNITION = re.compile(
    r"\b(?:thanks|thank\s+(?:you|u)|thankyou|thx|ty|cheers\s+for|well\s+done|nice\s+(?:one|work|job|and)|"
    r"(?:good|great|excellent|brilliant|fantastic|amazing|lovely|solid|strong)\s+(?:job|work|effort|call|recovery|"
    r"questions?|catch|stuff|practice|spot|save|instinct|energy|start|opening|listening)|"
    r"i\s+(?:really\s+)?(?:liked|like|love|loved|appreciated?|enjoyed|admire)|loved\b|"
    r"(?:really\s+|so\s+)?proud|impress\w*|spot\s+on|(?:really|that)\s+helped|exactly\s+right|real\s+skill|"
    r"strength|a\s+gift|above\s+and\s+beyond|takes\s+(?:real\s+)?effort|working\s+(?:so\s+)?hard|"
    r"i\s+can\s+tell\s+(?:you|u)\s+care|i\s+know\s+(?:you|u)\s+were\s+trying|improve(?:d|ment)|that'?s\s+your\s+work|"
    r"(?:you|u)\s+really\s+listened|keep\s+(?:it\s+up|it|going|doing\s+that)\b|a\s+natural|kindest|most\s+patient|"
    r"(?:came|comes)\s+through|gave\s+(?:her|him|them)\s+(?:room|time|all\s+the\s+time|space)|"
    r"(?:handled|managed|did|went)\s+(?:\w+\s+){0,4}?(?:really\s+|so\s+|very\s+)?(?:well|great|brilliantly|"
    r"nicely|beautifully|better)|(?:you|u)\s+(?:did|doing)\s+(?:great|fine|well|good|brilliantly|amazing)|"
    r"(?:you|u)\s+(?:were|are|was|are\s+usually|'re\s+usually|re\s+usually)\s+(?:so\s+|really\s+|very\s+)?"
    r"(?:kind|patient|great|amazing|brilliant|calm|warm|clear|lovely|fantastic|excellent|polite|steady)|"
    r"(?:you|u)\s+(?:stayed|kept|remained)\s+(?:your\s+|so\s+|really\s+|very\s+)?(?:calm|polite|factual|steady|"
    r"level|patient|with|tone|voice|cool|focused|professional|kind)|"
    r"(?:was|were|is|are|sounded|felt)\s+(?:really\s+|so\s+|very\s+|nice\s+and\s+)?(?:clear|thorough|perfect|"
    r"lovely|kind|excellent|great|warm|solid|brilliant|spot\s+on|obvious)\b|"
    r"i\s+(?:could\s+)?(?:hear|heard)\s+(?:you|u)\s+(?:smil\w*|car\w*)|i\s+(?:thought|think)\s+(?:you|u)\s+were\s+"
    r"(?:patient|great|kind|calm|clear|brilliant)|i\s+(?:thought|think)\s+your\s+\w+(?:\s+\w+){0,5}\s+(?:was|were)\s+"
    r"(?:really\s+)?(?:clear|great|good|excellent)|(?:your|ur)\s+(?:warmth|patience|calm|energy|kindness|effort)\b|"
    r"(?:always|never\s+fail\s+to)\s+(?:\w+\s+){0,3}(?:calm|warm|friendly|great|quick\s+to\s+help|help|first|laugh)|"
    r"(?:you|u)\s+(?:went|go)\s+the\s+extra\s+mile|(?:you|u)\s+named\s+(?:his|her|their)|"
    r"(?:you|u)\s+(?:acknowledged|listened|reassured|apologised|apologized)\b(?!\s+\w+\s+times)|"
    r"good\s+(?:to|on)\s+(?:you|u)|kudos|(?:love|loving)\s+(?:the|that|how)|shout-?out|"
    r"(?:that|this)\s+was\s+(?:so\s+|really\s+)?(?:kind|right|great|brilliant|lovely|good)|"
    r"(?:great|good)\s+(?:to\s+hear|to\s+see|at)\b|you\s+did\s+well|u\s+did\s+well|well\s+handled|"
    r"(?:never|didn'?t)\s+(?:once\s+)?(?:lose|lost|raise|raised)\s+your|never\s+miss|made\s+(?:a\s+|the\s+|real\s+)?"
    r"(?:real\s+)?difference|saved\s+(?:the\s+team|us|her|him)|i\s+(?:noticed|saw|heard)\s+(?:you|u)\s+(?!"
    r"(?:didn|did\s+not|interrupt|miss|forgot|rush|talk|skip|sigh|put\s+her\s+on\s+hold|hung|were\s+rush))\w+)")
# Praise undone: "could be great if you tried", "not good enough", "wasn't your best".
_NOT_PRAISE = re.compile(r"(?:\bnot|n't|\bnever|\bcould\s+be|\bwould\s+be|\bif\s+only)\s+(?:\w+\s+){0,1}$")


def _recognition(masked: str, sentences: list[Span]) -> list[Span]:
    found: list[Span] = []
    for a, b in sentences:
        s = masked[a:b]
        if re.search(r"\bif\s+(?:you|u)\s+(?:tried|bothered|cared)\b", s):
            continue
        for m in RECOGNITION.finditer(s):
            if _NOT_PRAISE.search(s[:m.start()]):
                continue
            found.append((a + m.start(), a + m.end()))
    return found


_Q_OPEN = re.compile(
    r"^(?:and\s+|so\s+|but\s+|ok\s+|okay\s+|next\s+time,?\s+|honestly,?\s+|also,?\s+)?"
    r"(?:what|how|which|when|where|who|is|are|was|were|did|do|does|would|could|can|could|might|have|has|had|anything|"
    r"any\s+thoughts|thoughts|tell\s+me|talk\s+me\s+through|walk\s+me\s+through|i\s+wonder|i'?d\s+love\s+to\s+hear|"
    r"i'?d\s+like\s+to\s+hear|i'?m\s+curious|curious|let\s+me\s+know|help\s+me\s+understand)\b")
_Q_INVITE = re.compile(
    r"\b(?:i\s+wonder|i'?d\s+(?:love|like)\s+to\s+(?:hear|know|understand)|i'?m\s+curious|help\s+me\s+understand|"
    r"tell\s+me\s+(?:how|what|about|more)|talk\s+me\s+through|walk\s+me\s+through|let\s+me\s+know\s+(?:how|what)|"
    r"what\s+(?:do|did|would|might|could|was|were|made|helped|happened|stayed|changed|part|one|gets|got|'?s|is)\b|"
    r"how\s+(?:do|did|does|was|were|are|is|would|could|can|might)\b)")
# Questions that accuse or instruct rather than ask for the agent's view.
_Q_NOT_INVITING = re.compile(
    rf"\bwhy\s+(?:didn'?t|did\s+not|don'?t|do|does|would|wouldn'?t|can'?t|won'?t|did|on\s+earth|are|were|is\s+it)\b|"
    rf"\bwhat\s+were\s+{YOU}\s+thinking\b|\bhow\s+many\s+times\b|\bseriously\b|\bare\s+{YOU}\s+(?:kidding|joking)\b|"
    rf"^(?:please\s+)?(?:can|could|would|will)\s+{YOU}\s+(?:please\s+)?(?:make\s+sure|remember|ensure|try\s+to|"
    rf"stop|not|just|start|be\s+more|do\s+better|fix)\b|\bwhat\s+is\s+wrong\s+with\b|\bwhat'?s\s+wrong\s+with\b|"
    rf"\bdo\s+{YOU}\s+(?:even|ever)\b|\bhave\s+{YOU}\s+(?:even|ever)\b|\bdo\s+{YOU}\s+understand\b")


# Sentences that invite without a question form: "I'd love to hear how the call felt from your side."
_Q_ASKING = re.compile(r"\b(?:i\s+wonder|i'?d\s+(?:love|like)\s+to|i'?m\s+curious|help\s+me\s+understand|"
                       r"tell\s+me|talk\s+me|walk\s+me|let\s+me\s+know)\b")


def _questions(masked: str, sentences: list[Span]) -> list[Span]:
    found: list[Span] = []
    for a, b in sentences:
        s = masked[a:b].strip()
        if _Q_NOT_INVITING.search(s):
            continue
        asks = s.endswith("?") or (_Q_OPEN.match(s) is not None and _Q_INVITE.search(s) is not None)
        invites = _Q_INVITE.search(s) is not None and _Q_ASKING.search(s) is not None
        if asks or invites:
            found.append((a, b))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Rewrites: built from the feedback's own words.

TOPICS: tuple[tuple[str, str], ...] = (
    (r"acknowledg\w*", "acknowledging the customer"), (r"interrupt\w*|talk\w* over", "letting the customer finish"),
    (r"\bhold\b", "the hold"), (r"notes?\b|after-call|wrap-?up", "the wrap-up"), (r"script\w*", "the script"),
    (r"greeting|opening", "the greeting"), (r"disclosure", "the disclosure"), (r"verif\w*", "the verification"),
    (r"empath\w*", "showing empathy"), (r"\bname\b", "using the customer's name"), (r"transfer\w*", "the transfer"),
    (r"callback|call back|calling \w+ back", "the callback"), (r"refund", "the refund"), (r"\bfee\b", "the fee"),
    (r"listen\w*", "listening"), (r"apolog\w*", "apologising"), (r"recap", "the recap"),
    (r"\bclose\b|closing", "the close"), (r"tone|voice", "your tone"), (r"pace|rush\w*|slow|fast", "the pace"),
    (r"process|procedure|policy", "the process"), (r"payment plan", "the payment plan"),
)


def _topic(text: str) -> str:
    for pattern, phrase in TOPICS:
        if re.search(pattern, text):
            return phrase
    return "that call"


def _gerund(phrase: str) -> str:
    """'acknowledge customers' -> 'acknowledging customers' (the first word only; good enough for suggestions)."""
    words = phrase.split(" ", 1)
    if not words or not words[0]:
        return phrase
    w = words[0]
    irregular = {"be": "being", "put": "putting", "get": "getting", "stop": "stopping", "let": "letting",
                 "run": "running", "sit": "sitting", "cut": "cutting", "see": "seeing", "lie": "lying",
                 "die": "dying", "forget": "forgetting", "plan": "planning", "chat": "chatting"}
    if w.endswith("ing"):
        g = w
    elif w in irregular:
        g = irregular[w]
    elif w.endswith("ie"):
        g = w[:-2] + "ying"
    elif w.endswith("e") and not w.endswith(("ee", "ye", "oe")):
        g = w[:-1] + "ing"
    else:
        g = w + "ing"
    return " ".join([g, *words[1:]])


def _base(phrase: str) -> str:
    """'talk over customers' from 'talks over customers'; 's' forms only, tense is left alone."""
    words = phrase.split(" ", 1)
    w = words[0] if words else ""
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("ses", "shes", "ches", "xes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    return " ".join([w, *words[1:]]) if words else phrase


BREAK = re.compile(r"[,:—–]|\s-\s|\b(?:but|because|cause|though|which|and\s+it|it\s+makes|its|it'?s)\b")


def _cut(phrase: str) -> str:
    """A phrase up to its first break: "apologise so much, it makes you sound weak" -> "apologise so much"."""
    return BREAK.split(phrase, maxsplit=1)[0].rstrip()


def _behaviour(phrase: str) -> str:
    """The behaviour a directive or absolute is about, cut at the first break and cleaned for quoting back."""
    return _clean(_cut(phrase))


def _suggest_absolute(hit: _Hit, sentence: str, original: str) -> tuple[str, ...]:
    word = hit.rule
    b = _behaviour(hit.behaviour)
    b = re.sub(r"^(?:once|ever)\s+", "", b)
    you_before = re.search(rf"\b{YOU}\s+(?:\w+\s+)?$", sentence[:hit.span[0]])
    youre_before = re.search(r"\b(?:you'?re|you\s+are|u\s+r|ur|youre)\s+$", sentence[:hit.span[0]])
    without = _clean(original[:hit.span[0]] + original[hit.span[1]:])
    without = re.sub(r"\s+", " ", without)
    without = re.sub(r"\b(is|are|'s)\b", lambda m: "were" if m.group(1) == "are" else "was", without, count=1)
    if youre_before and b:
        return (f"\"On [which call or day] you were {b} — what was going on for you then?\"",
                f"\"On [k] of the last [n] shifts you were {b}. Does that match how it looks from your side?\"",
                f"Say how often, not \"{word}\": \"A couple of times this week you were {b} — what would help?\"")
    if you_before and b and word.startswith(("never", "not once")):
        return (f"\"On the call at [time], when the customer said '[their words]', I didn't hear you {b} — what did "
                f"you notice there? What might you say next time?\"",
                f"\"On [k] of the [n] calls I listened to, I didn't hear you {b}. Which calls make that hardest?\"",
                f"\"What helps you {b} on the calls where it goes well?\"")
    if you_before and b:
        base = _base(b)
        return (f"\"On the call at [time] I heard you {base} — what was happening for you at that point?\"",
                f"\"On [k] of the [n] calls I listened to, I heard you {base}. Does that match how it feels from "
                f"your side?\"",
                f"\"When do you find yourself {_gerund(base)}? What might you try instead next time?\"")
    return (f"Drop \"{word}\" and name the call: \"{without} on the call at [time] — what was happening for you "
            f"there?\"",
            "Say how often you actually saw it (\"on [k] of the [n] calls I listened to\"): it is fair and the agent "
            "can check it.",
            f"Ask rather than sum up: \"Which calls does {_topic(sentence)} feel hardest on, from your side?\"")


def _suggest_judgemental(hit: _Hit, sentence: str, original: str) -> tuple[str, ...]:
    b = _behaviour(hit.behaviour)
    b = re.sub(r"^(?:to|ever|always|never)\s+", "", b)
    topic = _topic(sentence)
    if hit.rule == "hindsight" and b:
        return (f"\"Looking back, would you have {b} if you could replay it? What was happening for you at that "
                f"point?\"",
                f"\"What did you weigh up at that moment? I wonder what would have changed if you had {b}.\"",
                "\"On the call at [time], what options did you see? Let's listen back to that moment together.\"")
    if hit.rule == "blame":
        if b and re.match(r"why\s+(?:didn|did\s+not|don|wouldn|can|won)", hit.extra):
            return (f"\"What was happening for you at that point? I'm curious what you weighed up about whether to "
                    f"{_base(b)}.\"",
                    f"\"What made {_gerund(_base(b))} feel like the wrong move then? What might you try next time?\"",
                    "\"That call sounded tense — what was happening for you there?\"")
        if b and hit.extra.startswith("what were"):
            return (f"\"Talk me through what was going on for you before {b}.\"",
                    f"\"What did you hope {b} would do for the customer? What else might have worked?\"",
                    "\"That call sounded tense — what was happening for you there?\"")
        if b and re.match(r"why\s+(?:do|does)\b", hit.extra):
            return (f"\"What tends to be happening for you on the calls where you {_base(b)}?\"",
                    f"\"What do you notice just before you find yourself {_gerund(_base(b))}?\"",
                    "\"That call sounded tense — what was happening for you there?\"")
        if b and hit.extra.startswith("why"):
            return (f"\"What were you hoping would happen when you chose to {_base(b)}?\"",
                    "\"What did you know about the customer's situation at that point?\"",
                    "\"That call sounded tense — what was happening for you there?\"")
        return (f"Say what you saw and ask, instead of \"{_clean(hit.extra)}\": \"On the call at [time], "
                f"[what happened with {topic}] — what was happening for you there?\"",
                f"\"I know {topic} has come up before. What's getting in the way, from your side?\"",
                f"\"What would help you with {topic}? Let's pick one call and listen back together.\"")
    if hit.rule in ("directive", "imperative", "stop") and b:
        g = _gerund(_base(b)) if hit.rule != "stop" else b
        if hit.extra.startswith(("stop", "quit", "don", "do not", "never")) or hit.rule == "stop":
            return (f"\"What do you notice just before you find yourself {g}?\"",
                    f"\"On the call at [time] I heard you {g} — what was happening for you there? What could you try "
                    f"instead?\"",
                    f"\"If you weren't {g}, what would you want to do in that moment?\"")
        return (f"\"What might help you {_base(b)}? I'd love to hear what gets in the way on the calls where it's "
                f"hard.\"",
                f"\"On the call at [time], what would {g} have looked like? What might you try next time?\"",
                f"\"Would you be up for trying to {_base(b)} on your next few calls? We can listen back together.\"")
    subject = _clean(original[:hit.span[0]])
    subject = re.sub(r"^(?:honestly|seriously|frankly|sorry|but|and|so)[, ]+", "", subject, flags=re.I)
    subject = re.sub(r"\s+(?:is|are|was|were|'s|seems?|looks?)(?:\s+\w+ly)?$", "", subject)
    if not subject or subject.lower() in ("this", "that", "it", "this is", "that was", "another", "this was"):
        subject = "that call"
    return (f"Describe instead of \"{hit.extra}\": \"On the call at [time], [what you saw or heard in "
            f"{subject[0].lower() + subject[1:]}] — what was happening for you there?\"",
            "\"That call sounded tense — what was happening for you there?\"",
            f"\"What would a great version of {topic} look like to you? Let's pick one moment and listen together.\"")


def _suggest_label(hit: _Hit, sentence: str) -> tuple[str, ...]:
    trait = hit.extra
    behaviour = next((v for k, v in TRAIT_BEHAVIOUR.items() if k in trait), "[what happened]")
    tail = hit.behaviour
    about = re.sub(r"^(?:with|on|about|in|at)\s+", "", tail) if tail else ""
    topic = about or _topic(sentence)
    where = f" {tail}" if tail else ""
    bare = re.sub(r"^(?:a|an)\s+", "", trait)
    return (f"Describe the behaviour, not the person: \"On the call at [time], {behaviour}{where} — what was "
            f"happening for you there?\"",
            f"\"I don't think you're {bare} — I think something got in the way. What "
            f"made {topic} hard{'' if topic == 'that call' else ' on that call'}?\"",
            f"\"What would help you with {topic} on your next few calls? Let's pick one and listen back together.\"")


def _suggest_moment(topic: str) -> tuple[str, ...]:
    return (f"Point to one moment for {topic}: \"On the call at [time], when the customer said '[their words]' — "
            f"what did you notice there?\"",
            f"Give the call and the minute where {topic} came up (\"the billing call at 2:10\"), so the agent can "
            f"listen back to it.",
            "Quote the customer's words from that moment, so you are both talking about the same thing.")


def _suggest_recognition(topic: str) -> tuple[str, ...]:
    return ("Start with one thing that went well: \"I noticed you [what they did well] on that call — thank you for "
            "that.\"",
            f"Recognise the effort: \"I can hear the work you're putting into {topic} — thank you.\"",
            "\"That call sounded like hard work — well done for staying with it.\"")


def _suggest_question(topic: str) -> tuple[str, ...]:
    return ("End with a question that asks for their view: \"What was happening for you there?\"",
            f"\"What would help you with {topic} next time?\"",
            "\"How did that call feel from your side?\"")


# ---------------------------------------------------------------------------------------------------------------

def check(text: str, *, moment_hint: bool = False) -> FeedbackReport:
    """Flags in one piece of written feedback, each with its spans, why, and suggested rewrites.

    `moment_hint=True` says the feedback is already attached to a moment (a comment on a turn or a timestamp),
    so it is not flagged for naming none.
    """
    if not text.strip():
        return FeedbackReport(text)
    low = _normalise(text)
    quotes = _quotes(low)
    masked = _masked(low, quotes)
    sentences = split(masked)
    flags: list[Flag] = []
    for a, b in sentences:
        s, original = masked[a:b], text[a:b]
        found: tuple[tuple[Kind, list[_Hit]], ...] = (
            ("judgemental", _dedupe(_judgemental(s))), ("absolute", _dedupe(_absolute(s))),
            ("label_not_behaviour", _dedupe(_label(s))))
        for kind, hits in found:
            if not hits:
                continue
            spans = tuple((a + h.span[0], a + h.span[1]) for h in hits)
            quote = ", ".join(f"\"{text[x:y].strip()}\"" for x, y in spans)
            if kind == "judgemental":
                suggestions = _suggest_judgemental(hits[0], s, original)
            elif kind == "absolute":
                suggestions = _suggest_absolute(hits[0], s, original)
            else:
                suggestions = _suggest_label(hits[0], s)
            flags.append(Flag(kind, spans, WHY[kind].format(quote=quote), suggestions))
    whole = _whole_span(text)
    topic = _topic(masked)
    if not moment_hint and not _moments(low, masked, quotes, sentences):
        flags.append(Flag("no_specific_moment", (whole,), WHY["no_specific_moment"], _suggest_moment(topic)))
    if not _recognition(masked, sentences):
        flags.append(Flag("no_recognition", (whole,), WHY["no_recognition"], _suggest_recognition(topic)))
    if not _questions(masked, sentences):
        flags.append(Flag("no_question", (whole,), WHY["no_question"], _suggest_question(topic)))
    return FeedbackReport(text, tuple(flags))


def _dedupe(hits: Iterable[_Hit]) -> list[_Hit]:
    """Hits in order of position, dropping any that overlaps an earlier one."""
    kept: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.span[0], -h.span[1])):
        if any(h.span[0] < k.span[1] and k.span[0] < h.span[1] for k in kept):
            continue
        kept.append(h)
    return kept


def _whole_span(text: str) -> Span:
    start = len(text) - len(text.lstrip())
    return (start, len(text.rstrip()))


# ---------------------------------------------------------------------------------------------------------------
# Measuring the checker against a labelled set.

@dataclass(frozen=True)
class Scores:
    """Precision and recall of the checker per flag kind and overall (micro-averaged over kinds)."""

    items: int
    counts: dict[str, tuple[int, int, int]]       # kind -> (true positives, false positives, false negatives)

    def precision(self, kind: str | None = None) -> float:
        tp, fp, _ = self._total(kind)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kind: str | None = None) -> float:
        tp, _, fn = self._total(kind)
        return tp / (tp + fn) if tp + fn else 1.0

    def _total(self, kind: str | None) -> tuple[int, int, int]:
        if kind is not None:
            return self.counts[kind]
        return (sum(c[0] for c in self.counts.values()), sum(c[1] for c in self.counts.values()),
                sum(c[2] for c in self.counts.values()))

    def to_dict(self) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for kind in (*self.counts, None):
            tp, fp, fn = self._total(kind)
            rows[kind or "overall"] = {"precision": round(self.precision(kind), 3),
                                       "recall": round(self.recall(kind), 3), "tp": tp, "fp": fp, "fn": fn}
        return {"items": self.items, "kinds": rows}


def load_labelled(path: str | Path) -> list[tuple[str, set[str]]]:
    """The labelled feedback set: one JSON object a line with `text` and `flags` (the kinds a careful coach gives)."""
    rows: list[tuple[str, set[str]]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        unknown = set(item["flags"]) - set(KINDS)
        if unknown:
            raise ValueError(f"{path}, line {number}: unknown flag kind(s) {sorted(unknown)}; "
                             f"the kinds are {', '.join(KINDS)}")
        rows.append((item["text"], set(item["flags"])))
    return rows


def measure(rows: Iterable[tuple[str, set[str]]]) -> Scores:
    """Precision and recall of `check` against labelled feedback, per kind and overall."""
    counts = {kind: [0, 0, 0] for kind in KINDS}
    n = 0
    for text, gold in rows:
        n += 1
        found = check(text).kinds
        for kind in KINDS:
            if kind in found and kind in gold:
                counts[kind][0] += 1
            elif kind in found:
                counts[kind][1] += 1
            elif kind in gold:
                counts[kind][2] += 1
    return Scores(n, {k: (c[0], c[1], c[2]) for k, c in counts.items()})
