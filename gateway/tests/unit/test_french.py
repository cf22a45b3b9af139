from gateway.web.french import typeset
from gateway.web.help_content import ENTRIES
from gateway.web.history_texts import HISTORY_TEXTS
from gateway.web.request_texts import REQUEST_TEXTS
from gateway.web.texts import TEXTS


def test_french_punctuation_takes_non_breaking_spaces():
    assert typeset("Pour qui ?") == "Pour qui\u202f?"
    assert typeset("Présence indiquée : {patient}.") == "Présence indiquée\u00a0: {patient}."
    assert typeset("cliquez sur « Mot de passe oublié ? ».") == "cliquez sur «\u00a0Mot de passe oublié\u202f?\u00a0»."
    assert typeset("À 10:30, ok!") == "À 10:30, ok!"  # no space, nothing to do


def test_no_french_wording_lets_a_sign_wrap_alone_and_english_has_no_space_before_a_colon():
    french = TEXTS["fr"] | {f"request.{k}": v for k, v in REQUEST_TEXTS["fr"].items()}
    french |= {f"history.{k}": v for k, v in HISTORY_TEXTS["fr"].items()}
    french |= {f"help.{i}": entry.question("fr") for i, entry in enumerate(ENTRIES)}
    for key, text in french.items():
        for sign in (" :", " ?", " !", " ;", "« ", " »"):
            assert sign not in text, (key, text)
    for key, text in TEXTS["en"].items():
        assert " :" not in text, (key, text)
