"""Place names as people write them, made comparable: the one way ntm-rules folds and compares
the name of a province, district or commune.

- `exact(text)`: the name as an identity compares it: Unicode-normalised (NFC or NFD alike), case
  and spaces ignored, the tone mark on one canonical vowel of each syllable ("Hòa" and "Hoà",
  "Thủy" and "Thuỷ", "Khỏe" and "Khoẻ" are the same text), every diacritic kept: Tân Lập and
  Tấn Lập stay two names. The canonical placement is the older one the directory of administrative
  units uses ("Hòa"), so a name written that way comes back unchanged, in lower case.
- `split_kind(text)` / `name_key(text)`: the same, without the unit's kind written before it
  ("Tỉnh", "Thành phố", "TP.", "Huyện", "Quận", "Thị xã", "Xã", "Phường", "Thị trấn"):
  "Xã Tân Hòa Đông" and "tân hoà đông" have one key.
- `fold(text)`: loose: lower case, no diacritic at all (đ → d), dashes and spaces squeezed; for
  suggestions ("Lam Cot Ha" → both Lâm Cốt Hạ and Lam Cốt Hạ), column names and yes/no words,
  never for an identity. `loose(text)` is `fold` without spaces, the kind dropped (the
  directory's own keys are written so: "thainguyen").
- `code_key(code)`: an official commune code as text with its leading zeros ("5503" → "05503").
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# tone marks (combining): grave, acute, hook above, tilde, dot below
_TONES = frozenset("\u0300\u0301\u0309\u0303\u0323")
_VOWELS = frozenset("aeiouy")
_LETTER = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")  # letters and their combining marks
_SPACES = re.compile(r"[\s\-–—_,;/]+")
_APOSTROPHES = re.compile(r"['’‘`´]")
_CACHE = 1 << 16  # distinct names kept (a province's batches name a few thousand)
LONGEST_KEPT = 200  # longer texts (no name is: limits.MAX_TEXT) are computed every time, never kept


def kept(maxsize: int, longest: int = LONGEST_KEPT):
    """`lru_cache(maxsize)` for calls whose texts are at most `longest` characters long: a hostile
    row's megabyte of "name" is worked out, never kept."""
    def wrap(function):
        cached = lru_cache(maxsize=maxsize)(function)

        def call(*args, **kwargs):  # (a plain loop: called several times per row a batch reads)
            for a in args:
                if isinstance(a, str) and len(a) > longest:
                    return function(*args, **kwargs)
            for a in kwargs.values():
                if isinstance(a, str) and len(a) > longest:
                    return function(*args, **kwargs)
            return cached(*args, **kwargs)

        call.__doc__, call.__name__, call.__wrapped__ = function.__doc__, function.__name__, function
        call.cache_clear, call.cache_info = cached.cache_clear, cached.cache_info
        return call
    return wrap


@kept(_CACHE, longest=16)  # the language has a few thousand syllables
def _syllable(word: str) -> str:
    """One NFD-decomposed, lower-case syllable with its tone mark moved to the canonical vowel."""
    letters: list[list[str]] = []  # [base, marks...]
    tone = None
    for ch in word:
        if unicodedata.combining(ch):
            if ch in _TONES:
                if tone is not None and tone != ch:
                    return word  # two tones: not Vietnamese, left as written
                tone = ch
            elif letters:
                letters[-1].append(ch)
        else:
            letters.append([ch])
    if tone is None:
        return word
    vowels = [i for i, letter in enumerate(letters) if letter[0] in _VOWELS]
    if not vowels:
        return word
    # "qu" and "gi" before another vowel: the u / i belongs to the consonant
    if len(vowels) > 1 and vowels[0] == 1 and letters[0][0] in "qg" and letters[1][0] == ("u" if letters[0][0] == "q" else "i"):
        vowels = vowels[1:]
    cluster = [i for i in vowels if i <= vowels[0] + 2 and all(j in vowels for j in range(vowels[0], i + 1))]
    marked = [i for i in cluster if len(letters[i]) > 1]  # â ê ô ơ ư ă carry the tone
    coda = cluster[-1] < len(letters) - 1
    if marked:
        at = marked[-1]
    elif coda:
        at = cluster[-1]
    elif len(cluster) == 3:
        at = cluster[1]
    else:
        at = cluster[0]
    letters[at].append(tone)
    return "".join("".join(letter) for letter in letters)


