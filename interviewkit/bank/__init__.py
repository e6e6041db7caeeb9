"""The question bank: the one owner of bank.db and of the question record.

- `records`: the typed rows (`QuestionRecord`, `BankQuestion`) and what a snapshot holds.
- `schema`: the file's tables, derived from the records, its version, and its meta table.
- `writer`: builds bank.db from the parsed and linted content files (`interviewkit load`).
- `reader`: the app's read-only view of bank.db, returning typed rows.

`content` (parse and lint files) feeds the writer; loops, the kit and the pages read
through the reader. Nothing here imports the web layer; see docs/architecture.md.
"""
