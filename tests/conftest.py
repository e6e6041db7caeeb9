"""Shared fixtures: a small content root on disk, an app on a temporary instance."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from interviewkit import create_app

PROJECT = Path(__file__).resolve().parent.parent

QUESTION = """\
---
id: {id}
title: {title}
kind: conceptual
competencies: [concurrency]
levels: [mid, senior]
minutes: 15
scale: four-point
tags: [async]
---

## Prompt

{prompt}

## Probes

- What changes when the work is CPU-bound?
- How do you confirm the cause in production?
- What would you monitor afterwards?

## Scoring guide

### 1
Cannot say what an event loop is.

### 2
Knows the words but not why one slow call delays the others.

### 3
Explains that a blocking call holds the loop and moves it to a thread pool.

### 4
Adds loop-lag metrics and bounds the pool.

## Bar by level

- **mid:** Explains the cause and a fix.
- **senior:** Also proves it and prevents the next one.

## Red flags

- Adds servers without finding the cause.
"""

PROMPTS = [
    "Explain why one slow blocking call in an async handler slows every request.",
    "A checkout service retries payments on timeout and customers get charged twice today.",
    "Design a schema for library loans where members borrow copies of books.",
    "Why does a composite index on status and created_at help this dashboard query?",
]


def question_text(qid: str, prompt: str | None = None, **fields) -> str:
    """Return a valid question file; `fields` replace front matter lines (None removes one)."""
    text = QUESTION.format(id=qid, title=f"Question {qid}", prompt=prompt or PROMPTS[0])
    for name, value in fields.items():
        lines = text.split("\n")
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
        if value is None:
            del lines[index]
        else:
            lines[index] = f"{name}: {value}"
        text = "\n".join(lines)
    return text


def write_question(root: Path, qid: str, topic: str = "concurrency", **kwargs) -> Path:
    """Write a valid question file into a content root and return its path."""
    path = root / "questions" / topic / f"{qid}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(question_text(qid, **kwargs), encoding="utf-8")
    return path


def dedent(text: str) -> str:
    """Dedent a test's inline file text."""
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def content_root(tmp_path) -> Path:
    """Return a content root with the shipped rubrics and four distinct valid questions."""
    root = tmp_path / "content"
    shutil.copytree(PROJECT / "rubrics", root / "rubrics")
    for i, prompt in enumerate(PROMPTS):
        write_question(root, f"sample-{i + 1}", prompt=prompt)
    return root


@pytest.fixture
def app(tmp_path, content_root):
    """Return an app whose instance, bank and content live in a temporary folder."""
    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "BANK_PATH": str(instance / "bank.db"),
            "CONTENT_ROOTS": [str(content_root)],
        }
    )
    return app


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner bound to the app."""
    return app.test_cli_runner()
