"""Deliver: distribution lists, composing e-mails, the outbox and sending."""
