"""One piece of portal text in both languages, for content kept next to its structure (help, legend)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    fr: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr
