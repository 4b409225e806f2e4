"""promises: commitments the agent makes to the customer ("I'll call you back Friday", "your refund will show in
three days", "an engineer will be with you between 8 and 12 on Tuesday").

Labels: `callback` (call, ring, get back to, follow up, be in touch, keep updated, hear from us), `email`, `text`,
`refund` (refund, credit, money back; "your refund will show ..."), `visit` (an engineer or technician comes, or
is booked), `send` (a form, card, replacement or letter sent, posted or arriving), `other` (a follow-up action
such as chasing or cancelling, counted only when a time is said: "i'll chase the warehouse tomorrow").

A promise is a future commitment to this customer: the agent ("i'll", "i'm going to"), the company ("we'll",
"you'll get", "your refund will") or a named party ("an engineer will", "someone from billing will", "i'll have
my manager call you") doing something. Only agent turns are read. A phrase does not count when, in its clause,
it is negated ("i can't promise", "you won't"), an offer or a question ("would you like me to", "shall i",
"...?" unless a tag like "okay?"), a condition ("if it doesn't arrive", "unless"), hedged ("might", "hopefully",
"i'll try"), reported or in another time ("they said", "last time", "next time", "yesterday"), or generic policy:
a habitual word ("usually", "normally", "can take") or a bare plural subject ("refunds will show in 5 days")
makes a statement about how things go, not a commitment to this case; "your refund will show in 5 days" is one.
Transcripts are lower case, unpunctuated and disfluent: a turn is read as its tokens with fillers and stutters
dropped; evidence maps back to the turn's own characters.

`detail`: `who` (agent, company, or the party named), `what` (the action's words), `when` (the time words, or
None) and `due` (YYYY-MM-DD, or None when no date is said or the call has no `started_at`), resolved against the
call's start date: a weekday is the next such day after it; "today", "tomorrow"; "in/within N days" (N working or
business days skip weekends; hours round up to days; "3 to 5 days" is 5); "by the 14th" is the next 14th;
"next week" is +7 days; "end of the week" its Friday. The same kind of promise said again within a few turns is
one finding with evidence in each.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from heard.analysers.registry import NoSettings, Output, analyser
from heard.model import Call, Evidence, Finding, Metric, Role
from heard.text.spoken import PUNCT, SENTENCE_END, Words, spoken_words

NAME = "promises"
MERGE_TURNS = 4   # the same kind of promise said again within this many turns is the same promise

# Words that start a new clause: the window before a phrase stops at them.
_JOINS = frozenset("but so because cos cause though although however okay ok alright well yes yeah and".split())
_NEGATORS = frozenset("not never cannot cant wont dont didnt couldnt wouldnt shouldnt isnt arent wasnt werent "
                      "havent hasnt aint doesnt unable nobody nothing".split())
_NOT_NEGATION = ("don't worry", "dont worry", "no problem", "not a problem", "not to worry", "no worries",
                 "never mind", "no bother")
_HEDGES = frozenset("might may maybe possibly perhaps hopefully probably think guess suppose reckon hope try trying "
                    "able".split())
_HABITUAL = frozenset("usually normally typically generally always tend tends often sometimes average".split())
_REPORTED = frozenset("said told says mentioned claimed apparently supposed promised".split())
_ELSEWHEN = frozenset("yesterday ago earlier previously".split())
_ELSEWHEN_PAIRS = frozenset({("last", "time"), ("last", "week"), ("next", "time"), ("in", "future"),
                             ("the", "future"), ("when", "you"), ("other", "day"), ("in", "case")})
_OFFER_PAIRS = frozenset({("want", "me"), ("like", "me"), ("shall", "i"), ("should", "i"), ("can", "i"),
                          ("could", "i"), ("shall", "we"), ("should", "we"), ("need", "me"), ("prefer", "me")})
_CONDITIONS = frozenset("if unless otherwise whether".split())
_POLITE_IF = frozenset("that's thats that it's its".split())   # "if that's okay", "if it's alright with you"
_OFFER_IF = frozenset("you".split())                           # "if you like", "if you want"
_TAGS = frozenset("okay ok alright right yeah fine good".split())
_WH = frozenset("when what where why how which who whether".split())

_B, _E = r"(?<![\w'])", r"(?![\w'])"
_GOING = r"(?:going to|gonna)"
_FIRST = re.compile(rf"{_B}(?:i'll|ill|i will|i shall|(?:i'm|im|i am) (?:just |also |now )?{_GOING}){_E}")
_WE = re.compile(rf"{_B}(?:we'll|we will|we shall|(?:we're|we are) (?:just |also |now )?{_GOING}){_E}")
_YOU = re.compile(rf"{_B}(?:you'll|youll|you will|you should|(?:you're|youre|you are) {_GOING}){_E}")
_THIRD = re.compile(rf"{_B}(?:will|should|(?:is|are) {_GOING}){_E}")
_THIRD_SHORT = re.compile(rf"{_B}(they|it|he|she|that|someone|somebody)'ll{_E}")
_PROGRESSIVE = re.compile(rf"{_B}(?:i'm|im|i am|we're|we are) (?:just |also |now )?(?=(?:sending|emailing|texting|"
                          rf"posting|refunding|booking|arranging|calling|ringing|dispatching){_E})")
_SKIP = re.compile(r"^(?:(?:just|also|then|definitely|certainly|personally|now|actually|quickly|go ahead and|"
                   r"make sure (?:to|that i|i|we)|be(?= \w+ing\b)) )+")
_TRY = re.compile(r"^(?:try|try to|try and|attempt)\b")

_EMAIL = r"(?:email|emails|e mail)"
_TEXT = r"(?:text|texts|sms|text message|message)"
_CALL_NOUN = r"(?:call|callback|call back|ring|phone call|bell)"
_REFUND_NOUN = (r"(?:refund|refunds|credit|money|money back|reimbursement|compensation|payment|funds|cash|"
                r"goodwill|amount)")
_THING = (r"(?:form|forms|card|replacement|letter|letters|parcel|package|pack|label|router|device|handset|phone|sim|"
          r"cheque|check|documents|paperwork|details|confirmation|reference|case number|link|order|kit|box|"
          r"new one|one|it|them|that|this|contract|receipt|voucher|code)")
_VISIT_NOUN = r"(?:engineer|engineers|technician|technicians|tech|fitter|plumber|visit|appointment|someone out)"
_PARTY_HEADS = frozenset(
    "engineer engineers technician technicians tech fitter courier driver someone somebody team department dept "
    "manager supervisor colleague colleagues specialist advisor adviser leader billing they he she person "
    "people office desk lead unit".split())
_REFUND_HEADS = frozenset("refund credit money reimbursement compensation payment funds cash amount bank".split())
_THING_HEADS = frozenset(
    "form card replacement letter parcel package pack label router device handset phone sim cheque documents "
    "paperwork confirmation order kit box delivery one email text message voucher code contract".split())
_PRONOUN_THINGS = frozenset("it that".split())
_DETERMINERS = frozenset("the your a an our my this that one someone somebody".split())


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{pattern}){_E}")


# What the agent or the company will do: (label, pattern on the words after the frame). First match wins.
_ACTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("visit", _rx(rf"(?:book|arrange|schedule|send|get|organise|organize|sort)(?: you| out| in)? (?:an?|the|one of "
                  rf"our|our|a local) (?:\w+ )?{_VISIT_NOUN}(?: out| round| over| to you)?|send (?:someone|"
                  r"somebody|an engineer|a technician) out|come (?:out|round|over|and see you|to you|to your \w+)"
                  r"|visit you|visit|pop round|be (?:there|with you|round)")),
    ("refund", _rx(rf"(?:refund|reimburse|compensate)(?: you| it| that| the \w+(?: \w+)?| your \w+)?|credit "
                   rf"(?:you|your account|it|that|the account)(?: with)?|(?:process|issue|raise|put through|apply|"
                   rf"arrange|send|pay|get) (?:you )?(?:the |your |a |that |this )?(?:full |partial )?"
                   rf"{_REFUND_NOUN}|(?:put|pay|give|send) (?:the money|it|that|you) back|pay you")),
    ("email", _rx(rf"{_EMAIL}(?: \w+){{0,5}}?|(?:send|drop|pop|shoot|forward|get|put) (?:\w+ ){{0,5}}?(?:an? |"
                  rf"the |by |via |your )?{_EMAIL}")),
    ("text", _rx(rf"(?:text|sms|message)(?: you| it| that| them| the \w+| over)?|(?:send|drop|pop|shoot|forward|get) "
                 rf"(?:\w+ ){{0,4}}?(?:an? |the |by |via )?{_TEXT}")),
    ("callback", _rx(r"(?:call|ring|phone|bell) you(?: back)?|(?:call|ring|phone) back|give you a "
                     r"(?:call|ring|bell|buzz|quick call)(?: back)?|get back to you|come back to you|"
                     r"follow (?:up|this up|it up|that up)(?: with you)?|be in touch|get in touch|contact you|"
                     r"reach out|keep you (?:updated|posted|"
                     r"informed|in the loop)|update you|let you know")),
    ("send", _rx(rf"(?:send|post|dispatch|ship|courier|mail|forward)(?: you| out| over)?(?: \w+){{0,4}}?|(?:get|pop|"
                 rf"put) (?:\w+ ){{0,3}}?(?:out|over|in the post|in the mail|sent|posted)|order (?:you )?(?:an? |the "
                 rf"|your )?(?:new |replacement )?{_THING}")),
    ("other", _rx(r"(?:chase|arrange|book|sort|fix|cancel|process|apply|waive|raise|log|reset|replace|escalate|"
                  r"investigate|look into|set up|activate|unlock|close|remove|change|organise|organize|collect|"
                  r"install|repair|update|amend|correct|reconnect|restore)(?: \w+){0,4}?")),
)
# After "i'll have/get/ask X": the party then does it ("i'll have my manager call you back").
_HAVE = re.compile(r"^(?:have|get|ask) (?P<party>(?:my|our|the|a|an|one of our|someone from|somebody from) "
                   r"(?:\w+ ){0,2}?(?:manager|supervisor|team leader|colleague|engineer|technician|specialist|team|"
                   r"department|billing|lead|someone|somebody)) (?:to )?(?=\w)")
# What the customer will get: "you'll get a text", "you'll hear from us", "you'll see the money back".
_GET = re.compile(r"^(?:get|receive|have|see|be getting|be receiving|be sent|be given|hear|be hearing)"
                  r"(?: back)?(?=$| )")
_BE_DONE = (("callback", _rx(r"be (?:contacted|called|rung|phoned|called back|rung back)")),
            ("email", _rx(r"be emailed")), ("text", _rx(r"be (?:texted|messaged)")),
            ("refund", _rx(r"be (?:refunded|credited|reimbursed|compensated|paid)")))
_NOUNS = (("email", re.compile(rf"{_B}{_EMAIL}{_E}")), ("text", re.compile(rf"{_B}{_TEXT}{_E}")),
          ("callback", re.compile(rf"{_B}(?:{_CALL_NOUN}|from (?:us|me|them|someone|somebody|the|our|billing))"
                                  rf"{_E}")),
          ("visit", re.compile(rf"{_B}{_VISIT_NOUN}{_E}")),
          ("refund", re.compile(rf"{_B}(?:{_REFUND_NOUN}|back in your|in your (?:bank|account)|on your (?:next )?"
                                rf"(?:bill|statement|account)){_E}")),
          ("send", re.compile(rf"{_B}(?:{_THING}|in the post|delivery){_E}")))
# What a thing or a party will do: "the refund will show", "your card will arrive", "an engineer will come".
_REFUND_VERB = _rx(r"(?:show|appear|be|land|reach|hit|clear|go|come|take|reflect|arrive|drop|get|be paid|be back|"
                   r"be refunded|be credited|be processed)")
_ARRIVE_VERB = _rx(r"(?:arrive|be delivered|be with you|reach you|come|get to you|turn up|be there|be dispatched|be "
                   r"sent|be posted|go out|be in the post|land|ship|be shipped|be on its way|be on the way)")
_OBLIGATION = re.compile(r"^(?:need|have to|has to|want|be able|be charged|get charged|be billed|lose|pay)")

_NUM_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
              "twenty": 20, "thirty": 30, "couple": 2, "few": 3, "twenty four": 24, "forty eight": 48,
              "seventy two": 72, "a couple of": 2, "couple of": 2, "a few": 3}
_NUM = r"(?:\d+|twenty four|forty eight|seventy two|a couple of|couple of|a few|an?|one|two|three|four|five|six|" \
       r"seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty)"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|tonight)"
_PART = r"(?: (?:morning|afternoon|evening|night|lunchtime|first thing))?"
_ORDINAL_WORDS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), 1)}
_WHEN = re.compile(_B + r"(?:"
                   rf"(?P<between>between \w+(?: am| pm)? and \w+(?: am| pm)?(?: (?:on|this|next) )?(?: ?{_DAY})?)"
                   rf"|(?P<span>(?:in|within|over) (?:the next |the )?(?P<n>{_NUM})(?: (?:to|or) "
                   rf"(?P<m>{_NUM}))? ?(?P<work>working |business )?(?P<unit>days?|hours?|hrs|weeks?)(?: time)?)"
                   rf"|(?P<range>(?P<n2>{_NUM}) (?:to|or) (?P<m2>{_NUM}) (?P<work2>working |business )?"
                   rf"(?P<unit2>days|hours|weeks))"
                   r"|(?P<hour>(?:within|in) (?:the|the next|an|the next half) hour)"
                   rf"|(?P<weekday>(?:(?:on|by|this|next|before|until|till|for) )?(?:the end of )?"
                   rf"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday){_PART})"
                   rf"|(?P<tomorrow>(?:by |until )?tomorrow{_PART})"
                   r"|(?P<today>(?:by |later |before )?(?:today|tonight|this (?:morning|afternoon|evening)|"
                   r"(?:the )?end of (?:the )?day|close of business|end of play)|later on today)"
                   r"|(?P<date>(?:by|on|before|for) the (?P<dom>\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|"
                   r"fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
                   r"sixteenth|seventeenth|eighteenth|nineteenth|twentieth)|the \d{1,2}(?:st|nd|rd|th))"
                   r"|(?P<endweek>(?:by )?(?:the )?end of (?:the |this )?week)"
                   r"|(?P<nextweek>(?:by |for |during |sometime )?next week)"
                   r"|(?P<endmonth>(?:by )?(?:the )?end of (?:the |this )?month)"
                   r"|(?P<now>right away|straight away|straightaway|right now|asap|as soon as possible|shortly|"
                   r"in a (?:moment|minute|sec|second|few minutes)|within minutes|now)"
                   r"|(?P<soon>soon|in due course|in the next few days)"
                   r")" + _E)


@dataclass
class _Frame:
    first: int          # the frame's first token (the subject, or the modal when the subject comes before it)
    verb: int           # the first token after the frame
    kind: str           # agent | company | you | third
    who: str
    head: str | None = None   # a third party's head noun


def _frames(words: Words) -> list[_Frame]:
    tokens, found = words.tokens, []
    for rx, kind in ((_FIRST, "agent"), (_WE, "company"), (_YOU, "you"), (_PROGRESSIVE, "progressive")):
        for m in rx.finditer(words.text):
            who = "agent" if kind in ("agent", "progressive") and m.group(0).startswith(("i", "im")) else "company"
            found.append(_Frame(words.index(m.start()), words.index(m.end()), kind, who))
    for m in _THIRD_SHORT.finditer(words.text):
        k = words.index(m.start())
        found.append(_Frame(k, k + 1, "third", "company", m.group(1)))
    for m in _THIRD.finditer(words.text):
        k = words.index(m.start())
        subject = _subject(tokens, k)
        if subject is not None:
            found.append(_Frame(subject[0], words.index(m.end()), "third", subject[1], tokens[k - 1]))
    taken: set[int] = set()
    unique = []
    for f in sorted(found, key=lambda f: (f.verb, f.first)):
        if f.verb not in taken:
            unique.append(f)
            taken.add(f.verb)
    return unique


def _subject(tokens: list[str], modal: int) -> tuple[int, str] | None:
    """The subject before a bare modal ("the refund will", "someone from billing will"): its first token and who
    does it, or None when there is none we know (a question: "when will", "will you").

    The who is "company" for things and pronouns; the party's own words for a party ("an engineer")."""
    if modal == 0:
        return None
    head = tokens[modal - 1]
    if head in ("i", "we", "you") or head in _WH or head in PUNCT or head in _JOINS:
        return None
    k = modal - 1
    while k > 0 and modal - k < 6 and tokens[k - 1] not in PUNCT and tokens[k - 1] not in _JOINS \
            and tokens[k - 1] not in _WH and tokens[k - 1] not in ("i", "we", "you", "and", "if", "unless"):
        if tokens[k - 1] in _DETERMINERS or tokens[k - 1] in ("from", "of", "our", "new", "replacement", "full"):
            k -= 1
            continue
        if tokens[k] in ("team", "department") or tokens[k - 1] in ("billing", "technical", "returns", "claims"):
            k -= 1
            continue
        break
    words = tokens[k:modal]
    heads = set(words)
    if heads & _PARTY_HEADS:
        if "from" in words:   # "someone from our billing team": the team is who
            return k, " ".join(words[words.index("from") + 1:])
        if words[0] in ("someone", "somebody", "they", "he", "she"):
            return k, "company"
        if words[0] not in _DETERMINERS and head.endswith("s") and head not in ("billing", "sales"):
            return None   # "engineers will usually...": a bare plural is how things go, not this case
        return k, " ".join(words)
    if heads & (_REFUND_HEADS | _THING_HEADS) or head in _PRONOUN_THINGS:
        if words[0] not in _DETERMINERS and head.endswith("s") and head not in _PRONOUN_THINGS:
            return None   # "refunds will show in 5 days": generic
        return k, "company"
    return None


