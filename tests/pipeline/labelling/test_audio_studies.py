"""The listening studies: the speech review and the sample-rate study, their media, the verdict
export, the report beside the model's ladder, and both pages clicked through in Chromium."""

from __future__ import annotations

import io
import json
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from pipeline.common.io import DataError
from pipeline.common.params import load_params
from pipeline.common.review_verdicts import read_verdicts
from pipeline.labelling import cli as label_cli
from pipeline.labelling.audio_tasks import _checked, review_task, sample_rate_task, wav_at_rate
from pipeline.labelling.report import summarise, write_report
from pipeline.labelling.server import Study, make_server
from pipeline.labelling.store import Store
from pipeline.labelling.tasks import Item
from pipeline.labelling.verdicts import review_verdicts
from tests.helpers.synth_fixtures import make_catalog
from tests.pipeline.labelling.test_labelling import CHROMIUM, CHROMIUM_ARGS

RATES = [8000, 44100]


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    catalog = make_catalog(root, load_params(), speakers=2, recordings=1, windows=1)
    catalog.to_parquet(root / "catalog.parquet", index=False)
    speech = catalog[catalog["kind"] != "background"]
    review = speech.groupby("kind").head(3)[["clip_id", "text", "speaker"]]
    review.to_parquet(root / "review.parquet", index=False)
    splits = speech.assign(split=np.where(speech["speaker"] == "tts:voice0", "test", "train"))
    splits[["clip_id", "kind", "split"]].to_parquet(root / "clip_splits.parquet", index=False)
    return root


