"""Benchmark the bank build and lint on 10,000 generated question files.

Prints, for each measured operation, its wall time, its ratio to the floor it is judged
against (both measured in this run on the same files), and its peak memory:

- full load          vs the build floor: read, parse front matter, render Markdown,
                     sanitise, insert in one transaction with plain sqlite3, one process
- no-change reload   vs the full load
- one-file reload    vs the full load
- lint               vs the parse floor: read and parse front matter only

Each operation runs in its own Python process so its peak memory (the process and its
worker processes) is its own. Usage: python bench/bank_build.py [--files N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import markdown
import nh3
import yaml

from interviewkit.content.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, EXTENSIONS

PROJECT = Path(__file__).resolve().parent.parent
TARGETS = {"full": 0.75, "nochange": 0.05, "onefile": 0.05, "lint": 2.0}
MEMORY_TARGET_MB = 300

SYLLABLES = "ka lo mi ne su ta ri po ve da zu qua fle tro bin mar sel gor wen pil".split()
TECH = (
    "cache index queue shard replica lock thread socket timeout retry token schema "
    "request response latency throughput worker pool session cursor batch"
).split()


def make_vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words) + TECH


def sentence(rng, vocab, n) -> str:
    words = [rng.choice(vocab) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng, vocab, sentences, words=12) -> str:
    return textwrap.fill(
        " ".join(sentence(rng, vocab, rng.randint(words - 4, words + 4)) for _ in range(sentences)),
        88,
    )


def question_file(i: int, rng: random.Random, vocab: list[str], topics: list[str]) -> str:
    levels = rng.choice([["junior", "mid"], ["mid", "senior"], ["senior", "staff"]])
    code = "\n".join(
        f"    {rng.choice(vocab)} = {rng.choice(vocab)}({rng.randint(1, 99)})" for _ in range(6)
    )
    table = "| metric | before | after |\n|---|---|---|\n" + "\n".join(
        f"| {rng.choice(vocab)} | {rng.randint(1, 999)} ms | {rng.randint(1, 999)} ms |"
        for _ in range(4)
    )
    bar = "".join(f"- **{lvl}:** {sentence(rng, vocab, 14)}\n" for lvl in levels)
    return f"""---
id: bench-{i:05d}
title: {sentence(rng, vocab, 6)[:-1]}
kind: {rng.choice(["conceptual", "design", "troubleshooting", "code-reading"])}
competencies: [{rng.choice(["concurrency", "api-design", "data-storage", "security"])}]
levels: [{", ".join(levels)}]
minutes: {rng.choice([10, 15, 20])}
scale: four-point
tags: [{rng.choice(TECH)}, {rng.choice(TECH)}-{i % 50}]
---

## Prompt

{paragraph(rng, vocab, 4)}

```python
def handler(request):
{code}
    return response
```

## Probes

- {sentence(rng, vocab, 14)}
- {sentence(rng, vocab, 12)}
- {sentence(rng, vocab, 16)}

## Scoring guide

### 1
{paragraph(rng, vocab, 2)}

### 2
{paragraph(rng, vocab, 2)}

### 3
{paragraph(rng, vocab, 3)}

### 4
{paragraph(rng, vocab, 3)}

## Bar by level

{bar}
## Red flags

- {sentence(rng, vocab, 10)}
- **{rng.choice(vocab)}** {sentence(rng, vocab, 9)}

## Notes

