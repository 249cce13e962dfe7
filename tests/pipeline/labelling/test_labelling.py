"""The human resolution study: drawing, storage, validation, report maths, and the page in Chromium."""

from __future__ import annotations

import json
import tempfile
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pipeline.common.io import DataError
from pipeline.labelling import cli as label_cli
from pipeline.labelling.items import DEFAULT_SPLITS, draw, load_manifest, render
from pipeline.labelling.report import fleiss_kappa, recommend, summarise, wilson, write_report
from pipeline.labelling.server import Study, make_server
from pipeline.labelling.store import Store, StudyError, read_answers
from pipeline.labelling.tasks import image_task

CHROMIUM = Path("/usr/bin/chromium")
LADDER = [16, 32, 64]


def make_manifest(root: Path, n: int = 6) -> Path:
    """n images alternating bright (day) and dark (night), 80x64 px, in a day/night-style manifest."""
    folder = root / "daynight"
    (folder / "images").mkdir(parents=True)
    rows = []
    for k in range(n):
        label = "day" if k % 2 == 0 else "night"
        level = 215 if label == "day" else 35
        noise = np.random.default_rng(k).integers(-20, 20, (64, 80, 3))
        Image.fromarray(np.clip(level + noise, 0, 255).astype(np.uint8)).save(folder / f"images/{k}.png")
        rows.append(
            {
                "image_id": f"img{k}",
                "path": f"images/{k}.png",
                "label": label,
                "split": "test" if k < n - 1 else "real_night",
                "source": "gen",
                "synthetic": True,
                "recipe": "",
            }
        )
    rows.append({**rows[0], "image_id": "train0", "split": "train"})  # not in the default splits
    pd.DataFrame(rows).to_parquet(folder / "images.parquet")
    return folder / "images.parquet"


@pytest.fixture
def study(tmp_path: Path):
    task = image_task(make_manifest(tmp_path), DEFAULT_SPLITS, LADDER)
    store = Store(tmp_path / "labels/study.sqlite")
    yield Study(task, store, seed=1)
    store.close()


def answer_all(study: Study, rater: str, count: int, right: bool = True) -> list[tuple[str, int]]:
    pairs = []
    for _ in range(count):
        item = study.next_item(rater)
        served = study.store.served(item["item"])
        label = study.task.items[served.item_id].label
        wrong = "night" if label == "day" else "day"
        study.answer({"rater": rater, "item": item["item"], "answer": label if right else wrong})
        pairs.append((served.item_id, served.level))
    return pairs


def test_manifest_keeps_chosen_splits_and_checks_files(tmp_path: Path) -> None:
    manifest = make_manifest(tmp_path)
    assert sorted(load_manifest(manifest)) == [f"img{k}" for k in range(6)]
    assert list(load_manifest(manifest, ("train",))) == ["train0"]
    (manifest.parent / "images/3.png").unlink()
    with pytest.raises(DataError, match="img3"):
        load_manifest(manifest)


def test_draw_never_repeats_and_balances_resolutions() -> None:
    ids = [f"i{k}" for k in range(7)]
    seen: set[tuple[str, int]] = set()
    while (pick := draw(ids, LADDER, seen, "ann", seed=3)) is not None:
        assert pick not in seen
        seen.add(pick)
        counts = Counter(res for _, res in seen)
        assert max(counts.values()) - min(counts.get(r, 0) for r in LADDER) <= 1  # balanced at every step
    assert len(seen) == len(ids) * len(LADDER)


def test_draw_is_seeded_per_rater() -> None:
    ids = [f"i{k}" for k in range(20)]
    assert draw(ids, LADDER, set(), "ann", 0) == draw(ids, LADDER, set(), "ann", 0)
    firsts = {draw(ids, LADDER, set(), rater, 0) for rater in ["a", "b", "c", "d", "e", "f"]}
    assert len(firsts) > 1  # raters get different orders


def test_render_shows_the_resolution_at_a_fixed_size(tmp_path: Path) -> None:
    path = tmp_path / "checker.png"
    Image.fromarray((np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)).save(path)
    coarse = Image.open(__import__("io").BytesIO(render(path, 16)))
    fine = Image.open(__import__("io").BytesIO(render(path, 64)))
    assert coarse.size == fine.size == (384, 384)
    assert np.asarray(coarse).std() < np.asarray(fine).std()  # fine detail is gone at 16 px


