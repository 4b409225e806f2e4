"""USS satisfaction ratings against heard's customer sentiment: the reader (on small files written here), the
measure on a tiny corpus whose answer is obvious, and the real data when ../shared/data/uss-user-satisfaction
is there (evaluation only: read in place, never copied)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]
from typer.testing import CliRunner

from heard.accuracy.uss import ALL, CORPORA, DEFAULT_ROOT, MEASURES, correlations, measure, read_file, read_uss
from heard.cli import app
from heard.errors import IngestError
from heard.model import Channel, Role

USS = Path(__file__).resolve().parents[2] / "shared" / "data" / "uss-user-satisfaction"
needs_uss = pytest.mark.skipif(not all((USS / f"{c}.txt").exists() for c in CORPORA),
                               reason="USS (its four files) is not in ../shared/data/uss-user-satisfaction")

# A satisfied user and an unhappy one, in their own words.
PLEASED = "That's perfect, thank you so much, you've been a great help!"
ANNOYED = "This is useless. Terrible service, I hate this and I'm angry."
ASK = "I need a cheap hotel in the north."
OFFER = "The Acorn guest house is in the north and cheap."


def line(role: str, text: str, ratings: str = "", action: str = "") -> str:
    return "\t".join((role, text, action, ratings))


def dialogue(*lines: str, overall: str) -> str:
    return "\n".join([*lines, line("USER", "OVERALL", overall)]) + "\n\n"


HELLO = "Hello, how can I help?"
# Four turns, so that the user's last one is in the call's last quarter (turn order stands in for time).
HAPPY = dialogue(line("SYSTEM", HELLO), line("USER", ASK, "3,3,3", "Hotel-Inform"),
                 line("SYSTEM", OFFER, action="Hotel-Inform"), line("USER", PLEASED, "5,5,4", "general-thank"),
                 overall="5,4,5")
UNHAPPY = dialogue(line("SYSTEM", HELLO), line("USER", ASK, "3,3,3"), line("SYSTEM", "I don't know."),
                   line("USER", ANNOYED, "1,1,2"), overall="1,2,1")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


# --- the reader ------------------------------------------------------------------------------------------

def test_uss_reader_turns_ratings_and_overall(tmp_path: Path) -> None:
    path = write(tmp_path, "MWOZ", HAPPY + UNHAPPY)
    first, second = read_file(path)
    assert (first.corpus, first.number, first.line, second.number, second.line) == ("MWOZ", 1, 1, 2, 7)
    assert [t.role for t in first.turns] == ["SYSTEM", "USER", "SYSTEM", "USER"]
    assert first.turns[3].ratings == (5, 5, 4) and first.turns[3].mean == pytest.approx(14 / 3)
    assert first.turns[3].action == "general-thank" and first.turns[3].line == 4
    assert first.turns[2].ratings == () and first.turns[2].mean is None
    assert first.overall == (5, 4, 5) and second.overall == (1, 2, 1)
    call, where = first.call()
    assert [t.speaker for t in call.turns] == [Role.AGENT, Role.CUSTOMER, Role.AGENT, Role.CUSTOMER]
    assert call.channel is Channel.CHAT and call.id == "uss-mwoz-1" and where == {0: 0, 1: 1, 2: 2, 3: 3}


def test_uss_reader_leaves_a_turn_without_text_out_of_the_call(tmp_path: Path) -> None:
    path = write(tmp_path, "ReDial", dialogue(line("SYSTEM", "Hi!"), line("USER", "", "3,3,3"),
                                              line("USER", PLEASED, "4,4,4"), overall="4,4,4"))
    (only,) = read_file(path)
    call, where = only.call()
    assert len(only.turns) == 3 and len(call.turns) == 2 and where == {0: 0, 2: 1}


def test_uss_reader_windows_line_ends_and_unicode_breaks_inside_text(tmp_path: Path) -> None:
    text = HAPPY.replace(PLEASED, "Perfect,\u2028thanks\r!").replace("\n", "\r\n")
    path = tmp_path / "CCPE.txt"
    path.write_bytes(text.encode("utf-8"))
    (only,) = read_file(path)
    assert only.turns[3].text == "Perfect,\u2028thanks\r!" and only.overall == (5, 4, 5)


@pytest.mark.parametrize(("text", "bad_line", "says"), [
    (HAPPY + "USER\tHello\t3,3,3\n", 7, "3 tab-separated fields, expected 4"),
    (HAPPY + line("AGENT", "Hello") + "\n", 7, "role 'AGENT' is neither USER nor SYSTEM"),
    (HAPPY + line("USER", "Hello", "3,x,3") + "\n", 7, "ratings '3,x,3' are not whole numbers from 1 to 5"),
    (HAPPY + line("USER", "Hello", "3,6,3") + "\n", 7, "ratings '3,6,3' are not whole numbers from 1 to 5"),
    (HAPPY + line("USER", "Hello") + "\n", 7, "a USER turn without ratings"),
    (HAPPY + line("SYSTEM", "Hello", "3,3") + "\n", 7, "a SYSTEM turn with ratings"),
    (line("USER", ASK, "3,3,3") + "\n\n" + HAPPY, 2, "the dialogue that starts on line 1 has no OVERALL line"),
    (HAPPY + line("USER", "OVERALL", "3,3") + "\n", 7, "an OVERALL line with no dialogue before it"),
    (HAPPY + line("USER", ASK, "3,3,3") + "\n" + line("USER", "OVERALL") + "\n", 8, "the OVERALL line has no ratings"),
])
def test_uss_reader_names_file_and_line_of_a_malformed_line(tmp_path: Path, text: str, bad_line: int,
                                                            says: str) -> None:
    path = write(tmp_path, "SGD", text)
    with pytest.raises(IngestError) as caught:
        list(read_file(path))
    assert caught.value.path == str(path) and caught.value.line == bad_line
    assert str(caught.value).startswith(f"{path}, line {bad_line}: {says}")


def test_uss_reader_a_file_ending_inside_a_dialogue(tmp_path: Path) -> None:
    path = write(tmp_path, "CCPE", HAPPY + line("USER", ASK, "3,3,3") + "\n")
    with pytest.raises(IngestError, match="ends inside the dialogue that starts on line 7"):
        list(read_file(path))


def test_uss_reader_a_file_not_in_utf8(tmp_path: Path) -> None:
    path = tmp_path / "MWOZ.txt"
    path.write_bytes(HAPPY.replace("cheap", "ch\xe9ap").encode("latin-1"))
    with pytest.raises(IngestError, match="not UTF-8 text"):
        list(read_file(path))


def test_uss_missing_folder_or_file_says_where_the_data_goes(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no USS folder here") as caught:
        read_uss(tmp_path / "nowhere")
    assert "MWOZ.txt" in str(caught.value) and "--data" in str(caught.value)
    write(tmp_path, "MWOZ", HAPPY)
    with pytest.raises(IngestError, match=r"SGD\.txt, ReDial\.txt, CCPE\.txt not found") as caught:
        read_uss(tmp_path)
    assert caught.value.path == str(tmp_path)


def test_uss_limit_takes_the_first_dialogues_of_each_file(tmp_path: Path) -> None:
    write(tmp_path, "MWOZ", HAPPY + UNHAPPY + HAPPY)
    corpora = read_uss(tmp_path, corpora=["MWOZ"], limit=2)
    assert [d.number for d in corpora["MWOZ"]] == [1, 2]


# --- the measure -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [5, 400])
def test_uss_correlations_are_scipys(n: int) -> None:
    rng = np.random.default_rng(n)
    x = np.round(rng.normal(size=n), 1)                     # ties, as VADER's many zeros give
    y = rng.integers(1, 6, size=n).astype(float) + 0.3 * x
    rho, r = correlations(x, y)
    assert rho == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert r == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)


def test_uss_correlations_undefined_without_variation() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert all(math.isnan(v) for v in correlations(x, np.ones(4)))
    assert all(math.isnan(v) for v in correlations(x[:2], x[:2]))


def obvious_corpus(folder: Path) -> None:
    """Two small corpora where the pleased users rate high and the annoyed ones low."""
    for name in ("MWOZ", "SGD"):
        write(folder, name, (HAPPY + UNHAPPY) * 4)


def test_uss_measure_finds_the_obvious_direction(tmp_path: Path) -> None:
    obvious_corpus(tmp_path)
    report = measure(tmp_path, corpora=["MWOZ", "SGD"], resamples=1000)
    assert set(report["corpora"]) == {"MWOZ", "SGD", ALL}
    for name, group in report["corpora"].items():
        dialogues = 16 if name == ALL else 8
        assert (group["dialogues"], group["user_turns"], group["user_turns_without_text"]) == (dialogues, 2 * dialogues,
                                                                                              0)
        turn = group["turn"]["turn_sentiment"]
        assert (turn["pairs"], turn["dialogues"]) == (2 * dialogues, dialogues)
        assert turn["spearman"]["estimate"] > 0.5 and turn["pearson"]["estimate"] > 0.5
        end = group["dialogue"]["end"]
        assert end["pairs"] == dialogues and end["spearman"]["estimate"] == pytest.approx(1.0)
        assert group["turn"]["rater_vs_others"]["pairs"] == 3 * 2 * dialogues   # three raters on every turn
        assert group["dialogue"]["recovery"]["spearman"]["estimate"] > 0.5
    assert "over 16 user turns in 8 dialogues" in report["sentences"][0]
    assert report["sentences"][0].startswith("MWOZ: heard's customer sentiment tracked the mean human satisfaction")


def test_uss_intervals_hold_their_estimate(tmp_path: Path) -> None:
    obvious_corpus(tmp_path)
    report = measure(tmp_path, corpora=["MWOZ"], resamples=1000)
    assert_intervals(report)


def assert_intervals(report: dict[str, Any]) -> None:
    """Every defined estimate is a correlation inside its interval (a defined estimate may have no interval)."""
    for group in report["corpora"].values():
        for level in ("turn", "dialogue"):
            for figures in group[level].values():
                for name in ("spearman", "pearson"):
                    f = figures[name]
                    if f["estimate"] is None:
                        continue
                    assert -1 <= f["estimate"] <= 1
                    if f["low"] is not None:
                        assert f["low"] <= f["estimate"] <= f["high"], (level, name, f)


def test_uss_cli_prints_json(tmp_path: Path) -> None:
    obvious_corpus(tmp_path)   # MWOZ and SGD only: --corpus picks one, so the other files need not be there
    result = CliRunner().invoke(app, ["accuracy", "uss", "--data", str(tmp_path), "--corpus", "SGD", "--limit", "4",
                                      "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {c: g["dialogues"] for c, g in report["corpora"].items()} == {"SGD": 4}
    assert set(report["measures"]) == {m.key for m in MEASURES} and report["resamples"] >= 1000


def test_uss_cli_default_data_is_the_librarys() -> None:
    import inspect

    from heard.cli.accuracy import accuracy_uss

    assert inspect.signature(accuracy_uss).parameters["data"].default == DEFAULT_ROOT


@pytest.mark.parametrize(("args", "says"), [
    (["--data", "nowhere"], "nowhere: no USS folder here"),
    (["--corpus", "JDDC"], "unknown corpus JDDC Use one of: MWOZ, SGD, ReDial, CCPE."),
])
def test_uss_cli_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["accuracy", "uss", *args])
    assert result.exit_code == 2 and says in " ".join(result.output.split())


# --- the real data ---------------------------------------------------------------------------------------

@needs_uss
def test_uss_measure_on_the_real_data() -> None:
    limit = 15
    corpora = read_uss(USS, limit=limit)
    report = measure(USS, limit=limit, resamples=1000)
    assert set(report["corpora"]) == {*CORPORA, ALL}
    for name, group in report["corpora"].items():
        dialogues = [d for c in (CORPORA if name == ALL else [name]) for d in corpora[c]]
        turns = sum(t.role == "USER" and bool(t.text.strip()) for d in dialogues for t in d.turns)
        assert (group["dialogues"], group["user_turns"]) == (len(dialogues), turns)
        figures = group["turn"]["turn_sentiment"]
        assert (figures["pairs"], figures["dialogues"]) == (turns, len(dialogues))
        for level, key in (("turn", "turn_sentiment"), ("turn", "rater_vs_others"), ("dialogue", "overall")):
            f = group[level][key]["spearman"]
            assert f["estimate"] is not None and math.isfinite(f["estimate"]), (name, key)
            assert f["low"] <= f["estimate"] <= f["high"], (name, key, f)
        assert group["dialogue"]["end"]["pairs"] <= len(dialogues)   # Q4 can hold no customer turn
    assert report["corpora"][ALL]["dialogues"] == 4 * limit
    assert_intervals(report)
