"""The content pipeline: parse, lint, render and load question and rubric files.

Plain Python with no Flask: the CLI and the web app both call into it.
"""