def test_answers_survive_a_restart(study: Study, tmp_path: Path) -> None:
    pairs = answer_all(study, "ann", 5)
    study.store.close()
    reopened = Store(tmp_path / "labels/study.sqlite")
    assert reopened.seen("ann") == set(pairs)
    assert len(reopened.answers()) == 5
    assert reopened.answers()["correct"].all()
    reopened.close()
    study.store = Store(tmp_path / "labels/study.sqlite")  # for the fixture's close
    assert study.store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_rater_finishes_without_repeats(study: Study) -> None:
    pairs = answer_all(study, "bob", 6 * len(LADDER))
    assert len(set(pairs)) == len(pairs)
    assert study.next_item("bob")["done"] is True


@pytest.mark.parametrize(
    "body, message",
    [
        ({"rater": "ann", "item": "nope", "answer": "day"}, "unknown item"),
        ({"rater": "ann", "answer": "day"}, "missing item"),
        ({"rater": "", "item": "x", "answer": "day"}, "missing rater"),
        ({"rater": "ann", "item": "TOKEN", "answer": "dusk"}, "answer must be"),
        ({"rater": "eve", "item": "TOKEN", "answer": "day"}, "another rater"),
        ({"rater": "ann", "item": "TOKEN", "answer": "day", "client_seconds": -1}, "client_seconds"),
    ],
)
def test_bad_answers_are_refused(study: Study, body: dict, message: str) -> None:
    token = study.next_item("ann")["item"]
    body = {key: token if value == "TOKEN" else value for key, value in body.items()}
    with pytest.raises(StudyError, match=message):
        study.answer(body)


