"""Bank coverage: are there enough questions to run every loop template N times?

Plain Python with no Flask and no database: callers pass the bank in as ``BankQuestion``
values and the templates as the dicts ``bank.reader.loop_templates()`` returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..bank.records import BankQuestion
from ..vocabulary import LEVELS

DEFAULT_LOOPS = 5
MIN_LOOPS, MAX_LOOPS = 1, 100


@dataclass(frozen=True)
class Need:
    """One competency at one level that loop templates need questions for."""

    competency: str
    level: str
    needed: int  # distinct questions to run `loops` loops with no question repeated
    available: int  # non-retired bank questions covering the competency at the level
    templates: tuple[str, ...]  # ids of the templates at that level that ask for it

    @property
    def gap(self) -> int:
        """Return how many questions are missing (0 when there are enough)."""
        return max(0, self.needed - self.available)

    def advice(self, titles: dict[str, str]) -> str:
        """Say what to write, e.g. "write 3 more mid-level API design questions"."""
        name = _lower(titles.get(self.competency) or self.competency)
        if not self.gap:
            return (
                f"no more {self.level}-level {name} questions needed "
                f"({self.available} available, {self.needed} needed)"
            )
        noun = "question" if self.gap == 1 else "questions"
        return f"write {self.gap} more {self.level}-level {name} {noun}"


@dataclass(frozen=True)
class Coverage:
    """The bank's questions per competency and level against what the templates need."""

    loops: int
    cells: dict[tuple[str, str], int]  # (competency, level) -> available questions
    needs: list[Need]  # biggest gap first
    unfillable: list[str]  # ids of templates that cannot run `loops` loops without repeats

    @property
    def ok(self) -> bool:
        """Return True if every template can run `loops` loops without repeats."""
        return not self.unfillable

    @property
    def gaps(self) -> list[Need]:
        """Return the needs that the bank does not meet, biggest gap first."""
        return [n for n in self.needs if n.gap]


def coverage(
    questions: Iterable[BankQuestion], templates: Iterable[dict], loops: int = DEFAULT_LOOPS
) -> Coverage:
    """Count the bank's questions per competency and level against what `loops` loops need.

    The model follows the assembler's coverage rule (``interviewkit.loops.assembly``): in
    every loop, each session gives each competency it lists a question of its own that
    suits the template's level, and a question is used at most once in a loop and, over a
    candidate's loops, never again. So a template that lists competency C in k of its
    sessions needs k distinct level-suited questions covering C per loop, and
    ``loops * k`` to run `loops` loops without repeating a question:

        needed(C, level) = loops * max over the templates at that level of
                           (the number of the template's sessions that list C)

    The maximum, not the sum, over templates of one level: they are alternatives (a
    candidate's loops use one of them, and the assembler keeps questions apart per
    candidate, not across templates), so the bank must satisfy the most demanding one.
    A template is unfillable when any of its own ``loops * k`` is above what is available.

    ``available`` counts the non-retired questions that list C and the level. A question
    that covers two competencies counts in both cells while a loop can use it for only
    one session, and the minutes are not modelled, so the counts are a necessary
    condition: a gap is certain (the assembler would have to fall back to another level
    or leave the competency uncovered), but a bank with no gap may still run short when
    many of its questions are shared between competencies. The fill questions that use
    up a session's remaining minutes are not counted either.

    Raises ValueError unless `loops` is a whole number from 1 to 100.
    """
    if isinstance(loops, bool) or not isinstance(loops, int) or not MIN_LOOPS <= loops <= MAX_LOOPS:
        raise ValueError(
            f"loops must be a whole number from {MIN_LOOPS} to {MAX_LOOPS}, got {loops!r}"
        )
    templates = list(templates)
    cells: Counter[tuple[str, str]] = Counter()
    for q in questions:
        if q.retired:
            continue
        for comp in dict.fromkeys(q.competencies):
            for level in dict.fromkeys(q.levels):
                cells[(comp, level)] += 1
    # How many of each template's sessions list each competency (once per session).
    per_template = {t["id"]: _sessions_per_competency(t) for t in templates}
    demand: dict[tuple[str, str], dict[str, int]] = {}
    for t in templates:
        for comp, sessions in per_template[t["id"]].items():
            demand.setdefault((comp, t["level"]), {})[t["id"]] = sessions
    competencies = sorted({c for c, _ in cells} | {c for c, _ in demand})
    levels = list(LEVELS) + sorted({lv for _, lv in cells} - set(LEVELS))
    table = {(c, lv): cells[(c, lv)] for c in competencies for lv in levels}
    table.update({key: cells[key] for key in demand})
    needs = [
        Need(comp, level, loops * max(by.values()), cells[(comp, level)], tuple(sorted(by)))
        for (comp, level), by in demand.items()
    ]
    needs.sort(key=lambda n: (-n.gap, _level_rank(n.level), n.competency))
    unfillable = [
        t["id"]
        for t in templates
        if any(loops * k > cells[(comp, t["level"])] for comp, k in per_template[t["id"]].items())
    ]
    return Coverage(loops, table, needs, unfillable)


def capacity(template: dict, cells: dict[tuple[str, str], int]) -> int:
    """Return how many loops of a template the bank can run without repeating a question
    (by the model of ``coverage``)."""
    counts = _sessions_per_competency(template)
    runs = (cells.get((c, template["level"]), 0) // k for c, k in counts.items())
    return min(runs, default=MAX_LOOPS)  # a template that asks for nothing never runs short


def _sessions_per_competency(template: dict) -> Counter[str]:
    return Counter(c for s in template["sessions"] for c in dict.fromkeys(s["competencies"]))


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _lower(title: str) -> str:
    """Lower-case a title for the middle of a sentence, keeping acronyms: "API design"."""
    return " ".join(w if any(ch.isupper() for ch in w[1:]) else w.lower() for w in title.split())
