"""Enrollment reacts to training: certification moves a Guardian on."""

from portal.enrollment.services import on_certified
from portal.training.signals import certified


def _certified(sender, *, user, now, **_):
    on_certified(user, now)


def connect():
    certified.connect(_certified)
