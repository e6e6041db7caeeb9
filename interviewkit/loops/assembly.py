"""Choose questions from the bank for each session of an interview loop.

Plain Python with no Flask and no database: callers pass the bank in as ``BankQuestion``
values and get back a ``LoopPlan`` that explains every choice and every shortfall.

The rules, in order of priority:

1. Hard constraints, never broken: a question is used at most once in a loop; never a
   question in ``exclude`` (asked to this candidate in an earlier loop); never a retired
   question; never a question that lists no known level; and a session's picks never take
   more than its budget (see ``session_budget``).
2. Coverage: every session competency gets a question, scarcest competency first (the one
   with the fewest available questions that fit). A question that suits the level is
   preferred; when none can be had, one from the nearest level is used and a note says so.
   When nothing can cover a competency it is left uncovered with a note saying why.
3. Fill: the minutes left are filled with more questions that suit the level and cover
   session competencies, least-covered competency first. Fill never falls back to another
   level; a session left under 75% of its budget gets a note with the reason instead.
4. Kinds: a session that names ``kinds`` takes only questions of those kinds; a session
   that names none takes every kind but hands-on exercises, which need time and a shared
   editor set aside for them. Among exercises, one with a starter in the candidate's
   preferred ``language`` is preferred to one without (after level, before usage).
5. Among otherwise equal candidates the least-used question wins (``usage``); remaining
   ties are broken by a shuffle seeded from the seed and the session index, so the same
   inputs and seed always give the same plan, whatever order the bank comes in.

Coverage runs for every session before any session is filled, so filling an early
session never takes the only question a later session needs to cover a competency.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..bank.records import BankQuestion
from ..content.schema import HANDS_ON
from ..content.starters import best_language, starter_language
from ..vocabulary import LEVELS

# The shortest question the bank allows: the reserve for introductions is cut rather than
# leave a session too short for even one question.
MIN_QUESTION_MINUTES = 5
# A session whose picks use less than this share of its budget gets a note.
UNDERFILL_RATIO = 0.75

_BLOCKED = {
    "retired": "retired",
    "asked": "already asked to this candidate",
    "used": "already used in this loop",
    "no-level": "written for no known level",
}


@dataclass(frozen=True)
class SessionSpec:
    """One session of a loop template: a name, its length and what it assesses."""

    name: str
    minutes: int
    competencies: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # the kinds it takes; () is every kind but hands-on

    def takes(self, question: BankQuestion) -> bool:
        """Return True if a question of this kind belongs in the session."""
        if self.kinds:
            return question.kind in self.kinds
        return question.kind != HANDS_ON


@dataclass
class Pick:
    """A question chosen for a session, the competencies it covers and why it was chosen."""

    question: BankQuestion
    covers: tuple[str, ...]
    reason: str


@dataclass
class SessionPlan:
    """The questions chosen for one session and notes on every constraint not met."""

    spec: SessionSpec
    picks: list[Pick] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def minutes_used(self) -> int:
        """Return the total minutes of the picks."""
        return sum(p.question.minutes for p in self.picks)

    @property
    def uncovered(self) -> list[str]:
        """Return the session competencies that no pick covers."""
        covered = {c for p in self.picks for c in p.covers}
        return [c for c in _unique(self.spec.competencies) if c not in covered]


@dataclass
class LoopPlan:
    """The plans for every session of a loop, in template order."""

    sessions: list[SessionPlan]

    @property
    def question_ids(self) -> list[str]:
        """Return the ids of every pick, session by session."""
        return [p.question.id for s in self.sessions for p in s.picks]

    @property
    def notes(self) -> list[str]:
        """Return every session note, prefixed with the session name."""
        return [f"{s.spec.name}: {note}" for s in self.sessions for note in s.notes]


@dataclass
class Violation:
    """A problem with a hand-edited session: an error is not allowed, a warning is shown."""

    severity: str  # "error" or "warning"
    message: str


def session_budget(spec: SessionSpec, reserve_minutes: int = 5) -> int:
    """Return the minutes a session's questions may take."""
    # The session's minutes less the reserve for introductions, but never less than one
    # shortest question (5 minutes) and never more than the session itself: with the
    # default reserve a 45-minute session has 40, a 10-minute one 5, a 5-minute one 5.
    if reserve_minutes < 0:
        raise ValueError(f"reserve_minutes must not be negative, got {reserve_minutes}")
    wanted = max(spec.minutes - reserve_minutes, MIN_QUESTION_MINUTES)
    return max(0, min(spec.minutes, wanted))


