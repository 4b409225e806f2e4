"""More of Amazon's outputs: Bedrock Data Automation audio standard output, and Post-Call Analytics (PCA).

Both keep Amazon's own analysis (BDA's summary and topics; PCA's sentiment, categories, issues) untouched
under `call.vendor_metrics["amazon"]`, as the Contact Lens reader does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from heard.errors import IngestError
from heard.ingest.amazon import _ms
from heard.ingest.base import MALFORMED, IngestOptions, Parsed, RawTurn, build_call, malformed, too_many_turns
from heard.ingest.speakers import configured_role
from heard.ingest.words import clamp_confidence
from heard.model import Role, Word

BDA_KEPT = ("summary", "topics", "statistics", "content_moderation")
PCA_KEPT = ("Duration", "SpeakerLabels", "SentimentTrends", "SpeakerTime", "CustomEntities", "CategoriesDetected",
            "IssuesDetected", "ActionItemsDetected", "OutcomesDetected", "Summary", "ContactSummary")


def _language(code: Any) -> str:
    return str(code).split("-")[0].lower() if isinstance(code, str) and code.strip() else "en"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _fold(words: list[Word], text: str) -> None:
    """Punctuation (no time of its own) joins the word before it."""
    if words:
        words[-1] = words[-1].model_copy(update={"text": words[-1].text + text})


class BedrockDataAutomationAudio:
    """Amazon Bedrock Data Automation, audio standard output: audio_segments with speaker/channel labels."""

    name = "amazon-bda-audio"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        if not isinstance(content, dict) or not isinstance(content.get("audio_segments"), list):
            return False
        modality = _dict(content.get("metadata")).get("semantic_modality")
        return "audio_items" in content or (isinstance(modality, str) and modality.upper() == "AUDIO")

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        metadata = _dict(content.get("metadata"))
        key = metadata.get("s3_key")
        call_id = PurePosixPath(key).stem if isinstance(key, str) and PurePosixPath(key).stem else path.stem
        try:
            turns, language = self._turns(content, path, options, call_id)
        except IngestError as exc:
            yield exc
            return
        except MALFORMED as exc:
            yield malformed(exc, path, "Bedrock Data Automation")
            return
        keep: dict[str, Any] = {"product": "bedrock-data-automation"}
        keep.update({k: content[k] for k in BDA_KEPT if k in content})
        if metadata:
            keep["metadata"] = metadata
        call_meta = {"InputS3Uri": f"s3://{metadata['s3_bucket']}/{key}"} \
            if isinstance(metadata.get("s3_bucket"), str) and isinstance(key, str) else {}
        yield build_call(turns, call_id=call_id, path=path, options=options, source_format=self.name,
                         language=_language(language or metadata.get("dominant_asset_language")),
                         metadata=call_meta, vendor_metrics={"amazon": keep})

    def _turns(self, doc: dict[str, Any], path: Path, options: IngestOptions,
               call_id: str) -> tuple[list[RawTurn], Any]:
        segments = doc["audio_segments"]
        many = too_many_turns(len(segments), path, options, call_id=call_id)
        if many is not None:
            raise many
        found = doc.get("audio_items")
        items: list[Any] = found if isinstance(found, list) else []
        turns: list[RawTurn] = []
        language = None
        for index, seg in enumerate(segments):
            where = f"audio_segments[{index}]"
            if not isinstance(seg, dict):
                raise IngestError(f"{where} should be an object", path=str(path), turn=index,
                                  hint="Check the file is unmodified Bedrock Data Automation output.")
            if seg.get("type", "TRANSCRIPT") != "TRANSCRIPT":
                continue
            text = seg.get("text")
            if not isinstance(text, str):
                raise IngestError(f"{where}.text should be text, got {text!r}", path=str(path), turn=index,
                                  hint="Check the file is unmodified Bedrock Data Automation output.")
            language = language or seg.get("language")
            turns.append(RawTurn(
                label=self._label(seg, where, path, index, options), text=text,
                start=_ms(seg.get("start_timestamp_millis"), path, where + ".start_timestamp_millis"),
                end=_ms(seg.get("end_timestamp_millis"), path, where + ".end_timestamp_millis"),
                words=self._words(seg, items, path, where, index),
            ))
        return turns, language

    @staticmethod
    def _label(seg: dict[str, Any], where: str, path: Path, index: int, options: IngestOptions) -> str:
        speaker = _dict(seg.get("speaker")).get("speaker_label")
        channel = _dict(seg.get("channel")).get("channel_label")
        labels = [str(x) for x in (speaker, channel) if isinstance(x, str | int) and str(x)]
        if not labels:
            raise IngestError(f"{where} has no speaker or channel label", path=str(path), turn=index,
                              hint="Turn on speaker labeling or channel labeling for audio in the BDA project "
                                   "(standard output, transcript), then process the call again.")
        # A configured channel label (ch_0 = agent) wins over a speaker label nobody configured.
        configured = [lab for lab in labels if configured_role(lab, options.speaker_roles, (), ()) is not None]
        return (configured or labels)[0]

    @staticmethod
    def _words(seg: dict[str, Any], items: list[Any], path: Path, where: str, index: int) -> list[Word] | None:
        indices = seg.get("audio_item_indices")
        if isinstance(indices, list):
            picked = []
            for j, i in enumerate(indices):
                if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(items):
                    raise IngestError(f"{where}.audio_item_indices[{j}]: {i!r} is not an index into audio_items "
                                      f"({len(items)} items)", path=str(path), turn=index,
                                      hint="Check the file is complete and unmodified BDA output.")
                picked.append(items[i])
        else:
            number = seg.get("segment_index", index)
            picked = [it for it in items if isinstance(it, dict) and it.get("audio_segment_index") == number]
        words: list[Word] = []
        for i, item in enumerate(picked):
            if not isinstance(item, dict) or not isinstance(item.get("content"), str):
                raise IngestError(f"{where}: audio item {i} should be an object with 'content' text", path=str(path),
                                  turn=index, hint="Check the file is complete and unmodified BDA output.")
            if "start_timestamp_millis" not in item:
                _fold(words, item["content"])
                continue
            item_where = f"{where}, audio item {item.get('item_index', i)}"
            start = _ms(item.get("start_timestamp_millis"), path, item_where)
            end = _ms(item.get("end_timestamp_millis"), path, item_where)
            if not (math.isfinite(start) and math.isfinite(end)):
                raise IngestError(f"{item_where}: times should be finite", path=str(path), turn=index)
            words.append(Word(text=item["content"], start=start, end=max(start, end),
                              confidence=clamp_confidence(item.get("confidence"))))
        return words or None


class PostCallAnalytics:
    """Output of Amazon's open-source Post-Call Analytics solution: ConversationAnalytics + SpeechSegments."""

    name = "amazon-pca"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        return (isinstance(content, dict) and isinstance(content.get("ConversationAnalytics"), dict)
                and isinstance(content.get("SpeechSegments"), list))

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        ca = content["ConversationAnalytics"]
        call_id = self._call_id(ca, path)
        try:
            turns = self._turns(content["SpeechSegments"], self._roles(ca, options), path, options, call_id)
        except IngestError as exc:
            yield exc
            return
        except MALFORMED as exc:
            yield malformed(exc, path, "Post-Call Analytics")
            return
        keep: dict[str, Any] = {"product": "post-call-analytics"}
        keep.update({k: ca[k] for k in PCA_KEPT if k in ca})
        segments = [s for s in content["SpeechSegments"] if isinstance(s, dict)]
        keep["TurnSentiment"] = [
            "POSITIVE" if s.get("SentimentIsPositive") is True else
            "NEGATIVE" if s.get("SentimentIsNegative") is True else "NEUTRAL" for s in segments]
        keep["TurnSentimentScore"] = [s.get("SentimentScore") for s in segments]
        fields: dict[str, Any] = {}
        agent = ca.get("Agent")
        if isinstance(agent, str) and agent.strip():
            fields["agent_id"] = agent.strip()
        started = self._started_at(ca)
        if started is not None:
            fields["started_at"] = started
        guid = ca.get("GUID")
        yield build_call(turns, call_id=call_id, path=path, options=options, source_format=self.name,
                         language=_language(ca.get("LanguageCode")), vendor_metrics={"amazon": keep},
                         metadata={"GUID": guid} if isinstance(guid, str) and guid else {}, **fields)

    @staticmethod
    def _call_id(ca: dict[str, Any], path: Path) -> str:
        sources = ca.get("SourceInformation")
        for source in sources if isinstance(sources, list) else []:
            name = _dict(_dict(source).get("TranscribeJobInfo")).get("TranscriptionJobName")
            if isinstance(name, str) and name.strip():
                return name.strip()
        guid = ca.get("GUID")
        return guid.strip() if isinstance(guid, str) and guid.strip() else path.stem

    @staticmethod
    def _started_at(ca: dict[str, Any]) -> datetime | None:
        """ConversationTime in the call's ConversationLocation time zone (UTC when none); None if unreadable."""
        value = ca.get("ConversationTime")
        if not isinstance(value, str):
            return None
        try:
            started = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if started.tzinfo is None:
            try:
                started = started.replace(tzinfo=ZoneInfo(str(ca.get("ConversationLocation") or "UTC")))
            except (ValueError, KeyError, OSError):  # an unknown or malformed zone name
                return None
        return started

    @staticmethod
    def _roles(ca: dict[str, Any], options: IngestOptions) -> dict[str, Role]:
        """spk_n -> role from SpeakerLabels' display names ("Agent", "Customer", "Caller")."""
        roles: dict[str, Role] = {}
        labels = ca.get("SpeakerLabels")
        for entry in labels if isinstance(labels, list) else []:
            speaker, shown = _dict(entry).get("Speaker"), _dict(entry).get("DisplayText")
            if isinstance(speaker, str) and isinstance(shown, str):
                role = configured_role(shown, {}, options.agent_names, options.customer_names)
                if role is not None:
                    roles[speaker] = role
        return roles

    def _turns(self, segments: list[Any], roles: dict[str, Role], path: Path, options: IngestOptions,
               call_id: str) -> list[RawTurn]:
        many = too_many_turns(len(segments), path, options, call_id=call_id)
        if many is not None:
            raise many
        turns = []
        for index, seg in enumerate(segments):
            where = f"SpeechSegments[{index}]"
            if not isinstance(seg, dict):
                raise IngestError(f"{where} should be an object", path=str(path), turn=index,
                                  hint="Check the file is unmodified Post-Call Analytics output.")
            text = seg.get("DisplayText") if isinstance(seg.get("DisplayText"), str) else seg.get("OriginalText")
            if not isinstance(text, str):
                raise IngestError(f"{where} has no DisplayText or OriginalText", path=str(path), turn=index,
                                  hint="Check the file is unmodified Post-Call Analytics output.")
            label = seg.get("SegmentSpeaker")
            if not isinstance(label, str) or not label:
                raise IngestError(f"{where}.SegmentSpeaker should be a speaker label such as spk_0, got {label!r}",
                                  path=str(path), turn=index,
                                  hint="Check the file is unmodified Post-Call Analytics output.")
            turns.append(RawTurn(
                label=label, text=text, role=roles.get(label),
                start=_secs(seg.get("SegmentStartTime"), path, where + ".SegmentStartTime", index),
                end=_secs(seg.get("SegmentEndTime"), path, where + ".SegmentEndTime", index),
                words=self._words(seg.get("WordConfidence"), path, where, index),
            ))
        return turns

    @staticmethod
    def _words(entries: Any, path: Path, where: str, index: int) -> list[Word] | None:
        if not isinstance(entries, list):
            return None
        words: list[Word] = []
        for j, entry in enumerate(entries):
            at = f"{where}.WordConfidence[{j}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("Text"), str):
                raise IngestError(f"{at} should be an object with 'Text'", path=str(path), turn=index,
                                  hint="Check the file is unmodified Post-Call Analytics output.")
            text = entry["Text"].strip()  # PCA keeps the space before a word and the punctuation after it
            if not text:
                continue
            if entry.get("StartTime") is None or not any(c.isalnum() for c in text):
                _fold(words, text)
                continue
            start = _secs(entry.get("StartTime"), path, at + ".StartTime", index)
            end = _secs(entry.get("EndTime"), path, at + ".EndTime", index)
            words.append(Word(text=text, start=start, end=max(start, end),
                              confidence=clamp_confidence(entry.get("Confidence"))))
        return words or None


def _secs(value: Any, path: Path, where: str, turn: int) -> float:
    """Seconds as PCA writes them (a number; older versions a numeric string)."""
    try:
        number = float(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise IngestError(f"{where}: expected seconds as a number, got {value!r}", path=str(path), turn=turn,
                          hint="Check the file is unmodified Post-Call Analytics output.")
    return number
