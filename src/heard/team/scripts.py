"""Scripts and knowledge articles through a human lens: what an agent would say that a customer hears badly.

`check_text(text)` and `check_file(path)` read a script or knowledge article (Markdown, plain text or HTML) and
return a `Report`: one `Finding` per problem sentence, each with the file, the line, the kind, the words it rests
on, why it matters and a suggestion in plain words, and a summary (Flesch reading ease with a plain label, counts
per kind). Five kinds:

- ``canned_empathy``: a line that fits any call and ignores what the customer said ("I understand your
  frustration"): heard's robotic-empathy list (heard/empathy/behaviours.yaml, ``robotic.generic_phrases``, the
  same list the call detector and the overuse index read) plus a few lines only scripts use ("your call is
  important to us"). A bare "I understand" or "I apologise" counts only on its own, not "I understand why...".
- ``jargon``: internal or technical words a customer would not know: a built-in list (``JARGON``, with the
  lexicon's next-steps jargon) and any all-caps acronym not explained in the same sentence or earlier in the
  file ("service level agreement (SLA)"). Everyday acronyms (PIN, ID, SMS...) are not jargon; `jargon=` and
  `allow=` extend both lists.
- ``no_why``: a request or an instruction to the customer ("Can I have your date of birth?", "Please restart
  the router.") with no reason in that sentence or the one before or after it. A reason is what the explain_why
  behaviour's patterns find (the annotation guide: "in any wording"), or a purpose ("so I can", "to make sure").
- ``rigid_no``: a refusal ("We cannot refund this.") with nothing the customer can do instead in that sentence
  or the next two ("what I can do is...", "instead", "you can also...").
- ``hard_to_read``: a sentence with a Flesch reading ease below 30 (six words or more), or longer than 30 words.

Everything is word lists and regular expressions, so every finding can be explained; nothing leaves the
machine. Line numbers are the source file's: Markdown and text are read line by line (a paragraph's sentence
is on the line it starts), HTML with the standard library's parser, which knows where each piece of text is.
Lines spoken by the customer ("Customer: ...") and code blocks are not checked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from heard.empathy.lexicon import Lexicon, pattern_hit
from heard.empathy.lexicon import load as load_lexicon
from heard.errors import HeardError
from heard.text.sentences import END

__all__ = ["JARGON", "KINDS", "WHY", "Finding", "Report", "ScriptError", "Sentence", "check_bytes", "check_file",
           "check_text", "reading_label"]

Kind = Literal["canned_empathy", "jargon", "no_why", "rigid_no", "hard_to_read"]
KINDS: tuple[Kind, ...] = ("canned_empathy", "jargon", "no_why", "rigid_no", "hard_to_read")
Format = Literal["markdown", "text", "html"]
SUFFIXES: dict[str, Format] = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text",
                               ".html": "html", ".htm": "html"}

HARD_EASE = 30.0          # Flesch reading ease below this is "very hard" (graduate level)
HARD_MIN_WORDS = 6        # shorter sentences give Flesch scores too noisy to judge
LONG_WORDS = 30           # a sentence longer than this is hard to follow when spoken, whatever its words

WHY: dict[Kind, str] = {
    "canned_empathy": "It fits any call, so customers hear it as a script rather than as someone listening.",
    "jargon": "It is an internal word: a customer may not know it and may not ask.",
    "no_why": "It asks the customer to do something without saying why, which can feel like a runaround.",
    "rigid_no": "It says no and stops there, so the customer is left with nowhere to go.",
    "hard_to_read": "It is hard to follow when read aloud: long sentences and long words lose people.",
}

# --- canned empathy ---------------------------------------------------------------------------------------------
# Lines only scripts tend to have, beside the lexicon's generic phrases (which calls have too).
SCRIPTED = [r"\bwe (?:truly |really |do )?value your (?:business|custom|loyalty|patience)\b",
            r"\byour (?:call|business|custom) is (?:very |really )?important to us\b",
            r"\bwe (?:sincerely )?regret any inconvenience\b",
            r"\bi (?:completely |totally |fully )?understand how you feel\b",
            r"\bwe apologi[sz]e for any inconvenience\b"]
BARE = re.compile(r"^i (?:do )?(?:understand|apologi[sz]e)$", re.I)   # canned only when nothing follows it

# --- jargon -----------------------------------------------------------------------------------------------------
# term -> plain words to say instead ("" when the word should not reach a customer at all).
JARGON: dict[str, str] = {
    "BAU": "as usual", "SLA": "the time we promise to reply in", "escalation matrix": "who looks at it next",
    "provisioning": "setting up your service", "T&Cs": "the terms and conditions",
    "Ts&Cs": "the terms and conditions", "ticket ID": "reference number", "ticket number": "reference number",
    "tier 1": "our first team", "tier 2": "our specialist team", "tier 3": "our specialist team",
    "backend": "our systems", "back end": "our systems", "back office": "the team behind the scenes",
    "TTR": "how long the fix takes", "KYC": "checking it's really you", "AHT": "",
    "CRM": "our records", "RMA": "returns number", "disposition": "", "wrap code": "",
    "fulfilment": "sending your order", "remediation": "putting it right", "workaround": "another way to do it",
    "chargeback": "asking your bank to reverse the payment", "pro rata": "for the days you had it",
}
# All-caps words customers know, or words written in capitals for emphasis.
EVERYDAY = frozenset(
    "OK PIN ID UK US USA EU TV PC SMS FAQ FAQS PDF URL ATM VAT GP NHS ASAP DIY CEO IT SIM USB DVD HD GB MB TB "
    "AM PM BST GMT UTC WIFI 4G 5G 3G MOT IBAN BIC QR CV APP AI ETA PS NB DM".split())
EMPHASIS = frozenset(
    "A I NO NOT DO DON'T MUST NEVER ALWAYS ONLY NOTE ALL ANY YOU YOUR THE AND OR IF IS ARE WILL CAN STOP SAY ASK "
    "TIP NEW FREE NOW YES WHY HOW WHAT WHEN WHO BUT END TOP KEY OUR WE US OFF ON OUT UP FOR TO OF IN AT BY".split())
ACRONYM = re.compile(r"(?<![\w&])[A-Z][A-Z0-9&]{1,5}s?(?![\w&])")
EXPLAINED_AFTER = r"\s*(?:\(\s*[A-Za-z][^)]*\s[^)]*\)|,?\s+(?:means|stands for|is short for|is an? |is the )|\s+-\s)"

# --- no why -----------------------------------------------------------------------------------------------------
# A request or an instruction to the customer. The coaching plans' "asked for something without saying why"
# (heard.coaching.plans.ASKED_FOR) is the first shape; scripts add the rest.
DETAIL = r"(?:your |the |a |an )?([a-z][a-z '-]{1,30}?)"
REQUEST = re.compile(
    r"\b(?:can|could|may) i (?:please )?(?:have|take|get|grab|ask for|confirm|check)" + fr" {DETAIL}"
    r"(?: please| first| from you| now)?\s*[?.!]?\s*$"
    r"|\bwhat(?:'s| is) your ([a-z][a-z ]{1,30}?)\s*[?.]"
    r"|\b(?:can|could|would|will) you (?:please |just |kindly )?(?!tell me|describe|walk me|explain|let me know"
    r"|hold on)(?:send|provide|confirm|give|read|spell|restart|reboot|unplug|switch|turn|try|upload|fill|complete"
    r"|sign|return|post|bring|call|email|take|check|update|reset|enter|type|press|click|tap|log|visit|go|wait"
    r"|forward|photograph|scan|print|pay|make)\b"
    r"|\b(?:i|we)(?:'ll| will)? need (?:you to|your|a copy|proof|to see|to take|to have)\b"
    r"|\byou(?:'ll| will)? (?:need|have) to\b|\byou (?:must|are required to|should)\b"
    r"|\b(?:it is|it's) (?:mandatory|required|necessary) (?:that|to|for you)\b"
    r"|\bask (?:the )?(?:customer|caller|member|them|him|her) (?:for|to)\b"
    r"|^please (?!hold\b|bear with|let me know|feel free|accept|don't worry|do not worry)\w+", re.I)
# Instructions: a verb the customer does, first in the sentence ("Unplug the router.").
CUSTOMER_VERB = re.compile(
    r"^(?:please |now |then |next,? |first,? )?(?:restart|reboot|unplug|plug|press|hold down|tap|upload|fill in|"
    r"fill out|sign|post|photograph|scan|wait|power (?:off|on|cycle)|switch (?:off|on)|turn (?:off|on)|"
    r"send|provide|complete|return|bring|visit|go to|log (?:in|on|out)|reset|update|install|enter|type|click|"
    r"forward|email|call|pay|print|keep|remove|insert|disconnect|reconnect|download)\b", re.I)
# A reason or purpose, beside the explain_why behaviour's own patterns.
PURPOSE = re.compile(
    r"\b(?:so (?:that |i |we |you |it |they |the |your |nobody|no one)|in order to|this (?:helps|lets|means|makes sure"
    r"|way|keeps|stops|protects|ensures|is (?:how|so|to|what))|that(?:'s| is) how|that way|otherwise|for your "
    r"(?:security|safety|protection)|for security|(?<!need )(?<!have )(?<!has )(?<!want )(?<!going )(?<!able )"
    r"(?<!like )(?<!you )(?<!them )(?<!asked )(?<!required )to (?:make sure|check|find|confirm|protect|keep|help"
    r"|see|stop|avoid|get|speed up|let|fix|clear|refresh|reset|prove|show|match|verify|process|send|pay|start|finish|"
    r"know|trace|track)|while i|since|as (?:it|this|that|we|the|your|otherwise)\b|why we|we ask (?:this|for)|"
    r"if (?:it|the|that|this|you)\b)", re.I)
ASK_WHY: list[tuple[re.Pattern[str], str]] = [   # what the thing asked for is usually needed for
    (re.compile(r"birth|security|password|memorable|passcode|pin\b|identity|mother", re.I),
     "so I know I'm speaking to the account holder and can keep your account safe"),
    (re.compile(r"account|reference|order|postcode|post code|address|name|email|number|phone", re.I),
     "so I can find your account"),
    (re.compile(r"restart|reboot|unplug|power|switch|turn (?:off|on)|reset", re.I),
     "so it starts fresh and picks up the fix"),
    (re.compile(r"photo|scan|copy|proof|receipt|document|statement|upload", re.I),
     "so we can see it and sort this without another call"),
    (re.compile(r"wait|hold", re.I), "while the change goes through, so it isn't interrupted"),
]

# --- rigid no ---------------------------------------------------------------------------------------------------
REFUSAL_VERBS = (r"(?:refund|offer|give|issue|accept|provide|allow|change|cancel|extend|waive|reverse|authori[sz]e"
                 r"|approve|process|exchange|replace|transfer|honou?r|match|remove|compensate|reinstate|reopen|"
                 r"send|do (?:that|this|it|anything)|help (?:you )?with|make (?:an )?exceptions?|agree|guarantee)")
REFUSAL = re.compile(
    r"\b(?:i|we)(?: (?:really |simply |just |unfortunately ))?(?: can ?not| can't| cannot| are unable to| am unable to"
    r"|'m unable to|'re unable to| are not able to| aren't able to| am not able to|'m not able to| don't| do not"
    r"| won't| will not| won't be able to| will not be able to| are not allowed to| aren't allowed to"
    r"| are not permitted to)(?: be able to)? " + REFUSAL_VERBS + r"\b"
    r"|\b(?:that|this|it|which)(?:'s| is| was)? (?:not|n't) (?:possible|allowed|permitted|something we (?:do|offer))"
    r"|\b(?:that|this|it) isn't (?:possible|allowed|permitted)"
    r"|\b(?:it'?s|that'?s|this is|it is|that is) (?:against |outside |not within )?(?:our |the )?(?:company )?"
    r"polic(?:y|ies)\b(?! (?:is|says|lets|allows) (?:that )?(?:we|you) can)"
    r"|\bno (?:refunds?|exceptions|returns|exchanges|cancellations?)\b|\bnon-?refundable\b|\bnot eligible\b"
    r"|\bthere(?:'s| is) nothing (?:i|we|more i|more we) can do\b"
    r"|\b(?:we|i) (?:don't|do not) (?:do|offer) (?:that|this|those|refunds|exchanges)\b", re.I)
ALTERNATIVE = re.compile(
    r"\b(?:what (?:i|we) (?:can|could|will|'ll) do|what i'll do|here'?s what|instead|alternative|another option|other"
    r" option|next best|the best (?:option|thing|way)|but (?:i|we) (?:can|could|will|'ll)|however,? (?:i|we|you) "
    r"(?:can|could|will|'ll)|(?:i|we) (?:can|could) (?:also |still |definitely )?(?:offer|arrange|send|book|help|"
    r"credit|refund|swap|exchange|repair|fix|look|check|move|set up|give|add|put|raise|pass|escalate|ask|try|"
    r"extend|call)|you (?:can|could|may) (?:also |still )?(?:try|ask|apply|choose|use|return|request|claim|"
    r"contact|call|visit|keep|get|pick|swap|exchange|change|take|book|upgrade|cancel|appeal|speak)|"
    r"if you(?:'d)? (?:like|want|prefer)|would you like|let me (?:see|check|find|look|try|ask|speak|arrange)|"
    r"one (?:thing|option)|the good news|what you can do|(?:i|we)(?:'ll| will) (?:send|book|arrange|credit|"
    r"pass|raise|call|check|look|ask|make sure|find))\b", re.I)

# --- reading ease -----------------------------------------------------------------------------------------------
PLAIN_WORDS = {"utilise": "use", "utilize": "use", "commence": "start", "terminate": "end", "facilitate": "help",
               "prior to": "before", "subsequent to": "after", "approximately": "about", "sufficient": "enough",
               "assistance": "help", "endeavour": "try", "purchase": "buy", "regarding": "about",
               "in accordance with": "under", "aforementioned": "this", "rectify": "fix", "ascertain": "find out",
               "expedite": "speed up", "initiate": "start", "in the event that": "if", "notwithstanding": "even so",
               "remit": "pay", "remuneration": "pay", "additional": "more", "obtain": "get", "require": "need",
               "requirement": "need", "commencement": "start", "necessitate": "need", "in order to": "to"}
LABELS = [(90, "very easy"), (80, "easy"), (70, "fairly easy"), (60, "plain English"), (50, "fairly hard"),
          (30, "hard"), (float("-inf"), "very hard")]


class ScriptError(HeardError):
    """A script or knowledge article could not be read as text."""


@dataclass(frozen=True)
class Sentence:
    """One sentence of the script as heard read it (markup removed), the line it starts on and its paragraph."""

    text: str
    line: int
    block: int
    checked: bool = True     # False for the customer's lines: shown, never judged


@dataclass(frozen=True)
class Finding:
    """One problem in one sentence: the kind, where, the words it rests on, why it matters, what to say instead."""

    kind: Kind
    file: str
    line: int
    sentence: int            # index into Report.sentences
    text: str
    words: str
    why: str
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "sentence": self.text,
                "words": self.words, "why": self.why, "suggestion": self.suggestion}


@dataclass
class Report:
    """Every finding in one script, and how easy it is to read."""

    name: str
    sentences: list[Sentence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reading_ease: float | None = None     # None when there are no words to read

    @property
    def reading_label(self) -> str:
        return reading_label(self.reading_ease)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(f.kind for f in self.findings)
        return {kind: found[kind] for kind in KINDS}

    def summary(self) -> dict[str, Any]:
        ease = None if self.reading_ease is None else round(self.reading_ease, 1)
        return {"reading_ease": ease, "reading_label": self.reading_label, "sentences": len(self.sentences),
                "findings": len(self.findings), "counts": self.counts}

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.name, **self.summary(), "items": [f.to_dict() for f in self.findings]}


def reading_label(ease: float | None) -> str:
    """Flesch reading ease in plain words ("plain English" is 60-69: most adults follow it first time)."""
    if ease is None:
        return "nothing to read"
    return next(label for floor, label in LABELS if ease >= floor)


# --- reading the file -------------------------------------------------------------------------------------------

@dataclass
class _Block:
    """A paragraph, list item, heading or table cell: its text and where each piece of it starts."""

    text: str = ""
    anchors: list[tuple[int, int]] = field(default_factory=list)   # (offset in text, source line)
    checked: bool = True

    def add(self, line: int, text: str, sep: str = "") -> None:
        if self.text and sep:
            self.text += sep
        self.anchors.append((len(self.text), line))
        self.text += text

    def line_at(self, offset: int) -> int:
        start, line = next(((o, n) for o, n in reversed(self.anchors) if o <= offset), self.anchors[0])
        return line + self.text.count("\n", start, offset)


MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+•]\s+(?:\[[ xX]\]\s+)?|\d{1,3}[.)]\s+)")
SPEAKER = re.compile(r"^\s*(?:\*\*|__)?\s*(agent|advisor|adviser|rep|representative|csr|say|you|script|"
                     r"customer|caller|client|member)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*", re.I)
CUSTOMER = {"customer", "caller", "client", "member"}
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
LINE_END = re.compile(r"[.!?][\"')\]]*(?=\n)")   # a line ending a sentence ends it, whatever END thinks ("T&Cs.")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _inline(text: str) -> str:
    """Markdown's inline markup removed: links and images keep their words, emphasis and code marks go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](\S(?:.*?\S)?)[*_](?![\w*])", r"\1", text)
    return text.replace("`", "").rstrip()


