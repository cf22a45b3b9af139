"""The help section's search and content: accents, case, both languages, the no-result message."""

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.web.help_content import ENTRIES, SUPPORT_EMAIL
from gateway.web.help_search import fold, search
from gateway.web.icon_legend import STATES


def slugs(query: str, lang: str) -> list[str]:
    return [entry.slug for entry in search(query, lang)]


def test_folding_drops_accents_and_case():
    assert fold("Supprimer") == fold("SUPPRIMER") == fold("suppriMér") == "supprimer"
    assert fold("Établissement") == "etablissement"
    assert fold("Sœur") == "soeur"


def test_supprimer_finds_the_deletion_answer_in_french():
    assert slugs("supprimer", "fr")[0] == "delete-account"
    assert slugs("SUPPRIMÉR", "fr")[0] == "delete-account"
    assert slugs("supprim", "fr")[0] == "delete-account"  # what an htmx search sends mid-word


def test_nam_finds_the_nam_answers_first_whatever_the_case():
    for query in ("NAM", "nam", "Nam"):
        found = slugs(query, "fr")
        assert set(found[:3]) == {"change-nam", "why-nam", "several-accounts"}
    assert {"change-nam", "why-nam", "several-accounts"} <= set(slugs("NAM", "en")[:3])


def test_a_short_term_matches_whole_words_only():
    # "NAM" must not match "name" in English.
    assert "who-sees-what" not in slugs("nam", "en")
    assert "who-sees-what" in slugs("name", "en")


def test_accents_in_the_text_do_not_hide_it_from_a_query_typed_without_them():
    assert "clinic-authentication" in slugs("etablissement authentifier", "fr")
    assert "clinic-authentication" in slugs("ÉTABLISSEMENT", "fr")


def test_every_term_must_be_found():
    assert slugs("enfant parents", "fr")[0] == "shared-child"
    assert slugs("supprimer enfant", "fr") == []


def test_search_looks_only_in_the_current_language():
    assert slugs("delete", "en")[0] == "delete-account"
    assert slugs("delete", "fr") == []
    assert slugs("supprimer", "en") == []


def test_an_empty_query_lists_everything_in_order():
    assert slugs("", "fr") == [entry.slug for entry in ENTRIES]
    assert slugs("  ?! ", "en") == [entry.slug for entry in ENTRIES]


# The information sheet's topics and the list: each has its answer.
TOPICS = {
    "create-account": "créer",
    "family": "famille",
    "clinic-authentication": "authentifier",
    "change-nam": "changer NAM",
    "delete-account": "supprimer compte",
    "several-accounts": "plusieurs comptes",
    "update-information": "code 6 chiffres",
    "shared-child": "enfant deux parents",
    "who-sees-what": "voir informations",
    "support": "soutien",
    "history": "historique",
}


@pytest.mark.parametrize(("slug", "query"), TOPICS.items())
def test_each_topic_of_the_information_sheet_is_answered(slug: str, query: str):
    assert slug in slugs(query, "fr")


def test_every_entry_is_written_in_both_languages():
    for entry in ENTRIES:
        for wording in (entry.question, *entry.paragraphs, *entry.steps):
            assert wording.fr.strip()
            assert wording.en.strip()
            assert wording.fr != wording.en
    assert SUPPORT_EMAIL in next(e for e in ENTRIES if e.slug == "support").text("en")


def test_the_page_says_so_when_nothing_matches_in_either_language():
    client = TestClient(create_app())
    french = client.get("/help", params={"q": "xylophone"})
    assert french.status_code == 200
    assert "Aucune réponse ne correspond à «\u00a0xylophone\u00a0»" in french.text
    assert SUPPORT_EMAIL in french.text
    english = client.get("/help", params={"q": "xylophone", "lang": "en"})
    assert "No answer matches “xylophone”" in english.text
    assert 'class="help-entry"' not in english.text


def test_live_search_gets_the_results_alone_and_a_long_query_is_cut_not_refused():
    client = TestClient(create_app())
    fragment = client.get("/help", params={"q": "supprimer"}, headers={"hx-request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="delete-account"' in fragment.text
    assert client.get("/help", params={"q": "a" * 5000}).status_code == 200


def test_the_legend_has_the_guides_five_icon_combinations():
    # The guide's grey icon (3.4) is one icon: no account, nothing to associate.
    combinations = {(state.profile, state.card) for state in STATES}
    assert {("grey", None), ("red", None), ("red", "red"), ("green", "red"), ("green", "green")} <= combinations
