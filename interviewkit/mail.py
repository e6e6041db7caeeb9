"""Email through the SMTP server named in the configuration; nothing is sent without one.

Settings: MAIL_SERVER (host; unset means "no email"), MAIL_PORT (25), MAIL_USE_TLS
(STARTTLS, default off), MAIL_USERNAME and MAIL_PASSWORD (optional), MAIL_FROM.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

SMTP_TIMEOUT = 10  # seconds: a slow mail server must not hold a request for long


class MailError(Exception):
    """A message could not be handed to the SMTP server; the message says why."""


def mail_configured() -> bool:
    """Return True if an SMTP server is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text email to one address through the configured SMTP server."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or "interviewkit@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the mail server {host}:{port} did not take it ({exc})") from None