def _clause_before(tokens: list[str], at: int) -> list[str]:
    """The tokens before token `at` back to the start of its sentence or clause (at most 10)."""
    k = at - 1
    while k >= 0 and at - k <= 10 and tokens[k] not in SENTENCE_END and tokens[k] not in _JOINS:
        k -= 1
    return tokens[k + 1:at]


def _clause_after(tokens: list[str], at: int) -> list[str]:
    k = at
    while k < len(tokens) and k - at < 14 and tokens[k] not in SENTENCE_END and tokens[k] not in ("but", "so"):
        k += 1
    return tokens[at:k]


def _has_pair(tokens: list[str], pairs: frozenset[tuple[str, str]]) -> bool:
    return any((a, b) in pairs for a, b in pairwise(tokens))


def _negated(tokens: list[str]) -> bool:
    text = " ".join(tokens)
    for phrase in _NOT_NEGATION:
        text = text.replace(phrase, "")
    words = text.split()
    return any(t.endswith("n't") or t in _NEGATORS for t in words) or _has_pair(
        words, frozenset({("no", "guarantee"), ("no", "promise"), ("no", "way"), ("no", "longer")}))


def _conditional(tokens: list[str]) -> bool:
    for j, t in enumerate(tokens):
        if t in ("unless", "otherwise") or (t == "in" and tokens[j + 1:j + 2] == ["case"]):
            return True
        if t == "if":
            following = tokens[j + 1:j + 2]
            if following and following[0] in _POLITE_IF:
                continue
            return True
    return False


