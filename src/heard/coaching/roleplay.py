"""Role-play packs: a real difficult moment from a call, with personal data redacted, to practise out loud.

An agent's pack holds the excerpt (a few turns either side of the moment), the customer's lines for a colleague
to read, the moment to practise (what the customer expressed there and which behaviour would meet it), what the
agent actually said, three ways good could sound built from the customer's own words, and what to notice: the
difference between scripted sympathy and genuine empathy. A coach's pack holds the same moment with prompts for
practising feedback after an emotionally hard call: recognise effort, name the behaviour not the person, ask
what was happening for the agent, co-create one action.

Every line of text in a pack comes from the call's turns after redaction (heard.text.redact, each turn read
with the one before it, so "seven seven two ..." after "Can I have your account number?" is an account number);
the raw text and the findings' own evidence text are never used. A pack does not name the agent.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from heard.empathy.lexicon import Lexicon, load
from heard.errors import HeardError
from heard.live.engine import FEELINGS, key_phrase
from heard.model import Call, CallAnalysis, Finding, Role
from heard.text.frustration import find_cues
from heard.text.redact import Redacted, redact_turns
from heard.text.speech import STOPWORDS, content_words, is_backchannel

BEFORE = 3   # turns of the excerpt before the customer's turn
AFTER = 2    # turns after the agent's reply
FRUSTRATION_CUES = {"frustration_words", "manager_request", "cancel_threat", "profanity", "all_caps",
                    "repeat_contact", "repeated_question"}
KIND_ORDER = ("missed_opportunity", "robotic", "frustration", "met_opportunity")
KIND_TEXT = {"missed_opportunity": "missed empathy opportunity", "robotic": "scripted reply",
             "frustration": "frustration", "met_opportunity": "opportunity met"}
FEELING_WORDS = {"frustration": "frustrated", "worry": "worried", "disappointment": "disappointed",
                 "urgency": "pressed for time", "bereavement": "grieving", "financial_strain": "under money pressure",
                 "health": "worried about someone's health", "emotion": "upset", "frustration_words": "fed up",
                 "manager_request": "ready to escalate", "cancel_threat": "ready to leave",
                 "repeat_contact": "tired of calling again", "repeated_question": "unheard", "profanity": "angry",
                 "all_caps": "angry"}
ROBOTIC_WHY = {"repeated_phrase": "the same line is said {times} in this call",
               "generic_acknowledgement": "it names a feeling the customer never expressed",
               "empathy_without_help": "nothing followed it that fixed or explained anything",
               "over_apologising": "the apologies piled up across the call",
               "over_apologising_in_turn": "it stacks apologies in one breath"}
DID = {"explain_why": "explained why it happened", "next_steps": "set out what happens next",
       "clarifying_question": "asked what they needed", "reassurance": "reassured them",
       "confidence_check": "checked it was resolved", "mirror_paraphrase": "played back what they said",
       "summarise_goal": "summed up what they wanted", "acknowledge_emotion": "acknowledged how they felt"}
PLACEHOLDER_WORDS = {"[CARD]": "the card", "[ACCOUNT]": "the account", "[PHONE]": "that number",
                     "[EMAIL]": "that email address", "[ADDRESS]": "that address", "[DOB]": "that date", "[NAME]": ""}
FILLERS = {"hi", "hello", "yeah", "yes", "well", "so", "honestly", "and", "but", "oh", "um", "uh", "look", "okay",
           "ok", "right", "just", "like", "actually", "basically", "no"}
# Perspective, customer -> agent: "I was charged" -> "you were charged", "you charged me" -> "we charged you".
FLIP = {"i": "you", "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll", "me": "you", "my": "your",
        "mine": "yours", "myself": "yourself", "am": "are", "you": "we", "your": "our", "yours": "ours",
        "you're": "we're", "you've": "we've", "you'd": "we'd", "you'll": "we'll", "yourself": "ourselves",
        "we": "you", "our": "your", "us": "you", "we're": "you're", "we've": "you've"}
WORD = re.compile(r"[\w'’\[\]]+|[^\w\s]+|\s+")


class RolePlayError(HeardError):
    """There is no moment to practise at that turn."""


@dataclass(frozen=True)
class Line:
    """One turn of the excerpt, redacted."""

    turn: int
    speaker: str
    text: str
    time: float | None = None
    moment: bool = False


@dataclass(frozen=True)
class Moment:
    """A difficult moment: the customer's turn, the agent's reply, and what made it hard."""

    turn: int
    reply_turn: int | None
    time: float | None
    kinds: list[str]
    feelings: list[str]
    expressed: str
    words: str
    behaviours: list[str]
    meets_it: str
    robotic: list[str] = field(default_factory=list)
    summary: str = ""


@dataclass(frozen=True)
class RolePlay:
    """An agent's role-play pack for one moment."""

    call_id: str
    moment: Moment
    excerpt: list[Line]
    customer_lines: list[Line]
    agent_said: str | None
    replies: list[str]
    notice: list[str]
    redacted: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"pack": "agent", **asdict(self)}


