"""heavy: was this an emotionally heavy call for the agent to take? Read from what the customer said, never from
the agent's voice, words or feelings: heard does not infer how an agent feels.

Labels: `bereavement` (a death or terminal illness in the customer's life: "my husband passed away last week",
"my late mother's account", "the funeral is on friday"; not "the battery died", "i'm dying to know"), `abuse`
(the customer insults or swears at the agent: "you're a useless idiot", "f*** off"; not swearing about the
situation, "this bloody phone"), `threat` (violence or harm threatened to the agent or others, or the customer
speaking of harming themselves: "i know where your office is", "i don't want to live anymore"; not "i'll take my
business elsewhere" or "i'll go to the ombudsman"), `distress` (acute distress: crying, "i can't cope", "my kids
have nothing to eat", panic, domestic abuse disclosed, serious illness or hospital).

Transcripts are lower case, unpunctuated and disfluent, so a turn is read as its tokens with fillers ("um") and
stutters ("i i'm") dropped and masked swearing ("f***") spelled out; evidence maps back to the turn's own
characters. A phrase does not count when its clause negates it ("i'm not in hospital", "i'm not saying i'm
desperate"), when it is about someone else where that matters ("she's a stupid cow", "he called me an idiot"),
or, for bereavement and distress, when it is a condition ("if my husband died would the policy pay"). A threat
made on a condition is still a threat. One finding per label per call, with evidence from every turn.

`is_heavy(summary)` is the one definition of a heavy call every feature uses (the emotional-load page, wins,
huddles): a heavy label, or a customer who started very negative, or several frustration cues, or an escalation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from heard.analysers.registry import NoSettings, Output, analyser
from heard.model import Call, Evidence, Finding, Metric, Role
from heard.text.spoken import PUNCT, SENTENCE_END, Words, spoken_words

NAME = "heavy"
LABELS = ("bereavement", "abuse", "threat", "distress")
START_AT = -0.6   # the customer's first quarter at or below this sentiment (-1 to 1): a heavy call
CUES_AT = 2       # this many frustration cues or more: a heavy call

_TOKEN = re.compile(r"[a-z0-9*&]+(?:'[a-z]+)*|[.?!;,]", re.I)
# Speech-to-text drops apostrophes; these are read as the contraction ("dont" as "don't").
_CONTRACTIONS = {w.replace("'", ""): w for w in (
    "i'm i've don't can't won't didn't doesn't isn't wasn't aren't weren't haven't hasn't couldn't "
    "wouldn't shouldn't ain't you're you've you'll he's she's they're they've we've that's what's it's "
    "there's".split())}
_CONTRACTIONS |= {"gonna": "going to", "wanna": "want to", "gotta": "got to", "cannot": "can't", "ur": "you're",
                  "u": "you", "ya": "you", "im": "i'm", "ive": "i've", "youre": "you're"}
# Masked swearing ("f***", "f**king", "c**t") is read as the word it hides.
_MASKABLE = ("fuck", "fucking", "fucked", "fucker", "fuckin", "shit", "cunt", "twat", "bitch", "prick", "wanker",
             "bastard", "dickhead", "arsehole", "asshole", "piss", "motherfucker")
_SUBJECTS = frozenset("i i'm i'll ill i've i'd we we'll we're we've you you're you'll you've he she he's she's they "
                      "they're they've it it's that's my our his her their someone somebody".split())
_THIRD = frozenset("he she he's she's they they're they've his her their someone somebody".split())
_JOINS = frozenset("but so and because cos cause though although however okay ok alright well yes yeah".split())
_NEGATORS = frozenset("not never no nobody noone nothing without".split())
_SAYING = frozenset("saying say said like that think mean claiming suggesting meant".split())
_HYPOTHETICAL = frozenset("if suppose supposing imagine whether forbid event unless".split())
_NOT_CONDITION_BEFORE = frozenset("sorry even as see wonder".split())
_REPORTED = frozenset("told tells said says called calls calling saying".split())
_DETERMINERS = frozenset("that the this my his her their some a an your".split())


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'*]){pattern}(?![\w'*])")


_KIN = (r"(?:husband|wife|partner|mum|mom|mother|mam|mummy|dad|father|daddy|son|daughter|baby|child|kid|boy|girl|"
        r"brother|sister|nan|nana|nanna|gran|granny|grandma|grandmother|grandad|granddad|grandpa|grandfather|uncle|"
        r"aunt|auntie|aunty|cousin|fiance|fiancee|boyfriend|girlfriend|friend|stepdad|stepmum|stepfather|stepmother|"
        r"nephew|niece|twin|grandson|granddaughter|parents?|children|kids|sons|daughters)(?: in law)?")
_ADJ1 = r"(?:[a-z]+ )?"   # one word between "my" and the person: "my little brother", "my dear mum"
_WHO = rf"(?:(?:my|our|his|her|their) {_ADJ1}{_KIN}|he|she|someone|somebody)"
_ABUSER = r"(?:(?:my|our|her) (?:ex(?: partner| husband| wife| boyfriend| girlfriend)?|partner|husband|wife|" \
          r"boyfriend|girlfriend|dad|father|stepdad|son)|he|she)"
_INSULT = (r"(?:idiot|moron|imbecile|cretin|bitch|cow|cunt|twat|prick|dick|dickhead|wanker|bastard|asshole|"
           r"arsehole|dumbass|retard|scum|scumbag|loser|slag|slut|whore|tosser|knobhead|pillock|shithead|fuckwit|"
           r"fucker|motherfucker|douchebag|pig|dimwit|halfwit|numpty|muppet)s?")
_STRONG = r"(?:cunt|twat|wanker|dickhead|bitch|motherfucker|slag|whore|slut|retard|spastic|fuckwit|shithead)s?"
_ADJ = (r"(?:stupid|useless|fucking|fuckin|bloody|thick|dumb|ignorant|incompetent|pathetic|absolute|complete|total|"
        r"utter|brainless|lazy|fat|ugly|silly|rude|miserable|horrible|worthless|dirty|bleeding|sodding)")
_I_WILL = (r"(?:i'll|ill|i will|i'm going to|i am going to|i want to|i'd like to|i could|i swear i'll|i'm|i am)"
           r"(?: (?:come|coming) (?:down|round|over|in|up)(?: there| here)?(?: and| to)?)?(?: (?:fucking|bloody|"
           r"personally|just|literally|actually|come and|go and))*")
_PERSON_TARGET = (r"(?:you|you all|your (?:face|head|teeth|legs|family|kids|staff|manager|boss)|him|her|them|someone|"
                  r"somebody|everyone|everybody|whoever|the lot of you|every (?:one|last one) of you|the (?:guy|man|"
                  r"woman|lady|girl|bloke|person|manager|staff|agent))")
_PLACE = r"(?:place|office|offices|shop|store|branch|building|call centre|call center|head office)"

# (label, pattern, blocked by a hypothetical, blocked when it is about someone else)
_PATTERNS: list[tuple[str, str, bool, bool]] = [
    # bereavement
    ("bereavement", rf"{_WHO}(?:'s| has| had| is| was)?(?: just| recently| sadly| suddenly| unexpectedly| only| "
                    rf"actually| finally)* (?:died|passed away|passed on|passed(?= (?:last|recently|yesterday|this|"
                    rf"in|on|over|earlier|away|two|three|four|a few|a couple|the other)(?![\w'])| [.,;?!]|$))",
     True, False),
    ("bereavement", rf"{_WHO}(?:'s| is| was)(?: now| sadly)? dead(?! set)", True, False),
    ("bereavement", rf"{_WHO}(?:'s| is)(?: actually| now| sadly| slowly| literally)? dying(?! to)", True, False),
    ("bereavement", rf"(?:i|we|i've|we've)(?: just| recently| sadly| tragically)? (?:lost|losing) (?:my|our) "
                    rf"{_ADJ1}{_KIN}(?! (?:in|at) the)", True, False),
    ("bereavement", rf"(?:my|our|his|her|their|the) late {_ADJ1}{_KIN}(?:'s)?", False, False),
    ("bereavement", r"passed away|funerals?(?! plans?| cover| insurance| polic)|bereavement|bereaved|widowed|widow|"
                    r"widower|probate|death certificates?|a death in the family|"
                    r"(?:death|passing|loss) of (?:my|our|his|her|their)|(?:since|after|before) "
                    r"(?:his|her|their) (?:death|passing)|terminal(?:ly)? ill|terminal (?:cancer|illness|diagnosis)|"
                    r"(?:it's|is|was) terminal(?! \d| one| two| three| four| five)|palliative(?: care)?|hospices?|"
                    r"end of life care|(?:weeks|months|days) (?:left )?to live|committed suicide|"
                    r"took (?:his|her|their) own life|killed (?:himself|herself)|"
                    r"stillborn|stillbirth|miscarriage|miscarried", True, False),
    # abuse at the agent
    ("abuse", rf"(?:you|you're|you are|your|you lot are|you people are|you guys are|you're all|you are all)"
              rf"(?: an?| such an?| just an?| the| all)?(?: {_ADJ})* {_INSULT}", False, True),
    ("abuse", rf"{_ADJ}(?: {_ADJ})* (?:{_INSULT}|woman|man|girl|boy)(?= [.,;?!]|$| you| i| and| just| listen)",
     False, True),
    ("abuse", _STRONG, False, True),
    ("abuse", r"(?:fuck|f|eff|fck|fk|piss|sod|bugger) off|(?:go )?(?:fuck|screw|sod|bugger) (?:you|yourself|yourselves)"
              r"|go to hell|rot in hell|shut the fuck up|shut (?:up )?your (?:fucking |bloody )?(?:mouth|face|trap|gob)"
              r"|up yours|kiss my (?:arse|ass)|eat shit|suck my", False, True),
    # threats of harm, to the agent or others, or to themselves
    ("threat", rf"{_I_WILL} (?:smash|punch|kill|stab|shoot|hurt|batter|strangle|murder|slap|bash|thump|throttle|deck|"
               rf"knife|knock out|beat up|beat|hit|kick|break|burn|rip|sort out|do in) (?:in )?{_PERSON_TARGET}"
               rf"(?! (?:with|a|the|an|some|any|that|this|those|it|back|on|off)\b)", False, False),
    ("threat", rf"{_I_WILL} (?:find|get|come for|come after|hunt down|hunt) you(?! (?:a|an|the|some|that|those|it|"
               rf"on|off|back|through|to|sorted|something|anything|what|my|your|in|an?)\b)", False, False),
    ("threat", rf"{_I_WILL} (?:smash|wreck|trash|burn down|burn|torch|blow up|bomb|set fire to) (?:up )?(?:the|your)"
               rf" {_PLACE}", False, False),
    ("threat", r"i know where (?:you|you all|your (?:office|offices|call centre|call center|head office|building|"
               r"staff|boss|manager|family|kids|wife|husband))(?: [a-z]+)? (?:live|lives|work|works|is|are|sleep)",
     False, False),
    ("threat", r"watch your back|you're dead meat|you're a dead (?:man|woman)|you're dead(?= [.,;?!]|$)|"
               r"i've got a (?:gun|knife)|i'll bring a (?:gun|knife)|plant a bomb", False, False),
    ("threat", r"(?:i|i just|i really|i honestly) (?:don't|do not) want to (?:live(?! (?:in|at|with|there|"
               r"here|like|near|on|abroad)\b)|be alive|exist|wake up|be here any ?more|go on any ?more|carry on "
               r"any ?more)|i (?:want|just want) to die|i (?:wish|just wish) "
               r"i (?:was|were) dead|(?:end|ending) it all|(?:end|ending|take|taking) my (?:own )?life|"
               r"(?:kill|killing|hurt|hurting|harm|harming|top|topping) myself(?! laughing)|(?<!committed )suicide|"
               r"suicidal|self harm(?:ing)?|nothing (?:left )?to live for|no (?:reason|point) (?:to live|in living)|"
               r"not worth living|better off dead|better off without me|can't go on living|"
               r"jump (?:off a bridge|in front of a (?:train|bus|car))", False, True),
    # distress
    ("distress", r"(?:i'm|i am|i've been|i have been|i was|i keep|i can't stop|can't stop|sorry i'm|sorry for|"
                 r"sorry about|sorry|excuse me i'm|i just|i'm just)(?: (?:just|literally|actually|so|really|sat here|"
                 r"sitting here|still|been|getting))* (?:crying|sobbing|in tears|tearful|shaking|trembling)"
                 r"(?! out loud)|(?:burst|broke|broken|breaking) (?:down )?(?:into|in) tears|"
                 r"i'm (?:completely )?breaking down", True, False),
    ("distress", r"i'm (?:so |really |absolutely |completely |just |getting |feeling |literally |totally |at )*"
                 r"(?:desperate(?! to)|breaking point|the end of my tether|my (?:wits|wit's) end|falling apart|"
                 r"beside myself|in bits|in pieces|distraught|devastated|heartbroken|panicking|terrified|petrified|"
                 r"frightened|"
                 r"overwhelmed|in a (?:real )?state|in a panic|in crisis|going out of my mind|losing my mind|"
                 r"at rock bottom)", True, False),
    ("distress", r"(?:so|really|absolutely|genuinely|properly) scared|panic attacks?|i can't breathe", True, False),
    ("distress", r"(?:i|we)(?: just| really| honestly| simply)? (?:can't|cannot|don't know how to|am not|are not|"
                 r"aren't) (?:cope|coping)|(?:i'm|we're) not coping|(?:i|we) (?:just )?can't (?:take|do|handle|deal "
                 r"with) (?:it|this|any of this)(?: any ?more| no more)|(?:i|we) (?:just )?can't take any ?more|"
                 r"(?:i|we) (?:can't|just can't) go on (?:like this|any ?more)|"
                 r"i (?:don't|do not) know what (?:else )?to do any ?more", True, False),
    ("distress", r"no money (?:left )?(?:for|to buy|to get) (?:food|nappies|formula|electric|electricity|gas|"
                 r"heating|the meter)|can't afford (?:to eat|food|to feed|to heat|nappies|formula|to put food)|"
                 r"(?:my|our|the) (?:kids|children|babies|family|baby|son|daughter|little ones?) (?:have|has|'ve|"
                 r"haven't|hasn't|have got|got)(?: got)? (?:nothing|no food|not eaten|not had anything)(?: to eat)?|"
                 r"(?:going|gone|go) hungry|food banks?|haven't eaten (?:in|for)|nothing (?:left )?to eat|"
                 r"put food on the table|(?:being|getting|about to be|going to be) evicted|eviction|"
                 r"(?:be|end up|we're|i'm|i am|we are) homeless|(?:be|end up|living|sleeping) on the streets?|"
                 r"sleeping (?:in my car|rough)|(?:(?:don't|do not) want to |going to |about to |could |might |"
                 r"will )?lose (?:my|our|the) (?:home|house|flat)|bailiffs? (?:are|were|at|coming|came|turned up|"
                 r"on my|have been|knocking)", True, False),
    ("distress", rf"domestic (?:abuse|violence)|abusive (?:relationship|partner|husband|ex|marriage|boyfriend|wife|"
                 rf"home)|(?:coercive|controlling) (?:control|behaviour|relationship)|(?:fleeing|fled|escaping|"
                 rf"escaped|left) (?:an abusive|my abusive|domestic|a violent|my violent)|women's refuge|"
                 rf"(?:in|at|to) a refuge|(?:non molestation|restraining|protective) order|{_ABUSER}(?:'s)?"
                 rf"(?: has)? (?:hits|hit(?! me with)|beats|beat|beaten|abused|abuses|hurts|hurt|attacked|assaulted|"
                 rf"strangled|threatened|threatens|is threatening) me|{_ABUSER} (?:controls|takes all|took all|"
                 rf"has taken all) (?:of )?(?:my|our) money", True, False),
    ("distress", rf"(?:in|into|out of|from|rushed to|taken to|admitted to|at) (?:the )?(?:hospital|a&e|a and e|"
                 rf"accident and emergency|intensive care|icu|itu)|diagnosed with (?:\w+ )?(?:cancer|a tumou?r|"
                 rf"leuka?emia|dementia|alzheimer's|motor neurone|parkinson's|sepsis|a brain)|(?:i've|i have|he's|"
                 rf"she's|he has|she has|has|have) got (?:\w+ )?(?:cancer|a tumou?r|leuka?emia|dementia)|"
                 rf"chemo|chemotherapy|radiotherapy|(?:had|having|has had|suffered) a (?:stroke|heart attack|"
                 rf"breakdown|nervous breakdown|seizure)|mental health crisis|sectioned|life support|"
                 rf"critical condition|in a coma|(?:seriously|critically|gravely) (?:ill|poorly)|"
                 rf"{_WHO}(?:'s| is| has been| was)(?: [a-z]+)? (?:suicidal|self harming)|{_WHO} (?:tried|has tried|"
                 rf"attempted) to (?:kill|hurt) (?:himself|herself|themselves)", True, False),
]
PATTERNS = [(label, _rx(p), hypothetical, other) for label, p, hypothetical, other in _PATTERNS]
# A transcriber's note for crying ("[crying]", "(sobbing)", "*sniffles*"), read in the turn's own characters.
_ANNOTATION = re.compile(r"[\[(*]\s*(?:crying|cries|sobbing|sobs|sniff(?:les|ling)?|tearful|in tears|distressed|"
                         r"upset)\s*[\])*]", re.I)


def _unmask(token: str) -> str:
    for word in _MASKABLE:
        if len(word) == len(token) and all(a in ("*", b) for a, b in zip(token, word, strict=True)):
            return word
    return token.replace("*", "")


def _normalise(token: str) -> str:
    """Masked swearing spelt out ("f***"), stray asterisks and ampersands dropped, contractions written out."""
    token = token.strip("*&") if token[0] in "*&" or token[-1] == "&" else token
    token = _unmask(token) if "*" in token else token
    return _CONTRACTIONS.get(token, token)


def _words(text: str) -> Words:
    return spoken_words(text, token=_TOKEN, normalise=_normalise)


def _blocked(words: Words, at: int, hypothetical: bool, other: bool) -> bool:
    """Whether the phrase starting at token `at` is negated, a condition, or (when `other`) said of or by someone
    else, judged by the words before it in its clause (back to its subject) and the few before that."""
    tokens = words.tokens
    k, subject = at - 1, None
    if tokens[at].split()[0] not in _SUBJECTS:
        while k >= 0 and at - k <= 6 and tokens[k] not in PUNCT and tokens[k] not in _JOINS:
            if tokens[k].split()[0] in _SUBJECTS:
                subject = tokens[k]
                k -= 1
                break
            k -= 1
    clause = tokens[k + 1:at]
    lead: list[str] = []
    j = k
    while j >= 0 and len(lead) < 3 and tokens[j] not in SENTENCE_END:
        lead.insert(0, tokens[j])
        j -= 1
    near = " ".join(clause).split()
    # "no" just before the phrase negates it ("there's no funeral"); further back it is an answer ("no i'm ...").
    if any((t in _NEGATORS and t != "no") or t.endswith("n't") for t in near) or "no" in near[-2:]:
        return True
    if any(t in _NEGATORS or t.endswith("n't") for t in lead) and _SAYING & set(lead + clause):
        return True
    if hypothetical and _condition(clause, lead):
        return True
    if other:
        if subject in _THIRD or _REPORTED & set(lead + clause):
            return True
        if clause and clause[-1] in _DETERMINERS:
            return True
    return False


def _condition(clause: list[str], lead: list[str]) -> bool:
    around = lead + clause
    for i, token in enumerate(around):
        if token in _HYPOTHETICAL and not (token == "if" and i and around[i - 1] in _NOT_CONDITION_BEFORE):
            return True
        if token == "case" and i and around[i - 1] == "in":
            return True
    return False


@dataclass
class _Hit:
    label: str
    span: tuple[int, int]


def heavy_hits(text: str) -> list[tuple[str, tuple[int, int]]]:
    """The heavy moments in one customer turn: (label, span of the words), in order."""
    words = _words(text)
    found: list[_Hit] = []
    taken: set[int] = set()
    candidates = sorted(((m.start(), -m.end(), label, hyp, other) for label, rx, hyp, other in PATTERNS
                         for m in rx.finditer(words.text)), key=lambda c: (c[0], c[1]))
    for start, neg_end, label, hyp, other in candidates:
        first, after = words.index(start), words.index(-neg_end)
        if after <= first or taken & set(range(first, after)) or _blocked(words, first, hyp, other):
            continue
        taken |= set(range(first, after))
        found.append(_Hit(label, (words.spans[first][0], words.spans[after - 1][1])))
    found += [_Hit("distress", m.span()) for m in _ANNOTATION.finditer(text)]
    return [(h.label, h.span) for h in sorted(found, key=lambda h: h.span)]


@analyser(NAME, version=1, produces=("heavy",))
def heavy(call: Call, settings: NoSettings) -> Output:
    """Bereavement, abuse, threats and acute distress in what the customer said, with their words as evidence."""
    by_label: dict[str, Finding] = {}
    for i, turn in enumerate(call.turns):
        if turn.speaker is not Role.CUSTOMER:
            continue
        for label, span in heavy_hits(turn.text):
            evidence = Evidence(turn=i, span=span, text=turn.text[span[0]:span[1]], time=turn.start)
            if label in by_label:
                by_label[label].evidence.append(evidence)
            else:
                by_label[label] = Finding(kind="heavy", label=label, analyser=NAME, evidence=[evidence])
    findings = sorted(by_label.values(), key=lambda f: (f.evidence[0].turn, LABELS.index(f.label)))
    return Output(findings=findings, metrics=[
        Metric(name="heavy", value=1 if findings else 0, party=Role.CUSTOMER, analyser=NAME,
               turns=sorted({e.turn for f in findings for e in f.evidence}))])


def is_heavy(summary: dict[str, Any] | None) -> bool | None:
    """Whether a call was heavy for the agent, from its stored summary (CallAnalysis.summary()): a heavy label, or
    the customer's first quarter at or below START_AT, or CUES_AT frustration cues or more, or an escalation.
    None when the call has no analysis to tell (no summary, or one without `heavy` and `customer_start`)."""
    if summary is None or (summary.get("heavy") is None and summary.get("customer_start") is None):
        return None
    start = summary.get("customer_start")
    return bool(summary.get("heavy")) or (start is not None and start <= START_AT) \
        or (summary.get("cues") or 0) >= CUES_AT or (summary.get("escalations") or 0) > 0
