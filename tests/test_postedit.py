"""Post-editing: final punctuation, quotation style and capitals follow the source."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from it2en.fidelity.postedit import (
    is_shouting,
    match_final_punctuation,
    match_quote_style,
    to_sentence_case,
    to_upper,
)

# ----------------------------------------------------------------------------- final punctuation


@pytest.mark.parametrize(
    ("source", "model", "expected"),
    [
        # A headline gets no full stop (invariant 3).
        ("Tutte le bufale in emergenza", "All the hoaxes in an emergency.",
         "All the hoaxes in an emergency"),
        ("Emergenza abitativa, servono roulotte e camper", "Housing emergency, caravans and campers are needed.",
         "Housing emergency, caravans and campers are needed"),
        ("Come era e come è", "How it was and how it is...", "How it was and how it is"),
        ("Il “momento Sputnik”", 'The "Sputnik moment."', 'The "Sputnik moment"'),
        ("L’impegno della Cina negli investimenti", "China's commitment to investment",
         "China's commitment to investment"),
        # A question stays a question, a colon still introduces what follows.
        ("Come si fa, allora, a evitare le bufale?", "How do you avoid hoaxes, then.",
         "How do you avoid hoaxes, then?"),
        ("In netto contrasto, la Cina è pronta a investire 1 trilione di yuan nel suo settore AI:",
         "In stark contrast, China is ready to invest 1 trillion yuan in its AI sector.",
         "In stark contrast, China is ready to invest 1 trillion yuan in its AI sector:"),
        ("Infine: alle persone non piace essere corrette.", "Finally: people don't like to be corrected",
         "Finally: people don't like to be corrected."),
        ("Ognuno per quello che può.", "Everyone for what they can", "Everyone for what they can."),
        ("Davvero?!", "Really?", "Really?!"),
        ("Basta!", "Enough.", "Enough!"),
        ("Prima un punto; poi l’altro;", "First one point; then the other.", "First one point; then the other;"),
        # Ellipses: the source's form.
        ("nei prossimi cinque anni…", "in the next five years...", "in the next five years…"),
        ("E poi...", "And then…", "And then..."),
        ("E poi...", "And then", "And then..."),
        # A clause of a split sentence ends with its comma.
        ("Da un altro punto di vista,", "From another point of view.", "From another point of view,"),
        # Closing quotes and brackets.
        ("Disse: “Sì.”", 'He said, "Yes"', 'He said, "Yes."'),
        ("Disse: “Sì”.", 'He said, "Yes"', 'He said, "Yes".'),
        ("Disse: “Sì!”", 'He said, "Yes."', 'He said, "Yes!"'),
        ("(sì.)", "(yes)", "(yes.)"),
        ("Lo chiamano “debunking”.", 'They call it "debunking."', 'They call it "debunking."'),
        # Abbreviations keep their dot.
        ("Lavora negli USA", "He works in the U.S.", "He works in the U.S."),
        ("Lavora negli USA?", "He works in the U.S.", "He works in the U.S.?"),
        ("Mele, pere, ecc.", "Apples, pears, etc.", "Apples, pears, etc."),
        ("Mele, pere, ecc…", "Apples, pears, etc.", "Apples, pears, etc…"),
        # Already right: unchanged.
        ("Contate su di noi.", "Count on us.", "Count on us."),
        ("Grazie, davvero", "Thank you, really", "Thank you, really"),
    ],
)
def test_final_punctuation(source: str, model: str, expected: str):
    assert match_final_punctuation(source, model) == expected


@pytest.mark.parametrize("target", ["", "   ", "...", "—"])
def test_final_punctuation_leaves_empty_and_punctuation_only_targets(target: str):
    assert match_final_punctuation("Una frase.", target) == target


# ----------------------------------------------------------------------------- quotation style


@pytest.mark.parametrize(
    ("source", "model", "expected"),
    [
        # Curly apostrophes in the source: contractions and possessives follow.
        ("L’emergenza che stiamo vivendo è senza precedenti.",
         "The emergency we're experiencing is unprecedented.",
         "The emergency we’re experiencing is unprecedented."),
        ("L’autore non detiene posizioni.", "The author doesn't hold positions; the authors' view.",
         "The author doesn’t hold positions; the authors’ view."),
        # Double quotation marks: the source's pairs.
        ("Spesso definito “il momento Sputnik dell’IA”, il modello R1 fa scalpore.",
         'Often referred to as "AI\'s Sputnik moment," the R1 model is making waves.',
         "Often referred to as “AI’s Sputnik moment,” the R1 model is making waves."),
        ("«Non mollate», ha detto il sindaco.", '"Don\'t give up," said the mayor.',
         "«Don't give up,» said the mayor."),  # «» say nothing about apostrophes
        ("“Non mollate”, ha detto il sindaco.", '"Don\'t give up," said the mayor.',
         "“Don’t give up,” said the mayor."),  # “” do: the same autocorrect curls both
        # Nested pairs keep their order.
        ("«Ha detto “basta” e se n’è andato», racconta.", '"He said "enough" and left," he says.',
         "«He said “enough” and left,» he says."),
        # Single curly quotes.
        ("Possiamo fare da ‘ponte’ tra queste disponibilità.", "We can act as a 'bridge' between them.",
         "We can act as a ‘bridge’ between them."),
        # A quotation that runs over several sentences: an unpaired mark.
        ("“La Banca di Cina prevede di fornire un supporto.", '"The Bank of China plans to provide support.',
         "“The Bank of China plans to provide support."),
        ("Nei prossimi cinque anni.”", 'In the next five years."', "In the next five years.”"),
        # Straight marks in the source stay straight; typographic ones in the target straighten.
        ("Per l'esistenza di roulotte, \"prenderci cura\".", 'For the existence of caravans, "take care".',
         'For the existence of caravans, "take care".'),
        ("L'11 novembre", "On 11 November it’s “cold”", "On 11 November it's “cold”"),
        ('Il "momento"', "The “moment”", 'The "moment"'),
        # No evidence either way: unchanged.
        ("Contate su di noi", "Don't count on \"us\"", "Don't count on \"us\""),
        # The '70s.
        ("Negli anni ’70", "In the '70s", "In the ’70s"),
    ],
)
def test_quote_style(source: str, model: str, expected: str):
    assert match_quote_style(source, model) == expected


def test_quote_style_uses_context_when_the_segment_has_no_evidence():
    article = "L’emergenza che stiamo vivendo, “senza precedenti”."
    assert match_quote_style("Contate su di noi", "Don't count on \"us\"", context=article) == \
        "Don’t count on “us”"


# ----------------------------------------------------------------------------- ALL-CAPS


@pytest.mark.parametrize(
    ("text", "shouting"),
    [
        ("EMERGENZA ABITATIVA, SERVONO ROULOTTE E CAMPER", True),
        ("COVID-19: IL GOVERNO VARA NUOVE MISURE", True),
        ("ULTIM'ORA: CROLLA IL PONTE", True),
        ("SMAC17 Strumenti digitali applicati al monitoraggio civico", False),
        ("La NATO e gli USA", False),
        ("NVIDIA H800", False),  # two words: too few to call it shouting
        ("", False),
        ("2020 — 2021", False),
    ],
)
def test_is_shouting(text: str, shouting: bool):
    assert is_shouting(text) is shouting


def test_sentence_case_for_the_model():
    assert to_sentence_case("EMERGENZA ABITATIVA, SERVONO ROULOTTE E CAMPER") == \
        "Emergenza abitativa, servono roulotte e camper"
    assert to_sentence_case("COVID-19: GLI USA E LA UE FIRMANO. POI IL PIL CRESCE") == \
        "COVID-19: gli USA e la UE firmano. Poi il PIL cresce"
    assert to_sentence_case("«VISITATE WWW.ANSA.IT E SCRIVETE A @ANSA_NEWS»") == \
        "«Visitate WWW.ANSA.IT e scrivete a @ANSA_NEWS»"


def test_to_upper_for_the_output():
    assert to_upper("Housing emergency, caravans and campers needed") == \
        "HOUSING EMERGENCY, CARAVANS AND CAMPERS NEEDED"
    assert to_upper("Visit www.ansa.it and write to @ansa_news") == \
        "VISIT www.ansa.it AND WRITE TO @ansa_news"


LATIN_CAPS = st.text(alphabet=st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZÀÈÉÌÒÙ0123456789 .,:;!?'’-«»")),
                     max_size=60)


@settings(max_examples=200, deadline=None)
@given(LATIN_CAPS)
def test_to_upper_undoes_sentence_case(text: str):
    assert to_upper(to_sentence_case(text)) == text


# ----------------------------------------------------------------------------- properties

SENTENCE = st.one_of(
    st.text(max_size=50),
    st.lists(st.sampled_from(["Sì", "no", "U.S", "etc", ".", "?", "!", ":", ";", ",", "…", "...", " ",
                              '"', "'", "”", "“", "»", "«", ")", "(", "’", "‘", "*", "a", "17.500"]),
             max_size=12).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(SENTENCE, SENTENCE)
def test_final_punctuation_is_idempotent(source: str, target: str):
    once = match_final_punctuation(source, target)
    assert match_final_punctuation(source, once) == once


@settings(max_examples=300, deadline=None)
@given(SENTENCE)
def test_identity_translation_is_unchanged(source: str):
    assert match_final_punctuation(source, source) == source
    assert match_quote_style(source, source) == source


@settings(max_examples=200, deadline=None)
@given(SENTENCE, SENTENCE)
def test_quote_style_is_idempotent_and_keeps_length(source: str, target: str):
    once = match_quote_style(source, target)
    assert len(once) == len(target)
    assert match_quote_style(source, once) == once


@settings(max_examples=200, deadline=None)
@given(SENTENCE, SENTENCE)
def test_final_punctuation_ends_like_the_source(source: str, target: str):
    assume(any(c.isalnum() for c in target))
    assume(source.strip() and target.strip())
    result = match_final_punctuation(source, target)
    marks = ".?!:;,…"
    s = source.rstrip("\"'”’»)]}*_ \t\u00a0")
    r = result.rstrip("\"'”’»)]}*_ \t\u00a0")
    if not s or s[-1] not in marks:
        # no mark added, unless the target ends with an abbreviation's dot
        assert not r or r[-1] not in marks or r.endswith(".")
    else:
        assert r and r[-1] == s[-1]