@dataclass(frozen=True)
class Prompt:
    """One step of a feedback conversation, why it matters, and ways to say it."""

    step: str
    why: str
    examples: list[str]


@dataclass(frozen=True)
class CoachPack:
    """A coach's pack: practising feedback after an emotionally hard call, on the same moment."""

    call_id: str
    moment: Moment
    excerpt: list[Line]
    agent_said: str | None
    steps: list[Prompt]
    agent_lines: list[str]
    avoid: list[str]
    replies: list[str]
    redacted: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"pack": "coach", **asdict(self)}


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return load()


# --- finding the moment ----------------------------------------------------------------------------------

@dataclass
class _Call:
    """A call with every turn redacted and its findings indexed by turn."""

    call: Call
    redacted: list[Redacted]
    opportunities: dict[int, Finding]
    frustration: dict[int, set[str]]
    robotic: dict[int, list[Finding]]
    behaviours: dict[int, set[str]]


def _index(call: Call, analysis: CallAnalysis | None) -> _Call:
    found = analysis.findings if analysis is not None else []
    opportunities: dict[int, Finding] = {}
    frustration: dict[int, set[str]] = {}
    robotic: dict[int, list[Finding]] = {}
    behaviours: dict[int, set[str]] = {}
    n = len(call.turns)
    for f in found:
        turns = [e.turn for e in f.evidence if 0 <= e.turn < n]
        if f.kind == "opportunity" and turns:
            opportunities.setdefault(turns[0], f)
        elif f.kind == "escalation" and isinstance(f.detail.get("customer_turn"), int) and \
                0 <= f.detail["customer_turn"] < n:
            frustration.setdefault(f.detail["customer_turn"], set()).add("escalation")
        elif f.kind == "frustration_cue" and f.label in FRUSTRATION_CUES and turns:
            frustration.setdefault(turns[0], set()).add(f.label)
        elif f.kind == "robotic":
            for t in dict.fromkeys(turns):
                robotic.setdefault(t, []).append(f)
        elif f.kind == "behaviour":
            for t in turns:
                behaviours.setdefault(t, set()).add(f.label)
    return _Call(call, redact_turns([t.text for t in call.turns]), opportunities, frustration, robotic, behaviours)


def _locate(call: Call, turn: int) -> tuple[int, int | None]:
    """The customer's turn and the agent's reply for a turn given as either."""
    n = len(call.turns)
    if not 0 <= turn < n:
        raise RolePlayError(f"call {call.id} has turns 0 to {n - 1}; there is no turn {turn}",
                            hint=f"List its difficult moments with `heard roleplay {call.id}`.")
    speaker = call.turns[turn].speaker
    if speaker is Role.CUSTOMER:
        reply = next((i for i in range(turn + 1, n) if call.turns[i].speaker is Role.AGENT
                      and not is_backchannel(call.turns[i])), None)
        reply = reply if reply is not None else next(
            (i for i in range(turn + 1, n) if call.turns[i].speaker is Role.AGENT), None)
        return turn, reply
    if speaker is Role.AGENT:
        before = [i for i in range(turn) if call.turns[i].speaker is Role.CUSTOMER]
        spoken = [i for i in before if not is_backchannel(call.turns[i])]
        if not before:
            raise RolePlayError(f"turn {turn} of call {call.id} is the agent's, and the customer has not spoken yet",
                                hint="Pick a customer turn, or the agent's reply to one.")
        return (spoken or before)[-1], turn
    raise RolePlayError(f"turn {turn} of call {call.id} is neither the customer's nor the agent's",
                        hint="Pick a customer turn, or the agent's reply to one.")