def _blocked(words: Words, frame: _Frame, end: int) -> bool:
    """Whether the phrase from the frame to token `end` is negated, an offer or a question, a condition, hedged,
    reported, generic or in another time."""
    tokens = words.tokens
    before = _clause_before(tokens, frame.first)
    inside = tokens[frame.first:end]
    after = _clause_after(tokens, end)
    if _negated(before) or _negated(inside):
        return True
    if _has_pair(before + inside, _OFFER_PAIRS) or (before and before[-1] in ("would", "could", "can", "do", "did",
                                                                             "shall", "should", "will")):
        return True
    if _conditional(before) or _conditional_after(after):
        return True
    if set(before + inside) & (_HEDGES | _HABITUAL | _REPORTED | _ELSEWHEN) or \
            _has_pair(before + inside, _ELSEWHEN_PAIRS) or _has_pair(before + inside, frozenset({("can", "take")})):
        return True
    if set(after[:6]) & (_ELSEWHEN | {"usually", "normally", "typically", "generally"}):
        return True
    return _question(tokens, end)


def _conditional_after(after: list[str]) -> bool:
    for j, t in enumerate(after):
        if t in ("and",):
            return False
        if t in ("unless", "otherwise") or (t == "if" and (after[j + 1:j + 2] == [] or (
                after[j + 1] not in _POLITE_IF and after[j + 1] not in _OFFER_IF))):
            return True
        if t == "if" and after[j + 1:j + 2] == ["you"] and after[j + 2:j + 3] and after[j + 2] in (
                "like", "want", "prefer", "wish", "need"):
            return True
    return False


