"""Find content files under content roots and classify them."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem, Reporter

SKIP_NAMES = {"README.md", "CONTRIBUTING.md"}


@dataclass
class ContentFile:
    """A question or rubric file in a content root."""

    root_index: int
    root: Path
    rel: str  # POSIX path inside the root, e.g. "questions/security/xss.md"
    kind: str  # question, scale, competency, loop, topics, tags, unknown
    topic: str | None
    data: bytes = b""
    hash: str = ""
    abspath: str = field(init=False)
    display: str = field(init=False)  # as shown to a user: relative to the working directory

    def __post_init__(self) -> None:
        self.abspath = os.path.join(str(self.root), self.rel)
        self.display = display_path(self.abspath)

    @property
    def path(self) -> Path:
        """Return the file's absolute path."""
        return Path(self.abspath)

    @property
    def key(self) -> str:
        """Return a key that is unique across roots."""
        return f"{self.root_index}:{self.rel}"

    @property
    def stem(self) -> str:
        """Return the file name without .md."""
        return Path(self.rel).stem

    def read(self, hash: bool = True) -> ContentFile:  # noqa: A002 - mirrors the field
        """Read the file's bytes and (unless told not to) hash them."""
        with open(self.abspath, "rb") as fh:
            self.data = fh.read()
        if hash:
            self.hash = hashlib.sha256(self.data).hexdigest()
        return self


def display_path(path: Path | str) -> str:
    """Return a path relative to the working directory when it lies inside it."""
    cwd = os.getcwd() + os.sep
    text = str(path)
    return text[len(cwd) :] if text.startswith(cwd) else text


def classify(rel: str) -> tuple[str, str | None]:
    """Return (kind, topic) for a path inside a content root."""
    parts = rel.split("/")
    if parts[0] == "questions":
        return "question", (parts[1] if len(parts) == 3 else None)
    if parts[0] == "rubrics":
        if parts[1:] == ["topics.md"]:
            return "topics", None
        if parts[1:] == ["tags.md"]:
            return "tags", None
        kinds = {"scales": "scale", "competencies": "competency", "loops": "loop"}
        if len(parts) == 3 and parts[1] in kinds:
            return kinds[parts[1]], None
    return "unknown", None


def discover(roots: list[Path], refused: list[Problem] | None = None) -> list[ContentFile]:
    """List every .md file under each root's questions/ and rubrics/, in a stable order.

    A symbolic link that leads outside its root (or nowhere) is left out, file or folder:
    the bank must never serve a file from elsewhere on the machine. Each one left out is
    reported as an E108 problem in `refused` when that list is given.
    """
    found = []
    for index, root in enumerate(roots):
        root = Path(root).resolve()
        for top in ("rubrics", "questions"):
            base = root / top
            if not base.is_dir():
                continue
            prefix = len(str(root)) + 1
            for dirpath, dirnames, filenames in os.walk(base):
                folder = dirpath[prefix:].replace(os.sep, "/")
                kept = []
                for name in sorted(d for d in dirnames if not d.startswith(".")):
                    full = os.path.join(dirpath, name)
                    if os.path.islink(full):
                        # os.walk never follows a linked folder; one inside the root is
                        # walked under its real name, one leading elsewhere is reported.
                        _refuse(full, root, refused, folder=True)
                        continue
                    kept.append(name)
                dirnames[:] = kept
                for name in sorted(filenames):
                    if not name.endswith(".md") or name in SKIP_NAMES:
                        continue
                    full = os.path.join(dirpath, name)
                    if os.path.islink(full) and _refuse(full, root, refused, folder=False):
                        continue
                    rel = f"{folder}/{name}"
                    found.append(ContentFile(index, root, rel, *classify(rel)))
    return found


def _refuse(link: str, root: Path, refused: list[Problem] | None, folder: bool) -> bool:
    """Return True (reporting it in `refused`) if a symbolic link leads outside `root`."""
    target = os.path.realpath(link)
    inside = target.startswith(str(root) + os.sep)
    exists = os.path.isdir(target) if folder else os.path.isfile(target)
    if inside and exists:
        return False
    if folder and inside:
        return True  # a dangling folder link holds nothing to load or report
    if refused is not None:
        what = "folder" if folder else "file"
        where = "outside the content root" if exists else "which does not exist"
        Reporter(display_path(link), refused).error(
            "E108",
            0 if folder else 1,
            f"the {what} is a symbolic link to {display_path(target)}, {where}: it is "
            f"not loaded; put the {what} itself in the content root (or list the other "
            "root in CONTENT_ROOTS) and delete the link",
        )
    return True


def root_of(path: Path) -> Path | None:
    """Return the content root a file or folder belongs to, or None."""
    path = path.resolve()
    if (path / "questions").is_dir() or (path / "rubrics").is_dir():
        return path
    for parent in [path, *path.parents]:
        if parent.name in ("questions", "rubrics"):
            return parent.parent
    return None