def level_distance(question: BankQuestion, level: str) -> int | None:
    """Return how many levels the question is from the target (0 suits it, None if unknown)."""
    target = LEVELS.index(level)
    steps = [abs(LEVELS.index(lv) - target) for lv in question.levels if lv in LEVELS]
    return min(steps) if steps else None


def assemble(
    sessions: Sequence[SessionSpec],
    level: str,
    bank: Iterable[BankQuestion],
    *,
    seed: int | str = 0,
    exclude: Collection[str] = (),
    usage: Mapping[str, int] | None = None,
    reserve_minutes: int = 5,
    language: str | None = None,
) -> LoopPlan:
    """Choose questions for every session of a loop, with notes on what could not be met.

    `language` is the candidate's preferred programming language as written on their
    profile ("Python 3", "Node.js"): exercises with a starter in it are preferred.
    """
    _check_level(level)
    pool = _Pool(level, _by_id(bank), frozenset(exclude), usage or {}, starter_language(language))
    states = [_Session(i, spec, pool, seed, reserve_minutes) for i, spec in enumerate(sessions)]
    for state in states:
        state.cover()
    for state in states:
        state.fill()
    return LoopPlan([state.plan for state in states])


def alternatives(
    plan: LoopPlan,
    session_index: int,
    pick_index: int,
    level: str,
    bank: Iterable[BankQuestion],
    *,
    exclude: Collection[str] = (),
    usage: Mapping[str, int] | None = None,
    limit: int = 5,
    reserve_minutes: int = 5,
) -> list[BankQuestion]:
    """Suggest replacements for one pick, least-used first, then closest in minutes."""
    # A replacement is not in the loop, not excluded, not retired, suits the level, covers
    # at least one of the replaced pick's covered competencies (any session competency if
    # the pick covers none) and fits the session budget once the replaced question is gone.
    _check_level(level)
    session = plan.sessions[session_index]
    old = session.picks[pick_index].question
    wanted = set(session.picks[pick_index].covers or session.spec.competencies)
    takes = session.spec.takes
    in_loop = set(plan.question_ids)
    excluded = set(exclude)
    usage = usage or {}
    room = session_budget(session.spec, reserve_minutes) - session.minutes_used + old.minutes
    found = [
        q
        for q in _by_id(bank)
        if q.id not in in_loop
        and q.id not in excluded
        and not q.retired
        and level in q.levels
        and wanted.intersection(q.competencies)
        and q.minutes <= room
        and takes(q)
    ]
    found.sort(key=lambda q: (usage.get(q.id, 0), abs(q.minutes - old.minutes), q.id))
    return found[: max(limit, 0)]


def check_session(
    spec: SessionSpec,
    questions: Sequence[BankQuestion],
    level: str,
    *,
    loop_ids_elsewhere: Collection[str] = (),
    exclude: Collection[str] = (),
    reserve_minutes: int = 5,
) -> list[Violation]:
    """Check a hand-edited session and return its errors, then its warnings."""
    _check_level(level)
    elsewhere, excluded = set(loop_ids_elsewhere), set(exclude)
    comps = _unique(spec.competencies)
    errors: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    repeated: set[str] = set()
    for q in questions:
        if q.id in seen:
            if q.id not in repeated:
                errors.append(f"'{q.id}' is repeated: it appears more than once in this session.")
                repeated.add(q.id)
            continue
        seen.add(q.id)
        if q.id in elsewhere:
            errors.append(f"'{q.id}' is repeated: it is already used in another session.")
        if q.id in excluded:
            errors.append(f"'{q.id}' was already asked to this candidate in an earlier loop.")
        if q.retired:
            errors.append(f"'{q.id}' is retired.")
        if level not in q.levels:
            written = f"written for {_join(q.levels)}" if q.levels else "written for no level"
            warnings.append(f"'{q.id}' is {written}, not {level}.")
        if not set(q.competencies).intersection(comps):
            warnings.append(
                f"'{q.id}' covers none of this session's competencies ({_join(comps) or 'none'})."
            )
        if not spec.takes(q):
            wanted = _join(spec.kinds, "or") if spec.kinds else f"anything but {HANDS_ON}"
            warnings.append(f"'{q.id}' is a {q.kind} question; this session takes {wanted}.")
    total = sum(q.minutes for q in questions)
    budget = session_budget(spec, reserve_minutes)
    if total > budget:
        warnings.append(
            f"The questions take {total} minutes, over the session's {budget}-minute budget "
            f"({spec.minutes} minutes less {spec.minutes - budget} for introductions)."
        )
    covered = {c for q in questions for c in q.competencies}
    for c in comps:
        if c not in covered:
            warnings.append(f"{c} is not covered by any question in this session.")
    return [Violation("error", m) for m in errors] + [Violation("warning", m) for m in warnings]


