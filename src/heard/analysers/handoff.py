"""handoff: did the call go to someone else? The agent transferred it, the agent brought in a supervisor, or
the customer asked for a manager.

Labels: `transfer` (the agent transfers, puts through, passes or connects the customer to another person,
team or department; `to` holds the words naming where), `supervisor` (the agent gets, asks, hands over to or
has call back a supervisor, manager or team leader, or escalates the case), `manager_request` (the customer
asks for a manager: heard.text.frustration's cue). A transfer to a supervisor is `supervisor`.

Transcripts are lower case, unpunctuated and disfluent, so a turn is read as its tokens with fillers ("um",
"uh") and stutters ("i'll i'll") dropped; evidence maps back to the turn's own characters. A phrase does not
count when the words before it in its clause negate it ("i can't", "there's no need to"), make it an offer
or someone else's act ("would you like me to", "you can escalate"), or put it in another time ("if it
happens again", "last time"); nor when what is transferred is money or a thing ("transfer you the refund",
"connect you to the internet"). Only agent turns are read for transfers and supervisors, only customer turns
for manager requests; a turn by anyone else (an IVR) is not read. The same handoff announced again within a
few turns ("i'll transfer you to billing" ... "transferring you now") is one finding with evidence in each.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise

from heard.analysers.registry import NoSettings, Output, analyser
from heard.model import Call, Evidence, Finding, Metric, Role, Turn
from heard.text.frustration import find_cues
from heard.text.spoken import PUNCT, SENTENCE_END, Words, spoken_words

NAME = "handoff"
MERGE_TURNS = 4   # a handoff said again within this many turns of the last mention is the same handoff

# Words that start a clause: the window before a phrase runs back to one of these (and includes it).
_SUBJECTS = frozenset("i i'm i'll i've i'd im ill ive we we'll we're we've we'd let you you'll you're you've you'd "
                      "youll they they'll they're they've they'd he she he'll she'll someone somebody".split())
_YOU = frozenset("you you'll you're you've you'd youll".split())
_OTHERS = frozenset("they they'll they're they've they'd he she he'll she'll someone somebody".split())
_FIRST_PERSON = _SUBJECTS - _YOU - _OTHERS
# ...or to one of these, which start a new clause (not included).
_JOINS = frozenset("but so and because cos cause though although however okay ok alright well yes yeah".split())
_COGNITION = frozenset("think sure believe know expect guess suppose reckon".split())
_NEGATORS = frozenset("not never cannot unable without refuse refused nobody cant wont dont didnt couldnt wouldnt "
                      "shouldnt isnt arent wasnt werent havent hasnt aint doesnt neednt".split())
_NEGATOR_PAIRS = frozenset({("no", "need"), ("no", "point"), ("no", "reason"), ("no", "way"), ("no", "longer"),
                            ("instead", "of"), ("rather", "than")})
# An agent offering or wondering rather than doing ("would you like me to", "shall i").
_OFFERS = frozenset("would could should might may shall did does wish".split())
_OFFER_PAIRS = frozenset({("want", "me"), ("like", "me"), ("need", "me"), ("prefer", "me")})
# In the sentence before a phrase: a condition, another time, or no one to go to ("there's nobody i can ...").
_ELSEWHEN = frozenset("unless whenever yesterday earlier previously originally ago nobody noone nowhere".split())
_ELSEWHEN_PAIRS = frozenset({("in", "case"), ("next", "time"), ("in", "future"), ("the", "future"),
                             ("should", "you"), ("were", "to"), ("last", "time"), ("other", "day"),
                             ("last", "week"), ("last", "month"), ("first", "time"), ("call", "back"),
                             ("ring", "back"), ("phone", "back"), ("no", "one")})
_AFTER_ELSEWHEN = frozenset("yesterday earlier previously ago last".split())
# "if" that is politeness, not a condition: "if you'd just hold", "if that's ok"; "sorry if", "see if".
_POLITE_IF_NEXT = frozenset("that's thats possible needed necessary required".split())
_POLITE_IF_YOU = frozenset("hold bear just can could would don't dont like want wish prefer give wait hang stay "
                           "mind".split())
_IF_NOT_CONDITION_BEFORE = frozenset("sorry even as see check checking know wonder ask asking".split())
# What follows "transfer you" when it is money or an ordeal, not a call ("transfer you the refund", "put you
# through all this", "...so much").
_OBJECT_WORDS = frozenset("the a an some your this that these those all it them any money funds cash credit refund "
                          "amount balance points everything hell another".split())
# Where a transfer goes: a party, or a thing (a plan, the internet), which makes it no transfer.
_PARTY_WORDS = frozenset(
    "team teams department departments dept desk colleague colleagues specialist specialists supervisor manager "
    "leader lead agent agents advisor adviser advisors advisers someone somebody person people line support billing "
    "sales retention retentions claims technical tech service services accounts collections fraud complaints "
    "escalations loyalty helpdesk engineer engineers engineering expert experts unit section queue office hub centre "
    "center operator nurse doctor pharmacist underwriter underwriters underwriting cancellations disputes payments "
    "bookings reservations renewals repairs faults orders returns care senior".split())
_THING_WORDS = frozenset(
    "plan tariff contract account package bundle deal rate scheme policy card sim number internet wifi wi broadband "
    "network system address website app portal savings bank money funds balance credit phone device isa pension "
    "mortgage loan".split())
_SELF = frozenset("me myself us".split())
_DEST_STOP = frozenset(
    "now okay ok alright and so who which that they they'll because cos as for please thanks thank just bear hold if "
    "then you you'll you're youll i i'll i'm ill im it it's we we'll there here shortly straight directly to with "
    "about regarding on at while when where last yesterday earlier today tomorrow but or would could can will should "
    "do does did is are was were has have had afterwards after later instead again too also once before since until "
    "unless".split()) | PUNCT
_SOON = frozenset("a the just one two few moment second sec minute tick bit jiffy".split())
_SUPERVISOR_WORDS = frozenset("supervisor supervisors manager managers leader leaders lead senior".split())
# Cheap first look: a turn without any of these is not read further (most turns).
_TRIGGER = re.compile(r"transfer|through|pass|hand|connect|forward|rout|redirect|over|across|supervisor|manager|"
                      r"leader|team lead|senior|escalat", re.I)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w']){pattern}(?![\w'])")


_OBJ = r"(?:you and your call|your call|the call|this call|you)"
_PART = r"(?: (?:over|across|through|back|straight|right|directly|now|on|along))*"
_DET = r"(?:my|a|the|our|another|one of (?:my|our|the)|someone from (?:my|our|the))"
_SUPN = (r"(?:supervisors?|managers?|team leaders?|team lead|line manager|duty manager|floor manager|shift manager|"
         r"senior (?:colleague|advisor|adviser|agent|manager|member of (?:staff|the team)))")
_SUP = rf"(?:{_DET} (?:[a-z]+ )?{_SUPN}|some(?:one|body) (?:more )?senior)"


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    how: str                   # transfer | bring_in | escalate
    bare: bool = True          # may stand without "to <where>" ("transferring you now")
    preps: tuple[str, ...] = ("to", "onto")
    frame: bool = False        # needs a first-person subject ("let me", "i'll") before it
    party: bool = False        # where it goes must name a party ("connect you to a nurse", not "to a facility")


PATTERNS = (
    _Pattern(_rx(rf"transfer(?:ring)? {_OBJ}{_PART}"), "transfer"),
    _Pattern(_rx(rf"(?:put|putting) {_OBJ}(?: (?:straight|right|directly|now))* through{_PART}"), "transfer"),
    _Pattern(_rx(rf"(?:put|putting) {_OBJ} (?:over|across)"), "transfer", bare=False),
    _Pattern(_rx(rf"(?:pass|passing|hand|handing) {_OBJ} (?:over|across|on|along|back|through)(?: now| straight)*"),
             "transfer"),
    _Pattern(_rx(rf"(?:pass|passing|hand|handing) {_OBJ}"), "transfer", bare=False),
    _Pattern(_rx(rf"(?:connect|connecting) {_OBJ}(?: (?:now|through|right now|straight through)|(?= [.?!,;]|$))"),
             "transfer"),
    _Pattern(_rx(rf"(?:connect|connecting) {_OBJ}(?: (?:through|over|across|now))*"), "transfer", bare=False,
             preps=("to", "with", "onto"), party=True),
    _Pattern(_rx(rf"(?:get|getting|have|having) {_OBJ} (?:transferred|put through|passed over|passed across|"
                 rf"passed on){_PART}"), "transfer"),
    _Pattern(_rx(rf"(?:get|getting|have|having) {_OBJ} connected{_PART}"), "transfer", bare=False,
             preps=("to", "with"), party=True),
    _Pattern(_rx(rf"(?:get|getting|send|sending) {_OBJ} (?:over|across|through)(?: straight)?"), "transfer",
             bare=False),
    _Pattern(_rx(rf"(?:forward|forwarding|redirect|redirecting) {_OBJ}"), "transfer", bare=False),
    _Pattern(_rx(r"(?:route|routing) (?:your call|the call|this call)"), "transfer", bare=False),
    _Pattern(_rx(rf"(?:you'll|you will|youll|you're going to|you are going to)(?: now| just| shortly| soon)? be "
                 rf"(?:transferred|put through|connected|passed over|passed across|passed){_PART}"), "transfer"),
    _Pattern(_rx(rf"(?:you're|youre|you are)(?: now| just)? being (?:transferred|put through|connected){_PART}"),
             "transfer"),
    _Pattern(_rx(rf"(?:get|fetch|grab|bring in|bring|pull in|call over|call in|involve|loop in|page|find|ask|"
                 rf"consult|go and get|go get|go and grab|(?:run|check) (?:it|this|that) (?:by|with)|"
                 rf"(?:speak|talk|check|confer) (?:to|with)|have a (?:quick )?(?:word|chat) with|"
                 rf"(?:refer|raise|pass|send|take|flag|hand|put) (?:it|this|that|you)(?: (?:on|up|over))? "
                 rf"(?:to|with)|take (?:it|this|that) up with|(?:raise|put in|submit|send|log) (?:a|an) (?:request|"
                 rf"referral|query) (?:with|to|for)) {_SUP}"), "bring_in", preps=(), frame=True),
    _Pattern(_rx(rf"(?:i've|i have|i)(?: just| now)? (?:spoken|spoke|talked|checked|had a word|had a chat) (?:to|with) "
                 rf"{_SUP}"), "bring_in", preps=()),
    _Pattern(_rx(rf"(?:request|requesting|book|booking|arrange|arranging|schedule|set up|log|put in a request for|"
                 rf"raise a request for) (?:a |an )?(?:(?:{_SUPN}) call ?back|call ?back (?:from|with) {_SUP})"),
             "bring_in", preps=(), frame=True),
    _Pattern(_rx(rf"(?:have|having) {_SUP} (?:call|ring|phone|contact|email|give|get back|come|join|look|review|"
                 rf"take over|speak|talk)"), "bring_in", preps=(), frame=True),
    _Pattern(_rx(rf"{_SUP}(?:'ll|'s gonna|'s going to| will| is going to| is gonna| can)?(?: now| then)? "
                 rf"(?:call|ring|phone|contact|email|give you a (?:call|ring)|get back to|be in touch|come on|join|"
                 rf"pick up|take over|speak to you|talk to you|be with you|review|look at|look into|approve|"
                 rf"authori[sz]e|sign off)"), "bring_in", preps=()),
    _Pattern(_rx(r"escalat(?:e|ing) (?:this|it|that|(?:your|the) (?:complaint|case|call|issue|query|concern|"
                 r"problem|matter|account))(?: (?:up|further|internally|now|today|for you))*"), "escalate",
             preps=("to", "with")),
    _Pattern(_rx(r"escalat(?:e|ing)(?: (?:up|further|internally|now|today|for you))*"), "escalate",
             preps=("to", "with"), frame=True),
    _Pattern(_rx(r"(?:i've|i have|we've|we have)(?: now| just| already)? escalated(?: (?:this|it|that|(?:your|the) "
                 r"(?:complaint|case|call|issue|query|concern|problem|matter|account)))?"), "escalate",
             preps=("to", "with")),
    _Pattern(_rx(r"(?:raise|raising|raised|log|logging|logged|put in|putting in|open|opening|opened|submit|"
                 r"submitting|submitted|file|filing|filed|send|sending|sent|add|adding|added) (?:an|the|a formal|"
                 r"this as an|it as an) escalation"),
             "escalate", preps=("to", "with")),
)
# A phrase ending in one of these may go on with what is handed over: "transfer you the refund".
_BEFORE_OBJECT = (" you", " call", "through", "escalate", "escalating")
_SPEAK_TO = _rx(r"(?:speak|talk|deal) (?:to|with)")
_ASKS_FOR = re.compile(r"\b(?:to|with)\s+(.+)$", re.I)


def _has(tokens: list[str], singles: frozenset[str], pairs: frozenset[tuple[str, str]]) -> bool:
    return any(t in singles for t in tokens) or any(pair in pairs for pair in pairwise(tokens))


def _negated(tokens: list[str]) -> bool:
    return any(t.endswith("n't") for t in tokens) or _has(tokens, _NEGATORS, _NEGATOR_PAIRS)


def _clause(words: Words, at: int) -> tuple[list[str], str | None]:
    """The tokens before token `at` in its clause, back to its subject (included), and that subject. A subject
    after "i don't think" or "not sure if" reaches back to the one before it."""
    tokens = words.tokens
    k, subject, limit = at - 1, None, 6
    while k >= 0 and at - k <= limit:
        token = tokens[k]
        if token in PUNCT or token in _JOINS:
            break
        if token in _SUBJECTS:
            subject = token
            if not _COGNITION & set(tokens[max(0, k - 2):k]):
                return tokens[k:at], subject
            limit = at - k + 5
        k -= 1
    return tokens[k + 1:at], subject


def _elsewhen(words: Words, at: int, after: int) -> bool:
    """A condition or another time around the phrase at tokens `at`..`after`: "if it happens again", "last time"."""
    tokens = words.tokens
    k = at - 1
    while k >= 0 and at - k <= 12 and tokens[k] not in SENTENCE_END:
        k -= 1
    before = tokens[k + 1:at]
    if _has(before, _ELSEWHEN, _ELSEWHEN_PAIRS):
        return True
    for j, token in enumerate(before):
        if token != "if" or (j and before[j - 1] in _IF_NOT_CONDITION_BEFORE):
            continue
        if not _polite_if(tokens[k + 2 + j:k + 4 + j]):
            return True
    return bool(_AFTER_ELSEWHEN & set(tokens[after:after + 2]))


def _polite_if(following: list[str]) -> bool:
    """Whether the two tokens after an "if" make it politeness ("if you'd just hold", "if that's ok")."""
    if not following:
        return False
    if following[0] == "you":
        return following[1:2] != [] and following[1] in _POLITE_IF_YOU
    return following[0] in _POLITE_IF_NEXT or following[0] in ("you'd", "youd") or following == ["that", "is"]


def _blocked(words: Words, at: int, after: int, role: Role, frame: bool = False) -> bool:
    """Whether the phrase at tokens `at`..`after` is negated, an offer, someone else's, or in another time."""
    clause, subject = _clause(words, at)
    if _negated(clause) or _elsewhen(words, at, after):
        return True
    if role is Role.CUSTOMER:
        return subject in _OTHERS
    # A question asked by putting the verb first: "should i transfer you", "shall i put you through".
    inverted = subject is not None and clause[:1] == [subject] and at > len(clause) \
        and words.tokens[at - len(clause) - 1] in _OFFERS
    if subject in _YOU or inverted or _has(clause, _OFFERS, _OFFER_PAIRS):
        return True
    return frame and subject not in _FIRST_PERSON


