"""Other speech-to-text vendors' JSON: Deepgram pre-recorded, AssemblyAI, Google Speech-to-Text.

None of them carries call metrics. Their speaker ids (0, "A", speakerTag 1) become labels such as
`speaker_0`, `A`, `speaker_1` that the speaker mapping turns into agent/customer.
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
    seconds,
    too_many_turns,
)
from heard.ingest.words import LabelledWord, clamp_confidence, words_to_turns
from heard.model import Word


class Deepgram:
    """Deepgram pre-recorded JSON: utterances, or diarised/multichannel words."""

    name = "deepgram"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        results = content.get("results") if isinstance(content, dict) else None
        return isinstance(results, dict) and ("utterances" in results or "channels" in results) \
            and "metadata" in content

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        meta = content.get("metadata") or {}
        call_id = str(meta.get("request_id") or path.stem) if isinstance(meta, dict) else path.stem
        call_id = path.stem if call_id == "None" else call_id
        utterances = content["results"].get("utterances")
        many = too_many_turns(len(utterances), path, options, call_id=call_id) \
            if isinstance(utterances, list) else None
        if many is not None:
            yield many
            return
        try:
            turns = self._turns(content)
        except MALFORMED as exc:
            yield malformed(exc, path, "Deepgram")
            return
        yield build_call(turns, call_id=call_id, path=path, options=options, source_format=self.name)

    @staticmethod
    def _label(obj: dict[str, Any], multichannel: bool) -> str:
        if multichannel or obj.get("speaker") is None:
            return f"ch_{obj.get('channel', 0)}"
        return f"speaker_{obj['speaker']}"

    def _turns(self, content: dict[str, Any]) -> list[RawTurn]:
        results = content["results"]
        multichannel = int((content.get("metadata") or {}).get("channels") or 1) > 1
        if results.get("utterances"):
            turns = []
            for u in results["utterances"]:
                words = [
                    Word(text=str(w.get("punctuated_word") or w["word"]), start=float(w["start"]),
                         end=max(float(w["start"]), float(w["end"])), confidence=clamp_confidence(w.get("confidence")))
                    for w in u.get("words") or []
                ] or None
                turns.append(RawTurn(label=self._label(u, multichannel), text=str(u["transcript"]),
                                     start=float(u["start"]), end=float(u["end"]), words=words))
            turns.sort(key=lambda t: t.start or 0.0)
            return turns
        labelled: list[LabelledWord] = []
        for index, channel in enumerate(results["channels"]):
            for w in channel["alternatives"][0].get("words", []):
                label = self._label({**w, "channel": index}, multichannel)
                labelled.append(LabelledWord(label, str(w.get("punctuated_word") or w["word"]), float(w["start"]),
                                          float(w["end"]), clamp_confidence(w.get("confidence"))))
        return words_to_turns(labelled)


class AssemblyAI:
    """AssemblyAI transcript JSON with speaker-labelled utterances."""

    name = "assemblyai"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        return isinstance(content, dict) and "utterances" in content and (
            "audio_duration" in content or "text" in content or "words" in content or "status" in content)

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        if not content.get("utterances"):
            yield IngestError("no utterances: the transcript was made without speaker labels", path=str(path),
                              hint="Request the transcript with speaker_labels=true.")
            return
        call_id = str(content.get("id") or path.stem)
        many = too_many_turns(len(content["utterances"]), path, options, call_id=call_id) \
            if isinstance(content["utterances"], list) else None
        if many is not None:
            yield many
            return
        try:
            turns = [
                RawTurn(label=str(u["speaker"]), text=str(u["text"]), start=float(u["start"]) / 1000,
                        end=float(u["end"]) / 1000, words=[
                            Word(text=str(w["text"]), start=float(w["start"]) / 1000,
                                 end=max(float(w["start"]), float(w["end"])) / 1000,
                                 confidence=clamp_confidence(w.get("confidence")))
                            for w in u.get("words") or []] or None)
                for u in content["utterances"]
            ]
        except MALFORMED as exc:
            yield malformed(exc, path, "AssemblyAI")
            return
        lang = str(content.get("language_code") or "en").split("_")[0]
        yield build_call(turns, call_id=call_id, path=path, options=options, source_format=self.name, language=lang)


def _google_time(value: Any) -> float:
    if isinstance(value, dict):  # {"seconds": "3", "nanos": 500000000}
        return float(value.get("seconds", 0) or 0) + float(value.get("nanos", 0) or 0) / 1e9
    result = seconds(value)
    return 0.0 if result is None else result


class GoogleSpeech:
    """Google Speech-to-Text: v1 (`speakerTag`, `startTime`) and v2 (`speakerLabel`, `startOffset`)."""

    name = "google-stt"
    kind = "json"

    def matches(self, content: Any, path: Path) -> bool:
        if isinstance(content, dict) and isinstance(content.get("response"), dict):
            content = content["response"]
        results = content.get("results") if isinstance(content, dict) else None
        return isinstance(results, list) and bool(results) and isinstance(results[0], dict) \
            and "alternatives" in results[0]

    def parse(self, content: Any, path: Path, options: IngestOptions) -> Iterator[Parsed]:
        doc = content["response"] if isinstance(content.get("response"), dict) else content
        try:
            tagged = [self._words(r) for r in doc["results"]]
        except MALFORMED as exc:
            yield malformed(exc, path, "Google Speech-to-Text")
            return
        # v1 repeats every word, with speaker tags, in the last result; v2 tags each result's own words.
        last = tagged[-1] if tagged else []
        earlier = sum(len(t) for t in tagged[:-1])
        words = last if last and len(last) >= earlier else [w for t in tagged for w in t]
        if not words:
            yield IngestError("no words with speaker tags", path=str(path),
                              hint="Enable diarization (diarizationConfig.enableSpeakerDiarization).")
            return
        lang = str(doc["results"][-1].get("languageCode") or "en").split("-")[0].lower()
        yield build_call(words_to_turns(words), call_id=str(content.get("name") or path.stem), path=path,
                         options=options, source_format=self.name, language=lang)

    @staticmethod
    def _words(result: dict[str, Any]) -> list[LabelledWord]:
        alternatives = result.get("alternatives") or [{}]
        out = []
        for w in alternatives[0].get("words", []):
            tag = w.get("speakerTag", w.get("speakerLabel"))
            if tag in (None, 0, ""):
                continue
            start = _google_time(w.get("startTime", w.get("startOffset")))
            end = _google_time(w.get("endTime", w.get("endOffset")))
            out.append(LabelledWord(f"speaker_{tag}", str(w["word"]), start, end,
                                    clamp_confidence(w.get("confidence"))))
        return out