# -- internals -------------------------------------------------------------------------


class _Pool:
    """The bank, what the loop has used so far, and why a question cannot be used."""

    def __init__(self, level: str, bank: list[BankQuestion], exclude, usage, language) -> None:
        self.level = level
        self.language = language
        self.questions = bank
        self.exclude = exclude
        self.usage = usage
        self.used: set[str] = set()
        # asked thousands of times while a loop is assembled; a question's levels are fixed
        self._distance: dict[str, int | None] = {}

    def blocked(self, q: BankQuestion) -> str | None:
        """Return why a question cannot be used in this loop, or None if it can."""
        if q.retired:
            return "retired"
        if q.id in self.exclude:
            return "asked"
        if q.id in self.used:
            return "used"
        if self.distance(q) is None:
            return "no-level"
        return None

    def available(self) -> list[BankQuestion]:
        """Return the questions that may still be used, sorted by id."""
        return [q for q in self.questions if self.blocked(q) is None]

    def distance(self, q: BankQuestion) -> int | None:
        """Return the question's distance from the target level."""
        try:
            return self._distance[q.id]
        except KeyError:
            found = self._distance[q.id] = level_distance(q, self.level)
            return found

    def times(self, q: BankQuestion) -> int:
        """Return how often the question has been used in earlier loops."""
        return self.usage.get(q.id, 0)

    def foreign(self, q: BankQuestion) -> bool:
        """Return True if a code exercise has no starter in the candidate's language."""
        return bool(self.language and q.languages and not best_language(q.languages, self.language))