def serve(task, db: Path):
    store = Store(db)
    server = make_server(Study(task, store, seed=2), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, store, f"http://127.0.0.1:{server.server_address[1]}"


def stop(server, store) -> None:
    server.shutdown()
    server.server_close()
    store.close()


def test_a_rate_rung_removes_what_lies_above_its_nyquist_and_keeps_the_file_rate(tmp_path) -> None:
    rate, t = 44_100, np.arange(44_100) / 44_100
    path = tmp_path / "tones.wav"
    sf.write(path, 0.4 * np.sin(2 * np.pi * 6000 * t) + 0.4 * np.sin(2 * np.pi * 1000 * t), rate)
    heard = {}
    for rung in (8000, 16000, 0):
        audio, played_at = sf.read(io.BytesIO(wav_at_rate(path, rung)))
        assert played_at == rate and len(audio) == rate
        spectrum = np.abs(np.fft.rfft(audio))
        heard[rung] = spectrum[6000] / spectrum[1000]  # 1 Hz bins
    assert heard[8000] < 0.01 and heard[16000] > 0.9 and heard[0] > 0.9


def test_review_task_asks_about_each_listed_clip_with_its_text(catalog_dir: Path) -> None:
    task = review_task(catalog_dir / "review.parquet", catalog_dir)
    assert len(task.items) == 5 and task.levels == [0] and task.values == ("says", "other", "unsure")
    item = next(iter(task.items.values()))
    assert item.label == "says" and item.prompt.strip("“”") in ("activate", *load_params().collect.negative_words)


def test_a_stale_or_missing_review_list_is_one_clear_error(catalog_dir: Path, tmp_path: Path) -> None:
    pd.DataFrame({"clip_id": ["gone"], "text": ["x"]}).to_parquet(tmp_path / "review.parquet")
    with pytest.raises(DataError, match="'gone' is not in"):
        review_task(tmp_path / "review.parquet", catalog_dir)
    with pytest.raises(FileNotFoundError, match="dvc repro audit"):
        review_task(tmp_path / "none.parquet", catalog_dir)


def test_sample_rate_task_plays_test_clips_half_of_them_the_word(catalog_dir: Path) -> None:
    task = sample_rate_task(catalog_dir, catalog_dir / "clip_splits.parquet", RATES, "activate", 6, seed=0)
    labels = [item.label for item in task.items.values()]
    assert labels.count("yes") == 1 and labels.count("no") == 3  # voice0 said the word once
    assert all(item_id.startswith("tts:voice0:") for item_id in task.items)
    again = sample_rate_task(catalog_dir, catalog_dir / "clip_splits.parquet", RATES, "activate", 6, seed=0)
    assert list(again.items) == list(task.items)


def test_bad_audio_is_a_500_naming_the_file_and_the_server_keeps_serving(catalog_dir: Path, tmp_path: Path) -> None:
    task = review_task(catalog_dir / "review.parquet", catalog_dir)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEfmt not audio at all")
    first = next(iter(task.items))
    task.items[first] = Item(first, broken, "says", "“activate”")
    server, store, base = serve(task, tmp_path / "review.sqlite")
    try:
        for _ in range(len(task.items)):
            data = json.load(urllib.request.urlopen(f"{base}/api/next?rater=ann"))
            served = store.served(data["item"])
            if served.item_id == first:
                with pytest.raises(urllib.error.HTTPError) as error:
                    urllib.request.urlopen(base + data["media"])
                assert error.value.code == 500 and "broken.wav" in json.load(error.value)["error"]
            else:
                assert urllib.request.urlopen(base + data["media"]).read()[:4] == b"RIFF"
            body = json.dumps({"rater": "ann", "item": data["item"], "answer": "says"}).encode()
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/answer", body, method="POST"))
    finally:
        stop(server, store)
    with pytest.raises(DataError, match="no file"):
        _checked({first: Item(first, tmp_path / "missing.wav", "says")})


def answers(rows: list[tuple[str, str, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rater", "item_id", "level", "answer"])


def test_review_verdicts_follow_the_strict_majority() -> None:
    table = answers(
        [
            ("a", "c1", 0, "other"), ("b", "c1", 0, "other"), ("c", "c1", 0, "says"),
            ("a", "c2", 0, "says"),
            ("a", "c3", 0, "says"), ("b", "c3", 0, "other"),
            ("a", "c4", 0, "unsure"), ("b", "c4", 0, "unsure"), ("c", "c4", 0, "other"),
        ]
    )  # fmt: skip
    verdicts = review_verdicts(table).set_index("clip_id")
    assert verdicts.loc["c1"].to_dict() == {"verdict": "reject", "answers": 3, "reason": "2 of 3: says something else"}
    assert verdicts.loc["c2", "verdict"] == "accept"
    assert "c3" not in verdicts.index and "c4" not in verdicts.index  # a tie; mostly "can't tell"
    assert list(review_verdicts(table, min_raters=2).index) == [0]  # c1 only


def synthetic_rate_answers(accuracy: dict[int, float], n: int = 200) -> pd.DataFrame:
    rows = []
    for rate, acc in accuracy.items():
        right = round(acc * n)
        for k in range(n):
            label = "yes" if k % 2 else "no"
            answer = label if k < right else ("no" if label == "yes" else "yes")
            rows.append({"rater": f"r{k % 2}", "item_id": f"c{k // 2}", "level": rate, "label": label,
                         "answer": answer, "correct": int(answer == label), "server_seconds": 2.0,
                         "client_seconds": None})  # fmt: skip
    return pd.DataFrame(rows)


def test_the_study_engine_recommends_a_sample_rate_and_shows_the_model_beside(tmp_path: Path) -> None:
    table = synthetic_rate_answers({8000: 0.7, 16000: 0.97, 22050: 0.98, 44100: 0.98})
    summary = summarise(table, epsilon=0.02, min_n=20, name="sample_rate")
    assert [row["sample_rate"] for row in summary["per_sample_rate"]] == [8000, 16000, 22050, 44100]
    assert summary["recommended_sample_rate"] == 16000 and summary["full_sample_rate_accuracy"] == 0.98
    model = [{"sample_rate": r, "accuracy": a, "ci_low": a - 0.05, "ci_high": a + 0.05} for r, a in
             ((8000, 0.61), (16000, 0.83), (22050, 0.84), (44100, 0.85))]  # fmt: skip
    write_report(table, tmp_path / "m.json", tmp_path / "index.html", 0.02, 20, "sample_rate", model)
    page = (tmp_path / "index.html").read_text()
    assert "16 kHz" in page and "model accuracy" in page and "83.0 %" in page
    assert json.loads((tmp_path / "m.json").read_text())["model"][1]["accuracy"] == 0.83


def test_cli_ladders_and_report_defaults(tmp_path: Path) -> None:
    assert label_cli.parse_args(["--study", "sample-rate"]).ladder == list(load_params().studies.audio_rate.rates)
    assert label_cli.parse_args(["--study", "review"]).db == "data/labels/review.sqlite"
    with pytest.raises(SystemExit):
        label_cli.parse_args(["--study", "sample-rate", "--ladder", "500"])
    (tmp_path / "rate.tsv").write_text("sample_rate\taccuracy\n8000\t0.5\n")
    with pytest.raises(DataError, match="ci_high"):
        label_cli.model_ladder(str(tmp_path / "rate.tsv"))
    assert label_cli.model_ladder(str(tmp_path / "none.tsv")) is None


NEXT_ITEM_JS = (
    "src => document.getElementById('item').getAttribute('src') !== src || document.body.dataset.state === 'done'"
)


def click_through(base: str, answer_keys: list[str], rater: str) -> list[str]:
    """A real browser: enter a name, wait for each clip to load, answer by key; returns the prompts."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    prompts = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        page = browser.new_page()
        page.goto(base)
        page.fill("#rater", rater)
        page.click("#start")
        for key in answer_keys:
            page.wait_for_selector("body[data-state=ready]")
            assert page.evaluate("document.getElementById('item').duration") > 0.1  # the WAV decoded
            prompts.append(page.inner_text("#prompt"))
            src = page.get_attribute("#item", "src")
            page.keyboard.press(key)
            page.wait_for_function(NEXT_ITEM_JS, arg=src)
        page.wait_for_selector("body[data-state=done]")
        assert "answered every item" in page.inner_text("#done-view")
        browser.close()
    return prompts


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (setup.sh installs it)")
def test_a_reviewer_hears_every_clip_and_the_verdicts_reach_the_verdict_file(catalog_dir: Path, tmp_path: Path):
    task = review_task(catalog_dir / "review.parquet", catalog_dir)
    server, store, base = serve(task, tmp_path / "review.sqlite")
    try:
        prompts = click_through(base, ["Y", "N", "U", "N", "Y"], "Ada")
    finally:
        stop(server, store)
    assert all(p.startswith("“") for p in prompts)
    out = tmp_path / "speech.csv"
    label_cli.main(["--export-verdicts", "--db", str(tmp_path / "review.sqlite"), "--verdicts", str(out)])
    verdicts = read_verdicts(out)
    assert sorted(verdicts["verdict"]) == ["accept", "accept", "reject", "reject"]  # "can't tell": none
    assert set(verdicts["clip_id"]) < set(task.items)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (setup.sh installs it)")
def test_a_listener_answers_each_clip_at_each_rate_and_the_report_has_both_rates(catalog_dir: Path, tmp_path: Path):
    task = sample_rate_task(catalog_dir, catalog_dir / "clip_splits.parquet", RATES, "activate", 4, seed=0)
    server, store, base = serve(task, tmp_path / "rates.sqlite")
    try:
        click_through(base, ["Y", "N"] * len(task.items), "Bo")
    finally:
        stop(server, store)
    metrics, page = tmp_path / "m.json", tmp_path / "index.html"
    label_cli.main(["--report", "sample-rate", "--db", str(tmp_path / "rates.sqlite"), "--metrics", str(metrics),
                    "--html", str(page), "--min-n", "1", "--model-ladder", str(tmp_path / "none.tsv")])  # fmt: skip
    data = json.loads(metrics.read_text())
    assert [row["sample_rate"] for row in data["per_sample_rate"]] == RATES
    assert sum(row["n"] for row in data["per_sample_rate"]) == 2 * len(task.items)
    assert "8 kHz" in page.read_text()
