"""Computed near misses on the dictionary the pocketsphinx wheel ships, and their way into collect."""

import pytest

from pipeline.common.io import DataError
from pipeline.common.params import load_params
from pipeline.triggerword.collect import collect
from pipeline.triggerword.sources.near_misses import find_near_misses, with_near_misses
from tests.helpers.collect_fixtures import write_params


def _collect_params(word: str = "activate", **near):
    params = load_params().collect
    settings = params.near_misses.replace(**near) if near else params.near_misses
    typed = params.negative_words if word == "activate" else ()  # 'computer' is a typed negative
    return params.replace(positive_word=word, negative_words=typed, near_misses=settings)


def test_the_default_list_is_near_the_word_and_new() -> None:
    params = _collect_params()
    found = find_near_misses(params)
    texts = [m.text for m in found]
    assert 0 < len(found) <= params.near_misses.words + params.near_misses.pairs
    assert all(m.distance <= params.near_misses.max_distance for m in found)
    assert all("activate" not in t for t in texts)
    assert not set(texts) & set(params.negative_words) and len(set(texts)) == len(texts)
    assert any(" " in t for t in texts) and any(" " not in t for t in texts)  # words and pairs


def test_the_list_follows_the_positive_word() -> None:
    texts = {m.text for m in find_near_misses(_collect_params("computer", words=8, pairs=0))}
    assert texts & {"commuter", "compute", "commute"}
    assert all("computer" not in t for t in texts)


def test_a_word_the_dictionary_lacks_is_named() -> None:
    with pytest.raises(DataError, match="collect.positive_word.*'zqxvate'"):
        find_near_misses(_collect_params("zqxvate"))
    assert find_near_misses(_collect_params("zqxvate", words=0, pairs=0)) == []


def test_collect_has_the_engines_say_them_and_lists_them(tmp_path) -> None:
    near = {"words": 2, "pairs": 1, "max_distance": 3, "vocabulary": 20000}
    params = load_params(write_params(tmp_path, tts=True, folders=(), near_misses=near))
    found = collect(params, tmp_path / "catalog")
    assert len(found.near_misses) == 3
    said = set(found.table.loc[found.table["kind"] == "negative", "word"])
    assert set(found.near_misses) <= said
    expected = with_near_misses(params.collect, find_near_misses(params.collect)).negative_words
    assert said <= set(expected)
