"""What customers' survey comments say about being heard: heard or not, rushed, scripted, patient, kind.

Comments are short free text, often lower case, unpunctuated and misspelt ("didnt feel like she cared").
Each theme is a short table of phrase patterns, read together with the words just before them in the same
clause. A negation there ("didn't", "never", "no one", "not once did she") turns "heard" into not_heard and
"rushed" into patient, and silences any other theme: "not scripted at all" names nothing we can report.

Verbs the customer can be the subject of ("listened", "cared", "understood") count only when the customer
is not: "i listened to the hold music" and "i dont care about the fee" are not about the agent. Hearing
news ("heard nothing back", "heard about the outage") is never being heard. Wishes and advice ("all i
wanted was to be heard", "you should listen to your customers") count as nothing either way.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from heard.text.sentences import split
from heard.text.speech import compile_phrases

THEMES: dict[str, str] = {
    "heard": "felt heard, listened to or understood",
    "not_heard": "did not feel heard or listened to",
    "rushed": "felt rushed, cut off or hurried off the phone",
    "scripted": "the agent sounded scripted or robotic",
    "patient": "the agent was patient and took their time",
    "kind": "the agent was kind or warm",
}
# What a negated mention means: "didn't feel heard" is not_heard, "didn't rush me" is patient.
FLIP: dict[str, str | None] = {"heard": "not_heard", "rushed": "patient"}

WINDOW = 6  # words before a match in which a negation counts

# Typed "didn't" comes as didnt, didn t, did'nt, dint, dosent ...
_NT = (r"(?:do|does|did|is|are|was|were|has|have|had|could|would|should|wo|ca|ai|must|need)n(?:['’`]|\s)?t|"
       r"did'nt|does'nt|was'nt|could'nt|would'nt|didint|dint|dident|dosent|dosnt|doesent|wasent|wernt|coudnt|"
       r"couldent|cudnt|wouldent|wudnt|dnt")
NEGATOR = re.compile(rf"\b(?:not|never|nobody|noone|no\s+one|none|neither|nor|without|hardly|barely|scarcely|"
                     rf"cannot|lack\w*|zero|instead\s+of|rather\s+than|fail\w*\s+to|refus\w*\s+to|pretend\w*|"
                     rf"{_NT})\b(?!\s+(?:only|just)\b)", re.I)
# "no" negates only right before the words: "no one listened", "no patience", not "no problem, she was kind".
NO = re.compile(r"\bno\b(?!\s+(?:problems?|issues?|doubt|complaints?|matter|hassle|fuss|wait\w*)\b)", re.I)
# Praise built on a negation: "never had such a kind agent", "couldn't have been more patient".
NEVER_SO = re.compile(r"\b(?:so|such(?:\s+a)?|as|more)\s+(?:\w+\s+)?$", re.I)
COULDNT_MORE = re.compile(rf"\b(?:{_NT}|could\s+not)\s+(?:have\s+)?(?:been|be|ask\s+for)\s+(?:any\s+)?(?:a\s+)?"
                          r"(?:more\s+)?$", re.I)
# A new "she was ..." after the negation starts a new thought in an unpunctuated run-on.
NEW_SUBJECT = re.compile(r"(?<!like )(?<!that )(?<! if )(?<!though )\b(?:she|he|they|it)\s+(?:was|were|is|are)\b",
                         re.I)
THINK = re.compile(r"\s+(?:think|thought|believe|reckon|feel|felt)\b", re.I)
# Where a clause starts: punctuation, or a conjunction that can carry a new subject.
CLAUSE = re.compile(r"[.!?;:,\n()\"]|\s[-–—]\s|\b(?:but|and|though|although|however|yet|because|cause|cos|"
                    r"whereas|while|plus|then|otherwise)\b", re.I)
# The customer doing the verb: "i had to listen", "we were listening", "made me listen", "i dont care".
CUSTOMER = re.compile(rf"\b(?:i|we|me|us|im|ive|i['’](?:m|ve|d|ll)|we['’](?:re|ve))(?:\s+(?:am|is|are|was|were|be|"
                      rf"been|being|had|have|has|having|do|does|did|to|just|then|still|also|already|even|really|"
                      rf"actually|only|kept|keep|sat|sit|got|get|could|can|would|will|should|must|might|may|not|"
                      rf"never|honestly|genuinely|truly|totally|completely|definitely|always|{_NT}))*\s*$", re.I)
PASSIVE = re.compile(r"\b(?:(?:was|were)(?:n['’]?t)?|wasent|wernt|be|been|being|get|got|feel|felt)\s+"
                     r"(?:(?:really|actually|truly|so|very|never|not|finally|genuinely|completely|totally|just|ever)"
                     r"\s+)*$", re.I)
# Advice, wishes and what-ifs: "should be more patient", "if she had listened", "try listening".
HYPOTHETICAL = re.compile(r"\b(?:should|shoud|shouldve|ought|if|wish|maybe|need\s+to|needs\s+to|learn\w*\s+"
                          r"(?:how\s+)?to|try|tried|tries|trying|would\s+(?:have|'ve|of)\s+been|would\s+be|"
                          r"could\s+(?:have|'ve|of)\s+been|could\s+be)\b", re.I)
DESIRE = re.compile(r"\b(?:want|need|wish|hop|expect|deserv|ask)\w*\s+(?:(?:was|is|for)\s+)?(?:(?:someone|somebody|"
                    r"anyone|them|her|him|you|they|the\s+\w+)\s+)?to\s+(?:(?:be|feel|just|actually|really|have)\s+)*$",
                    re.I)

FILL = (r"(?:(?:like|as|if|though|that|i|we|was|were|had|have|been|being|am|im|i['’]m|i['’]d|id|i['’]ve|ive|"
        r"finally|actually|really|truly|properly|genuinely|fully|completely|totally|so|very|ever|even|just|for|once|"
        r"not|never|at|all)\s+){0,5}")
NOT_NEWS = (r"(?!\s+(?:nothing|anything|back|from|about|of|that|it|the|a|an|this|them|him|her|people|news|on|in|"
            r"there\s+(?:is|was|were|are|had|has))\b)")
# Listening that is not to the customer: "listening to the hold music", "listening skills".
HOLD = re.compile(r"\s+skills?\b|\s+(?:to\s+)?(?:\S+\s+){0,4}?(?:hold|music|muzak|recording|recorded|message|"
                  r"messages|menu|options|automated|adverts?|ads|jingle|song|tune|loop|voicemail|radio)\b", re.I)
LISTEN = r"lis+t?e?n+"
SAY_SORRY = r"(?:sorry|apologi[sz]\w*)"


class Rule(NamedTuple):
    theme: str
    pattern: re.Pattern[str]
    by_agent: bool                          # only when the customer is not the one doing it
    unless_before: re.Pattern[str] | None   # the clause up to the theme's word ends like this: no mention
    unless_after: re.Pattern[str] | None    # the text right after the match starts like this: no mention


def _rule(theme: str, phrase: str, *, by_agent: bool = False, unless_before: str | None = None,
          unless_after: re.Pattern[str] | None = None) -> Rule:
    return Rule(theme, compile_phrases([phrase]), by_agent,
                re.compile(unless_before + r"\s*$", re.I) if unless_before else None, unless_after)


RULES: list[Rule] = [
    # heard: the feeling, or the agent listening, hearing or understanding.
    _rule("heard", rf"(?:feel|feels|felt|feeling|fealt)\s+{FILL}(?P<w>heard|herd|{LISTEN}(?:ed|d)\s+to|understood|"
                   r"cared\s+(?:for|about)|valued|mattered)" + NOT_NEWS),
    _rule("heard", rf"(?:be|been|being|(?:was|were)(?:n['’`]?t)?|wasent|get|got|getting)\s+{FILL}"
                   rf"(?P<w>heard|{LISTEN}(?:ed|d)\s+to|understood)" + NOT_NEWS),
    _rule("heard", rf"(?P<w>{LISTEN}(?:ed|d|ing|s|er|ers))", by_agent=True, unless_after=HOLD),
    _rule("heard", rf"(?P<w>{LISTEN})", by_agent=True, unless_after=HOLD, unless_before="^"),  # not "listen, ..."
    _rule("heard", r"(?P<w>heard)\s+(?:me|us)(?:\s+out)?(?!\s+(?:say\w*|said|ask\w*|on|over|through|fine|ok|okay|"
                   r"clearly|properly|correctly|right|talk\w*|speak\w*|breath\w*|typ\w*|cry\w*|sigh\w*|swear\w*|"
                   r"shout\w*)\b)", by_agent=True),
    _rule("heard", r"(?P<w>heard)\s+(?:what\s+i\s+(?:was\s+|had\s+to\s+)?(?:saying|said|say|meant|needed|wanted)|"
                   r"my\s+(?:concerns?|problems?|issues?|complaints?|frustrations?|side|story|points?|worr\w+))",
          by_agent=True),
    _rule("heard", r"(?:actually|really|truly|genuinely|finally)\s+(?P<w>heard)" + NOT_NEWS + r"(?!\s+(?:so|such|"
                   r"some|how|what|whether|if|no)\b)"),
    _rule("heard", r"(?:(?P<w>hear)\s+(?:me|us)\s+out|(?:want\w*|wanna|willing|bother\w*)\s+to\s+hear)",
          by_agent=True),
    _rule("heard", r"(?<!customer )(?<!take )(?<!took )(?<!taken )(?<!takes )(?<!taking )(?<!health )(?<!after )"
                   r"(?<!with )(?<!who )(?<!self )(?<!extra )(?<!child )(?<!of )(?P<w>cared|cares|care)(?!\s+(?:of|"
                   r"homes?|package|plan|team|line|cent(?:er|re)|workers?|provider|assistant|card|credit)\b)",
          by_agent=True),
    _rule("heard", r"(?P<w>under?stood|understod|undestood|understands?)",
          by_agent=True, unless_before=r"\b(?:hard|difficult|impossible|easy|easier|simple|clear|able|unable|"
                                       r"struggled|struggling|help\w*)\s+(?:me\s+)?to"),
    # not heard: felt ignored, talked over, brushed off, "like talking to a wall".
    _rule("not_heard", rf"(?:feel|feels|felt|feeling)\s+{FILL}(?P<w>ignored|dismissed|unheard|invisible|belittled|"
                       r"patroni[sz]ed|fobbed\s+off|brushed\s+off|like\s+(?:just\s+)?a\s+number|like\s+(?:a|an)\s+"
                       r"(?:nuisance|inconvenience|burden))"),
    _rule("not_heard", r"unheard|dismissive|uncaring|unsympathetic|uninterested|disinterested|"
                       r"(?:fell|falling|fall|falls)\s+on\s+deaf\s+ears|talking\s+to\s+(?:a\s+)?(?:brick\s+)?wall|"
                       r"talking\s+to\s+myself|in\s+one\s+ear\s+and\s+out\s+the\s+other|"
                       r"(?:brush\w*|fob\w*)\s+(?:me|us)\s+off|"
                       rf"(?:{_NT}|did\s+not|would\s+not)\s+(?:even\s+)?(?:want\s+to|wanna)\s+(?:know|hear\s+it)"),
    _rule("not_heard", r"(?P<w>ignor(?:ed|ing|es)|dismissed|interrupt(?:ed|ing|s)?|"
                       r"(?:talk|talked|talking|talks|spoke|speaking)\s+(?:over|down\s+to))"
                       r"(?!\s+(?:the\s+)?(?:message|email|warning|letter|alert|it|options|details|plan)\b)",
          by_agent=True),
    _rule("not_heard", rf"(?:(?:{_NT}|did\s+not)\s+(?:seem|sound|appear)|(?:was|were)(?:n['’]?t|\s+not)|wasent|wernt)"
                       r"\s+(?:\w+\s+)?interested", by_agent=True),
    # rushed
    _rule("rushed", r"in\s+(?:a|such\s+a)\s+(?P<w>rush|hurry)|(?P<x>rush(?:ed|ing)|hurr(?:ied|ying)|russhed|rused)"
                    r"(?!\s+(?:to|home|out|over|round|around|back)\b)", by_agent=True),  # not "rushed to fix it"
    _rule("rushed", r"(?<!in a )(?<!such a )(?P<w>rush|rushes|hurry)(?!\s+hour\b)",
          by_agent=True, unless_before="^"),   # "didnt rush me", not "hurry up and fix it"
    _rule("rushed", r"(?:hung|hang|hangs|hanging)\s+up\s+on\s+(?:me|us|my)|put\s+the\s+phone\s+down\s+on\s+(?:me|us)|"
                    r"(?:cut|cutting|cuts)\s+(?:me|us|my\s+\w+)\s+(?:off|short)|kept\s+cutting\s+in|"
                    r"(?:get|getting|got|wanted|want|wants|hurr\w+|rush\w+)\s+(?:me|us)\s+off\s+the\s+"
                    r"(?:phone|line|call)|get(?:ting)?\s+rid\s+of\s+(?:me|us)|impatient\w*|abrupt\w*|curt(?:ly)?|"
                    r"short\s+with\s+(?:me|us)|watching\s+the\s+clock|clock[- ]?watch\w*|"
                    r"(?:spoke|speaking|talked|talking|talks)\s+(?:(?:way|too|so|really|very)\s+)+fast|"
                    r"(?:lost|losing|lose|ran\s+out\s+of|running\s+out\s+of)\s+(?:\w+\s+)?patience|"
                    rf"(?:{_NT}|could\s+not|never|barely|hardly|not\s+able\s+to|unable\s+to)\s+(?:even\s+)?"
                    r"get\s+a\s+word\s+in|"
                    rf"(?:{_NT}|did\s+not|would\s+not)\s+(?:let|give)\s+(?:me|us)\s+(?:a\s+|the\s+|any\s+)?"
                    r"(?:chance\s+to\s+)?(?:finish|speak|talk|explain|ask)|"
                    rf"(?:{_NT}|could\s+not)\s+wait\s+to\s+(?:get\s+(?:rid\s+of\s+)?(?:me|us)(?:\s+off\s+the\s+(?:phone|line|call))?|"
                    r"end|finish|hang)"),
    # scripted
    _rule("scripted", r"(?<!off )(?<!off the )(?<!off of )(?:script(?:ed|s|y)?|scipted|scritped)"),
    _rule("scripted", r"robot(?:ic|ical|ically|-like|like)|monotone|canned|rehearsed|insincere|disingenuous|"
                      r"like\s+(?:talking\s+to\s+|speaking\s+to\s+)?(?:a|an)\s+(?:robot|machine|bot|computer|"
                      r"recording|automaton|parrot|broken\s+record)|"
                      r"(?:thought|felt|sounded|sounds|seemed)\s+(?:\w+\s+){0,4}?(?:a\s+)?(?:robot|bot|machine)|"
                      r"read(?:ing|s)?\s+(?:it\s+|them\s+|everything\s+)?(?:off\s+|from\s+|out\s+of\s+|of\s+)?"
                      r"(?:a|the|her|his|their|some)?\s*(?:card|script|sheet|screen|autocue|teleprompter|"
                      r"prompts?|cue\s*cards?)(?!\s*(?:number|details|digits|no)\b)|"
                      r"sounded\s+like\s+(?:she|he|they|it)\s+(?:was|were)\s+reading|"
                      r"(?:fake|forced|hollow|generic|textbook|copy\s*(?:and|&|n)?\s*past\w*)\s+(?:apolog\w+|sorry|"
                      r"empathy|sympathy|concern|smile|voice|niceness|politeness|cheer\w*|responses?|answers?|"
                      r"repl(?:y|ies)|lines?)|"
                      r"(?:sounded|sounds|felt|seemed)\s+(?:so\s+|very\s+|really\s+)?(?:fake|forced|hollow|"
                      r"automated)|going\s+through\s+the\s+motions|tick(?:ing)?\s+(?:the\s+)?box(?:es)?|"
                      r"box[- ]?ticking|"
                      rf"(?:not|{_NT})\s+(?:very\s+|at\s+all\s+|sound\s+|seem\s+)?(?:genuine|sincere)|"
                      rf"{SAY_SORRY}\s+(?:over\s+and\s+over|again\s+and\s+again|repeatedly|constantly|every\s+"
                      r"(?:other\s+)?(?:sentence|line|minute|second)|(?:(?:like|about|at\s+least|over|literally)\s+)?(?:\d+|a\s+(?:million|hundred|thousand|dozen)|"
                      r"so\s+many|too\s+many|ten|twenty|fifty|hundred)\s+times)|"
                      r"(?:sorry[\s,.!]+){2,}sorry|kept\s+(?:on\s+)?apologi[sz]\w*|over-?apologi[sz]\w*|"
                      rf"apologi[sz]\w*\s+too\s+much|kept\s+(?:on\s+)?(?:saying|repeating)\s+(?:{SAY_SORRY}|"
                      r"the\s+same|i\s+understand|(?:that\s+)?(?:she|he|they)\s+(?:understood|understands|was\s+"
                      r"sorry|were\s+sorry)|how\s+sorry|my\s+name)|"
                      r"same\s+(?:lines?|phrases?|sorry|apology|words|thing|sentence|response|answer)\s+(?:over\s+and\s+"
                      r"over|again\s+and\s+again|every\s+time|each\s+time|repeatedly|\d+\s+times)"),
    # patient
    _rule("patient", r"(?P<w>patient(?:ly)?|patience|pateint|paitent|paitient|patiant|pacient)",
          unless_before=r"\b(?:lost|lose|losing|ran\s+out\s+of|running\s+out\s+of)\s+(?:\w+\s+)?"),
    _rule("patient", r"(?:took|take|takes|taking)\s+(?:her|his|their|the|your|all\s+the|extra)\s+time(?!\s+(?:getting|"
                     r"answering|responding|replying|sending|fixing|sorting|processing|calling|to\s+(?:answer|get|"
                     r"pick|respond|reply|call|send|fix|sort|process|arrive|come|refund)|with\s+the\s+refund)\b)|"
                     r"gave\s+me\s+(?:all\s+the\s+|plenty\s+of\s+|as\s+much\s+|the\s+)?time\s+(?:i\s+needed|to)"),
    # kind
    _rule("kind", r"(?<!what )(?<!any )(?<!some )(?<!this )(?<!that )(?<!which )(?<!same )(?<!these )(?<!those )"
                  r"(?<!all )(?P<w>kind(?:ly|ness|er|est)?)(?!\s+(?:of|regards|a|sorta)\b)"),
    _rule("kind", r"(?P<w>warm(?:th|ly|er|est)?|warm-hearted|kind-hearted|big-hearted|love?ly|lovley|loveley|"
                  r"lovelier|compassion(?:ate)?|empath(?:y|etic|ic)|sympathetic|sweet|sweetheart|gentle|thoughtful|"
                  r"considerate|heart\s+of\s+gold)(?!\s+(?:transfer|handover|hand-?off|water|weather)\b)"),
    _rule("kind", r"(?<!user )(?<!user-)(?<!eco-)(?<!eco )(?<!family )(?<!budget )(?<!pet )(?P<w>friendly|freindly|"
                  r"frendly|friendley|freindley|friendlier|friendliest)"),
    _rule("kind", r"(?:so|very|really|super|extremely|incredibly|such\s+a)\s+(?P<w>nice)|(?P<x>nice)\s+(?:lady|man|"
                  r"guy|gentleman|woman|girl|person|agent|young)"),
    _rule("kind", r"(?:so|very|really|extremely|incredibly|super|most|was|were|is|and|more)\s+(?P<w>understanding)"
                  r"(?!\s+(?:of|that|what|how|why|is)\b)"),
    _rule("kind", r"(?P<w>caring)", by_agent=True),
]


@dataclass(frozen=True)
class Mention:
    """One theme in a comment: the matched words, where they are, and the sentence they are in."""

    theme: str               # a THEMES key
    span: tuple[int, int]    # character offsets of the matched words (from the negation: "didnt feel heard")
    text: str                # the matched words
    sentence: str            # the sentence or clause of the comment it is in


def mentions(comment: str) -> list[Mention]:
    """Every theme the comment mentions, at most one Mention per theme (its first), in text order."""
    breaks = [m.end() for m in CLAUSE.finditer(comment)]
    first: dict[str, Mention] = {}
    for rule in RULES:
        for m in rule.pattern.finditer(comment):
            found = _theme(comment, m, rule, breaks)
            if found is None:
                continue
            theme, start = found
            if theme not in first or start < first[theme].span[0]:
                first[theme] = Mention(theme, (start, m.end()), comment[start:m.end()],
                                       _sentence(comment, start, m.end()))
    return sorted(first.values(), key=lambda mention: mention.span)


def themes_of(comment: str) -> set[str]:
    """The themes a comment mentions."""
    return {mention.theme for mention in mentions(comment)}


def _theme(comment: str, m: re.Match[str], rule: Rule, breaks: list[int]) -> tuple[str, int] | None:
    """The theme a match stands for, read with the words before it in its clause, and where its words start
    (at the negation, for a negated one); None when it says nothing."""
    head = next((m.start(g) for g in ("w", "x") if g in m.re.groupindex and m.start(g) >= 0), m.start())
    at = bisect_right(breaks, m.start())
    clause_start = breaks[at - 1] if at else 0
    before = comment[clause_start:m.start()]
    lead = comment[clause_start:head]            # the clause up to the theme's own word
    if (rule.unless_before and rule.unless_before.search(lead)) or \
            (rule.unless_after and rule.unless_after.match(comment, m.end())):
        return None
    passive = comment[head:m.end()].split()[0].lower().endswith("ed") and PASSIVE.search(before)
    if rule.by_agent and CUSTOMER.search(before) and not passive:
        return None                              # "i had to listen", but "i was rushed"
    if HYPOTHETICAL.search(_last_words(lead, WINDOW + 2)):
        return None
    window = _last_words(lead, WINDOW)
    negation = _negation(window)
    either = list(re.finditer(r"\b(?:or|nor)\b", lead))
    if negation is None and either:              # "never made me feel stupid or rushed"
        window = _last_words(lead[:either[-1].start()], WINDOW) + lead[either[-1].start():]
        negation = _negation(window)
    if negation is not None:
        flipped = FLIP.get(rule.theme)
        return (flipped, min(m.start(), head - len(window) + negation)) if flipped else None
    if rule.theme == "heard" and DESIRE.search(lead):
        return None                              # "all i wanted was to be heard"
    return rule.theme, m.start()


def _negation(window: str) -> int | None:
    """Where the negation is in these last words before a theme's word; None when there is none, or only one
    that makes praise."""
    two = _last_words(window, 2)
    no = NO.search(two)
    if no:
        return len(window) - len(two) + no.start()
    for neg in NEGATOR.finditer(window):
        rest = window[neg.start():]
        if NEW_SUBJECT.search(rest, neg.end() - neg.start()) and not THINK.match(rest, neg.end() - neg.start()):
            continue                             # "didnt take long she was so kind", not "dont think she was"
        if rest.lower().startswith(("never", "not once")) and NEVER_SO.search(rest):
            continue                             # "never met anyone so patient"
        if COULDNT_MORE.search(rest):
            continue                             # "couldn't have been more patient"
        return neg.start()
    return None


def _last_words(text: str, n: int) -> str:
    starts = [w.start() for w in re.finditer(r"\S+", text)]
    return text[starts[-n]:] if len(starts) >= n else text


def _sentence(comment: str, start: int, end: int) -> str:
    spans = [s for s in split(comment) if s[0] < end and start < s[1]]
    return comment[spans[0][0]:spans[-1][1]] if spans else comment[start:end]