def _feelings(c: _Call, turn: int) -> list[str]:
    """What the customer expressed at `turn`: the opportunity's kinds, the lexicon's and the frustration cues."""
    text = c.redacted[turn].text
    found: list[str] = []
    opportunity = c.opportunities.get(turn)
    if opportunity is not None:
        found += [k for k in opportunity.detail.get("kinds", []) if isinstance(k, str)]
    found += [kind for kind, pattern in _lexicon().opportunities.compiled.items() if pattern.search(text)]
    found += sorted(c.frustration.get(turn, set()) - {"escalation"})
    found += [cue.kind for cue in find_cues(text) if cue.kind in FRUSTRATION_CUES]
    out = list(dict.fromkeys(found))
    if len(out) > 1 and "emotion" in out:
        out.remove("emotion")
    return out


def _expressed(feelings: list[str], frustrated: bool) -> str:
    """The feelings as words that follow "the customer sounds": "worried and under money pressure"; empty when
    the customer expressed none."""
    words = [FEELING_WORDS.get(k, k.replace("_", " ")) for k in feelings]
    if frustrated and not {"frustrated", "fed up", "angry"} & set(words):
        words.append("frustrated")
    words = list(dict.fromkeys(words))[:3]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _family(feelings: list[str], frustrated: bool) -> str:
    if "bereavement" in feelings:
        return "loss"
    if frustrated or ({"frustration", "disappointment"} | FRUSTRATION_CUES) & set(feelings):
        return "frustration"
    return "worry"


MEETS_IT = {
    "loss": (["acknowledge_emotion", "reassurance"],
             "Acknowledge the loss simply and sincerely, slow down, and take the admin off their plate."),
    "frustration": (["acknowledge_emotion", "explain_why"],
                    "Acknowledge the frustration in their own words, own it, then explain what happened and what "
                    "you will do."),
    "worry": (["acknowledge_emotion", "next_steps"],
              "Name the worry in their own words before solving, then say exactly what happens next and when."),
}


def _words(c: _Call, turn: int) -> str:
    """The customer's own words at the moment, short: from the opportunity's sentence when it carries any."""
    opportunity = c.opportunities.get(turn)
    redacted = c.redacted[turn]
    if opportunity is not None and opportunity.evidence and opportunity.evidence[0].span is not None:
        sentence = redacted.part(*opportunity.evidence[0].span)
        if _weight(sentence):
            return _unplaced(key_phrase(sentence))
    return _unplaced(key_phrase(redacted.text))


def _unplaced(words: str) -> str:
    """Words to quote without the placeholders in them ("on my card [CARD]" -> "on my card")."""
    return re.sub(r"\s+", " ", re.sub(r"\[[A-Z]+\]", "", words)).strip(" ,") or words


def _loaded(c: _Call, turn: int) -> int:
    """The customer turn whose words the replies build on: this one, or when it carries no words of its own
    ("It's [ACCOUNT]."), the last customer turn before it that does."""
    for t in range(turn, -1, -1):
        if c.call.turns[t].speaker is Role.CUSTOMER and _weight(c.redacted[t].text):
            return t
    return turn


