"""gunicorn settings for the benchmarks: `interviewkit serve`'s, but with gunicorn's own
access log instead of the app's JSON request line.

The benchmarks read each request's time inside the worker from the access log
(`--access-logfile`, `--access-logformat`); `serve` turns that log off in favour of the
app's one JSON line per request (docs/operations.md, "Logs"), so the benchmarks leave
out that one setting and keep every other (timeouts, request-line limit, the workers'
gc.freeze and webhook sender, the metrics clean-up).
"""

from interviewkit.server import SETTINGS

globals().update({k: v for k, v in SETTINGS.items() if k != "logconfig_dict"})
