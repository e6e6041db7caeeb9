"""Find questions whose prompts are the same or nearly the same, without comparing all pairs.

Prompts become sets of word 3-grams ("shingles"). An inverted index from shingle to
prompts yields candidate pairs; shingles shared by many prompts ("how would you") are
skipped when generating candidates, so the work grows with the number of rare shared
shingles rather than with the square of the bank. Candidates are then scored with the
exact Jaccard similarity of their shingle sets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_WORD_RE = re.compile(r"[a-z0-9]+")
SHINGLE = 3
NEAR = 0.6  # Jaccard similarity at or above which two prompts are near-duplicates
COMMON = 25  # a shingle in more prompts than this does not generate candidates


def words(text: str) -> tuple[str, ...]:
    """Return the lowercase words of a text, markup and punctuation dropped."""
    return tuple(_WORD_RE.findall(text.lower()))


def shingles(ws: tuple[str, ...]) -> frozenset:
    """Return the set of word 3-grams of a word sequence (the words themselves if shorter)."""
    if len(ws) < SHINGLE:
        return frozenset([ws]) if ws else frozenset()
    return frozenset(hash(ws[i : i + SHINGLE]) for i in range(len(ws) - SHINGLE + 1))


def similar_pairs(prompts: Iterable[tuple[str, str]], focus: set[str] | None = None):
    """Yield (key_a, key_b, similarity) for same or similar prompts; 1.0 means identical.

    `prompts` is (key, text) pairs; with `focus`, only pairs touching a focus key are
    yielded (an incremental load only checks what changed).
    """
    keys, sets = [], []
    exact: dict[tuple[str, ...], int] = {}
    results = []
    for key, text in prompts:
        ws = words(text)
        idx = len(keys)
        keys.append(key)
        sets.append(shingles(ws))
        first = exact.setdefault(ws, idx)
        if first != idx and ws:
            results.append((first, idx))
    index: dict[int, list[int]] = defaultdict(list)
    if focus is None:
        for idx, sh in enumerate(sets):
            for s in sh:
                index[s].append(idx)
    else:
        wanted = set().union(*(sets[i] for i, k in enumerate(keys) if k in focus))
        for idx, sh in enumerate(sets):
            for s in sh & wanted:
                index[s].append(idx)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for posting in index.values():
        if 1 < len(posting) <= COMMON:
            for i, a in enumerate(posting):
                for b in posting[i + 1 :]:
                    shared[(a, b)] += 1
    exact_pairs = set(results)
    for (a, b), count in shared.items():
        if (a, b) in exact_pairs:
            continue
        smaller = min(len(sets[a]), len(sets[b]))
        if count < NEAR * smaller * 0.5:
            continue  # cannot reach the threshold even if the skipped shingles matched too
        inter = len(sets[a] & sets[b])
        if inter / (len(sets[a]) + len(sets[b]) - inter) >= NEAR:
            results.append((a, b))
    for a, b in results:
        ka, kb = keys[a], keys[b]
        if focus is not None and ka not in focus and kb not in focus:
            continue
        if (a, b) in exact_pairs:
            yield ka, kb, 1.0
        else:
            inter = len(sets[a] & sets[b])
            yield ka, kb, round(inter / (len(sets[a]) + len(sets[b]) - inter), 2)