def _question(tokens: list[str], at: int) -> bool:
    """The sentence holding token `at` ends with a question mark that is not a tag ("..., okay?")."""
    k = at
    while k < len(tokens) and tokens[k] not in SENTENCE_END:
        k += 1
    if k >= len(tokens) or tokens[k] != "?":
        return False
    last = tokens[max(at, k - 3):k]
    return not (set(last) & _TAGS or last[-2:] in (["is", "that"], ["that", "ok"]))


def _action(words: Words, frame: _Frame) -> tuple[str, int, str] | None:
    """The promise's label, the token after its action's words, and who does it; None when the words after the
    frame are not a promise."""
    tokens = words.tokens
    start = frame.verb
    rest = " ".join(tokens[start:start + 12])
    skipped = _SKIP.match(rest)
    if skipped:
        start += len(skipped.group(0).split())
        rest = " ".join(tokens[start:start + 12])
    if _TRY.match(rest) or not rest or tokens[start] in PUNCT:
        return None
    who = frame.who
    if frame.kind in ("agent", "company", "progressive"):
        have = _HAVE.match(rest)
        if have:
            who = have.group("party")
            start += len(have.group(0).split())
            rest = " ".join(tokens[start:start + 12])
        rest = _base_form(rest) if frame.kind == "progressive" else rest
        for label, rx in _ACTIONS:
            m = rx.match(rest)
            if m:
                label = _object_label(label, m.group(0))
                return label, start + len(m.group(0).split()), who
        return None
    if frame.kind == "you":
        if _OBLIGATION.match(rest) or re.match(r"^have (?:got|received|had|seen|been|gotten)\b", rest):
            return None
        for label, rx in _BE_DONE:
            m = rx.match(rest)
            if m:
                return label, start + len(m.group(0).split()), who
        m = _GET.match(rest)
        if not m:
            return None
        object_words = tokens[start + len(m.group(0).split()):start + len(m.group(0).split()) + 6]
        obj = " ".join(w for w in object_words if w not in PUNCT)
        for label, rx in _NOUNS:
            hit = rx.search(obj)
            if hit:
                end = start + len(m.group(0).split()) + len(obj[:hit.end()].split())
                party = re.search(r"from (?:the |our )?(\w+(?: team)?)", obj)
                if label == "callback" and party and party.group(1) not in ("us", "me", "them", "someone", "somebody"):
                    who = party.group(1)
                return label, end, who
        return None
    head = frame.head or ""
    if frame.kind == "third" and (head in _PARTY_HEADS or head in ("team", "department") or who != "company"
                                  or head in ("someone", "somebody", "they", "he", "she")) \
            and head not in _REFUND_HEADS and head not in _THING_HEADS and head not in _PRONOUN_THINGS:
        for label, rx in _ACTIONS:
            m = rx.match(rest)
            if m and label != "other":
                return _object_label(label, m.group(0)), start + len(m.group(0).split()), who
        m = re.match(r"^(?:collect|pick up)(?: \w+){0,3}", rest)
        if m:
            return "other", start + len(m.group(0).split()), who
        return None
    clause = " ".join(_clause_after(tokens, start))
    if head in _REFUND_HEADS or (head in _PRONOUN_THINGS and re.search(r"\b(?:account|bank|back|statement)\b",
                                                                       clause)):
        m = _REFUND_VERB.match(rest)
        if m and not _OBLIGATION.match(rest):
            return "refund", start + len(m.group(0).split()), who
        return None
    m = _ARRIVE_VERB.match(rest)
    if m:
        label = "email" if head == "email" else "text" if head in ("text", "message") else "send"
        return label, start + len(m.group(0).split()), who
    return None


