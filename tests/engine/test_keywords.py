"""The monitoring risk library and matcher (engine.keywords): what fires, what must not."""

from __future__ import annotations

import json
import threading
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeschool.engine.keywords import (
    CATEGORIES,
    LibraryError,
    Matcher,
    RiskTerm,
    customise,
    default_matcher,
    load_allow_phrases,
    load_library,
    make_term,
    parse_library,
)
from safeschool.engine.keywords_text import forms, words

MATCHER = default_matcher()


def found(text: str, matcher: Matcher = MATCHER) -> set[tuple[str, str]]:
    return {(m.term, m.category) for m in matcher.scan(text)}


def categories(text: str, matcher: Matcher = MATCHER) -> set[str]:
    return {m.category for m in matcher.scan(text)}


# The default library


def test_library_covers_every_category_with_sound_severities() -> None:
    terms = load_library("en")
    assert {t.category for t in terms} == set(CATEGORIES)
    assert all(1 <= t.severity <= 5 and t.language == "en" for t in terms)
    assert len(terms) >= 500


def test_kind_in_the_file_agrees_with_the_text() -> None:
    assert {t.kind for t in load_library() if t.term == "kill myself"} == {"phrase"}
    assert {t.kind for t in load_library() if t.term == "thinspo"} == {"word"}


@pytest.mark.parametrize(
    ("text", "category", "severity"),
    [
        ("how to kill myself", "suicide", 5),
        ("i want to die", "suicide", 5),
        ("kms", "suicide", 3),
        ("how to self harm without scars", "self_harm", 4),
        ("thinspo", "eating_disorders", 3),
        ("pro ana tips", "eating_disorders", 4),
        ("where to buy weed in leeds", "drugs", 3),
        ("what is county lines", "drugs", 4),
        ("what is county lines", "child_sexual_exploitation", 4),
        ("someone has my nudes and wants money", "child_sexual_exploitation", 5),
        ("beheading video", "violence", 4),
        ("how to make a bomb", "weapons", 5),
        ("zombie knife for sale", "weapons", 3),
        ("how to join isis", "extremism", 4),
        ("bet365 free bets", "gambling", 2),
        ("pornhub", "pornography", 3),
        ("jailbait", "illegal", 5),
        ("kys loser", "bullying", 3),
        ("you are a retard", "discrimination", 3),
    ],
)
def test_each_category_fires_on_representative_terms(
    text: str, category: str, severity: int
) -> None:
    assert (category, severity) in {(m.category, m.severity) for m in MATCHER.scan(text)}


# Normalisation


@pytest.mark.parametrize(
    "text",
    [
        "HOW TO KILL MYSELF",
        "how to kïll mysélf",
        "how to k1ll mys3lf",
        "how to ki11 myse1f",
        "how to k!ll my$elf",
        "how to k i l l  m y s e l f",
        "how to k.i.l.l m.y.s.e.l.f",
        "how to killlll myselfffff",
        "how-to-kill-myself",
        "#howtokillmyself",
        "how to kill myself???",
    ],
)
def test_normalisation_finds_the_phrase(text: str) -> None:
    assert ("how to kill myself", "suicide") in found(text)


@pytest.mark.parametrize(
    "text",
    ["suïcide", "SUICIDE", "5u1c1d3", "s.u.i.c.i.d.e", "s u i c i d e", "suiiiicide", "ѕuicide"],
)
def test_one_word_is_found_however_it_is_written(text: str) -> None:
    assert found(text) == {("suicide", "suicide")}


def test_offsets_point_into_the_original_text() -> None:
    text = "Why?? i w@nt  to   DIEEEE!!!"
    (match,) = MATCHER.scan(text)
    assert match.term == "i want to die"
    assert match.matched == text[match.start : match.end] == "i w@nt  to   DIEEEE"


def test_spaced_letters_never_join_across_a_wider_gap() -> None:
    assert found("k i l l  m y s e l f") == {("kill myself", "suicide")}
    assert found("s u i c i d e  n o t e") == {("suicide note", "suicide")}
    assert found("s u i c i d e  s q u a d") == set()
    assert not found("t h e r a p i s t")
    assert not found("g r a p e")


