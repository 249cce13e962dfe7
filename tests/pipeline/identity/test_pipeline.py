"""Identity stages: sources and splits on small folders, clear errors, and the stages + CLI end to end
(on the small project that `dvc repro` built with configs/cpu-small.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from pipeline.common.io import DataError
from pipeline.common.params.identity import IdentityParams
from pipeline.identity.collect import assign_splits, check_counts, drop_unsplittable
from pipeline.identity.evaluate import enrolment
from pipeline.identity.packages import package_speakers
from pipeline.identity.sources import fixed_length, speaker_items
from synth.identity.merges import cross_package_merges, language_of, merged_names
from tests.helpers.project import REPO, run
from tests.helpers.specs import project_params

SR = 8000


def write_voice(path: Path, f0: float, seconds: float = 0.8) -> None:
    t = np.arange(int(SR * seconds)) / SR
    tone = 0.5 * np.sin(2 * np.pi * f0 * t) * np.hanning(len(t))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.concatenate([np.zeros(800), tone, np.zeros(800)]).astype(np.float32), SR)


def speakers_params(root: Path, **changes) -> IdentityParams:
    speakers = {"low": [str(root / "low")], "high": [str(root / "high")]}
    settings = {"speaker_packages": (), "clip_seconds": 1.0, "min_items": 2, "max_items": 0, **changes}
    return project_params().identity.replace(speakers=speakers, **settings)


def test_speaker_items_read_trim_and_repeat(tmp_path):
    for i in range(5):
        write_voice(tmp_path / "low" / f"prompt{i}.wav", 150 + i)
        write_voice(tmp_path / "high" / "sub" / f"prompt{i}.wav", 400 + i)
    (tmp_path / "high" / "notes.txt").write_text("not audio")
    items, data = speaker_items(speakers_params(tmp_path), seed=0)
    assert sorted(items.identity.value_counts().items()) == [("high", 5), ("low", 5)]
    assert data.shape == (10, SR) and data.dtype == np.int16
    assert set(items.utterance) == {f"prompt{i}" for i in range(5)} | {f"sub/prompt{i}" for i in range(5)}
    assert np.abs(data[:, :100]).max() > 0  # silence trimmed: speech from the first sample
    again, data2 = speaker_items(speakers_params(tmp_path), seed=0)
    pd.testing.assert_frame_equal(items, again)
    np.testing.assert_array_equal(data, data2)


def test_speaker_folder_missing_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"high: not a folder.*identity.speakers.high"):
        speaker_items(speakers_params(tmp_path), seed=0)


def test_too_little_speech_is_dropped():
    params = project_params().identity.replace(sample_rate=SR, min_speech_seconds=0.4)
    assert fixed_length(np.zeros(SR, np.float32), SR, params) is None
    short = 0.5 * np.sin(np.arange(int(0.2 * SR)) / 3.0).astype(np.float32)
    assert fixed_length(short, SR, params) is None


def test_identity_with_a_single_item_is_named():
    items = pd.DataFrame({"identity": ["ann", "ann", "ann", "bob"], "item_id": list("abcd")})
    with pytest.raises(DataError, match=r"'bob' \(1 item\).*at least identity.min_items = 2"):
        check_counts(items, 2, "speakers")
    with pytest.raises(DataError, match="only one identity"):
        check_counts(items[items.identity == "ann"], 2, "speakers")


def test_splits_keep_an_utterance_in_one_split_for_every_speaker():
    utterances = [f"u{i}" for i in range(40)]
    items = pd.DataFrame({"identity": ["a"] * 40 + ["b"] * 40, "utterance": utterances * 2})
    split = assign_splits(items, project_params().identity.replace(split="utterances"), seed=3)
    assert (split[:40] == split[40:]).all()
    assert set(split) == {"train", "dev", "test"}
    items = items.assign(split=split)
    assert drop_unsplittable(items, "speakers", "utterances") is items


def test_the_open_set_puts_each_identity_in_one_split():
    names = [f"p{i}" for i in range(10)]
    items = pd.DataFrame({"identity": np.repeat(names, 5), "utterance": [f"u{i}" for i in range(5)] * 10})
    params = project_params().identity
    assert params.split == "identities"  # the default protocol
    items = items.assign(split=assign_splits(items, params, seed=3))
    assert (items.groupby("identity").split.nunique() == 1).all()
    people = items.groupby("split").identity.nunique()
    assert people.to_dict() == {"train": 5, "dev": 2, "test": 3}  # identity.split_fractions of 10 people
    assert drop_unsplittable(items, "speakers", "identities") is items
    with pytest.raises(DataError, match=r"identity.split identities: dev has 1.*at least 2"):
        drop_unsplittable(
            items[items.identity != items.identity[items.split == "dev"].iloc[0]], "speakers", "identities"
        )


def test_open_set_identification_enrols_k_items_of_each_test_identity():
    labels = np.array(["a"] * 6 + ["b"] * 2 + ["c"] * 5)
    test_rows = np.arange(2, 13)  # a's first two items are another split's
    gallery, probes = enrolment(labels, test_rows, k=3, seed=0)
    assert set(gallery) | set(probes) == set(test_rows) and not set(gallery) & set(probes)
    enrolled = pd.Series(labels[gallery]).value_counts().to_dict()
    assert enrolled == {"a": 3, "c": 3, "b": 1}  # b keeps one item to probe
    assert (enrolment(labels, test_rows, k=3, seed=0)[0] == gallery).all()


def test_identical_ktuberling_folders_are_one_speaker(tmp_path):
    for lang, f0 in (("en", 150.0), ("sr", 220.0), ("sr@latin", 220.0)):
        write_voice(tmp_path / lang / "word.wav", f0)
    found = package_speakers(("ktuberling",), {"ktuberling": tmp_path})
    assert found == {
        "ktuberling:en": [(tmp_path / "en/word.wav", tmp_path / "en")],
        "ktuberling:sr": [(tmp_path / "sr/word.wav", tmp_path / "sr")],
    }
    assert package_speakers((), {"ktuberling": tmp_path}) == {}
    with pytest.raises(DataError, match="identity.speaker_packages lists 'ktuberling'"):
        package_speakers(("ktuberling",), {"ktuberling": tmp_path / "absent"})


def test_klettres_languages_and_tuxpaint_descriptions_are_one_speaker_each(tmp_path):
    letters, stamps = tmp_path / "klettres", tmp_path / "stamps"
    for name in ("fr/alpha/a.ogg", "fr/syllab/ba.ogg", "en_GB/alpha/b.ogg", "pics/kids/x.png", "id/sounds.xml"):
        (letters / name).parent.mkdir(parents=True, exist_ok=True)
        (letters / name).write_bytes(b"")
    for name in ("animals/cat_desc_fr.ogg", "food/apple_desc_fr.ogg", "food/apple_desc_pt_BR.ogg", "food/apple.ogg"):
        (stamps / name).parent.mkdir(parents=True, exist_ok=True)
        (stamps / name).write_bytes(b"")
    found = package_speakers(("klettres", "tuxpaint"), {"klettres": letters, "tuxpaint": stamps})
    assert sorted(found) == ["klettres:en_GB", "klettres:fr", "tuxpaint:fr", "tuxpaint:pt_BR"]
    assert [p.relative_to(root).as_posix() for p, root in found["klettres:fr"]] == ["alpha/a.ogg", "syllab/ba.ogg"]
    assert [p.relative_to(root).as_posix() for p, root in found["tuxpaint:fr"]] == [
        "animals/cat_desc_fr.ogg",
        "food/apple_desc_fr.ogg",
    ]


def test_one_voice_in_two_packages_is_merged_and_the_decision_recorded():
    e = np.eye(6)
    names = ["asterisk-June", "klettres:de", "klettres:fr", "ktuberling:de", "ktuberling:fr", "ktuberling:ru"]
    # klettres' French volunteer is ktuberling's; the two German ones differ more than any two languages do
    centroids = np.stack([e[0], e[3], e[1] + 0.05 * e[2], -e[3] + e[4], e[1], e[5]])
    decisions = {(d.a, d.b): d for d in cross_package_merges(names, centroids)}
    assert set(decisions) == {("klettres:de", "ktuberling:de"), ("klettres:fr", "ktuberling:fr")}
    assert decisions[("klettres:fr", "ktuberling:fr")].merged
    assert not decisions[("klettres:de", "ktuberling:de")].merged
    assert merged_names(list(decisions.values())) == {"ktuberling:fr": "klettres:fr"}
    assert language_of("ktuberling:sr@latin") == "sr" and language_of("klettres:en_GB") == "en"


def test_unsplittable_identity_is_an_error_for_speakers_and_dropped_for_words():
    items = pd.DataFrame(
        {
            "identity": ["a", "a", "a", "b", "b"],
            "utterance": list("xyzxy"),
            "split": ["train", "train", "test", "train", "dev"],
        }
    )
    with pytest.raises(DataError, match=r"\['b'\] lack 2 train items or a test item"):
        drop_unsplittable(items, "speakers", "utterances")
    assert set(drop_unsplittable(items, "words", "utterances").identity) == {"a"}


def test_stages_write_metrics_report_and_gallery(small_project):
    metrics = json.loads((small_project / "reports/metrics/identity.json").read_text())
    for name in ("trained", "untrained", "baseline"):
        v = metrics[name]["verification"]
        assert 0 <= v["eer"] <= 1 and 0 <= v["auc"] <= 1 and "tar_at_far_0.001" in v
        assert 0 <= metrics[name]["identification"]["rank1"] <= metrics[name]["identification"]["rank5"] <= 1
        assert {"nmi_at_bic_k", "ari_at_bic_k", "elbow_k", "bic_k"} <= set(metrics[name]["clustering"])
    mine = json.loads((small_project / "reports/metrics/identity_mine.json").read_text())
    assert mine["triplets"] > 0 and mine["seed"] == metrics["seed"]
    manifest = pd.read_parquet(small_project / "data/identity_triplets/triplets.parquet")
    assert {"anchor", "positive", "negative", "d_ap", "d_an", "loss"} <= set(manifest.columns)
    assert (manifest.identity != manifest.negative_identity).all()
    curve = pd.read_csv(small_project / "reports/plots/identity_train.csv")
    assert list(curve.columns[:3]) == ["epoch", "loss", "active_share"]
    page = (small_project / "reports/identity/index.html").read_text()
    assert "False accepts" in page and "<audio" in page and 'src="http' not in page  # self-contained
    roc = pd.read_csv(small_project / "reports/plots/identity_roc.csv")
    encoders = ("trained", "untrained", "baseline", "resemblyzer")
    scored = [name for name in encoders if "verification" in metrics.get(name, {})]
    assert list(roc.columns) == ["far"] + [f"tar_{name}" for name in scored]


def test_cli_enrol_verify_identify_cluster(small_project, tmp_path):
    items = pd.read_parquet(small_project / "data/identity/items.parquet")
    test = items[items.split == "test"]
    allison = test[test.identity == "Allison"].source.tolist()
    june = test[test.identity == "June"].source.tolist()
    cli = ["python", "-m", "pipeline.identity.cli"]
    ok = run(cli + ["verify", allison[0], "--as", "Allison", "--threshold", "4"], cwd=small_project)
    assert "ACCEPT" in ok.stdout and "distance to 'Allison'" in ok.stdout
    no = run(cli + ["verify", allison[0], "--as", "Allison", "--threshold", "0"], cwd=small_project, check=False)
    assert no.returncode == 1 and "REJECT" in no.stdout
    unknown = run(cli + ["verify", allison[0], "--as", "Nobody"], cwd=small_project, check=False)
    assert unknown.returncode == 1 and "'Nobody' is not enrolled" in unknown.stderr
    run(cli + ["enrol", "Juliette", *june[:2]], cwd=small_project)
    who = run(cli + ["identify", june[2], "--top-k", "3"], cwd=small_project)
    assert (
        who.stdout.count("\n") >= 3
        and "Juliette" in who.stdout + run(cli + ["identify", june[0]], cwd=small_project).stdout
    )
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i, path in enumerate(allison[:3] + june[:3]):
        (folder / f"{i}{Path(path).suffix}").write_bytes(Path(path).read_bytes())
    grouped = run(cli + ["cluster", str(folder), "--k", "2", "--out", str(tmp_path / "groups")], cwd=small_project)
    assert "cluster 0" in grouped.stdout
    table = pd.read_csv(tmp_path / "groups/clusters.csv")
    assert len(table) == 6 and set(table.cluster) <= {0, 1}
    bad = tmp_path / "broken.wav"
    bad.write_text("not audio")
    failed = run(cli + ["identify", str(bad)], cwd=small_project, check=False)
    assert failed.returncode == 1 and "broken.wav" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.parametrize(
    "change, message",
    [
        ({"source": "voices"}, "identity.source"),
        ({"min_items": 1}, "identity.min_items"),
        ({"margin": 0.0}, "identity.margin"),
        ({"source": "faces"}, "identity.faces"),
        ({"split_fractions": {"train": 0.9, "dev": 0.1}}, "identity.split_fractions"),
    ],
)
def test_bad_identity_params_name_the_param(change, message):
    from pipeline.common.params import Params, ParamsError, build

    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["identity"].update(change)
    with pytest.raises(ParamsError, match=message):
        build(Params, raw)


def test_words_source_splits_by_voice(small_project, tmp_path):
    """identity = word of the trigger-word catalog; a voice's clips all land in one split."""
    import shutil

    import yaml

    shutil.copytree(small_project / "data/catalog", tmp_path / "data/catalog")
    params = yaml.safe_load((small_project / "params.yaml").read_text())
    params["identity"].update({"source": "words", "clip_seconds": 1.0, "min_items": 3, "max_items": 40})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    run(["python", "-m", "pipeline.identity.collect"], cwd=tmp_path)
    items = pd.read_parquet(tmp_path / "data/identity/items.parquet")
    catalog = pd.read_parquet(tmp_path / "data/catalog/catalog.parquet")
    assert set(items.identity) <= set(catalog.word) and items.identity.nunique() >= 2
    assert (items.groupby("utterance").split.nunique() == 1).all()  # utterance = the voice
    assert (items.groupby("identity").split.apply(lambda s: (s == "train").sum()) >= 2).all()
    assert json.loads((tmp_path / "data/identity/meta.json").read_text())["source"] == "words"