def test_http_errors_are_400_with_a_message(study: Study) -> None:
    server = make_server(study, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        token = json.load(urllib.request.urlopen(f"{base}/api/next?rater=ann"))["item"]
        for body in (
            {"rater": "ann", "item": token, "answer": "maybe"},
            {"item": token, "answer": "day"},
            {"rater": "ann", "item": "unknown", "answer": "day"},
        ):
            request = urllib.request.Request(f"{base}/api/answer", json.dumps(body).encode(), method="POST")
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(request)
            assert error.value.code == 400 and json.load(error.value)["error"]
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{base}/api/next?rater=")
        assert error.value.code == 400
        ok = urllib.request.Request(
            f"{base}/api/answer", json.dumps({"rater": "ann", "item": token, "answer": "day"}).encode(), method="POST"
        )
        assert json.load(urllib.request.urlopen(ok)) == {"ok": True}
    finally:
        server.shutdown()
        server.server_close()


def synthetic_answers(accuracy: dict[int, float], n: int = 200, raters: int = 2) -> pd.DataFrame:
    """n answers per resolution with exactly the given accuracy, split between raters on shared items."""
    rows = []
    for resolution, acc in accuracy.items():
        right = round(acc * n)
        for k in range(n):
            rows.append(
                {
                    "rater": f"r{k % raters}",
                    "item_id": f"i{k // raters}",
                    "level": resolution,
                    "answer": "day",
                    "correct": int(k < right),
                    "server_seconds": 1.0 + resolution / 256,
                    "client_seconds": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_wilson_interval() -> None:
    low, high = wilson(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)


def test_report_recommends_the_smallest_resolution_at_full_accuracy() -> None:
    answers = synthetic_answers({16: 0.60, 32: 0.80, 64: 0.975, 128: 0.99, 256: 0.99})
    summary = summarise(answers, epsilon=0.02, min_n=20)
    assert [row["accuracy"] for row in summary["per_resolution"]] == [0.60, 0.80, 0.975, 0.99, 0.99]
    assert summary["recommended_resolution"] == 64
    assert summary["full_resolution_accuracy"] == 0.99 and summary["answers"] == 1000 and summary["raters"] == 2
    assert summary["per_resolution"][0]["mean_seconds"] == pytest.approx(1 + 16 / 256)
    # A lucky low rung below a failing one is not recommended: every higher rung must hold too.
    assert recommend(summarise(synthetic_answers({16: 0.99, 32: 0.7, 64: 0.99}))["per_resolution"]) == 64
    # Few answers: wide intervals overlap the reference, so min_n guards the recommendation.
    few = summarise(synthetic_answers({16: 0.5, 32: 0.9}, n=4), min_n=20)
    assert few["recommended_resolution"] is None


def test_fleiss_kappa() -> None:
    def item(answers: list[str], image: str) -> list[dict]:
        return [{"item_id": image, "level": 16, "answer": a} for a in answers]

    perfect = pd.DataFrame(item(["day"] * 3, "a") + item(["night"] * 3, "b"))
    assert fleiss_kappa(perfect) == pytest.approx(1.0)
    split = pd.DataFrame(item(["day", "night"], "a") + item(["day", "night"], "b"))
    assert fleiss_kappa(split) == pytest.approx(-1.0)
    assert fleiss_kappa(pd.DataFrame(item(["day"], "a") + item(["night"], "b"))) is None  # one rater each


def test_report_files_and_cli(study: Study, tmp_path: Path) -> None:
    answer_all(study, "ann", 9)
    answer_all(study, "bob", 9, right=False)
    metrics, page = tmp_path / "m/human_study.json", tmp_path / "h/index.html"
    label_cli.main(
        ["--report", "--db", str(study.store.path), "--metrics", str(metrics), "--html", str(page), "--min-n", "1"]
    )
    data = json.loads(metrics.read_text())
    assert set(data) >= {
        "per_resolution",
        "recommended_resolution",
        "full_resolution_accuracy",
        "raters",
        "agreement",
        "answers",
    }
    assert data["answers"] == 18 and data["raters"] == 2
    assert sum(row["n"] for row in data["per_resolution"]) == 18
    assert "<svg" in page.read_text() and "Fleiss" in page.read_text()
    assert len(read_answers(study.store.path)) == 18


def test_cli_binds_loopback_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    assert label_cli.bind_host(None) == "127.0.0.1"
    assert label_cli.bind_host("::1") == "::1" and not caplog.records
    assert label_cli.bind_host("0.0.0.0") == "0.0.0.0"
    assert "anyone who can reach" in caplog.text
    with pytest.raises(FileNotFoundError):
        label_cli.main(["--report", "--db", "/nonexistent/x.sqlite"])


BRIGHTNESS_JS = """() => {
  const img = document.getElementById("item"), canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let k = 0; k < data.length; k += 4) sum += (data[k] + data[k + 1] + data[k + 2]) / 3;
  return sum / (data.length / 4);
}"""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (setup.sh installs it)")
def test_a_rater_labels_ten_images_in_chromium(study: Study, tmp_path: Path) -> None:
    """A real browser: enter a name, answer 10 items by the pixels it shows (canvas), then report."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    server = make_server(study, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
            browser = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            page.goto(base)
            page.fill("#rater", "Ada")
            page.click("#start")
            for k in range(10):
                page.wait_for_selector("body[data-state=ready]")
                src = page.get_attribute("#item", "src")
                answer = "day" if page.evaluate(BRIGHTNESS_JS) > 128 else "night"
                if k % 2:
                    page.keyboard.press(answer[0].upper())  # the D / N keys
                else:
                    page.click(f"#{answer}")
                page.wait_for_function("src => document.getElementById('item').getAttribute('src') !== src", arg=src)
            page.reload()  # the name is remembered: straight back to a picture
            page.wait_for_selector("body[data-state=ready]")
            assert "Ada" in page.inner_text("#who")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    answers = study.store.answers()
    assert len(answers) == 10 and set(answers["rater"]) == {"Ada"}
    assert answers["correct"].all()  # the brightness the browser showed gave the right answer
    assert answers["client_seconds"].notna().all() and (answers["server_seconds"] > 0).all()
    summary = write_report(answers, tmp_path / "human_study.json", tmp_path / "index.html")
    assert {row["resolution"] for row in summary["per_resolution"]} == set(LADDER)
    assert json.loads((tmp_path / "human_study.json").read_text())["answers"] == 10


def test_an_item_is_answered_once(study: Study) -> None:
    token = study.next_item("ann")["item"]
    study.answer({"rater": "ann", "item": token, "answer": "day"})
    with pytest.raises(StudyError, match="already answered"):
        study.answer({"rater": "ann", "item": token, "answer": "night"})


def test_a_database_of_the_image_only_version_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE served (token TEXT PRIMARY KEY, rater TEXT NOT NULL, image_id TEXT NOT NULL, "
        "resolution INTEGER NOT NULL, created_at REAL NOT NULL, served_at REAL NOT NULL);"
        "CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT, token TEXT NOT NULL UNIQUE, rater TEXT NOT NULL, "
        "image_id TEXT NOT NULL, resolution INTEGER NOT NULL, label TEXT NOT NULL, answer TEXT NOT NULL, "
        "correct INTEGER NOT NULL, server_seconds REAL NOT NULL, client_seconds REAL, answered_at REAL NOT NULL, "
        "UNIQUE (rater, image_id, resolution));"
        "INSERT INTO served VALUES ('t', 'ann', 'img0', 32, 0, 0);"
        "INSERT INTO answers (token, rater, image_id, resolution, label, answer, correct, server_seconds, "
        "answered_at) VALUES ('t', 'ann', 'img0', 32, 'day', 'day', 1, 1.0, 0);"
    )
    old.close()
    store = Store(path)
    try:
        assert store.seen("ann") == {("img0", 32)}
        assert store.served("t").level == 32
    finally:
        store.close()
    assert list(read_answers(path)[["item_id", "level"]].itertuples(index=False, name=None)) == [("img0", 32)]
