"""Bad input fails the collect stage with one clear error naming the file or binary, and leaves
no half-written catalog: a failed run creates none and keeps the previous one."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from pipeline.common.io import DataError
from pipeline.triggerword.collect import collect
from pipeline.triggerword.sources.tts import list_voices
from synth.common.catalog import CATALOG_COLUMNS
from tests.helpers.collect_fixtures import SR, needs, tiny_params, tone_word, user_folder, write_params, write_wav

BAD_FILES = {
    "corrupt.wav": lambda p: p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(40))),
    "empty.wav": lambda p: p.write_bytes(b""),
    "silent.wav": lambda p: write_wav(p, np.zeros(SR, np.float32)),
    "short.wav": lambda p: write_wav(p, tone_word(0.05)),
    "notes.wav": lambda p: p.write_text("this is a text file, not audio\n"),
    "nan.wav": lambda p: sf.write(p, np.full(SR, np.nan, np.float32), SR, subtype="FLOAT"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_user_file_is_one_error_naming_it(tmp_path, name):
    bad = tmp_path / "recordings" / "negatives" / "lion" / name
    bad.parent.mkdir(parents=True)
    BAD_FILES[name](bad)
    write_wav(tmp_path / "recordings" / "positives" / "take.wav", tone_word())
    params = tiny_params(tmp_path, folders=(str(tmp_path / "recordings"),))
    with pytest.raises(DataError, match=name.replace(".", r"\.")) as error:
        collect(params, tmp_path / "out")
    assert "\n" not in str(error.value)


@pytest.mark.skipif(bool(needs("espeak-ng")), reason=str(needs("espeak-ng")))
def test_a_missing_engine_binary_says_how_to_install_or_disable_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    params = tiny_params(tmp_path, tts=True)
    with pytest.raises(
        DataError,
        match=r"espeak-ng: not found on PATH.*apt-get install espeak-ng"
        r".*collect\.tts\.engines",
    ):
        list_voices(params.collect.tts)


def run_stage(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATASYNTH_LOG": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.triggerword.collect"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_stage_exits_1_and_keeps_the_old_catalog(tmp_path):
    write_params(tmp_path)
    bad = write_wav(tmp_path / "recordings" / "positives" / "silent.wav", np.zeros(SR, np.float32))
    result = run_stage(tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("collect: error: ")
    assert str(bad.relative_to(tmp_path)) in result.stderr and "silent" in result.stderr
    assert not (tmp_path / "data" / "catalog").exists()

    old = tmp_path / "data" / "catalog" / "catalog.parquet"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"previous run")
    assert run_stage(tmp_path).returncode == 1
    assert old.read_bytes() == b"previous run"
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["catalog"]  # no temp dirs left


def test_a_good_run_is_complete_and_byte_identical_when_repeated(tmp_path):
    tts = not needs("espeak-ng")
    write_params(tmp_path, tts=tts)
    user_folder(tmp_path / "recordings")
    runs = []
    for _ in range(2):
        result = run_stage(tmp_path)
        assert result.returncode == 0, result.stderr
        catalog_dir = tmp_path / "data" / "catalog"
        runs.append({p.relative_to(catalog_dir): p.read_bytes() for p in sorted(catalog_dir.rglob("*")) if p.is_file()})
    assert runs[0] == runs[1]
    table = pd.read_parquet(tmp_path / "data" / "catalog" / "catalog.parquet")
    assert list(table.columns) == list(CATALOG_COLUMNS)
    assert [str(t) for t in table.dtypes] == [
        d if d != "string" else str(table[c].dtype) for c, (d, _) in CATALOG_COLUMNS.items()
    ]
    assert table["clip_index"].tolist() == list(range(len(table)))
    assert table["kind"].tolist() == sorted(table["kind"], key=["positive", "negative", "background"].index)
    assert set(table["speaker"][table["kind"] == "positive"]) >= {"alice", "bob"}
    assert (tmp_path / "reports" / "metrics" / "collect.json").is_file()
    assert "## noise" in (tmp_path / "data" / "catalog" / "NOTICE.md").read_text()


@pytest.mark.parametrize(
    "collect_edit, fragment",
    [
        ({"archives": [{"path": "x.tar.gz"}]}, "collect.archives"),
        ({"speech_packages": ["librivox"]}, "collect.speech_packages"),
        ({"backgrounds": ["rain"]}, "collect.backgrounds"),
    ],
)
def test_unknown_sources_are_params_errors(tmp_path, collect_edit, fragment):
    from pipeline.common.params import ParamsError, load_params

    with pytest.raises(ParamsError, match=fragment):
        load_params(write_params(tmp_path, **collect_edit))