def _line_blocks(text: str) -> list[_Block]:
    """Markdown or plain text, a block per paragraph, heading, list item, speaker line or table cell."""
    blocks: list[_Block] = []
    current: _Block | None = None
    lines = text.splitlines()
    fence: str | None = None
    comment = False
    start = 0
    if lines and lines[0].strip() == "---":            # front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        start = end + 1 if end is not None else 0

    def close() -> None:
        nonlocal current
        if current is not None and current.text.strip():
            blocks.append(current)
        current = None

    for number in range(start, len(lines)):
        raw, line = lines[number], number + 1
        if fence is not None:
            if raw.strip().startswith(fence):
                fence = None
            continue
        if (m := FENCE.match(raw)) is not None:
            close()
            fence = m.group(1)
            continue
        if comment or raw.lstrip().startswith("<!--"):
            comment = "-->" not in raw
            close()
            continue
        if not raw.strip() or TABLE_RULE.match(raw):
            close()
            continue
        if raw.strip().startswith("|"):                  # a table row: each cell is its own block
            close()
            for cell in raw.strip().strip("|").split("|"):
                if cell.strip():
                    blocks.append(_Block(_inline(cell.strip()), [(0, line)]))
            continue
        prefix = MD_PREFIX.match(raw)
        speaker = SPEAKER.match(raw)
        previous = current.text.rstrip() if current is not None else ""
        new_line_item = previous and not previous.endswith((".", "!", "?", ",", ";", ":", "-", "—")) and \
            raw.lstrip()[:1].isupper()
        if prefix or speaker or current is None or new_line_item:
            close()
            current = _Block()
        body = raw[prefix.end():] if prefix else raw
        if (speaker := SPEAKER.match(body)) is not None:
            current.checked = speaker.group(1).lower() not in CUSTOMER
            body = body[speaker.end():]
        current.add(line, _inline(body.strip()), "\n")
    close()
    return blocks