def _moment(c: _Call, turn: int) -> Moment:
    customer, reply = _locate(c.call, turn)
    opportunity = c.opportunities.get(customer)
    kinds: list[str] = []
    if opportunity is not None:
        kinds.append("missed_opportunity" if opportunity.label == "missed" else "met_opportunity")
    if customer in c.frustration:
        kinds.append("frustration")
    robotic = [f.label for f in c.robotic.get(reply, [])] if reply is not None else []
    robotic = list(dict.fromkeys(robotic))
    if robotic:
        kinds.append("robotic")
    kinds.sort(key=KIND_ORDER.index)
    feelings = _feelings(c, customer)
    frustrated = "frustration" in kinds
    family = _family(feelings, frustrated)
    behaviours, meets_it = MEETS_IT[family]
    if robotic:
        meets_it = "Swap the scripted line for one built from what this customer said. " + meets_it
    expressed = _expressed(feelings, frustrated)
    words = _words(c, customer)
    summary = (f"The customer sounds {expressed}: “{words}”" if expressed else f"The customer said “{words}”") + \
        (f" — {KIND_TEXT[kinds[0]]}." if kinds else ".")
    return Moment(turn=customer, reply_turn=reply, time=c.call.turns[customer].start, kinds=kinds,
                  feelings=feelings, expressed=expressed, words=words, behaviours=list(behaviours), meets_it=meets_it,
                  robotic=robotic, summary=summary)


def difficult_moments(call: Call, analysis: CallAnalysis | None) -> list[Moment]:
    """The customer turns worth practising, in call order: missed empathy opportunities, frustration spikes, the
    turns before a robotic reply, and opportunities that were met (to practise what went well)."""
    c = _index(call, analysis)
    turns: set[int] = set(c.opportunities) | set(c.frustration)
    for t in c.robotic:   # a scripted reply: the moment is the customer's turn it answered
        if call.turns[t].speaker is Role.AGENT and any(u.speaker is Role.CUSTOMER for u in call.turns[:t]):
            turns.add(_locate(call, t)[0])
    out = []
    for t in sorted(turns):
        if call.turns[t].speaker is not Role.CUSTOMER:
            continue
        moment = _moment(c, t)
        if moment.kinds and _weight(c.redacted[t].text):   # "It's [ACCOUNT]." leaves nothing to practise with
            out.append(moment)
    return out


# --- what good could sound like --------------------------------------------------------------------------

def _clauses(text: str) -> list[tuple[str, bool]]:
    """The clauses of the customer's words, each with whether it asks a question ("how long will it take")."""
    out: list[tuple[str, bool]] = []
    for m in re.finditer(r"[^.!?]+[.!?]*", text):
        asks = m.group(0).rstrip().endswith("?")
        for part in re.split(r"[;,]+|\s(?:and|but|so|because)\s|\s[—–-]\s", m.group(0)):
            clause = part.strip(" .!?,;:-—")
            if clause:
                out.append((clause, asks and QUESTION.match(_unfilled(clause)) is not None))
    return out


def _unfilled(clause: str) -> str:
    """The clause without the fillers it starts with ("yeah, so I ..." -> "I ...")."""
    words = clause.split()
    while words and words[0].lower().strip(",'’") in FILLERS:
        words.pop(0)
    return " ".join(words).lstrip(", ")


AUX = r"can|could|will|would|should|shall|is|are|was|were|has|have|do|does|did|am"
SUBJECT = r"i|you|we|it|they|he|she|this|that|there|(?:my|your|our|the|his|her|their) [\w'’]+"
QUESTION = re.compile(rf"(?:{AUX}|how|what|when|where|why|which|who|whose)\b", re.I)
YES_NO = re.compile(rf"({AUX}) ({SUBJECT})\b(.*)", re.I)
WH = re.compile(rf"(how long|how much|how many|how soon|how|what|when|where|why|which [\w'’]+|who) ({AUX}) "
                rf"({SUBJECT})\b(.*)", re.I)
WH_SUBJECT = re.compile(rf"(?:what|who|which [\w'’]+) (?!(?:{AUX})\b)[\w'’]+", re.I)   # "what happens if ..."


def _asked(clause: str) -> str | None:
    """A question as the agent would report it: "how long will it take" -> "how long it will take"."""
    q = _unfilled(clause)
    m = YES_NO.fullmatch(q)
    if m is not None:
        return f"whether {_flip(m.group(2))} {_aux(m.group(1), m.group(2))}{_flip(m.group(3), keep_start=True)}"
    m = WH.fullmatch(q)
    if m is not None:
        return (f"{m.group(1).lower()} {_flip(m.group(3))} {_aux(m.group(2), m.group(3))}"
                f"{_flip(m.group(4), keep_start=True)}")
    if WH_SUBJECT.match(q):
        return _lower_first(_flip(q))
    return None