def _destination(words: Words, start: int) -> tuple[int, int] | None:
    """The tokens naming where, from `start` (inclusive) to the end (exclusive), or None when there are none."""
    tokens = words.tokens
    end = start
    while end < len(tokens) and end - start < 8:
        token, next_one = tokens[end], tokens[end + 1:end + 2]
        if token in _DEST_STOP or (token in ("one", "in") and next_one and next_one[0] in _SOON):
            break
        end += 1
    return (start, end) if end > start else None


@dataclass
class _Hit:
    label: str
    how: str
    span: tuple[int, int]   # the evidence's characters in the turn
    to: str | None


def _agent_hits(turn: Turn) -> list[_Hit]:
    if not _TRIGGER.search(turn.text):
        return []
    words = spoken_words(turn.text)
    tokens = words.tokens
    hits: list[_Hit] = []
    taken: set[int] = set()
    candidates = sorted(((m.start(), -m.end(), p, m) for p in PATTERNS for m in p.regex.finditer(words.text)),
                        key=lambda c: (c[0], c[1]))
    for _, _, pattern, m in candidates:
        first, after = words.index(m.start()), words.index(m.end())
        if taken & set(range(first, after)):
            continue
        following = tokens[after:after + 2]
        dest = None
        if following and following[0] in pattern.preps:
            dest = _destination(words, after + 1)
        elif pattern.how != "bring_in" and (not pattern.bare or (
                m.group(0).endswith(_BEFORE_OBJECT) and _object_follows(following))):
            continue
        named = set(tokens[dest[0]:dest[1]]) if dest else set()
        if dest and (tokens[dest[0]] in _SELF or (named & _THING_WORDS and not named & _PARTY_WORDS)
                     or (pattern.party and not named & _PARTY_WORDS)):
            continue
        last = dest[1] - 1 if dest else after - 1
        if _blocked(words, first, last + 1, Role.AGENT, pattern.frame):
            continue
        to = turn.text[slice(*words.source(dest[0], dest[1] - 1))] if dest else None
        if pattern.how == "bring_in":
            sup = re.search(_SUP, m.group(0))
            if sup is not None:
                to = turn.text[slice(*words.source(words.index(m.start() + sup.start()),
                                                   words.index(m.start() + sup.end()) - 1))]
        elif to is None and pattern.how == "transfer":
            to = _spoken_of(words, turn.text, first)
        supervisor = pattern.how != "transfer" or bool(named & _SUPERVISOR_WORDS)
        hits.append(_Hit("supervisor" if supervisor else "transfer", pattern.how, words.source(first, last), to))
        taken |= set(range(first, last + 1))
    return sorted(hits, key=lambda h: h.span)


