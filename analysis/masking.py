"""Masking the names of the program's people inside a reflection (issue 15).

A snapshot text replaces every word that is the preferred name of one of the
program's participants, or the first or last name of one of its mentors, with
"[participant]", "[mentor]" or, when a word is both, "[name]". Words are
compared after Unicode normalisation (NFKC) and case folding, so "JAY",
"Jay" and "ｊａｙ" are one name, and a name of several words ("Mary Ann") is
masked word by word.

Names that are also everyday words ("Will", "May", "Hope"...) are masked only
where the text writes them with a capital letter, so "I will call" keeps its
verb while "Will said" loses the name.

Where it can miss (the README says the same): nicknames and diminutives that
are not recorded ("Bob" for a recorded "Robert"), misspellings ("Jaye"),
names of people outside the program (family, doctors), names inside other
words without a word boundary ("Jay's" is caught; "JayJay" is not), names
written in another script, and descriptions that identify a person without a
name ("the tall guy from the shelter"). Masking reduces what coders read; it
does not make a text anonymous."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WORD = re.compile(r"\w+", re.UNICODE)
MIN_NAME_LENGTH = 2

# Everyday English words that are also given names: masked only when written
# with a capital letter.
_COMMON = (
    "will may hope grace joy faith bill mark rose june april august art sue pat "
    "don ray guy frank rich dawn summer amber crystal jack jean penny rob sandy "
    "victor wade chase drew gene gay holly iris ivy lily daisy robin sky storm "
    "bud buck earl king major sonny star bell carol dean doc dot duke ed hunter"
)
COMMON_WORDS = frozenset(_COMMON.split(" "))


def _key(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


@dataclass(frozen=True)
class NameMask:
    """The words to mask, each with its placeholder."""

    words: dict[str, str]

    @classmethod
    def build(
        cls, *, participants: Iterable[str], mentors: Iterable[str]
    ) -> "NameMask":
        """From participants' preferred names and mentors' first and last
        names (each may hold several words)."""
        words: dict[str, str] = {}
        groups = (("[participant]", participants), ("[mentor]", mentors))
        for placeholder, names in groups:
            for name in names:
                for word in WORD.findall(name or ""):
                    key = _key(word)
                    if len(key) < MIN_NAME_LENGTH or key.isdigit():
                        continue
                    if words.get(key, placeholder) != placeholder:
                        placeholder_here = "[name]"
                    else:
                        placeholder_here = placeholder
                    words[key] = placeholder_here
        return cls(words=words)

    def apply(self, text: str) -> tuple[str, int]:
        """The text with the names masked, and how many were."""
        count = 0

        def replace(match: re.Match) -> str:
            nonlocal count
            word = match.group(0)
            key = _key(word)
            placeholder = self.words.get(key)
            if placeholder is None:
                return word
            if key in COMMON_WORDS and not word[:1].isupper():
                return word
            count += 1
            return placeholder

        return WORD.sub(replace, text), count
