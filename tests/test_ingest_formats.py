"""Every input format, read from fixture files written in each vendor's documented shape.

All fixtures hold the same short conversation (tests/fixtures: a greeting, a double charge, an
apology with an overlapping "Okay.", a 3.5 s silence, a refund, thanks), so each format must give
the same turns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from heard.ingest import FORMATS, IngestOptions, read_path
from heard.model import Call, Role
from tests.conftest import FIXTURES

EXPECTED = [
    (Role.AGENT, 0.5, 3.2, "Thank you for calling Acme, how can I help?"),
    (Role.CUSTOMER, 3.6, 7.9, "Hi, I was charged twice for my bill."),
    (Role.AGENT, 8.0, 11.5, "I'm sorry about that, let me check."),
    (Role.CUSTOMER, 10.9, 11.3, "Okay."),
    (Role.AGENT, 15.0, 18.0, "I've refunded the second payment."),
    (Role.CUSTOMER, 18.4, 19.6, "Great, thanks."),
]

CASES = [
    ("heard/call.json", "heard-json", "heard-1", "explicit"),
    ("amazon/call-analytics.json", "amazon-call-analytics", "ca-job-0001", "explicit"),
    ("amazon/contact-lens-1.1.0.json", "amazon-contact-lens", "a1b2c3d4-0000-4000-8000-000000000001", "explicit"),
    ("amazon/contact-lens-1.0.0.json", "amazon-contact-lens", "a1b2c3d4-0000-4000-8000-000000000002", "explicit"),
    ("amazon/transcribe-speakers.json", "amazon-transcribe", "std-job-speakers", "heuristic"),
    ("amazon/transcribe-channels.json", "amazon-transcribe", "std-job-channels", "heuristic"),
    ("amazon-more/bda-audio.json", "amazon-bda-audio", "bda-call-0001", "heuristic"),
    ("amazon-more/pca.json", "amazon-pca", "pca-job-0001", "explicit"),
    ("deepgram/utterances.json", "deepgram", "dg-req-0001", "heuristic"),
    ("deepgram/diarized-words.json", "deepgram", "dg-req-0002", "heuristic"),
    ("deepgram/multichannel.json", "deepgram", "dg-req-0003", "heuristic"),
    ("assemblyai/utterances.json", "assemblyai", "aai-0001", "heuristic"),
    ("google/v1-diarized.json", "google-stt", "goog-op-0001", "heuristic"),
    ("google/v2.json", "google-stt", "v2", "heuristic"),
    ("text/timestamps.txt", "text", "text-ts-1", "config"),
    ("captions/voice.vtt", "webvtt", "voice", "config"),
    ("captions/prefix.vtt", "webvtt", "prefix", "heuristic"),
    ("captions/sample.srt", "srt", "sample", "config"),
]


def only_call(path: Path, **kwargs: object) -> Call:
    results = read_path(path, **kwargs)  # type: ignore[arg-type]
    assert len(results) == 1, results
    assert isinstance(results[0], Call), results[0]
    return results[0]


@pytest.mark.parametrize(("fixture", "fmt", "call_id", "method"), CASES)
def test_ingest_format_gives_the_same_turns(fixture: str, fmt: str, call_id: str, method: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert call.source_format == fmt
    assert call.id == call_id
    assert call.speaker_mapping is not None and call.speaker_mapping.method == method
    got = [(t.speaker, t.start, t.end, t.text) for t in call.turns]
    assert len(got) == len(EXPECTED)
    for (role, start, end, text), (g_role, g_start, g_end, g_text) in zip(EXPECTED, got, strict=True):
        assert (g_role, g_text) == (role, text)
        # Word-level formats end a turn at its last word, a few hundredths before the utterance end.
        assert g_start == pytest.approx(start, abs=0.05)
        assert g_end == pytest.approx(end, abs=0.05)


@pytest.mark.parametrize(("fixture", "fmt", "call_id", "method"), CASES)
def test_ingest_format_forced_matches_detected(fixture: str, fmt: str, call_id: str, method: str) -> None:
    assert only_call(FIXTURES / fixture, format=fmt) == only_call(FIXTURES / fixture)


@pytest.mark.parametrize("fixture", ["amazon/transcribe-speakers.json", "deepgram/diarized-words.json",
                                     "assemblyai/utterances.json", "google/v1-diarized.json"])
def test_ingest_word_times_kept(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert call.has_word_times
    first = call.turns[0].words
    assert first is not None and first[0].text == "Thank"
    assert " ".join(w.text for w in first) == call.turns[0].text


@pytest.mark.parametrize("fixture", ["amazon/call-analytics.json", "amazon/contact-lens-1.1.0.json",
                                     "amazon/contact-lens-1.0.0.json"])
def test_ingest_amazon_keeps_conversation_characteristics(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    amazon = call.vendor_metrics["amazon"]
    cc = amazon["ConversationCharacteristics"]
    assert cc["TalkTime"]["DetailsByParticipant"]["AGENT"]["TotalTimeMillis"] == 9200
    assert cc["NonTalkTime"]["Instances"][0]["DurationMillis"] == 3500
    assert cc["Sentiment"]["SentimentByPeriod"]["QUARTER"]["CUSTOMER"][0]["Score"] == -2.5
    assert amazon["TurnSentiment"] == ["NEUTRAL"] * 6


@pytest.mark.parametrize("fixture", ["amazon/contact-lens-1.0.0.json"])
def test_ingest_contact_lens_arn_participants_map_to_roles(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert call.turns[0].speaker_id is not None and call.turns[0].speaker_id.startswith("arn:aws:connect")
    assert call.turns[0].speaker is Role.AGENT
    assert call.metadata["InstanceId"] == "inst-1"


@pytest.mark.parametrize("fixture", ["amazon/transcribe-speakers.json"])
def test_ingest_speaker_roles_from_config(fixture: str) -> None:
    # Swapping by configuration wins over the heuristic, even when the heuristic would disagree.
    options = IngestOptions(speaker_roles={"spk_0": Role.CUSTOMER, "spk_1": Role.AGENT})
    call = only_call(FIXTURES / fixture, options=options)
    assert call.speaker_mapping is not None and call.speaker_mapping.method == "config"
    assert [t.speaker for t in call.turns][:2] == [Role.CUSTOMER, Role.AGENT]


@pytest.mark.parametrize("fixture", ["text/timestamps.txt"])
def test_ingest_text_header_sets_call_fields(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert (call.agent_id, call.team, call.metadata) == ("a.rivera", "north", {"campaign": "autumn"})


@pytest.mark.parametrize("fixture", ["text/named-start-only.txt"])
def test_ingest_text_start_times_only_and_continuation_lines(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert [t.speaker_id for t in call.turns[:2]] == ["Maria", "Bob"]
    assert [t.speaker for t in call.turns[:2]] == [Role.AGENT, Role.CUSTOMER]
    assert call.turns[1].start == 3.0 and call.turns[1].end is None
    assert not call.has_turn_times
    assert call.turns[-1].text == "Great, thanks. and that was all from me."


@pytest.mark.parametrize("fixture", ["text/hours.txt"])
def test_ingest_text_hour_timestamps_and_custom_names(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert [t.start for t in call.turns] == [1.0, 5.0, 3723.0]
    assert [t.speaker for t in call.turns] == [Role.AGENT, Role.CUSTOMER, Role.AGENT]
    assert call.turns[1].text == "My parcel is late. It was due Monday."


@pytest.mark.parametrize("fixture", ["heard/calls.jsonl"])
def test_ingest_jsonl_many_calls(fixture: str) -> None:
    results = read_path(FIXTURES / fixture)
    assert [r.id for r in results if isinstance(r, Call)] == ["heard-l0", "heard-l1", "heard-l2"]
    assert all(isinstance(r, Call) and r.channel.value == "chat" for r in results)


@pytest.mark.parametrize("fixture", ["heard/call.json"])
def test_ingest_heard_json_keeps_outcome_and_metadata(fixture: str) -> None:
    call = only_call(FIXTURES / fixture)
    assert call.outcome is not None and (call.outcome.csat, call.outcome.fcr) == (4, True)
    assert call.metadata == {"crm": "x-42"}
    assert call.started_at is not None and call.started_at.year == 2026


def test_ingest_every_format_has_a_fixture() -> None:
    covered = {fmt for _, fmt, _, _ in CASES} | {"heard-jsonl", "outcomes-csv", "outcomes-json"}
    assert covered == set(FORMATS)
