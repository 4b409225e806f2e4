"""Amazon's transcripts: Transcribe Call Analytics, Connect Contact Lens (1.1.0 and 1.0.0), Transcribe standard.

Call Analytics and Contact Lens carry Amazon's own ConversationCharacteristics (talk time, talk
speed, non-talk time, interruptions, sentiment by quarter); they are kept untouched under
`call.vendor_metrics["amazon"]` so heard's figures can be compared with Amazon's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from heard.errors import IngestError
from heard.ingest.base import (
    MALFORMED,
    IngestOptions,
    Parsed,
    RawTurn,
    build_call,
    malformed,
    require,
    seconds,
    too_many_turns,
)
from heard.ingest.words import LabelledWord, attach_punctuation, clamp_confidence, words_to_turns
from heard.model import Channel, Role, Word

ROLES = {"AGENT": Role.AGENT, "CUSTOMER": Role.CUSTOMER}


def _ms(value: Any, path: Path, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IngestError(f"{where}: expected milliseconds as a number, got {value!r}", path=str(path))
    return float(value) / 1000.0


def _items_to_words(items: Any, path: Path, where: str) -> list[Word] | None:
    if not isinstance(items, list) or not items:
        return None
    words: list[Word] = []
    for item in items:
        if not isinstance(item, dict) or "Content" not in item:
            continue
        if item.get("Type") == "punctuation":
            if words:
                words[-1] = words[-1].model_copy(update={"text": words[-1].text + str(item["Content"])})
            continue
        start = _ms(item.get("BeginOffsetMillis"), path, where)
        end = _ms(item.get("EndOffsetMillis"), path, where)
        words.append(Word(text=str(item["Content"]), start=start, end=max(start, end),
                          confidence=clamp_confidence(item.get("Confidence"))))
    return words or None


def _vendor(doc: dict[str, Any], product: str) -> dict[str, Any]:
    keep: dict[str, Any] = {"product": product}
    for key in ("ConversationCharacteristics", "Categories", "Version", "LanguageCode"):
        if key in doc:
            keep[key] = doc[key]
    keep["TurnSentiment"] = [t.get("Sentiment") for t in doc.get("Transcript", []) if isinstance(t, dict)]
    return {"amazon": keep}


def _transcript_turns(doc: dict[str, Any], path: Path, role_of: dict[str, Role], options: IngestOptions,
                      call_id: str) -> list[RawTurn]:
    transcript = require(doc, "Transcript", list, path)
    many = too_many_turns(len(transcript), path, options, call_id=call_id)
    if many is not None:
        raise many
    turns = []
    for index, entry in enumerate(transcript):
        where = f"Transcript[{index}]"
        if not isinstance(entry, dict):
            raise IngestError(f"{where} should be an object", path=str(path), turn=index)
        label = str(entry.get("ParticipantId") or entry.get("ParticipantRole") or "")
        role = role_of.get(label) or ROLES.get(str(entry.get("ParticipantRole", "")).upper())
        content = entry.get("Content")
        if not isinstance(content, str):
            raise IngestError(f"{where}.Content should be text", path=str(path), turn=index)
        turns.append(RawTurn(
            label=label or "unknown", text=content, role=role,
            start=_ms(entry.get("BeginOffsetMillis"), path, where),
            end=_ms(entry.get("EndOffsetMillis"), path, where),
            words=_items_to_words(entry.get("Items"), path, where),
        ))
    return turns


class TranscribeCallAnalytics:
    """Amazon Transcribe Call Analytics output (keeps ConversationCharacteristics)."""

    name = "amazon-call-analytics"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        return (isinstance(content, dict) and isinstance(content.get("Transcript"), list)
                and "Participants" not in content
                and any(k in content for k in ("ConversationCharacteristics", "JobName", "ChannelDefinitions")))

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        call_id = str(content.get("JobName") or path.stem)
        try:
            turns = _transcript_turns(content, path, {}, options, call_id)
        except IngestError as exc:
            yield exc
            return
        yield build_call(turns, call_id=call_id, path=path, options=options,
                         source_format=self.name, language=_lang(content),
                         vendor_metrics=_vendor(content, "transcribe-call-analytics"))


class ContactLens:
    """Amazon Connect Contact Lens output, schema 1.1.0 and 1.0.0 (keeps ConversationCharacteristics)."""

    name = "amazon-contact-lens"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        return (isinstance(content, dict) and isinstance(content.get("Transcript"), list)
                and isinstance(content.get("Participants"), list))

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        # 1.1.0 uses ParticipantId "AGENT"/"CUSTOMER"; 1.0.0 uses an ARN or id, resolved via Participants.
        role_of: dict[str, Role] = {}
        for p in content["Participants"]:
            if isinstance(p, dict) and "ParticipantId" in p:
                role = ROLES.get(str(p.get("ParticipantRole", "")).upper())
                if role:
                    role_of[str(p["ParticipantId"])] = role
        meta = content.get("CustomerMetadata") if isinstance(content.get("CustomerMetadata"), dict) else {}
        call_id = str(meta.get("ContactId") or path.stem)
        try:
            turns = _transcript_turns(content, path, role_of, options, call_id)
        except IngestError as exc:
            yield exc
            return
        channel = Channel.CHAT if str(content.get("Channel", "")).upper() == "CHAT" else Channel.VOICE
        metadata = {k: meta[k] for k in ("InstanceId", "InputS3Uri") if k in meta}
        yield build_call(turns, call_id=call_id, path=path, options=options,
                         source_format=self.name, language=_lang(content), channel=channel, metadata=metadata,
                         vendor_metrics=_vendor(content, f"contact-lens-{content.get('Version', 'unknown')}"))


def _lang(doc: dict[str, Any]) -> str:
    code = doc.get("LanguageCode")
    return str(code).split("-")[0].lower() if isinstance(code, str) and code else "en"


class TranscribeStandard:
    """Amazon Transcribe standard output: word items diarised by speaker_labels or channel_labels."""

    name = "amazon-transcribe"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        results = content.get("results") if isinstance(content, dict) else None
        return isinstance(results, dict) and ("items" in results or "channel_labels" in results)

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        try:
            words = self._words(content["results"], path)
        except IngestError as exc:
            yield exc
            return
        except MALFORMED as exc:
            yield malformed(exc, path, "Amazon Transcribe")
            return
        lang = content["results"].get("language_code") or content.get("language_code") or "en"
        yield build_call(words_to_turns(words), call_id=str(content.get("jobName") or path.stem), path=path,
                         options=options, source_format=self.name, language=str(lang).split("-")[0].lower())

    def _words(self, results: dict[str, Any], path: Path) -> list[LabelledWord]:
        if "channel_labels" in results:
            # Each channel lists its own items in order; punctuation has no time, so fold it per channel.
            words: list[LabelledWord] = []
            for channel in results["channel_labels"]["channels"]:
                label = str(channel["channel_label"])
                words += attach_punctuation(self._word(item, label, path) for item in channel["items"])
            return words
        items = list(require(results, "items", list, path, "results."))
        by_time: dict[str, str] = {}
        for segment in results.get("speaker_labels", {}).get("segments", []):
            for it in segment.get("items", []):
                by_time[str(it["start_time"])] = str(it["speaker_label"])
        out = []
        for item in items:
            speaker = item.get("speaker_label") or by_time.get(str(item.get("start_time")))
            if item.get("type") != "punctuation" and not speaker:
                raise IngestError("words without a speaker label", path=str(path),
                                  hint="Run Transcribe with ShowSpeakerLabels or ChannelIdentification.")
            out.append(self._word(item, str(speaker or ""), path))
        return out

    @staticmethod
    def _word(item: dict[str, Any], label: str, path: Path) -> LabelledWord:
        alt = item["alternatives"][0]
        if item.get("type") == "punctuation":
            return LabelledWord(label, str(alt["content"]), 0.0, 0.0, punctuation=True)
        start = seconds(item.get("start_time"))
        end = seconds(item.get("end_time"))
        if start is None or end is None:
            raise IngestError("a word has no start_time/end_time", path=str(path))
        return LabelledWord(label, str(alt["content"]), start, end, clamp_confidence(alt.get("confidence")))
