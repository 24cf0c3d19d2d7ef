"""Enrollment reacts to training: certification makes a Guardian active, and a
revoked certificate sends them back to training."""

from portal.enrollment.services import on_certificate_lapsed, on_certified
from portal.training.signals import certificate_revoked, certified


def _certified(sender, *, user, now, **_):
    on_certified(user, now)


def _revoked(sender, *, user, now, actor, **_):
    on_certificate_lapsed(user, now, reason="certificate revoked", cause=actor)


def connect():
    certified.connect(_certified)
    certificate_revoked.connect(_revoked)