_ING = {"sending": "send", "emailing": "email", "texting": "text", "posting": "post", "refunding": "refund",
        "booking": "book", "arranging": "arrange", "calling": "call", "ringing": "ring", "dispatching": "dispatch"}


def _base_form(rest: str) -> str:
    first, _, others = rest.partition(" ")
    return f"{_ING.get(first, first)} {others}".strip()


def _object_label(label: str, phrase: str) -> str:
    """A send whose object is an email, a text, money or an engineer is that kind of promise."""
    if label != "send" and label != "visit":
        return label
    if re.search(rf"{_B}{_EMAIL}{_E}", phrase):
        return "email"
    if re.search(rf"{_B}(?:text|sms|message){_E}", phrase):
        return "text"
    if re.search(rf"{_B}(?:refund|money|credit){_E}", phrase):
        return "refund"
    if re.search(rf"{_B}(?:engineer|technician|someone out|somebody out){_E}", phrase):
        return "visit"
    return label


@dataclass
class _When:
    first: int      # tokens
    last: int       # inclusive
    match: re.Match[str]


def _when(words: Words, frame: _Frame, action_end: int) -> _When | None:
    """The time words of a promise: after its action in the same clause, or just before its frame."""
    tokens = words.tokens
    after = _clause_after(tokens, action_end)
    stop = action_end + len(after)
    for m in _WHEN.finditer(words.text, words.starts[action_end] if action_end < len(tokens) else len(words.text)):
        first = words.index(m.start())
        if first >= stop:
            break
        if first > action_end and tokens[first - 1] in ("and",) and _starts_promise(tokens, first):
            break
        return _When(first, words.index(m.end()) - 1, m)
    before_at = max(0, frame.first - 4)
    for m in _WHEN.finditer(words.text[:words.starts[frame.first]] if frame.first < len(tokens) else "",
                            words.starts[before_at] if before_at < len(tokens) else 0):
        return _When(words.index(m.start()), words.index(m.end()) - 1, m)
    return None