def test_apostrophes_inside_words_are_dropped() -> None:
    assert ("im being bullied", "bullying") in found("I’m being bullied at school")


# Innocent words and phrases


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United results",
        "grape juice",
        "therapist near me",
        "assassin's creed homework",
        "how to kill a python process",
        "suicide squad cast",
        "how to shoot a basketball",
        "to kill a mockingbird themes",
        "blue tits nesting box",
        "maine coon kittens",
        "offa's dyke history",
        "the rape of lucrece summary",
        "oilseed rape fields",
        "faggots and peas recipe",
        "weed killer for patios",
        "how to die my hair pink",
        "how did hitler commit suicide",
        "al gore climate change",
        "dog grooming near me",
        "how to get away with murder season 2",
        "what happened in 1488",
        "how many kms is a marathon",
        "casino royale cast",
        "chink in the armour meaning",
        "hmm therapists in scunthorpe sell grapes",
    ],
)
def test_innocent_texts_do_not_fire(text: str) -> None:
    assert MATCHER.scan(text) == []


def test_allow_list_only_covers_matches_inside_the_phrase() -> None:
    assert categories("suicide squad cast then how to kill myself") == {"suicide"}
    assert found("suicide squad") == set()


def test_a_school_term_that_is_too_broad_is_tamed_by_the_allow_list() -> None:
    terms = [*load_library(), make_term("kill", "violence", 1)]
    matcher = Matcher.build(terms, load_allow_phrases())
    assert found("kill a python process", matcher) == set()
    assert found("to kill a mockingbird", matcher) == set()
    assert found("i will kill him", matcher) == {("kill", "violence")}


def test_a_longer_match_hides_a_milder_one_inside_it() -> None:
    assert found("how to commit suicide") == {("how to commit suicide", "suicide")}
    assert found("child porn") == {("child porn", "illegal")}


def test_the_same_words_in_two_categories_give_two_matches() -> None:
    assert found("how to make a bomb") == {
        ("how to make a bomb", "weapons"),
        ("how to make a bomb", "extremism"),
    }


# A school's own library


def test_customise_disables_reweights_and_adds() -> None:
    terms = customise(
        load_library(),
        disable=["vape", ("county lines", "drugs")],
        severities={"kms": 5},
        add=[make_term("zorbing dare", "violence", 2)],
    )
    matcher = Matcher.build(terms, load_allow_phrases())
    assert found("vape", matcher) == set()
    assert categories("county lines", matcher) == {"child_sexual_exploitation"}
    assert [m.severity for m in matcher.scan("kms")] == [5]
    assert found("the zorbing dare", matcher) == {("zorbing dare", "violence")}


def test_an_added_term_replaces_the_library_one() -> None:
    terms = customise(load_library(), add=[make_term("Thinspo", "eating_disorders", 5)])
    assert [m.severity for m in Matcher.build(terms).scan("thinspo")] == [5]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"text": "x", "category": "nope", "severity": 1}, "unknown category"),
        ({"text": "x", "category": "drugs", "severity": 6}, "severity"),
        ({"text": "x", "category": "drugs", "severity": True}, "severity"),
        ({"text": "!!!", "category": "drugs", "severity": 1}, "no words"),
        ({"text": "buy weed", "category": "drugs", "severity": 1, "kind": "word"}, "phrase"),
        ({"text": "x", "category": "drugs"}, "needs text"),
    ],
)
def test_bad_library_entries_are_refused_with_a_reason(
    entry: dict[str, object], reason: str
) -> None:
    with pytest.raises(LibraryError, match=reason):
        parse_library({"terms": [entry]})


def test_the_same_term_twice_in_one_category_is_refused() -> None:
    entries = [
        {"text": "Buy weed", "category": "drugs", "severity": 3},
        {"text": "buy  WEED", "category": "drugs", "severity": 2},
    ]
    with pytest.raises(LibraryError, match="twice"):
        parse_library({"terms": entries})


def test_unknown_language_and_malformed_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no risk library"):
        load_library("zz")
    with pytest.raises(LibraryError, match="language code"):
        load_library("../en")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(LibraryError, match="cannot read"):
        load_library("en", bad)


def test_build_refuses_a_bad_term() -> None:
    with pytest.raises(LibraryError):
        Matcher.build([RiskTerm("weed", "drugs", 9)])