class _Session:
    """One session being assembled: its budget, tie-break order, picks and notes."""

    def __init__(self, index, spec: SessionSpec, pool: _Pool, seed, reserve_minutes) -> None:
        self.spec = spec
        self.pool = pool
        self.comps = _unique(spec.competencies)
        self.budget = session_budget(spec, reserve_minutes)
        self.plan = SessionPlan(spec, [], [])
        order = [q.id for q in pool.questions]  # sorted by id, so bank order does not matter
        random.Random(f"{seed}:{index}").shuffle(order)  # noqa: S311 - tie-breaks, not secrets
        self.rank = {qid: i for i, qid in enumerate(order)}
        cut = spec.minutes - self.budget
        if spec.minutes > 0 and cut < reserve_minutes:
            self.note(
                f"The {reserve_minutes}-minute reserve for introductions was cut to {cut} "
                f"minutes so that the {spec.minutes}-minute session keeps {self.budget} "
                "minutes for questions."
            )

    @property
    def left(self) -> int:
        return self.budget - self.plan.minutes_used

    def note(self, text: str) -> None:
        self.plan.notes.append(text)

    def covers(self, q: BankQuestion) -> tuple[str, ...]:
        return tuple(c for c in self.comps if c in q.competencies)

    def add(self, q: BankQuestion, reason: str) -> None:
        self.plan.picks.append(Pick(q, self.covers(q), reason))
        self.pool.used.add(q.id)

    def cover(self) -> None:
        """Give every session competency a question, scarcest competency first."""
        pool = self.pool
        uncovered = list(self.comps)
        while uncovered:
            left = self.left
            free = [q for q in pool.available() if self.spec.takes(q)]
            options = {
                c: [q for q in free if c in q.competencies and q.minutes <= left] for c in uncovered
            }

            def scarcity(c: str, options=options) -> tuple[int, int, int]:
                suited = sum(1 for q in options[c] if pool.distance(q) == 0)
                return (suited, len(options[c]), self.comps.index(c))

            comp = min(uncovered, key=scarcity)
            found = options[comp]
            if not found:
                self.note(self._uncovered_note(comp, left))
                uncovered.remove(comp)
                continue
            # Keep room for the other competencies still to cover, if a choice allows it.
            need = {c: min(q.minutes for q in options[c]) for c in uncovered if options[c]}

            def room(q: BankQuestion, need=need, left=left) -> bool:
                rest = sum(m for c, m in need.items() if c not in q.competencies)
                return q.minutes + rest <= left

            fits = self._fits(free)

            def key(q: BankQuestion, uncovered=uncovered, room=room, fits=fits):
                breadth = sum(1 for c in uncovered if c in q.competencies)
                return (
                    pool.distance(q),
                    not room(q),
                    not fits(q),
                    pool.foreign(q),
                    pool.times(q),
                    -breadth,
                    self.rank[q.id],
                )

            best = min(found, key=key)
            self.add(best, self._cover_reason(best, found, room))
            if pool.distance(best):
                self.note(self._level_note(best, comp, free, left))
            uncovered = [c for c in uncovered if c not in best.competencies]

    def _fits(self, free: list[BankQuestion]):
        """Return a test: would the session still fill to the underfill line after this pick?

        Covering picks the scarcest competency's question first; of two equally good ones,
        prefer the one whose leftover minutes one or two more level-suited questions can
        use (a 35-minute pick in a 55-minute budget leaves 20 minutes that may fit nothing,
        where a 30-minute one leaves room for a 25). Only the minutes are compared, not the
        questions themselves, so this stays cheap on a bank of thousands.
        """
        pool, used, line = self.pool, self.plan.minutes_used, UNDERFILL_RATIO * self.budget
        minutes = Counter(q.minutes for q in free if pool.distance(q) == 0 and self.covers(q))
        sizes = sorted(minutes)

        def fits(q: BankQuestion) -> bool:
            after = used + q.minutes
            if after >= line:
                return True
            own = q.minutes if pool.distance(q) == 0 and self.covers(q) else None

            def spare(m: int) -> int:  # other suited questions of m minutes
                return minutes[m] - (m == own)

            room = self.budget - after
            for i, m in enumerate(sizes):
                if m > room:
                    break
                if spare(m) < 1:
                    continue
                if after + m >= line:
                    return True
                for m2 in sizes[i:]:
                    if m + m2 > room:
                        break
                    if spare(m2) > (m2 == m) and after + m + m2 >= line:
                        return True
            return False

        return fits

    def fill(self) -> None:
        """Fill the minutes left with level-suited questions, least-covered competency first."""
        pool = self.pool
        while True:
            left = self.left
            found = [
                q
                for q in pool.available()
                if pool.distance(q) == 0
                and q.minutes <= left
                and self.covers(q)
                and self.spec.takes(q)
            ]
            if not found:
                break
            counts = Counter(c for p in self.plan.picks for c in p.covers)

            def balance(q: BankQuestion, counts=counts) -> int:
                return min(counts[c] for c in self.covers(q))

            # Of equals, a question about this session's competencies only: one that also
            # covers another session's (a concurrency question that scores code quality too)
            # is worth more there, and in the next loops for the same candidate.
            def stray(q: BankQuestion) -> int:
                return len(q.competencies) - len(self.covers(q))

            best = min(
                found,
                key=lambda q: (
                    balance(q),
                    pool.foreign(q),
                    pool.times(q),
                    stray(q),
                    self.rank[q.id],
                ),
            )
            peers = [q for q in found if balance(q) == balance(best)]
            self.add(best, self._fill_reason(best, peers))
        used = self.plan.minutes_used
        if used < UNDERFILL_RATIO * self.budget:
            self.note(
                f"Only {used} of the {self.budget} budgeted minutes are used (under "
                f"{UNDERFILL_RATIO:.0%} of the budget): {self._underfill_reason()}."
            )

    # -- wording ---------------------------------------------------------------------

    def _cover_reason(self, q: BankQuestion, found: list[BankQuestion], room) -> str:
        pool = self.pool
        times = pool.times(q)
        lower = [o for o in found if pool.times(o) < times]
        if not lower:
            used = f"least used ({_asked(times)})"
        else:
            worse_level = [o for o in lower if pool.distance(o) != pool.distance(q)]
            if len(worse_level) == len(lower):
                why = "suit the level less well"
            elif not worse_level:
                why = "would leave no room for the other competencies"
            else:
                why = "suit the level less well or would leave no room for the other competencies"
            used = f"{_asked(times)}, as less-used questions {why}"
        return (
            f"covers {_join(self.covers(q))}; {used}; {self._level_phrase(q)}"
            f"{self._language_phrase(q)}"
        )

    def _fill_reason(self, q: BankQuestion, peers: list[BankQuestion]) -> str:
        times = self.pool.times(q)
        if times <= min(self.pool.times(o) for o in peers):
            used = f"least used ({_asked(times)})"
        else:
            used = f"{_asked(times)}, as less-used questions cover better-covered competencies"
        return (
            f"adds time on {_join(self.covers(q))}; {used}; {self._level_phrase(q)}"
            f"{self._language_phrase(q)}"
        )

    def _language_phrase(self, q: BankQuestion) -> str:
        language = self.pool.language
        if not (language and q.languages):
            return ""
        if best_language(q.languages, language):
            return f"; has a starter for the candidate's {language}"
        return f"; no exercise with a {language} starter was available"

    def _level_phrase(self, q: BankQuestion) -> str:
        level = self.pool.level
        if self.pool.distance(q) == 0:
            return f"suits {level}"
        return f"written for {_join(q.levels)}, the nearest level to {level}"

    def _level_note(self, q, comp: str, free: list[BankQuestion], left: int) -> str:
        level = self.pool.level
        suited = [o for o in free if comp in o.competencies and self.pool.distance(o) == 0]
        if suited:
            shortest = min(o.minutes for o in suited)
            why = (
                f"no {level} question for {comp} fits the {self._minutes_left(left)} "
                f"(the shortest takes {shortest} minutes)"
            )
        else:
            why = f"no available question for {comp} suits {level}"
        return (
            f"Level: {why}, so '{q.id}', written for {_join(q.levels)} (the nearest level), "
            "was used instead."
        )

    def _uncovered_note(self, comp: str, left: int) -> str:
        pool = self.pool
        related = [q for q in pool.questions if comp in q.competencies and self.spec.takes(q)]
        if not related:
            return f"{comp} is not covered: no question in the bank covers it."
        why = Counter(pool.blocked(q) for q in related)
        free = why.pop(None, 0)
        if free:
            shortest = min(q.minutes for q in related if pool.blocked(q) is None)
            which = (
                f"the only available question that covers it ({shortest} minutes) does not fit"
                if free == 1
                else f"none of the {free} available questions that cover it fits"
            )
            return f"{comp} is not covered: {which} the {self._minutes_left(left)}" + (
                "." if free == 1 else f" (the shortest takes {shortest} minutes)."
            )
        if len(related) == 1:
            (only,) = why
            return f"{comp} is not covered: the only question that covers it is {_BLOCKED[only]}."
        if len(why) == 1:
            (only,) = why
            reasons = _BLOCKED[only]
        else:
            reasons = _join([f"{text} ({why[k]})" for k, text in _BLOCKED.items() if why[k]], "or")
        return f"{comp} is not covered: all {len(related)} questions that cover it are {reasons}."

    def _underfill_reason(self) -> str:
        pool = self.pool
        if not self.comps:
            return "the session lists no competencies"
        mine = {p.question.id for p in self.plan.picks}
        related = [
            q for q in pool.questions if self.covers(q) and q.id not in mine and self.spec.takes(q)
        ]
        other = "other " if mine else ""
        if not related:
            return f"the bank has no {other}question for these competencies"
        free = [q for q in related if pool.blocked(q) is None]
        if not free:
            return (
                f"every {other}question for these competencies is retired, already asked to "
                "this candidate or already used in this loop"
            )
        suited = [q for q in free if pool.distance(q) == 0]
        if not suited:
            return f"no {other}available question for these competencies suits {pool.level}"
        shortest = min(q.minutes for q in suited)
        return (
            f"the shortest {other}{pool.level} question for these competencies takes "
            f"{shortest} minutes, more than the {self.left} minutes left"
        )

    def _minutes_left(self, left: int) -> str:
        if left == self.budget:
            return f"{self.budget}-minute budget"
        return f"{left} minutes left of the {self.budget}-minute budget"


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


def _by_id(bank: Iterable[BankQuestion]) -> list[BankQuestion]:
    """Return the bank sorted by id, refusing duplicate ids."""
    questions = sorted(bank, key=lambda q: q.id)
    for a, b in zip(questions, questions[1:], strict=False):
        if a.id == b.id:
            raise ValueError(f"duplicate question id {a.id!r} in the bank")
    return questions


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _join(items: Sequence[str], word: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _asked(n: int) -> str:
    return f"asked {_count(n, 'time')}"
