"""Find questions whose prompts are the same or nearly the same, without comparing all pairs.

Each prompt gets a fingerprint, computed once per file (in the worker that parses it, and
stored in the bank so an incremental load does not recompute it for unchanged files):

- `exact`: a hash of its lowercase words, so identical prompts meet in a dictionary;
- `sketch`: the SKETCH smallest hashes of its word 3-grams ("shingles"), a bottom-k
  sketch. Two prompts whose shingle sets have Jaccard similarity J share one of those
  hashes with probability about 1 - (1 - J) ** SKETCH: at the 0.6 threshold a
  near-duplicate slips through about once in ten thousand pairs.

Prompts are indexed under their sketch hashes only; pairs that share one are scored
with the exact Jaccard similarity of their full shingle sets. A sketch hash shared by
more than COMMON prompts (boilerplate wording) generates no candidates, so the work
grows linearly with the bank instead of with its square. Hashes are stable across
processes (see shingles), so sketches can be stored in the bank.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable

_WORD_RE = re.compile(r"[a-z0-9]+")
NEAR = 0.6  # Jaccard similarity at or above which two prompts are near-duplicates
SKETCH = 10  # smallest shingle hashes per prompt used to find candidates
COMMON = 50  # a sketch hash in more prompts than this does not generate candidates


def words(text: str) -> list[str]:
    """Return the lowercase words of a text, markup and punctuation dropped."""
    return _WORD_RE.findall(text.lower())


def shingles(text: str, ws: list[str] | None = None) -> frozenset[int]:
    """Return the stable hashes of a text's word 3-grams (of the whole text if shorter).

    Each word is hashed with CRC-32, and each triple of word hashes with Python's tuple
    hash, which (unlike the hash of a str) is not salted per process.
    """
    ws = words(text) if ws is None else ws
    hs = list(map(zlib.crc32, map(str.encode, ws)))
    if len(hs) < 3:
        return frozenset([hash(tuple(hs))]) if hs else frozenset()
    return frozenset(map(hash, zip(hs, hs[1:], hs[2:], strict=False)))


def fingerprint(text: str) -> tuple[str, list[int]]:
    """Return (exact hash of the words, bottom-SKETCH shingle hashes) of a prompt."""
    ws = words(text)
    if not ws:
        return "", []
    exact = hashlib.blake2b(" ".join(ws).encode(), digest_size=12).hexdigest()
    return exact, sorted(shingles(text, ws))[:SKETCH]


def jaccard(a: frozenset, b: frozenset) -> float:
    """Return |a & b| / |a | b|."""
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter) if a or b else 1.0


def similar_pairs(
    items: Iterable[tuple[str, str, list[int]]],
    prompt_of: Callable[[str], str],
    focus: set[str] | None = None,
):
    """Yield (key_a, key_b, similarity) for same (1.0) or similar prompts.

    `items` is (key, exact, sketch) per prompt; `prompt_of(key)` returns a prompt's text
    (needed only for candidate pairs). With `focus`, only pairs touching a focus key are
    considered (an incremental load only checks what changed).
    """
    exact_seen: dict[str, str] = {}
    index: dict[int, list[str]] = defaultdict(list)
    pairs: dict[tuple[str, str], float] = {}
    for key, exact, sketch in items:
        if exact:
            first = exact_seen.setdefault(exact, key)
            if first != key:
                pairs[(first, key)] = 1.0
        for h in sketch:
            index[h].append(key)
    for posting in index.values():
        if 1 < len(posting) <= COMMON:
            for i, a in enumerate(posting):
                for b in posting[i + 1 :]:
                    pairs.setdefault((a, b), -1.0)
    cache: dict[str, frozenset[int]] = {}

    def shingle_set(key: str) -> frozenset[int]:
        if key not in cache:
            cache[key] = shingles(prompt_of(key))
        return cache[key]

    for (a, b), score in pairs.items():
        if focus is not None and a not in focus and b not in focus:
            continue
        if score < 0:
            score = jaccard(shingle_set(a), shingle_set(b))
            if score < NEAR:
                continue
            score = min(round(score, 2), 0.99)
        yield a, b, score