def _starts_promise(tokens: list[str], at: int) -> bool:
    return tokens[at] in ("i'll", "ill", "you'll", "we'll", "i")


def _due(when: _When | None, started: date | None) -> date | None:
    """The date a promise falls due, from its time words and the call's start date."""
    if when is None or started is None:
        return None
    g = when.match.groupdict()
    text = when.match.group(0)
    for day in _WEEKDAYS:
        if re.search(rf"\b{day}\b", text):
            ahead = (_WEEKDAYS.index(day) - started.weekday()) % 7 or 7
            return started + timedelta(days=ahead)
    if "tomorrow" in text:
        return started + timedelta(days=1)
    if g["today"] or g["now"] or g["hour"] or "today" in text or "tonight" in text:
        return started
    if g["span"] or g["range"]:
        n = _number(g["m"] or g["n"]) if g["span"] else _number(g["m2"])
        unit = g["unit"] or g["unit2"]
        work = g["work"] or g["work2"]
        if unit.startswith("h"):
            return started + timedelta(days=math.ceil(n / 24))
        if unit.startswith("week"):
            return started + timedelta(days=7 * n)
        return _add_working(started, n) if work else started + timedelta(days=n)
    if g["date"]:
        raw = g["dom"] or text.split()[-1]
        dom = _ORDINAL_WORDS.get(raw) or int(re.sub(r"\D", "", raw))
        year, month = started.year, started.month
        for _ in range(13):
            if dom <= calendar.monthrange(year, month)[1] and date(year, month, dom) >= started:
                return date(year, month, dom)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return None
    if g["endweek"]:
        ahead = (4 - started.weekday()) % 7
        return started + timedelta(days=ahead)
    if g["nextweek"]:
        return started + timedelta(days=7)
    if g["endmonth"]:
        return date(started.year, started.month, calendar.monthrange(started.year, started.month)[1])
    return None


