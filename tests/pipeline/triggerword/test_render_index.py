"""The render index: a recipe rendered before is read back without rendering; what changes its audio, its key."""

import numpy as np
import pytest

from models.triggerword.speech_embedding import SpeechEmbedding
from pipeline.triggerword import render_index
from pipeline.triggerword.datasets import SynthData
from pipeline.triggerword.embed import embed_rows
from pipeline.triggerword.embedding_cache import EmbeddingCache
from pipeline.triggerword.render_index import RenderIndex
from synth.triggerword.render import NumpyRenderer
from tests.helpers.synth_fixtures import make_dataset


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    data = make_dataset(tmp_path)
    monkeypatch.chdir(tmp_path)  # load_bank reads data/catalog/ relative to the project
    return data


def test_a_known_recipe_is_read_back_without_rendering(tiny, tmp_path, monkeypatch):
    params, window = tiny.params, tiny.params.model.embedding.window
    data = SynthData(tiny.recipes, {}, tiny.catalog)
    store = tmp_path / "cache"
    first = embed_rows(params, data, np.arange(6), EmbeddingCache(SpeechEmbedding(threads=1), window, store), "one")
    assert len([p for p in store.glob("*/recipes/*/*") if p.is_file()]) == 6  # beside the embeddings, per front-end

    def no_rendering(self, recipes, out=None):
        raise AssertionError("a recipe the index knows was rendered again")

    monkeypatch.setattr(NumpyRenderer, "render", no_rendering)
    cache = EmbeddingCache(SpeechEmbedding(threads=1), window, store)
    again = embed_rows(params, data, np.arange(6), cache, "again")
    assert again.tobytes() == first.tobytes() and cache.counts() == {"computed": 0, "reused": 6}


def test_what_decides_the_audio_decides_the_key(tiny):
    params, recipes = tiny.params, tiny.recipes
    row = int(np.flatnonzero(recipes.insert_mask.any(axis=1))[0])  # an example with an insert
    sha256 = tiny.catalog["sha256"].to_numpy().copy()
    key = RenderIndex(params, sha256, None).key(recipes, row)
    renamed = recipes.take(np.arange(len(recipes)))
    renamed.example_id[row] += 1000  # the id never reaches the mix
    assert RenderIndex(params, sha256, None).key(renamed, row) == key
    quieter = recipes.take(np.arange(len(recipes)))
    quieter.insert_gain_db[row, 0] -= 1.0
    assert RenderIndex(params, sha256, None).key(quieter, row) != key
    edited = sha256.copy()
    edited[recipes.background_clip[row]] = "0" * 64  # the background clip's file changed
    assert RenderIndex(params, edited, None).key(recipes, row) != key
    more_rooms = params.replace(synthesise=params.synthesise.replace(reverb_irs=params.synthesise.reverb_irs + 1))
    assert RenderIndex(more_rooms, sha256, None).key(recipes, row) != key


def test_another_blas_kernel_set_gives_other_keys(tiny, monkeypatch):
    """The vocoder's last bits depend on OpenBLAS's kernels, so clips rendered under others are not read back."""
    params, recipes, sha256 = tiny.params, tiny.recipes, tiny.catalog["sha256"].to_numpy()
    monkeypatch.setattr(render_index, "blas_kernels", lambda: "SkylakeX")
    key = RenderIndex(params, sha256, None).key(recipes, 0)
    monkeypatch.setattr(render_index, "blas_kernels", lambda: "Haswell")
    assert RenderIndex(params, sha256, None).key(recipes, 0) != key