def _aux(aux: str, subject: str) -> str:
    aux = aux.lower()
    if subject.lower() == "i":
        return {"am": "are", "was": "were"}.get(aux, aux)
    return aux


def _weight(clause: str) -> int:
    return sum(w.lower() not in STOPWORDS and w.lower() not in FEELINGS and not w.startswith("[")
               for w in re.findall(r"[\w'’\[\]]+", clause))


def _flip(clause: str, *, keep_start: bool = False) -> str:
    """The customer's clause as the agent would say it back: "I was charged twice" -> "you were charged twice".
    Fillers at its start go ("yeah, so I ..."), unless `keep_start` (the clause is the end of a longer one)."""
    parts = WORD.findall(clause)
    while not keep_start and parts and (parts[0].isspace() or not re.match(r"[\w\[]", parts[0]) or
                                        parts[0].lower().strip("'’") in FILLERS):
        parts.pop(0)
    out: list[str] = []
    previous = ""
    for p in parts:
        low = p.lower().replace("’", "'")
        if low in FLIP:
            out.append(FLIP[low])
        elif low == "was" and previous in ("i", "we"):
            out.append("were")
        else:
            out.append(PLACEHOLDER_WORDS.get(p, p))
        if not p.isspace():
            previous = low
    text = re.sub(r"\s+", " ", "".join(out))
    return text.rstrip(" ,") if keep_start else text.strip(" ,")


PROPER = re.compile(r"^(?:[A-Z][a-z]+day|January|February|March|April|May|June|July|August|September|October|"
                    r"November|December|[A-Z]{2,})\b")


def _lower_first(text: str) -> str:
    return text if not text or PROPER.match(text) else text[0].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pair(text: str) -> str:
    """The customer's one or two most loaded clauses, as the agent would say them back: statements first, then
    what they asked ("you want to know how long it will take")."""
    clauses = _clauses(text)
    weights = [_weight(clause) for clause, _ in clauses]
    statements = [k for k, (_, asks) in enumerate(clauses) if weights[k] and not asks]
    said = sorted(sorted(statements, key=lambda k: -weights[k])[:2])
    phrases = [f for f in (_flip(clauses[k][0]) for k in said) if f]
    if len(phrases) < 2:
        asked = [a for a in (_asked(clauses[k][0]) for k in sorted(range(len(clauses)), key=lambda k: -weights[k])
                             if weights[k] and clauses[k][1]) if a]
        phrases += [f"you want to know {a}" for a in asked[:2 - len(phrases)]]
    if not phrases:
        phrases = [_flip(key_phrase(text).replace(" … ", ", "))]
    return _lower_first(phrases[0]) + (f", and {_lower_first(phrases[1])}" if len(phrases) > 1 else "")


MOOD_WORD = {"worry": "worried", "financial_strain": "worried", "health": "worried", "urgency": "under pressure",
             "disappointment": "disappointed", "emotion": "upset"}


def _replies(family: str, pair: str, feelings: list[str]) -> list[str]:
    mood = next((MOOD_WORD[k] for k in feelings if k in MOOD_WORD), "worried")
    if pair.startswith("you want to know"):   # only a question: meet the question, not a feeling they didn't say
        return [f"{_upper_first(pair)} — fair question, and you deserve a straight answer. Let me find out now.",
                f"I can hear this matters: {pair}. Here's what I know, and what I'll do next.",
                f"So {pair}. Let me check I've got the whole picture: is there anything else worrying you about it?"]
    if family == "loss":
        return [f"I'm so sorry. {_upper_first(pair)} — thank you for telling me. There's no rush; I'll take care of "
                "the account side for you.",
                f"That's a lot to be dealing with: {pair}. Let me make this part as easy as I can and handle it from "
                "here.",
                f"I'm really sorry for your loss. So I get this right for you: {pair}. What would help most today?"]
    if family == "frustration":
        return [f"{_upper_first(pair)} — I'd be fed up too. I'm going to own this and get it fixed on this call.",
                f"You shouldn't have had to go through that: {pair}. Here's what happened, and here's what I'm "
                "doing about it right now.",
                f"Thanks for being straight with me. {_upper_first(pair)}. What would put this right for you today?"]
    return [f"{_upper_first(pair)} — no wonder you're {mood}. Let me sort this out for you right now.",
            f"I can hear how much this matters: {pair}. Here's exactly what happens next, and when.",
            f"So {pair}. What worries you most about it? I want to deal with that first."]


