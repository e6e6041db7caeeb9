"""Lint content files: per-file checks, then checks across the whole bank."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from . import parallel, similarity
from .files import ContentFile, discover, display_path, root_of
from .problems import Problem, Reporter
from .questions import Question, parse_question
from .rubrics import (
    Catalog,
    check_catalog,
    parse_competency,
    parse_loop,
    parse_scale,
    parse_tags,
    parse_topics,
)
from .source import read_source

RUBRIC_PARSERS = {"scale": parse_scale, "competency": parse_competency, "loop": parse_loop}
CATALOG_ATTR = {"scale": "scales", "competency": "competencies", "loop": "loops"}


def build_catalog(files: list[ContentFile]) -> tuple[Catalog, list[Problem]]:
    """Parse every rubric file into one catalog; later roots override earlier ones by id."""
    catalog, problems = Catalog(), []
    seen: dict[tuple[int, str, str], str] = {}
    for f in files:
        if f.kind == "question":
            continue
        if not f.data:
            f.read()
        report = Reporter(f.display, problems)
        if f.kind == "unknown":
            report.error(
                "E501",
                1,
                "unknown rubric file: put scales in "
                "rubrics/scales/, competencies in rubrics/competencies/, "
                "loop templates in rubrics/loops/",
            )
            continue
        src, file_problems = read_source(f.display, f.data)
        problems.extend(file_problems)
        if src is None:
            continue
        if f.kind == "topics":
            catalog.topics.update(parse_topics(src, report))
            continue
        if f.kind == "tags":
            catalog.tags.update(parse_tags(src, report))
            continue
        item = RUBRIC_PARSERS[f.kind](src, report)
        if item is None:
            continue
        other = seen.get((f.root_index, f.kind, item.id))
        if other:
            report.error(
                "E401",
                src.line_of("id"),
                f"{f.kind} id {item.id!r} is also used by {other}: pick another id",
            )
            continue
        seen[(f.root_index, f.kind, item.id)] = f.display
        getattr(catalog, CATALOG_ATTR[f.kind])[item.id] = item
    check_catalog(catalog, problems)
    return catalog, problems


def check_question(f: ContentFile, catalog: Catalog) -> tuple[Question | None, list[Problem]]:
    """Run every single-file check on one question file."""
    src, problems = read_source(f.display, f.data)
    if src is None:
        return None, problems
    question, more = parse_question(src, catalog, f.topic, f.stem)
    if question is not None:
        question.line = src.top_line("id")
    return question, problems + more


class Entry:
    """What checks across files need of a question: id, line of the id, prompt fingerprint."""

    __slots__ = ("id", "line", "exact", "sketch", "prompt")

    def __init__(self, qid, line, exact, sketch, prompt=None) -> None:
        self.id, self.line, self.exact, self.sketch, self.prompt = qid, line, exact, sketch, prompt

    @classmethod
    def of(cls, question: Question) -> Entry:
        """Return the entry of a parsed question."""
        return cls(
            question.id, question.line, *similarity.fingerprint(question.prompt), question.prompt
        )


def cross_check(
    entries: list[tuple[ContentFile, Entry]],
    focus: set[str] | None = None,
    prompt_of=None,
) -> list[Problem]:
    """Check duplicate ids within a root and duplicate or similar prompts across the bank.

    `entries` holds every question of the bank (the whole universe); only problems that
    touch a file whose key is in `focus` are reported (all of them when focus is None).
    `prompt_of(key)` returns a prompt's text when entries do not carry it.
    """
    problems = []
    by_root_id: dict[tuple[int, str], list[tuple[ContentFile, Entry]]] = defaultdict(list)
    for f, q in entries:
        by_root_id[(f.root_index, q.id)].append((f, q))
    for group in by_root_id.values():
        if len(group) > 1:
            for f, q in group:
                if focus is None or f.key in focus:
                    others = ", ".join(g.display for g, _ in group if g is not f)
                    Reporter(f.display, problems).error(
                        "E401",
                        q.line,
                        f"id {q.id!r} is also used by {others}: give this question a new id "
                        "(ids are never reused)",
                    )
    # Near-duplicates among the questions the bank will serve: the last root wins by id.
    winners: dict[str, tuple[ContentFile, Entry]] = {}
    for f, q in entries:
        current = winners.get(q.id)
        if current is None or f.root_index >= current[0].root_index:
            winners[q.id] = (f, q)
    by_key = {f.key: (f, q) for f, q in winners.values()}
    pairs = similarity.similar_pairs(
        ((k, q.exact, q.sketch) for k, (f, q) in by_key.items() if q.exact),
        prompt_of or (lambda key: by_key[key][1].prompt),
        focus,
    )
    for ka, kb, score in pairs:
        (fa, qa), (fb, qb) = by_key[ka], by_key[kb]
        if focus is not None and kb not in focus:
            (fa, qa), (fb, qb) = (fb, qb), (fa, qa)
        report = Reporter(fb.display, problems)
        if score >= 1.0:
            report.error(
                "E402",
                qb.line,
                f"the prompt is the same as {fa.display} ({qa.id}): ask something different "
                "or extend that question instead",
            )
        else:
            report.warning(
                "W401",
                qb.line,
                f"the prompt is {score:.0%} similar to {fa.display} ({qa.id}): make the two "
                "clearly different or merge them",
            )
    return problems


_catalog: list[Catalog] = []


def _init_worker(catalog: Catalog) -> None:
    _catalog[:] = [catalog]


def _lint_one(f: ContentFile):
    question, problems = check_question(f.read(hash=False), _catalog[0])
    entry = Entry.of(question) if question else _partial_entry(f)
    return f.key, entry, problems


def _partial_entry(f: ContentFile) -> Entry | None:
    """Return the id and prompt of a file with errors elsewhere, so lint can still compare
    it with the bank and report every problem in one run."""
    src, _ = read_source(f.display, f.data)
    if src is None or not isinstance(src.fields.get("id"), str):
        return None
    prompt = next((h.text for h in src.sections if h.title.strip().lower() == "prompt"), "")
    if not prompt.strip():
        return None
    return Entry(src.fields["id"], src.top_line("id"), *similarity.fingerprint(prompt), prompt)


def lint(
    paths: list[Path] | None, roots: list[Path], workers: int | None = None
) -> tuple[list[Problem], int]:
    """Lint the files under `paths` (default: every content root); return (problems, files)."""
    roots = [Path(r).resolve() for r in roots]
    problems: list[Problem] = []
    targets: list[Path] = []
    links: list[Path] = []
    for p in paths or []:
        p = Path(p)
        if not (p.exists() or p.is_symlink()):
            Reporter(str(p), problems).error("E103", 0, "no such file or folder: check the path")
            continue
        # A symbolic link belongs to the root it sits in, wherever (if anywhere) it leads.
        link = p.parent.resolve() / p.name if p.is_symlink() else None
        root = (link and root_of(link.parent)) or root_of(p)
        if root is None:
            Reporter(str(p), problems).error(
                "E208", 0, "not inside a content root: lint files under questions/ or rubrics/"
            )
            continue
        if root not in roots:
            roots.append(root)
        if link is not None:
            links.append(link)
        targets.append(p.resolve())
    refused: list[Problem] = []
    universe = discover(roots, refused)
    if paths:
        focus = {
            f.key for f in universe if any(f.path == t or t in f.path.parents for t in targets)
        }
        refused_links = set()
        for problem in refused:
            link = Path(os.path.abspath(problem.path))
            if any(link == t or t in link.parents for t in targets + links):
                problems.append(problem)
                refused_links.add(link)
        for t in targets:
            if t.is_file() and not any(f.path == t for f in universe):
                if any(link.resolve() == t for link in refused_links):
                    continue  # reported above as a symbolic link leading out of the root
                Reporter(display_path(t), problems).error(
                    "E208", 0, "not a content file: questions are questions/<topic>/<id>.md"
                )
    else:
        focus, refused_links = None, set()
        problems.extend(refused)
    catalog, catalog_problems = build_catalog(universe)
    problems.extend(p for p in catalog_problems if _in_focus(p, universe, focus))
    entries = []
    question_files = [f for f in universe if f.kind == "question"]
    by_key = {f.key: f for f in question_files}
    for key, entry, file_problems in parallel.run(
        _lint_one, question_files, _init_worker, (catalog,), workers
    ):
        if focus is None or key in focus:
            problems.extend(file_problems)
        if entry is not None:
            entries.append((by_key[key], entry))
    problems.extend(cross_check(entries, focus))
    checked = len(universe) + len(refused) if focus is None else len(focus) + len(refused_links)
    return sorted(set(problems)), checked


def _in_focus(problem, universe, focus) -> bool:
    if focus is None:
        return True
    return any(f.key in focus and f.display == problem.path for f in universe)