class _HTMLText(HTMLParser):
    BLOCKS = frozenset("p div li h1 h2 h3 h4 h5 h6 br tr td th blockquote section article header footer dt dd pre ul "
                       "ol table hr main nav aside figcaption caption form label option".split())
    SKIP = frozenset("script style head template noscript code svg".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.current = _Block()
        self.skipping = 0

    def _close(self) -> None:
        if self.current.text.strip():
            self.blocks.append(self.current)
        self.current = _Block()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self._close()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._close()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self._close()

    def handle_data(self, data: str) -> None:
        if self.skipping or not data:
            return
        if not self.current.text.strip():
            lead = len(data) - len(data.lstrip())
            line = self.getpos()[0] + data.count("\n", 0, lead)
            data = data.lstrip()
            if not data:
                return
            speaker = SPEAKER.match(data)
            self.current = _Block(checked=speaker is None or speaker.group(1).lower() not in CUSTOMER)
            self.current.add(line, data[speaker.end():] if speaker is not None else data)
            return
        self.current.add(self.getpos()[0], data)

    def close(self) -> None:
        super().close()
        self._close()


def _html_blocks(text: str) -> list[_Block]:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    return parser.blocks


def _guess(text: str, name: str) -> Format:
    suffix = Path(name).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if re.search(r"<(?:html|body|p|div|li|h[1-6]|br|ul|ol|table)\b[^>]*>", text[:5000], re.I):
        return "html"
    return "markdown"


def _sentences(blocks: list[_Block]) -> list[Sentence]:
    out: list[Sentence] = []
    for index, block in enumerate(blocks):
        start = 0
        cuts = sorted({m.end() for m in END.finditer(block.text)} | {m.end() for m in LINE_END.finditer(block.text)}
                      | {len(block.text)})
        for end in cuts:
            piece = block.text[start:end]
            left = start + len(piece) - len(piece.lstrip())
            words = " ".join(piece.split())
            if re.search(r"\w", words):
                out.append(Sentence(words, block.line_at(left), index, block.checked))
            start = end
    return out


# --- the checks -------------------------------------------------------------------------------------------------

def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w&])" + re.escape(term).replace(r"\ ", r"\s+") + r"(?![\w&])", re.I)


