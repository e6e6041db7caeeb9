"""The fixed vocabulary of the question format."""

import re

LEVELS = ("junior", "mid", "senior", "staff")
KINDS = ("conceptual", "design", "troubleshooting", "code-reading", "behavioural")
MIN_MINUTES, MAX_MINUTES = 5, 60
MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_YAML_NODES = 2000
MIN_PROBES, GOOD_PROBES = 2, 3

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 80

# Question front matter: field -> (required, type description).
QUESTION_FIELDS = {
    "id": (True, "slug"),
    "title": (True, "text"),
    "kind": (True, "choice"),
    "competencies": (True, "list"),
    "levels": (True, "list"),
    "minutes": (True, "int"),
    "scale": (True, "slug"),
    "tags": (True, "list"),
    "retired": (False, "bool"),
}

# Body sections of a question, in order: heading -> (key, required).
SECTIONS = {
    "prompt": ("prompt", True),
    "probes": ("probes", True),
    "scoring guide": ("guide", True),
    "bar by level": ("bar", False),  # required when a question suits several levels
    "red flags": ("red_flags", True),
    "notes": ("notes", False),
}