@kept(_CACHE)
def exact(text: str | None) -> str:
    """A name as an identity compares it (see the module): lower case, NFC, one tone placement,
    single spaces, every diacritic kept."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", str(text)).casefold().replace("ð", "đ")
    text = _LETTER.sub(lambda m: _syllable(m.group()), text)
    return " ".join(unicodedata.normalize("NFC", text).split())


# the kinds of unit written before a name, as `exact` writes them, longest first
KINDS = {
    "tỉnh": "province", "thành phố": "city", "tp.": "city", "tp": "city", "t.p.": "city", "t.p": "city",
    "huyện": "district", "quận": "urban_district", "thị xã": "town", "tx.": "town", "tx": "town",
    "xã": "commune", "phường": "ward", "thị trấn": "township", "tt.": "township", "tt": "township",
}
_KIND = re.compile(r"^(" + "|".join(re.escape(k) for k in sorted(KINDS, key=len, reverse=True)) + r")(?:\s+|(?<=\.))")


@kept(_CACHE)
def split_kind(text: str | None) -> tuple[str | None, str]:
    """(the kind written before the name or None, the name's `exact` key without it):
    "Xã Tân Hoà Đông" → ("commune", "tân hòa đông"). A name that is only a kind word stays whole."""
    key = spaced(_APOSTROPHES.sub("'", exact(text)))
    match = _KIND.match(key)
    if match is None or match.end() >= len(key):
        return None, key
    return KINDS[match.group(1)], key[match.end():].strip()


def name_key(text: str | None) -> str:
    """The name without its kind, as an identity compares it: "Xã Tân Hoà Đông" → "tân hòa đông"."""
    return split_kind(text)[1]


# the combining marks of the Latin alphabet's diacritics (U+0300-U+036F but the grapheme joiner)
_MARKS = "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c)))
_NOT_LATIN = re.compile(f"[^\\x00-\\x7f{_MARKS}]")
_SQUEEZED = re.compile(r"[\s\-_]+")


@kept(_CACHE)
def fold(text: str | None) -> str:
    """Loose: lower case, no diacritic at all (đ has no decomposition, so mapped by hand), dashes and
    spaces squeezed. For suggestions and words, never for an identity (Tân Lập = Tấn Lập here)."""
    if not text:
        return ""
    text = str(text).replace("đ", "d").replace("Đ", "D").replace("ð", "d").replace("Ð", "D")
    text = unicodedata.normalize("NFD", text.replace("–", " ").replace("—", " "))
    if _NOT_LATIN.search(text) is None:
        # (a Vietnamese name: ASCII and combining marks alone, which dropping every non-ASCII
        # character removes; a province's 10 000 names in 0.03 s, not 0.08)
        return " ".join(text.encode("ascii", "ignore").decode("ascii").lower().replace("-", " ").replace("_", " ").split())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _SQUEEZED.sub(" ", text).strip()


# the kinds written without diacritics ("xa", "huyen"): dropped by `loose` only, never by `split_kind`
# ("Xa Dung" is a name: only a name written with its diacritics tells "Xã" from "Xa")
_PLAIN_KIND = re.compile(r"^(tinh|thanh pho|huyen|quan|thi xa|xa|phuong|thi tran)\s+")


@kept(_CACHE)
def loose(text: str | None) -> str:
    """`fold` of the name without its kind (written with or without diacritics), without spaces or
    punctuation: the directory's own key style ("Tỉnh Thái Nguyên", "xa thai nguyen" → "thainguyen").
    For suggestions, and for provinces and districts written without any diacritic where no two
    units of the scope share it; never for a commune's identity."""
    key = fold(name_key(text))
    match = _PLAIN_KIND.match(key)
    if match and match.end() < len(key):
        key = key[match.end():]
    return re.sub(r"[^0-9a-z]+", "", key)


CODE_DIGITS = 5  # an official commune code: five digits, leading zeros kept ("05503")


def code_key(code) -> str:
    """An official commune code as the directory writes it: text, its leading zeros back when a
    spreadsheet or a CSV export dropped them (5503 or "5503" → "05503": digits as a number prints
    them, fewer than five, no leading zero); other text as written, trimmed ("001", typed as text,
    stays "001"); "" for none."""
    if code is None or isinstance(code, bool):
        return ""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = str(code).strip()
    if text.isdigit() and text.isascii() and len(text) < CODE_DIGITS and not text.startswith("0"):
        return text.zfill(CODE_DIGITS)
    return text


def spaced(text: str) -> str:
    """Dashes, commas and runs of spaces as one space ("Bà Rịa – Vũng Tàu" = "Bà Rịa Vũng Tàu")."""
    return _SPACES.sub(" ", text).strip()