def _explained(term: str, before: str) -> bool:
    """The term is spelt out in the text so far: "SLA (service level agreement)", "service level agreement
    (SLA)", "SLA means...", or the words whose first letters it takes, just before it."""
    t = re.escape(term)
    if re.search(r"(?<![\w&])" + t + EXPLAINED_AFTER, before, re.I):
        return True
    if re.search(r"\(\s*" + t + r"s?\s*\)", before, re.I):
        return True
    letters = [c for c in term.lower() if c.isalpha()]
    for m in re.finditer(r"(?<![\w&])" + t + r"(?![\w&])", before):
        words = re.findall(r"[A-Za-z]+", before[max(0, m.start() - 200):m.start()])
        words = [w for w in words if w.lower() not in ("of", "and", "the", "for", "to", "a")][-len(letters):]
        if len(words) == len(letters) and all(w[0].lower() == c for w, c in zip(words, letters, strict=True)):
            return True
    return False


@dataclass
class _Checker:
    lexicon: Lexicon
    jargon: dict[str, str]
    allow: frozenset[str]

    def __post_init__(self) -> None:
        generic = list(self.lexicon.robotic.generic_phrases) + SCRIPTED
        self.canned = re.compile("|".join(f"(?:{p})" for p in generic), re.I)
        self.terms = [(term, _term_pattern(term), plain) for term, plain in
                      sorted(self.jargon.items(), key=lambda kv: -len(kv[0]))]
        self.explain = self.lexicon.behaviours["explain_why"]

    def canned_empathy(self, s: str) -> tuple[str, str] | None:
        for m in self.canned.finditer(s):
            phrase = m.group(0)
            rest = s[m.end():].lstrip()
            if BARE.match(phrase) and rest[:1].isalpha():      # "I understand why..." is not canned
                continue
            return phrase, ("Name this customer's own situation instead: \"Being charged twice right before rent "
                            "is a real worry.\"")
        return None

    def jargon_in(self, s: str, before: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        taken: list[tuple[int, int]] = []
        for term, pattern, plain in self.terms:
            for m in pattern.finditer(s):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue
                taken.append(m.span())
                if term.lower() in self.allow or _explained(m.group(0), before + s):
                    continue
                found.append((m.group(0), f"Use everyday words: \"{plain}\" instead of \"{m.group(0)}\"." if plain
                              else f"\"{m.group(0)}\" is for us, not the customer: leave it out or say what "
                                   "happens in plain words."))
        letters = [c for c in s if c.isalpha()]
        shouting = len(letters) > 12 and sum(c.isupper() for c in letters) > 0.6 * len(letters)
        for m in ACRONYM.finditer(s):
            word = m.group(0)
            bare = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
            if shouting or bare in EVERYDAY or bare in EMPHASIS or bare.lower() in self.allow or \
                    sum(c.isalpha() for c in bare) < 2 or any(a < m.end() and m.start() < b for a, b in taken):
                continue
            if _explained(bare, before + s):
                continue
            taken.append(m.span())
            found.append((word, f"Say what {bare} means the first time, or use plain words: \"{bare} (…)\"."))
        return found

    def has_reason(self, s: str) -> bool:
        return bool(pattern_hit("explain_why", self.explain, s)) or PURPOSE.search(s) is not None

    def request(self, s: str) -> str | None:
        """The words that ask the customer for something or tell them to do it, if any."""
        if (m := REQUEST.search(s)) is not None:
            return m.group(0).strip(" ?.!")
        if (m := CUSTOMER_VERB.match(s)) is not None:
            return m.group(0).strip()
        return None


def _say_why(words: str, sentence: str) -> str:
    for pattern, reason in ASK_WHY:
        if pattern.search(words) or pattern.search(sentence):
            return f"Say why: \"…{reason}.\""
    return "Say why in one plain sentence: \"…so that…\" or \"The reason is…\"."


def _hard(s: str) -> tuple[str, str] | None:
    from heard.scorecards.conditions import reading_ease, syllables

    words = re.findall(r"[A-Za-z']+", s)
    if len(words) > LONG_WORDS:
        return "", f"Split it into two or three sentences of one idea each (it has {len(words)} words)."
    if len(words) < HARD_MIN_WORDS or reading_ease(s) >= HARD_EASE:
        return None
    swaps = [(w, plain) for w, plain in PLAIN_WORDS.items() if re.search(rf"\b{w}\b", s, re.I)]
    if swaps:
        said = ", ".join(f"\"{plain}\" for \"{w}\"" for w, plain in swaps[:3])
        return swaps[0][0], f"Use everyday words: {said}; keep sentences short."
    longest = sorted({w for w in words if syllables(w) >= 3}, key=lambda w: (-syllables(w), w))[:2]
    named = " and ".join(f"\"{w}\"" for w in longest)
    return (longest[0] if longest else ""), (f"Use shorter, everyday words than {named}, and one idea per sentence."
                                             if longest else "Say it in shorter words, one idea per sentence.")


def _ease(sentences: Iterable[Sentence]) -> float | None:
    from heard.scorecards.conditions import reading_ease

    # One full stop per sentence heard found, so a heading or list item counts as one sentence.
    text = " ".join(re.sub(r"[.!?]+", " ", s.text).strip() + "." for s in sentences)
    return reading_ease(text) if re.search(r"[A-Za-z]", text) else None


def check_text(text: str, *, name: str = "", format: Format | None = None, lexicon: Lexicon | None = None,
               jargon: dict[str, str] | Iterable[str] | None = None, allow: Iterable[str] = ()) -> Report:
    """Every finding in one script or knowledge article, with the summary.

    `format` is guessed from `name`'s suffix, else from the text (HTML tags, else Markdown, which reads plain
    text too). `jargon` adds terms (a list, or term -> plain words); `allow` names acronyms that are fine here."""
    fmt = format or _guess(text, name)
    blocks = _html_blocks(text) if fmt == "html" else _line_blocks(text)
    extra = dict(jargon) if isinstance(jargon, dict) else dict.fromkeys(jargon or (), "")
    lex = lexicon or load_lexicon()
    terms = {**JARGON, **{j: "" for j in lex.behaviours["next_steps"].jargon
                          if j.lower() not in {t.lower() for t in JARGON}}, **extra}
    checker = _Checker(lex, terms, frozenset(a.lower() for a in allow))
    report = Report(name=name or "<text>", sentences=_sentences(blocks))
    report.reading_ease = _ease(s for s in report.sentences if s.checked)
    seen = ""
    for i, sentence in enumerate(report.sentences):
        s = sentence.text

        def found(kind: Kind, words: str, suggestion: str, i: int = i, sentence: Sentence = sentence) -> None:
            report.findings.append(Finding(kind, report.name, sentence.line, i, sentence.text, words, WHY[kind],
                                           suggestion))

        if not sentence.checked:
            seen += " " + s
            continue
        if (canned := checker.canned_empathy(s)) is not None:
            found("canned_empathy", *canned)
        for words, suggestion in checker.jargon_in(s, seen):
            found("jargon", words, suggestion)
        neighbours = [n for n in (report.sentences[i - 1] if i else None,
                                  report.sentences[i + 1] if i + 1 < len(report.sentences) else None)
                      if n is not None and n.block == sentence.block]
        asked = checker.request(s)
        if asked is not None and not checker.has_reason(s) and not any(checker.has_reason(n.text) for n in neighbours):
            found("no_why", asked, _say_why(asked, s))
        if (refusal := REFUSAL.search(s)) is not None:
            after = [n.text for n in report.sentences[i + 1:i + 3] if n.block == sentence.block]
            helps = lex.robotic.help
            if not any(ALTERNATIVE.search(t) or (helps is not None and helps.search(t)) for t in [s, *after]):
                found("rigid_no", refusal.group(0), "Offer what you can do: \"What I can do is…\" — one thing the "
                                                    "customer can have or try instead.")
        if (hard := _hard(s)) is not None:
            found("hard_to_read", *hard)
        seen += " " + s
    return report


def check_bytes(data: bytes, *, name: str, **options: Any) -> Report:
    """A script's bytes as read from a file or an upload: UTF-8 text (Markdown, plain or HTML), never binary."""
    if b"\x00" in data[:8192]:
        raise ScriptError(f"{name}: this is a binary file, not a script.",
                          hint="Save the script as Markdown (.md), plain text (.txt) or HTML, then check that file; "
                               "a Word or PDF file can be exported to one of those.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ScriptError(f"{name}, line {line}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}).",
                          hint="Save the file as UTF-8 (most editors: Save As… then Encoding: UTF-8) and check "
                               "it again.") from None
    return check_text(text, name=name, **options)


def check_file(path: str | Path, **options: Any) -> Report:
    """Every finding in one file; a ScriptError names the file and what to do when it cannot be read as text."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise ScriptError(f"{p}: is a folder, not a file.", hint=f"Pass the files in it: {p}/*.md") from None
    except OSError as exc:
        raise ScriptError(f"{p}: cannot read it ({exc.strerror or exc}).",
                          hint="Check the path, and that you may read the file.") from None
    return check_bytes(data, name=str(path), **options)