def _object_follows(following: list[str]) -> bool:
    """Whether what follows "transfer you" / "put you through" is money or an ordeal, not a call."""
    return bool(following) and (following[0] in _OBJECT_WORDS or following[0][0].isdigit()
                                or following == ["so", "much"])


def _spoken_of(words: Words, text: str, before: int) -> str | None:
    """Where the agent said the customer needs to speak earlier in the turn ("you'll need to speak to billing,
    i'll transfer you now")."""
    found = None
    for m in _SPEAK_TO.finditer(words.text[:words.starts[before]]):
        dest = _destination(words, words.index(m.end()))
        if dest is not None and not set(words.tokens[dest[0]:dest[1]]) & _THING_WORDS:
            found = text[slice(*words.source(dest[0], dest[1] - 1))]
    return found


def _manager_requests(turn: Turn) -> list[tuple[tuple[int, int], str, str | None]]:
    cues = [c for c in find_cues(turn.text) if c.kind == "manager_request"]
    if not cues:
        return []
    words = spoken_words(turn.text)
    starts = [s for s, _ in words.spans]
    found = []
    for cue in cues:
        at = bisect_left(starts, cue.span[0])
        after = bisect_left(starts, cue.span[1])
        if _blocked(words, at, after, Role.CUSTOMER):
            continue
        asked = _ASKS_FOR.search(cue.text)
        found.append((cue.span, cue.text, asked.group(1) if asked else None))
    return found


