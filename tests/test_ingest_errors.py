"""Bad input: a clear error that says what, where (file, line, turn) and how to fix it; never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heard.errors import IngestError
from heard.ingest import IngestOptions, read_path
from heard.model import Call

TURNS = [{"speaker": "agent", "start": 0, "end": 2, "text": "Hello, how can I help?"},
         {"speaker": "customer", "start": 2.5, "end": 4, "text": "My bill is wrong."}]


def heard_call(**changes: object) -> str:
    return json.dumps({"id": "c-1", "turns": TURNS, **changes})


BROKEN = [
    # (file name, content, words the message must contain, where: line / turn, words the hint must contain)
    ("truncated.json", heard_call()[:40], "invalid JSON", {"line": 1}, "truncated"),
    ("backwards.json", heard_call(turns=[TURNS[0], {**TURNS[1], "start": 12.4, "end": 11.9}]),
     "'start' is after 'end' (12.4 > 11.9)", {"turn": 1}, "--repair-timestamps"),
    ("empty-turn.json", heard_call(turns=[TURNS[0], {**TURNS[1], "text": "   "}]), "text is empty", {"turn": 1}, None),
    ("no-turns.json", heard_call(turns=[]), "turns", {}, "at least one turn"),
    ("bad-role.json", heard_call(turns=[{**TURNS[0], "speaker": "robot"}]), "speaker", {"turn": 0}, None),
    ("wrong-type.json", heard_call(turns=[{**TURNS[0], "start": "soon"}]), "start", {"turn": 0}, None),
    ("extra-field.json", heard_call(colour="blue"), "colour", {}, "metadata"),
    ("unordered.json", heard_call(turns=[TURNS[1], TURNS[0]]), "in order of their start", {}, "Sort the turns"),
    ("unknown.json", json.dumps({"hello": "world"}), "no format heard knows", {}, "--format"),
    ("latin1.txt", "Agent: caf\xe9".encode("latin-1"), "not UTF-8", {"line": 1}, "UTF-8"),
    ("prose.txt", "This is an essay about calls.\nIt has no speakers at all.\n", "not a transcript", {}, "--format"),
    ("nospeaker.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n", "cue has no speaker", {"line": 3},
     "<v Name>"),
    ("empty-cue.srt", "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nAgent: hi\n",
     "no text", {"line": 2}, None),
    ("bad-csat.csv", "call_id,csat\nc-1,7\n", "csat", {"line": 2}, "Fix the value"),
    ("bad-bool.csv", "call_id,fcr\nc-1,maybe\n", "expected yes/no", {"line": 2}, None),
    ("no-id.csv", "call_id,csat\n,4\n", "no call_id", {"line": 2}, "call_id column"),
    ("aai-nolabels.json", json.dumps({"id": "x", "status": "completed", "text": "hi", "utterances": None}),
     "without speaker labels", {}, "speaker_labels=true"),
    ("transcribe-nolabels.json", json.dumps({"results": {"items": [
        {"start_time": "0.1", "end_time": "0.5", "type": "pronunciation",
         "alternatives": [{"content": "hi", "confidence": "0.9"}]}]}}),
     "without a speaker label", {}, "ShowSpeakerLabels"),
    ("cl-bad-offset.json", json.dumps({"Participants": [], "Transcript": [
        {"ParticipantId": "AGENT", "Content": "hi", "BeginOffsetMillis": "zero", "EndOffsetMillis": 10}]}),
     "milliseconds", {}, None),
    ("text-first-line.txt", "Good morning everyone\nAgent: hi\n", "expected 'Speaker: text'", {"line": 1}, "colon"),
]


@pytest.mark.parametrize(("name", "content", "message", "where", "hint"), BROKEN, ids=[b[0] for b in BROKEN])
def test_ingest_error_says_what_where_and_how(tmp_path: Path, name: str, content: str | bytes, message: str,
                                              where: dict[str, int], hint: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    results = read_path(path)
    errors = [r for r in results if isinstance(r, IngestError)]
    assert errors, f"expected an error, got {results}"
    error = errors[0]
    assert message in str(error)
    assert error.path == str(path) and str(error).startswith(str(path))
    for key, value in where.items():
        assert getattr(error, key) == value, str(error)
    if hint is not None:
        assert error.hint is not None and hint in error.hint


@pytest.mark.parametrize("bad_line", ['{"id": "b", "turns": []}', "not json at all"])
def test_ingest_jsonl_bad_line_does_not_stop_the_rest(tmp_path: Path, bad_line: str) -> None:
    good = [heard_call(id=f"g{i}") for i in range(3)]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([good[0], bad_line, good[1], good[2]]) + "\n")
    results = read_path(path)
    assert [r.id for r in results if isinstance(r, Call)] == ["g0", "g1", "g2"]
    errors = [r for r in results if isinstance(r, IngestError)]
    assert len(errors) == 1 and errors[0].line == 2


@pytest.mark.parametrize("name", ["missing.json"])
def test_ingest_missing_file(tmp_path: Path, name: str) -> None:
    (error,) = read_path(tmp_path / name)
    assert isinstance(error, IngestError) and "cannot read" in str(error)


@pytest.mark.parametrize("limit_mb", [0.0001])
def test_ingest_refuses_files_over_the_size_limit(tmp_path: Path, limit_mb: float) -> None:
    path = tmp_path / "big.json"
    path.write_text(heard_call())
    (error,) = read_path(path, options=IngestOptions(max_file_mb=limit_mb))
    assert isinstance(error, IngestError) and "limit" in str(error) and "max_file_mb" in (error.hint or "")


@pytest.mark.parametrize("content", [heard_call(turns=[TURNS[1], {**TURNS[0], "start": 5, "end": 1}])])
def test_ingest_repair_timestamps(tmp_path: Path, content: str) -> None:
    path = tmp_path / "fixable.json"
    path.write_text(content)
    assert isinstance(read_path(path)[0], IngestError)
    (call,) = read_path(path, options=IngestOptions(repair_timestamps=True))
    assert isinstance(call, Call)
    assert [(t.start, t.end) for t in call.turns] == [(1, 5), (2.5, 4)]


@pytest.mark.parametrize("fmt", ["nonsense"])
def test_ingest_unknown_forced_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(heard_call())
    (error,) = read_path(path, format=fmt)
    assert isinstance(error, IngestError) and "unknown format" in str(error) and "heard-json" in (error.hint or "")