{table}
"""


def generate(root: Path, count: int) -> None:
    rng = random.Random(20261121)
    vocab = make_vocabulary(rng)
    shutil.copytree(PROJECT / "rubrics", root / "rubrics")
    topics = ["concurrency", "rest-api", "indexing", "security", "caching", "testing"]
    for i in range(count):
        topic = topics[i % len(topics)]
        folder = root / "questions" / topic
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"bench-{i:05d}.md").write_text(question_file(i, rng, vocab, topics))


# Each measured step runs as `python bank_build.py --step NAME ROOT BANK` in a child process.
def step(name: str, root: Path, bank: Path) -> dict:
    import resource

    from interviewkit.bank.writer import load
    from interviewkit.content.lint import lint

    started = time.perf_counter()  # after the imports: measure the work, not start-up
    detail = ""
    if name in ("full", "nochange", "onefile"):
        result = load([root], bank, force=(name == "full"))
        detail = f"{result.added}+{result.changed}~{result.removed}-{result.unchanged}="
        assert result.ok
    elif name == "lint":
        problems, files = lint(None, [root])
        errors = [p for p in problems if p.severity == "error"]
        assert not errors, errors[:3]
        detail = f"{files} files"
    elif name == "build-floor":
        build_floor(root, bank.with_name("floor.db"))
    elif name == "parse-floor":
        parse_floor(root)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": own, "worker_peak_mb": children, "detail": detail}


def _front_matter(text: str):
    _, fm, body = text.split("---\n", 2)
    return yaml.load(fm, Loader=yaml.CSafeLoader), body


def build_floor(root: Path, db_path: Path) -> None:
    """Read, parse, render, sanitise and insert every question in one process: the floor."""
    md = markdown.Markdown(extensions=EXTENSIONS)
    db_path.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE q (id TEXT PRIMARY KEY, meta TEXT, body TEXT, html TEXT)")
    with conn:
        for path in sorted((root / "questions").rglob("*.md")):
            meta, body = _front_matter(path.read_text(encoding="utf-8"))
            md.reset()
            html = nh3.clean(md.convert(body), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES)
            conn.execute(
                "INSERT INTO q VALUES (?, ?, ?, ?)", (meta["id"], json.dumps(meta), body, html)
            )
    conn.close()


def parse_floor(root: Path) -> None:
    """Read every question file and parse its front matter: the floor for lint."""
    for path in sorted((root / "questions").rglob("*.md")):
        _front_matter(path.read_text(encoding="utf-8"))


def run_step(name: str, root: Path, bank: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--step", name, str(root), str(bank)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"step {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="question files to generate")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step[0], Path(args.step[1]), Path(args.step[2]))))
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="ik-bench-"))
    root, bank = work / "content", work / "bank.db"
    try:
        if not (root / "questions").exists():
            t = time.perf_counter()
            generate(root, args.files)
            print(f"generated {args.files} files in {time.perf_counter() - t:.1f}s under {root}")
        sizes = [p.stat().st_size for p in (root / "questions").rglob("*.md")]
        print(
            f"file size: mean {sum(sizes) / len(sizes):.0f} B, min {min(sizes)}, max {max(sizes)}"
        )
        results = {}
        for name in ("build-floor", "parse-floor", "full", "nochange"):
            results[name] = run_step(name, root, bank)
        edited = next((root / "questions").rglob("*.md"))
        edited.write_text(edited.read_text().replace("## Notes", "## Notes\n\nEdited.", 1))
        results["onefile"] = run_step("onefile", root, bank)
        results["lint"] = run_step("lint", root, bank)
        report(results)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(results: dict) -> None:
    floors = {"full": "build-floor", "nochange": "full", "onefile": "full", "lint": "parse-floor"}
    print(
        f"\n{'operation':<14}{'time':>9}{'vs':>13}{'ratio':>8}{'target':>9}"
        f"{'peak MB':>10}{'workers':>9}  result"
    )
    for name in ("build-floor", "parse-floor", "full", "nochange", "onefile", "lint"):
        r = results[name]
        if name in floors:
            ratio = r["seconds"] / results[floors[name]]["seconds"]
            target = TARGETS[name]
            ok = ratio <= target and max(r["peak_mb"], r["worker_peak_mb"]) < MEMORY_TARGET_MB
            cols = f"{floors[name]:>13}{ratio:>8.3f}{'<=' + str(target):>9}"
            verdict = "met" if ok else "MISSED"
        else:
            cols, verdict = f"{'':>13}{'':>8}{'':>9}", "floor"
        print(
            f"{name:<14}{r['seconds']:>8.2f}s{cols}{r['peak_mb']:>10.0f}"
            f"{r['worker_peak_mb']:>9.0f}  {verdict}"
        )
    print(f"\npeak memory target: under {MEMORY_TARGET_MB} MB per process")


if __name__ == "__main__":
    main()