def _number(raw: str | None) -> int:
    if raw is None:
        return 0
    return int(raw) if raw.isdigit() else _NUM_WORDS.get(raw, 1)


def _add_working(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


@dataclass
class _Promise:
    label: str
    span: tuple[int, int]
    who: str
    what: str
    when: str | None
    due: date | None


def _promises(text: str, started: date | None) -> list[_Promise]:
    words = spoken_words(text)
    tokens = words.tokens
    found: list[_Promise] = []
    used: set[int] = set()
    frames = _frames(words)
    # "i'll email you the case number and call you back friday": the second action shares the first's subject.
    extra: list[_Frame] = []
    for frame in frames:
        for k in range(frame.verb + 1, min(len(tokens), frame.verb + 14)):
            if tokens[k] in SENTENCE_END or tokens[k] in ("but", "so") or any(f.first == k for f in frames):
                break
            if tokens[k] == "and" and k + 1 < len(tokens) and tokens[k + 1] not in PUNCT and \
                    not _starts_promise(tokens, k + 1) and tokens[k + 1] not in ("if", "then", "that", "it's", "it"):
                extra.append(_Frame(frame.first, k + 1, frame.kind, frame.who, frame.head))
    for frame in sorted(frames + extra, key=lambda f: f.verb):
        if frame.verb >= len(tokens) or frame.verb in used:
            continue
        action = _action(words, frame)
        if action is None:
            continue
        label, action_end, who = action
        when = _when(words, frame, action_end)
        if label == "other" and (when is None or when.match.group("now") or when.match.group("soon")):
            continue
        end = max(action_end, when.last + 1 if when and when.first >= action_end else action_end)
        if _blocked(words, frame if frame in frames else _Frame(frame.verb, frame.verb, frame.kind, frame.who),
                    end):
            continue
        used.add(frame.verb)
        first = frame.first if frame in frames else frame.verb
        if when is not None and when.first < first:
            first = when.first
        what, what_end = _what(words, text, frame, when)
        end = max(end, what_end)
        if frame.kind == "third" and who not in ("company",) and who == _lower_subject(tokens, frame):
            who = text[slice(*words.source(frame.verb - 1 - _modal_length(tokens, frame) - len(who.split()) + 1,
                                           frame.verb - 1 - _modal_length(tokens, frame)))]
        when_text = text[slice(*words.source(when.first, when.last))] if when else None
        span = words.source(first, end - 1)
        found.append(_Promise(label, span, who, what, when_text, _due(when, started)))
    return found


def _modal_length(tokens: list[str], frame: _Frame) -> int:
    """How many tokens the modal of a third-party frame takes ("will" 1, "is going to" 3)."""
    k = frame.verb - 1
    n = 0
    while k > frame.first and tokens[k] in ("will", "should", "is", "are", "going", "to", "gonna"):
        k, n = k - 1, n + 1
    return n


def _lower_subject(tokens: list[str], frame: _Frame) -> str:
    """The party's words as the frame read them (lower case)."""
    last = frame.verb - 1 - _modal_length(tokens, frame)
    return " ".join(tokens[frame.first:last + 1]) if "from" not in tokens[frame.first:last + 1] else \
        " ".join(tokens[frame.first:last + 1]).split(" from ", 1)[1]


def _what(words: Words, text: str, frame: _Frame, when: _When | None) -> tuple[str, int]:
    """The action's words: the verb and its object ("call you back", "email you the case number"), or for a thing
    its noun too ("refund will show"); up to the time words or the end of the clause, at most 7 words."""
    tokens = words.tokens
    skipped = _SKIP.match(" ".join(tokens[frame.verb:frame.verb + 8]))
    start = frame.verb + (len(skipped.group(0).split()) if skipped else 0)
    if frame.kind == "third" and frame.who == "company" and frame.head not in ("someone", "somebody", "they", "he",
                                                                              "she"):
        start = frame.verb - 1
        while start > frame.first and tokens[start] in ("will", "should", "is", "are", "going", "to", "gonna"):
            start -= 1
    have = _HAVE.match(" ".join(tokens[start:start + 12]))
    if have:
        start += len(have.group(0).split())
    stop = start
    while stop < len(tokens) and stop - start < 7 and tokens[stop] not in PUNCT and \
            tokens[stop] not in ("and", "but", "so", "because", "which", "if", "unless", "when", "once", "as") and \
            tokens[stop:stop + 2] != ["in", "case"] and \
            not (when is not None and stop >= when.first > frame.first):
        stop += 1
    if stop == start:
        stop = start + 1
    stop = min(stop, len(tokens))
    return text[slice(*words.source(start, stop - 1))].lower(), stop


@analyser(NAME, version=1, produces=("promise", "promises"))
def promises(call: Call, settings: NoSettings) -> Output:
    """Commitments the agent makes (call back, email, text, refund, visit, send), with what, when and the due
    date."""
    found: list[Finding] = []
    started = call.started_at.date() if call.started_at else None
    for i, turn in enumerate(call.turns):
        if turn.speaker is not Role.AGENT or not _TRIGGER.search(turn.text):
            continue
        for p in _promises(turn.text, started):
            evidence = Evidence(turn=i, span=p.span, text=turn.text[slice(*p.span)], time=turn.start)
            same = next((f for f in reversed(found) if f.label == p.label), None)
            if same is not None and i - same.evidence[-1].turn <= MERGE_TURNS and (
                    p.when is None or same.detail["when"] is None or p.due is None or same.detail["due"] is None
                    or p.due.isoformat() == same.detail["due"]):
                if same.evidence[-1].turn != i:
                    same.evidence.append(evidence)
                if same.detail["when"] is None and p.when is not None:
                    same.detail.update(when=p.when, due=p.due.isoformat() if p.due else None)
                continue
            found.append(Finding(kind="promise", label=p.label, analyser=NAME, evidence=[evidence], detail={
                "who": p.who, "what": p.what, "when": p.when, "due": p.due.isoformat() if p.due else None}))
    return Output(findings=found, metrics=[
        Metric(name="promises", value=len(found), party=Role.AGENT, analyser=NAME,
               turns=sorted({e.turn for f in found for e in f.evidence}))])


# Cheap first look: a turn without any of these is not read further (most turns).
_TRIGGER = re.compile(r"'ll|\bwill\b|\bill\b|going to|gonna|\bshould\b|\byoull\b|ing\b", re.I)
