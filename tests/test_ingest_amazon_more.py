"""Amazon Bedrock Data Automation (audio standard output) and Post-Call Analytics files, read like the others."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.errors import IngestError
from heard.ingest import FORMATS, IngestOptions, detect, read_bytes, read_path
from heard.model import Call, Role
from tests.conftest import FIXTURES

BDA = FIXTURES / "amazon-more" / "bda-audio.json"
PCA = FIXTURES / "amazon-more" / "pca.json"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=30,
)


def only_call(path: Path, **kwargs: Any) -> Call:
    results = read_path(path, **kwargs)
    assert len(results) == 1 and isinstance(results[0], Call), results
    return results[0]


def read_doc(doc: Any, name: str) -> list[Any]:
    return read_bytes(json.dumps(doc).encode(), Path(name))


def only_error(doc: Any, name: str) -> IngestError:
    results = read_doc(doc, name)
    assert len(results) == 1 and isinstance(results[0], IngestError), results
    return results[0]


@pytest.mark.parametrize("fixture", [BDA])
def test_amazon_more_bda_turns_words_and_heuristic_roles(fixture: Path) -> None:
    call = only_call(fixture)
    assert (call.id, call.source_format, call.language) == ("bda-call-0001", "amazon-bda-audio", "en")
    assert [(t.speaker_id, t.speaker) for t in call.turns[:2]] == [("spk_0", Role.AGENT), ("spk_1", Role.CUSTOMER)]
    assert call.speaker_mapping is not None and call.speaker_mapping.method == "heuristic"
    assert call.speaker_mapping.confidence > 0.9
    first = call.turns[0].words
    assert first is not None and (first[0].text, first[0].start, first[0].end) == ("Thank", 0.5, 0.78)
    assert " ".join(w.text for w in first) == call.turns[0].text  # punctuation folded into the word before
    assert call.metadata == {"InputS3Uri": "s3://acme-calls/recordings/bda-call-0001.wav"}


@pytest.mark.parametrize("fixture", [BDA])
def test_amazon_more_bda_keeps_summary_topics_and_metadata(fixture: Path) -> None:
    amazon = only_call(fixture).vendor_metrics["amazon"]
    assert amazon["product"] == "bedrock-data-automation"
    assert amazon["summary"].startswith("A customer charged twice")
    assert [t["audio_segment_indices"] for t in amazon["topics"]] == [[0, 1, 2, 3], [4, 5]]
    assert amazon["statistics"] == {"word_count": 31}
    assert amazon["content_moderation"][0]["type"] == "AUDIO_MODERATION"
    assert amazon["metadata"]["duration_millis"] == 19600


@pytest.mark.parametrize(("roles", "expected"), [
    ({"ch_0": Role.CUSTOMER, "ch_1": Role.AGENT}, ("ch_0", Role.CUSTOMER)),
    ({"spk_0": Role.CUSTOMER}, ("spk_0", Role.CUSTOMER)),
])
def test_amazon_more_bda_configured_channel_or_speaker_roles(roles: dict[str, Role],
                                                            expected: tuple[str, Role]) -> None:
    call = only_call(BDA, options=IngestOptions(speaker_roles=roles))
    assert (call.turns[0].speaker_id, call.turns[0].speaker) == expected
    assert call.speaker_mapping is not None and call.speaker_mapping.method in ("config", "heuristic")


@pytest.mark.parametrize("fixture", [BDA])
def test_amazon_more_bda_channel_labels_only_and_words_by_segment_index(fixture: Path) -> None:
    doc = json.loads(fixture.read_text())
    for seg in doc["audio_segments"]:
        del seg["speaker"], seg["audio_item_indices"]
    call = next(r for r in read_doc(doc, "result.json") if isinstance(r, Call))
    assert [t.speaker_id for t in call.turns[:2]] == ["ch_0", "ch_1"]
    assert call.turns[1].words is not None and call.turns[1].words[0].text == "Hi,"


@pytest.mark.parametrize("fixture", [PCA])
def test_amazon_more_pca_turns_words_and_explicit_roles(fixture: Path) -> None:
    call = only_call(fixture)
    assert (call.id, call.source_format, call.agent_id) == ("pca-job-0001", "amazon-pca", "a.rivera")
    assert call.speaker_mapping is not None
    assert (call.speaker_mapping.method, call.speaker_mapping.confidence) == ("explicit", 1.0)
    assert [t.speaker for t in call.turns] == [Role.AGENT, Role.CUSTOMER] * 3
    words = call.turns[1].words
    assert words is not None and [w.text for w in words][:2] == ["Hi,", "I"]  # leading spaces stripped
    assert (words[0].start, words[0].end, words[0].confidence) == (3.6, 4.118, 0.99)
    assert call.started_at is not None and call.started_at.year == 2026


@pytest.mark.parametrize("fixture", [PCA])
def test_amazon_more_pca_keeps_sentiment_categories_issues(fixture: Path) -> None:
    amazon = only_call(fixture).vendor_metrics["amazon"]
    assert amazon["product"] == "post-call-analytics"
    assert amazon["CategoriesDetected"][0]["Name"] == "DoubleCharge"
    assert amazon["IssuesDetected"][0]["Text"] == "I was charged twice for my bill"
    assert amazon["SentimentTrends"]["spk_1"]["SentimentPerQuarter"][0]["Score"] == -2.5
    assert amazon["TurnSentiment"][:2] == ["POSITIVE", "NEGATIVE"]
    assert amazon["TurnSentimentScore"][1] == -2.5
    assert amazon["CustomEntities"][0]["Values"] == ["Acme"]


@pytest.mark.parametrize("fixture", [PCA])
def test_amazon_more_pca_without_speaker_labels_falls_back_to_heuristic(fixture: Path) -> None:
    doc = json.loads(fixture.read_text())
    del doc["ConversationAnalytics"]["SpeakerLabels"]
    call = next(r for r in read_doc(doc, "pca.json") if isinstance(r, Call))
    assert call.speaker_mapping is not None and call.speaker_mapping.method == "heuristic"
    assert call.turns[0].speaker is Role.AGENT


@pytest.mark.parametrize(("fixture", "fmt"), [(BDA, "amazon-bda-audio"), (PCA, "amazon-pca")])
def test_amazon_more_detected_and_not_stealing(fixture: Path, fmt: str) -> None:
    content = json.loads(fixture.read_text())
    assert detect(fixture.read_text(), fixture)[0].name == fmt
    others = [p for p in FIXTURES.rglob("*.json") if p not in (BDA, PCA) and "compare" not in p.parts]
    for other in others:
        try:
            doc = json.loads(other.read_text())
        except ValueError:
            continue
        assert not FORMATS[fmt].matches(doc, other), other
    for name, other_fmt in FORMATS.items():
        if name != fmt and other_fmt.kind == "json":
            assert not other_fmt.matches(content, fixture), name


def _bda() -> dict[str, Any]:
    return json.loads(BDA.read_text())


def _pca() -> dict[str, Any]:
    return json.loads(PCA.read_text())


def _set(doc: dict[str, Any], keys: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node: Any = doc
    for k in keys[:-1]:
        node = node[k]
    if value is KeyError:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


@pytest.mark.parametrize(("doc", "name", "where", "turn"), [
    (_set(_bda(), ["audio_segments", 2], "oops"), "result.json", "audio_segments[2] should be an object", 2),
    (_set(_bda(), ["audio_segments", 1, "text"], 5), "result.json", "audio_segments[1].text", 1),
    (_set(_bda(), ["audio_segments", 3, "start_timestamp_millis"], "soon"), "result.json",
     "audio_segments[3].start_timestamp_millis", None),
    (_set(_bda(), ["audio_segments", 4, "audio_item_indices", 1], 999), "result.json",
     "audio_segments[4].audio_item_indices[1]", 4),
    (_set(_set(_bda(), ["audio_segments", 0, "speaker"], KeyError), ["audio_segments", 0, "channel"], KeyError),
     "result.json", "audio_segments[0] has no speaker or channel label", 0),
    (_set(_pca(), ["SpeechSegments", 3], []), "pca.json", "SpeechSegments[3] should be an object", 3),
    (_set(_pca(), ["SpeechSegments", 2, "SegmentEndTime"], None), "pca.json", "SpeechSegments[2].SegmentEndTime", 2),
    (_set(_pca(), ["SpeechSegments", 1, "SegmentSpeaker"], None), "pca.json", "SpeechSegments[1].SegmentSpeaker", 1),
    (_set(_pca(), ["SpeechSegments", 0, "WordConfidence", 4], 7), "pca.json", "SpeechSegments[0].WordConfidence[4]", 0),
    (_set(_set(_pca(), ["SpeechSegments", 5, "DisplayText"], KeyError), ["SpeechSegments", 5, "OriginalText"],
          KeyError), "pca.json", "SpeechSegments[5] has no DisplayText", 5),
])
def test_amazon_more_malformed_names_where(doc: dict[str, Any], name: str, where: str, turn: int | None) -> None:
    error = only_error(doc, name)
    assert where in error.message and error.path == name
    if turn is not None:
        assert error.turn == turn and error.hint


@pytest.mark.parametrize("fmt", ["amazon-bda-audio", "amazon-pca"])
@settings(max_examples=150, deadline=None)
@given(doc=JSON)
def test_amazon_more_fuzz_only_ingest_errors(fmt: str, doc: Any) -> None:
    # The reader itself, not read_bytes' safety net: a matching document gives calls or IngestErrors.
    wrapped = {"audio_segments": doc, "audio_items": doc, "metadata": doc} if fmt == "amazon-bda-audio" \
        else {"ConversationAnalytics": doc if isinstance(doc, dict) else {}, "SpeechSegments": doc}
    for candidate in (doc, wrapped):
        if FORMATS[fmt].matches(candidate, Path("fuzz.json")):
            results = list(FORMATS[fmt].parse(candidate, Path("fuzz.json"), IngestOptions()))
            assert all(isinstance(r, Call | IngestError) for r in results)
    forced = read_bytes(json.dumps(doc).encode(), Path("f.json"), format=fmt)
    assert all(isinstance(r, Call | IngestError) for r in forced)


@pytest.mark.parametrize("fmt", ["amazon-bda-audio", "amazon-pca"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_amazon_more_fuzz_parsers_directly_raise_only_ingest_errors(fmt: str, data: st.DataObject) -> None:
    base = _bda() if fmt == "amazon-bda-audio" else _pca()
    key = "audio_segments" if fmt == "amazon-bda-audio" else "SpeechSegments"
    doc = copy.deepcopy(base)
    doc[key][data.draw(st.integers(0, len(doc[key]) - 1))] = data.draw(JSON)
    try:
        results = list(FORMATS[fmt].parse(doc, Path("x.json"), IngestOptions()))
    except IngestError:
        return
    assert all(isinstance(r, Call | IngestError) for r in results)