# --- the packs -------------------------------------------------------------------------------------------

def _excerpt(c: _Call, moment: Moment) -> list[Line]:
    last = moment.reply_turn if moment.reply_turn is not None else moment.turn
    lines = []
    for i in range(max(0, moment.turn - BEFORE), min(len(c.call.turns), last + AFTER + 1)):
        t = c.call.turns[i]
        lines.append(Line(turn=i, speaker=t.speaker.value, text=c.redacted[i].text, time=t.start,
                          moment=i in (moment.turn, moment.reply_turn)))
    return lines


def _counts(c: _Call, lines: list[Line]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        for kind, n in c.redacted[line.turn].counts().items():
            out[kind] = out.get(kind, 0) + n
    return dict(sorted(out.items()))


def _scripted(c: _Call, moment: Moment) -> str | None:
    """The scripted line of the agent's reply (its sentence with a canned phrase, else the whole reply) when the
    reply was flagged robotic, or is a canned phrase that shares no words with the customer's; None otherwise."""
    if moment.reply_turn is None:
        return None
    reply = c.redacted[moment.reply_turn].text
    generic = _lexicon().robotic.generic
    sentences = [m.group(0).strip() for m in re.finditer(r"[^.!?]+[.!?]*", reply) if m.group(0).strip()]
    canned = next((x for x in sentences if generic is not None and generic.search(x)), None)
    if moment.robotic:
        return canned or reply
    if canned is not None and not content_words(canned) & content_words(c.redacted[moment.turn].text):
        return canned
    return None


def _why(f: Finding) -> str:
    times = f.detail.get("times")
    said = {2: "twice", 3: "three times", 4: "four times"}.get(times, f"{times} times") if isinstance(times, int) \
        else "several times"
    return ROBOTIC_WHY[f.label].format(times=said)


def _notice(c: _Call, moment: Moment, replies: list[str]) -> list[str]:
    notes: list[str] = []
    scripted = _scripted(c, moment)
    if scripted is not None:
        why = "; ".join(_why(f) for f in c.robotic.get(moment.reply_turn or 0, [])
                        if f.label in ROBOTIC_WHY) or "it uses none of the customer's words"
        notes.append(f"“{scripted}” is scripted sympathy: {why}. It would fit any customer on any call, so it "
                     "sounds like a script however kindly it is meant.")
    if "missed_opportunity" in moment.kinds:
        notes.append(f"The customer said “{moment.words}” and the reply went past it. The moment to practise is the "
                     "one sentence before solving.")
    elif "met_opportunity" in moment.kinds and scripted is None:
        notes.append("The reply picked up what the customer said. Practise it in your own words so it stays yours "
                     "rather than becoming a new script.")
    notes += [f"Genuine empathy is specific: it uses what this customer said (“{moment.words}”), not a line that "
              "fits every call.",
              "Keep it to a sentence, then help: empathy with nothing after it sounds hollow.",
              "Say it once. The same phrase again and again becomes the script it was meant to replace."]
    if "frustration" in moment.kinds:
        notes.append("Don't argue with the feeling or explain it away: acknowledge it first, then explain.")
    notes.append(f"Scripted: “{scripted or 'I understand your frustration.'}” Genuine: “{replies[0]}”")
    return notes


def _build(call: Call, analysis: CallAnalysis | None, turn: int) -> tuple[_Call, Moment, list[Line], str | None,
                                                                          list[str]]:
    c = _index(call, analysis)
    moment = _moment(c, turn)
    lines = _excerpt(c, moment)
    said = c.redacted[moment.reply_turn].text if moment.reply_turn is not None else None
    family = _family(moment.feelings, "frustration" in moment.kinds)
    replies = _replies(family, _pair(c.redacted[_loaded(c, moment.turn)].text), moment.feelings)
    return c, moment, lines, said, replies


def pack(call: Call, analysis: CallAnalysis | None, turn: int) -> RolePlay:
    """The agent's role-play pack for the moment at `turn` (a customer turn, or the agent's reply to one)."""
    c, moment, lines, said, replies = _build(call, analysis, turn)
    customer_lines = [line for line in lines if line.speaker == Role.CUSTOMER.value and line.turn <= moment.turn]
    return RolePlay(call_id=call.id, moment=moment, excerpt=lines, customer_lines=customer_lines, agent_said=said,
                    replies=replies, notice=_notice(c, moment, replies), redacted=_counts(c, lines))


def coach_pack(call: Call, analysis: CallAnalysis | None, turn: int) -> CoachPack:
    """The coach's pack for the same moment: practising the feedback conversation after an emotionally hard call."""
    c, moment, lines, said, replies = _build(call, analysis, turn)
    did = [DID[b] for b in ("explain_why", "next_steps", "clarifying_question", "reassurance", "confidence_check")
           if any(b in labels for t, labels in c.behaviours.items() if t >= moment.turn)][:2]
    stayed = "You stayed with them" + (f" and {' and '.join(did)}" if did else "") + "."
    hard = f"That was a hard call: the customer was {moment.expressed}." if moment.expressed else \
        "That was a hard call."
    clock = _clock(moment.time)
    at = f"At {clock}, the customer" if clock else "The customer"
    scripted = _scripted(c, moment)
    name_it = [f"{at} said “{moment.words}”. The reply was: “{scripted or said}” What do you notice about it?"
               if said else f"{at} said “{moment.words}”. What could have come next?"]
    if scripted:
        name_it.append("That line could go to any customer on any call; this customer had told you something "
                       "specific.")
    elif "missed_opportunity" in moment.kinds:
        name_it.append(f"The reply moved on before picking up “{moment.words}”.")
    else:
        name_it.append("The customer's words were picked up there; what made that work?")
    steps = [
        Prompt("Recognise effort",
               "An emotionally hard call takes something out of the agent. Start with how they are and with what "
               "they did, specifically.",
               ["How are you doing after that one?",
                f"{hard} {stayed}"]),
        Prompt("Name the behaviour, not the person",
               "Talk about what was said at one moment of the call, never about who the agent is (“robotic”, "
               "“cold”, “careless”).", name_it),
        Prompt("Ask what was happening for the agent",
               "Find out before suggesting anything: the queue, the script, the call before, how the customer's "
               "words landed.",
               ["What was going on for you when they said that?",
                "What made you reach for that line?" if scripted else "What were you focusing on at that point?",
                "Was anything making it harder: the queue, the system, the call before?"]),
        Prompt("Co-create one action",
               "One specific thing, in the agent's words, that you can both check on later.",
               ["What's one thing you'd like to try next time a customer says something like this?",
                f"Could you try using one of their own phrases before you start fixing? Something like: “{replies[0]}”",
                "Shall we pick a call next week to listen back to together and see how it went?"]),
    ]
    agent_lines = ["I was just following the script.", "I did say sorry.",
                   "We had a queue of calls waiting; I didn't have time.",
                   "I fixed the problem in the end, isn't that what matters?"]
    if "frustration" in moment.kinds:
        agent_lines.insert(1, "They were shouting at me. What was I supposed to say?")
    avoid = ["Opening with the score or the scorecard.",
             "Labels about the person: “robotic”, “cold”, “careless”, “unprofessional”.",
             "“Always” and “never”.",
             "A list of five things to work on: one action is enough.",
             "Going straight into the detail without first asking how they are after a hard call."]
    return CoachPack(call_id=call.id, moment=moment, excerpt=lines, agent_said=said, steps=steps,
                     agent_lines=agent_lines, avoid=avoid, replies=replies, redacted=_counts(c, lines))


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
