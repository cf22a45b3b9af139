"""One piece of portal text in both languages, for content kept next to its structure (help, legend)."""

from dataclasses import dataclass

from gateway.web.french import typeset


@dataclass(frozen=True)
class Wording:
    fr: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else typeset(self.fr)
