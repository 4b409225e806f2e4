"""Personal data out of call transcripts, before they are stored: card numbers, national ids, phone numbers,
e-mail addresses, dates of birth, postal addresses and account numbers, written or spoken, become typed
placeholders ("[CARD]", "[PHONE]", ...). Opt-in: the [redaction] section of heard.toml (`RedactionSettings`).

`find_pii` and `redact_text` work on one text; `redact_call` on a whole call, its words and their times, and
its `RedactionReport` gives the stretches of audio to mute. `heard.redact.testset` generates a labelled set
of contact-centre utterances and measures the detectors on it (scripts/redaction_eval.py prints the figures).
"""

from heard.redact.calls import RedactedItem, RedactionReport, RedactionSettings, redact_call
from heard.redact.detect import ALL, PiiSpan, PiiType, find_pii, placeholder, redact_text

__all__ = [
    "ALL", "PiiSpan", "PiiType", "RedactedItem", "RedactionReport", "RedactionSettings", "find_pii", "placeholder",
    "redact_call", "redact_text",
]
