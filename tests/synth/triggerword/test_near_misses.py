"""Near misses from a pronouncing dictionary: distances, exclusions and ranking on a small lexicon."""

from synth.triggerword.near_misses import NearMiss, contains, near_pairs, near_words, parse_cmudict, says_word

CMUDICT = """\
;;; a comment line
activate AE K T IH V EY T
activated AE K T IH V EY T IH D
reactivate R IY AE K T IH V EY T
active AE K T IH V
active(2) AE K T AH V
eight EY T
ate EY T
captivate K AE P T IH V EY T
motivate M OW T IH V EY T
cat K AE T
act AE K T
evade IH V EY D
zebra Z IY B R AH
"""
LEXICON = parse_cmudict(CMUDICT.splitlines())
VOCABULARY = {w: -float(i) for i, w in enumerate(LEXICON)}  # earlier in the file = commoner


def test_parse_keeps_the_first_pronunciation_and_drops_stress_and_comments() -> None:
    lexicon = parse_cmudict(["hello HH AH0 L OW1", "hello(2) HH EH0 L OW1", ";;; note", ""])
    assert lexicon == {"hello": ("HH", "AH", "L", "OW")}
    assert LEXICON["active"] == ("AE", "K", "T", "IH", "V")


def test_contains_finds_a_contiguous_run_only() -> None:
    assert contains(("R", "IY", "A", "B"), ("A", "B"))
    assert not contains(("A", "X", "B"), ("A", "B"))


def test_near_words_are_ranked_by_distance_then_length_then_commonness() -> None:
    found = near_words("activate", LEXICON, VOCABULARY, count=10, max_distance=3)
    assert found[:3] == [NearMiss("motivate", 2), NearMiss("captivate", 2), NearMiss("active", 2)]
    assert [m.distance for m in found] == sorted(m.distance for m in found)
    assert {m.text for m in found} >= {"captivate", "motivate"}
    assert all(m.distance <= 3 for m in found)
    assert "zebra" not in {m.text for m in found}


def test_words_that_contain_the_trigger_word_are_never_near_misses() -> None:
    texts = {m.text for m in near_words("activate", LEXICON, VOCABULARY, count=20, max_distance=6)}
    assert "activated" not in texts and "reactivate" not in texts and "activate" not in texts


def test_count_and_vocabulary_bound_the_list() -> None:
    assert len(near_words("activate", LEXICON, VOCABULARY, count=1, max_distance=3)) == 1
    only_common = {w: VOCABULARY[w] for w in ("activate", "motivate", "zebra")}
    assert near_words("activate", LEXICON, only_common, count=10, max_distance=3) == [NearMiss("motivate", 2)]


def test_pairs_come_close_to_the_word_but_never_say_it() -> None:
    pairs = near_pairs("activate", LEXICON, VOCABULARY, count=5, max_distance=1)
    texts = {m.text for m in pairs}
    assert "act evade" in texts  # one phoneme off when joined
    assert "active eight" not in texts and "active ate" not in texts  # the word itself: a positive, not a miss
    used = [w for m in pairs for w in m.text.split()]
    assert len(used) == len(set(used))
    assert all(" " in m.text and m.distance <= 1 for m in pairs)


def test_a_transcript_says_the_word_by_spelling_or_by_its_sounds() -> None:
    assert says_word("Command Console Activated", "activate", LEXICON)  # spelt inside a longer word
    assert says_word("The cat... active, eight!", "activate", LEXICON)  # two words that sound like it
    assert says_word("we reactivate", "activate", LEXICON)
    assert not says_word("Captivate the cat", "activate", LEXICON)
    assert not says_word("active zebra ate", "activate", LEXICON)
    assert not says_word("an unknown xyzzy", "xyzzy2", LEXICON)  # neither in the text nor in the lexicon
