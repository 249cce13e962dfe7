"""Near misses of a trigger word, computed from a pronouncing dictionary: words whose phonemes are a few
edits from the word's, and word pairs whose joined phonemes are ("active eight" for "activate").
These are what a detector confuses on real speech, so they become negative words.

Distances are Levenshtein distances over phoneme sequences (rapidfuzz, on tuples of phoneme symbols).
Ranking: distance, then how far the length is from the word's (at equal distance 'estimate' sounds
more like 'activate' than 'cut' does), then how common it is (log probability), then the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

Phonemes = tuple[str, ...]
Lexicon = Mapping[str, Phonemes]  # word -> its phonemes
LogProbs = Mapping[str, float]  # word -> unigram log probability: the candidates, and how common each is
PAIR_CANDIDATES = 40  # words kept per half of a split word; pairs are searched among these
PAIR_WORD_PHONEMES = 2  # fewest phonemes of a pair's word: 'a', 'i', 'er' only pad the other word


class NearMiss(NamedTuple):
    text: str  # a word, or two words joined by a space
    distance: int  # phoneme edits from the trigger word


def parse_cmudict(lines: Iterable[str]) -> dict[str, Phonemes]:
    """CMUdict text ('word PH1 PH2 ...', alternates as 'word(2) ...') -> word: first pronunciation.
    Stress digits are dropped: 'AH0' and 'AH1' are the same sound to a detector."""
    lexicon: dict[str, Phonemes] = {}
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or line.startswith(";;;"):
            continue
        word = parts[0].lower()
        if "(" in word:  # an alternate pronunciation: the first one stands for the word
            continue
        lexicon.setdefault(word, tuple(p.rstrip("012") for p in parts[1:]))
    return lexicon


def contains(phonemes: Phonemes, part: Phonemes) -> bool:
    """Whether `part` occurs as a contiguous run inside `phonemes`."""
    n = len(part)
    return any(phonemes[i : i + n] == part for i in range(len(phonemes) - n + 1))


def says_word(text: str, word: str, lexicon: Lexicon) -> bool:
    """Whether a transcript says `word`: spelt inside it ('deactivated'), or its phonemes inside the
    joined phonemes of up to three consecutive words ('activating', 'reactivate it'). Words the
    lexicon lacks only count by spelling."""
    word = word.strip().lower()
    text = text.lower()
    if word in text:
        return True
    target = lexicon.get(word)
    if not target:
        return False
    sounds = [lexicon.get(w, ()) for w in re.findall(r"[a-z']+", text)]
    return any(contains(sum(sounds[i : i + 3], ()), target) for i in range(len(sounds)))


def _close(target: Phonemes, candidates: Mapping[str, Phonemes], max_distance: int, limit: int | None):
    """(word, distance) of candidates within max_distance of target, nearest first (ties unordered)."""
    found = process.extract(
        target,
        candidates,
        scorer=Levenshtein.distance,
        score_cutoff=max_distance,
        limit=limit,
    )
    return [(word, int(distance)) for _, distance, word in found]


def _candidates(word: str, lexicon: Lexicon, vocabulary: LogProbs) -> dict[str, Phonemes]:
    """Vocabulary words the lexicon can say, other than the word and words spelt with it."""
    return {w: lexicon[w] for w in vocabulary if w in lexicon and word not in w}


def _ranked(found: Iterable[NearMiss], length: int, lexicon: Lexicon, log_probs: LogProbs) -> list[NearMiss]:
    def commonness(text: str) -> float:
        return sum(log_probs.get(w, -99.0) for w in text.split()) / len(text.split())

    def length_gap(text: str) -> int:
        return abs(sum(len(lexicon[w]) for w in text.split()) - length)

    return sorted(found, key=lambda m: (m.distance, length_gap(m.text), -commonness(m.text), m.text))


def near_words(word: str, lexicon: Lexicon, vocabulary: LogProbs, count: int, max_distance: int) -> list[NearMiss]:
    """The `count` vocabulary words nearest to `word` in phonemes, within max_distance edits. Words that
    contain the trigger word's phonemes ('activated', 'reactivate') are positives, not near misses."""
    target = lexicon[word]
    candidates = {w: p for w, p in _candidates(word, lexicon, vocabulary).items() if not contains(p, target)}
    found = [NearMiss(w, d) for w, d in _close(target, candidates, max_distance, None)]
    return _ranked(found, len(target), lexicon, vocabulary)[:count]


def near_pairs(word: str, lexicon: Lexicon, vocabulary: LogProbs, count: int, max_distance: int) -> list[NearMiss]:
    """The `count` nearest two-word phrases: the word's phonemes are cut in two at every point, words
    near each half are paired, and pairs whose joined phonemes are within max_distance are kept. Each
    word appears in one pair at most, so the list is not twenty phrases around 'active'."""
    target = lexicon[word]
    candidates = {w: p for w, p in _candidates(word, lexicon, vocabulary).items() if len(p) >= PAIR_WORD_PHONEMES}
    found: dict[str, NearMiss] = {}
    for cut in range(1, len(target)):
        heads = _close(target[:cut], candidates, max_distance, PAIR_CANDIDATES)
        tails = _close(target[cut:], candidates, max_distance, PAIR_CANDIDATES)
        for head, _ in heads:
            for tail, _ in tails:
                joined = candidates[head] + candidates[tail]
                if contains(joined, target):
                    continue
                distance = int(Levenshtein.distance(joined, target))
                if distance <= max_distance:
                    found[f"{head} {tail}"] = NearMiss(f"{head} {tail}", distance)
    chosen: list[NearMiss] = []
    used: set[str] = set()
    for miss in _ranked(found.values(), len(target), lexicon, vocabulary):
        head, tail = miss.text.split()
        if head in used or tail in used:
            continue
        chosen.append(miss)
        used.update((head, tail))
        if len(chosen) == count:
            break
    return chosen
