"""Near-miss negative words for collect: computed from the pronouncing dictionary and the unigram
language model that the pocketsphinx wheel ships (CMUdict, BSD-2-Clause; the US-English LM), so the
list follows collect.positive_word for any word."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

from pipeline.common.io import DataError
from pipeline.common.params.triggerword import CollectParams
from synth.triggerword.near_misses import NearMiss, Phonemes, near_pairs, near_words, parse_cmudict, says_word

UNKNOWN_WORD = -536870912  # what NGramModel.prob answers for a word the model does not know
log = logging.getLogger("datasynth.collect")


def _model_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


@cache
def lexicon() -> dict[str, Phonemes]:
    path = _model_dir() / "cmudict-en-us.dict"
    with open(path, encoding="utf-8") as lines:
        return parse_cmudict(lines)


@cache
def commonest(count: int) -> dict[str, float]:
    """The `count` most probable alphabetic words of the language model that the lexicon can say,
    with their unigram log probabilities."""
    from pocketsphinx import Config, LogMath, NGramModel

    logmath = LogMath()
    model = NGramModel(Config(), logmath, str(_model_dir() / "en-us.lm.bin"))
    scores = {}
    for word in lexicon():
        if word.isalpha() and word.isascii():
            score = model.prob([word])
            if score != UNKNOWN_WORD:
                scores[word] = float(score)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:count]
    return dict(ranked)


def transcript_screen(word: str) -> Callable[[str], bool]:
    """Whether a transcript says `word`, by spelling or by its dictionary phonemes (says_word)."""
    return lambda text: says_word(text, word, lexicon())


def find_near_misses(collect: CollectParams) -> list[NearMiss]:
    """Words, then pairs, near collect.positive_word; words already typed in negative_words are not
    repeated. The positive word must be in the dictionary (one word, as CMUdict spells it)."""
    word = collect.positive_word.strip().lower()
    settings = collect.near_misses
    if settings.words == 0 and settings.pairs == 0:
        return []
    if word not in lexicon():
        raise DataError(
            f"collect.positive_word: {word!r} is not in the pronouncing dictionary "
            f"({_model_dir() / 'cmudict-en-us.dict'}); set collect.near_misses.words and .pairs to 0"
        )
    vocabulary = commonest(settings.vocabulary)
    typed = {w.lower() for w in collect.negative_words}
    vocabulary = {w: p for w, p in vocabulary.items() if w not in typed}
    found = [
        *near_words(word, lexicon(), vocabulary, settings.words, settings.max_distance),
        *near_pairs(word, lexicon(), vocabulary, settings.pairs, settings.max_distance),
    ]
    log.info("near misses of %r: %s", word, ", ".join(f"{m.text} ({m.distance})" for m in found))
    return found


def with_near_misses(collect: CollectParams, found: list[NearMiss]) -> CollectParams:
    """collect with the near misses appended to negative_words (a validated copy)."""
    return collect.replace(negative_words=(*collect.negative_words, *(m.text for m in found)))
