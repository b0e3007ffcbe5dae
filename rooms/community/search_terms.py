"""Words of a message as the search index stores them, with a small Indonesian stemmer. Pure.

Indonesian builds words by affixes around a root: "beli" (buy), "membeli", "dibeli",
"pembelian", "belikan", "belinya". A member searching "membeli" expects "dibeli" too. Neither
SQLite's FTS5 nor PostgreSQL ships an Indonesian stemmer (PostgreSQL's `simple` configuration
only lowercases), so this module strips affixes here, in Python, the same way for both
databases: the index and the query see the same terms whatever the database.

Without a dictionary, stripping is ambiguous ("mengirim" is meng+kirim, "mengambil" is
meng+ambil), so a word stands for a small set of candidates: itself and every root its affixes
may hide. The index stores all of a message's candidates; a query word matches a message holding
any of the query word's candidates. The original word is always a candidate, so a word that only
looks affixed ("makan") still finds itself. Rules after Adriani et al., "Stemming Indonesian"
(ACM TALIP 6(4), 2007), without their dictionary look-ups.
"""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[^\W_]+")
MIN_ROOT = 3  # shorter leftovers ("di" + "a") are noise, not roots
MAX_WORD = 40  # longer "words" are links or keyboard mash: kept whole, not stemmed
PARTICLES = ("lah", "kah", "tah", "pun")
POSSESSIVES = ("nya", "ku", "mu")
SUFFIXES = ("kan", "an", "i")
# Prefix -> what the root may start with after it (morphophonemic recoding: "mem" + "pakai"
# is written "memakai", so "memakai" may hide "pakai").
PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("meny", ("s",)),
    ("peny", ("s",)),
    ("meng", ("", "k")),
    ("peng", ("", "k")),
    ("mem", ("", "p")),
    ("pem", ("", "p")),
    ("men", ("", "t")),
    ("pen", ("", "t")),
    ("me", ("",)),
    ("pe", ("",)),
    ("ber", ("",)),
    ("be", ("",)),
    ("ter", ("",)),
    ("per", ("",)),
    ("di", ("",)),
    ("ke", ("",)),
    ("se", ("",)),
)
VOWELS = frozenset("aeiou")


def fold(text: str) -> str:
    """Lower case without accents ("Café" -> "cafe"), as FTS5's unicode61 tokenizer does."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def candidates(word: str) -> set[str]:
    """The word and every root it may be an affixed form of."""
    found = {word}
    if len(word) > MAX_WORD or word.isdigit():
        return found
    for bare in _without_suffixes(word):
        found.add(bare)
        for root in _without_prefixes(bare):
            found.add(root)
            # A second prefix: "diperbaiki" = di + per + baik + i.
            found.update(_without_prefixes(root))
    return {term for term in found if len(term) >= MIN_ROOT or term == word}


def index_terms(text: str) -> str:
    """What the index stores for a message: its words' candidates, space separated."""
    terms: dict[str, None] = {}
    for word in words(text):
        terms.update(dict.fromkeys(sorted(candidates(word))))
    return " ".join(terms)


def query_words(query: str) -> list[set[str]]:
    """One candidate set per distinct word of a query; a message must match every set."""
    seen: dict[str, None] = dict.fromkeys(words(query))
    return [candidates(word) for word in seen]


def _without_suffixes(word: str) -> list[str]:
    """The word with its particle, possessive and derivational suffix taken off, one by one."""
    forms = [word]
    current = word
    for group in (PARTICLES, POSSESSIVES, SUFFIXES):
        for suffix in group:
            if current.endswith(suffix) and len(current) - len(suffix) >= MIN_ROOT:
                current = current[: -len(suffix)]
                forms.append(current)
                break
    return forms


def _without_prefixes(word: str) -> list[str]:
    roots = []
    for prefix, restorations in PREFIXES:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix) :]
        for start in restorations:
            # "mem"+"p" only before a vowel: "memakai" -> "pakai", but "membeli" -> "beli".
            if start and (not rest or rest[0] not in VOWELS):
                continue
            if len(start + rest) >= MIN_ROOT:
                roots.append(start + rest)
    return roots