@analyser(NAME, version=1, produces=("handoff", "handoffs", "manager_requests"))
def handoff(call: Call, settings: NoSettings) -> Output:
    """Transfers, supervisors brought in and the customer's manager requests, with the words as evidence."""
    handoffs: list[Finding] = []
    requests: list[Finding] = []
    for i, turn in enumerate(call.turns):
        if turn.speaker is Role.CUSTOMER:
            found = _manager_requests(turn)
            if found:
                requests.append(Finding(kind="handoff", label="manager_request", analyser=NAME, detail={
                    "to": found[0][2]}, evidence=[Evidence(turn=i, span=span, text=text, time=turn.start)
                                                  for span, text, _ in found]))
            continue
        if turn.speaker is not Role.AGENT:
            continue
        for hit in _agent_hits(turn):
            evidence = Evidence(turn=i, span=hit.span, text=turn.text[slice(*hit.span)], time=turn.start)
            same = next((f for f in reversed(handoffs) if f.label == hit.label), None)
            if same is not None and i - same.evidence[-1].turn <= MERGE_TURNS and (
                    hit.to is None or same.detail["to"] is None or hit.to.lower() == same.detail["to"].lower()):
                if same.evidence[-1].turn != i:
                    same.evidence.append(evidence)
                same.detail["to"] = same.detail["to"] or hit.to
                continue
            handoffs.append(Finding(kind="handoff", label=hit.label, analyser=NAME, evidence=[evidence],
                                    detail={"to": hit.to, "how": hit.how}))
    findings = sorted(handoffs + requests, key=lambda f: f.evidence[0].turn)
    return Output(findings=findings, metrics=[
        Metric(name="handoffs", value=len(handoffs), party=Role.AGENT, analyser=NAME,
               turns=sorted({e.turn for f in handoffs for e in f.evidence})),
        Metric(name="manager_requests", value=len(requests), party=Role.CUSTOMER, analyser=NAME,
               turns=[f.evidence[0].turn for f in requests]),
    ])