def test_library_file_is_one_term_a_line() -> None:
    text = resources.files("safeschool.engine.risk_library").joinpath("en.json").read_text()
    lines = [line for line in text.splitlines() if line.strip().startswith('{"text"')]
    assert json.loads(text)["language"] == "en"
    assert len(lines) == len(load_library())


# URLs


def test_scan_url_reads_search_terms_and_url_words() -> None:
    matches = MATCHER.scan_url("https://www.google.co.uk/search?q=how+to+k1ll+myself&hl=en")
    assert [(m.term, m.source, m.matched) for m in matches] == [
        ("how to kill myself", "search", "how to k1ll myself")
    ]
    matches = MATCHER.scan_url("http://www.pornhub.com/view_video.php?viewkey=1")
    assert [(m.term, m.source) for m in matches] == [("pornhub", "url")]
    assert MATCHER.scan_url("https://en.wikipedia.org/wiki/Scunthorpe") == []


def test_scan_url_reports_a_term_once() -> None:
    matches = MATCHER.scan_url("https://www.bing.com/search/thinspo?q=thinspo")
    assert [(m.term, m.source) for m in matches] == [("thinspo", "search")]


# Properties


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_scanning_never_raises_and_offsets_are_sound(text: str) -> None:
    for match in MATCHER.scan(text):
        assert 0 <= match.start < match.end <= len(text)
        assert match.matched == text[match.start : match.end]


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_scanning_a_url_never_raises(text: str) -> None:
    MATCHER.scan_url("https://www.google.com/search?q=" + text)
    MATCHER.scan_url(text)


def test_lone_surrogates_and_bad_percent_escapes_are_harmless() -> None:
    assert found("\ud800 kill myself \udfff") == {("kill myself", "suicide")}
    assert [m.term for m in MATCHER.scan_url("http://x\ud800.com/a?q=%ff%fe+kys\u2003")] == ["kys"]


WORDS = st.sampled_from(
    [
        "how",
        "to",
        "kill",
        "myself",
        "suicide",
        "squad",
        "k1ll",
        "buy",
        "weed",
        "killer",
        "k",
        "i",
        "l",
        "  ",
        ".",
        "thinspo",
        "cast",
    ]
)
PHRASES = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
SMALL = Matcher.build(
    [make_term(t, "suicide", 3) for t in ("kill myself", "suicide", "kill")]
    + [make_term("buy weed", "drugs", 3), make_term("thinspo", "eating_disorders", 3)]
)


@settings(max_examples=300, deadline=None)
@given(PHRASES, st.lists(PHRASES, max_size=3))
def test_adding_an_allow_phrase_never_adds_matches(text: str, allow: list[str]) -> None:
    allowed = Matcher.build(SMALL.terms, allow)
    before = {(m.term, m.category, m.start, m.end) for m in SMALL.scan(text)}
    after = {(m.term, m.category, m.start, m.end) for m in allowed.scan(text)}
    assert after <= before


@settings(max_examples=200, deadline=None)
@given(PHRASES, PHRASES)
def test_a_term_is_found_wherever_it_stands_between_other_words(left: str, right: str) -> None:
    text = f"{left}, thinspo; {right}"
    assert ("thinspo", "eating_disorders") in found(text, SMALL)


SPACED = st.lists(
    st.sampled_from(
        ["k", "i", "l", "1", "m", "y", "s", "e", "f", "kill", "myself", " ", "  ", ".", "!"]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(PHRASES, SPACED, st.text()))
def test_the_fast_path_agrees_with_the_full_path(text: str) -> None:
    automaton = MATCHER._automaton
    text_words = words(text)
    hits = automaton.run([automaton.symbol(forms(w.raw)) for w in text_words])
    assert MATCHER.scan(text) == MATCHER._matches(text, text_words, hits)


def test_one_matcher_serves_many_threads() -> None:
    texts = ["how to kill myself", "grape juice", "buy weed", "k i l l  m y s e l f"] * 200
    expected = [MATCHER.scan(t) for t in texts]
    results: list[bool] = []

    def work() -> None:
        results.append([MATCHER.scan(t) for t in texts] == expected)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4
