"""The embedding cache: each distinct clip is embedded once, and a read-back is the recomputation."""

import numpy as np
import pytest

from models.triggerword.speech_embedding import SpeechEmbedding
from pipeline.triggerword.datasets import SynthData
from pipeline.triggerword.embed import embed_rows
from pipeline.triggerword.embedding_cache import EmbeddingCache
from tests.helpers.synth_fixtures import make_dataset


class CountingFrontEnd(SpeechEmbedding):
    """The real front-end, counting the clips it is asked to embed."""

    clips = 0

    def embed(self, audio, window):
        self.clips += len(np.atleast_2d(audio))
        return super().embed(audio, window)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    data = make_dataset(tmp_path)
    monkeypatch.chdir(tmp_path)  # load_bank reads data/catalog/ relative to the project
    return data


def test_adding_recipes_embeds_only_the_new_ones(tiny, tmp_path):
    params, window = tiny.params, tiny.params.model.embedding.window
    data = SynthData(tiny.recipes, {}, tiny.catalog)
    front_end = CountingFrontEnd(threads=1)
    first = embed_rows(params, data, np.arange(5), EmbeddingCache(front_end, window, tmp_path / "cache"), "first")
    assert front_end.clips == 5
    cache = EmbeddingCache(front_end, window, tmp_path / "cache")
    more = embed_rows(params, data, np.arange(8), cache, "more")
    assert front_end.clips == 8 and cache.counts() == {"computed": 3, "reused": 5}
    np.testing.assert_array_equal(more[:5], first)
    # read back or computed alone, in other batches: the same bytes as embedding without any cache
    plain = embed_rows(
        params.replace(embed=params.embed.replace(batch_size=3)),
        data,
        np.arange(8),
        EmbeddingCache(SpeechEmbedding(threads=1), window, root=None),
        "plain",
    )
    assert plain.dtype == more.dtype == np.float16
    assert plain.tobytes() == more.tobytes()


def test_a_changed_recipe_is_a_new_key_and_another_window_another_store(tiny, tmp_path):
    params, window = tiny.params, tiny.params.model.embedding.window
    front_end = CountingFrontEnd(threads=1)
    cache = EmbeddingCache(front_end, window, tmp_path / "cache")
    embed_rows(params, SynthData(tiny.recipes, {}, tiny.catalog), np.arange(4), cache, "before")
    louder = tiny.recipes.take(np.arange(len(tiny.recipes)))
    louder.background_gain_db[:2] += 6.0  # two recipes now render other audio
    embed_rows(params, SynthData(louder, {}, tiny.catalog), np.arange(4), cache, "after")
    assert cache.counts() == {"computed": 6, "reused": 2}
    assert EmbeddingCache(front_end, window + 1, tmp_path / "cache").root != cache.root


def test_an_unreadable_entry_is_embedded_again(tiny, tmp_path):
    params, window = tiny.params, tiny.params.model.embedding.window
    data = SynthData(tiny.recipes, {}, tiny.catalog)
    cache = EmbeddingCache(SpeechEmbedding(threads=1), window, tmp_path / "cache")
    good = embed_rows(params, data, np.arange(2), cache, "good")
    for entry in (tmp_path / "cache").rglob("*.npy"):
        entry.write_bytes(b"not an array")
    again = EmbeddingCache(SpeechEmbedding(threads=1), window, tmp_path / "cache")
    np.testing.assert_array_equal(embed_rows(params, data, np.arange(2), again, "again"), good)
    assert again.counts() == {"computed": 2, "reused": 0}


def test_workers_give_the_same_bytes_and_fill_the_same_store(tiny, tmp_path):
    params, window = tiny.params, tiny.params.model.embedding.window
    params = params.replace(embed=params.embed.replace(batch_size=2))
    data = SynthData(tiny.recipes, {}, tiny.catalog)
    alone = embed_rows(params, data, np.arange(7), EmbeddingCache(SpeechEmbedding(threads=1), window, None), "alone")
    cache = EmbeddingCache(SpeechEmbedding(threads=1), window, tmp_path / "cache")
    side_by_side = embed_rows(params, data, np.arange(7), cache, "two workers", workers=2)
    assert side_by_side.tobytes() == alone.tobytes()
    assert cache.counts() == {"computed": 7, "reused": 0}
    again = EmbeddingCache(SpeechEmbedding(threads=1), window, tmp_path / "cache")
    np.testing.assert_array_equal(embed_rows(params, data, np.arange(7), again, "read back", workers=2), alone)
    assert again.counts() == {"computed": 0, "reused": 7}
