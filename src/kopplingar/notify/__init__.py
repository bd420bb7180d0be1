"""Outgoing mail: templates, the outbox and SMTP delivery."""
