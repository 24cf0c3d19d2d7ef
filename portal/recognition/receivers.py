"""Recognition reacts to training and to security reviews: points and badges
follow modules passed, certificates issued and revoked, rated reviews and
sign-offs, and reviews imported from a file (portal.recognition.sources)."""

from portal.recognition import sources
from portal.reviews.signals import review_rated, review_signed_off, reviews_imported
from portal.training.signals import certificate_revoked, certified, module_passed


def _module_passed(sender, *, user, module, now, **_):
    sources.credit_module_passed(user, module, now)


def _certified(sender, *, user, certificate, now, **_):
    sources.credit_certificate(user, certificate, now)


def _revoked(sender, *, user, certificate, now, **_):
    sources.take_back_certificate(user, certificate, now)


def _rated(sender, *, review, now, **_):
    sources.credit_review(review, now)


def _signed_off(sender, *, review, now, **_):
    sources.review_signed_off(review, now)


def _imported(sender, *, review_ids, now, **_):
    sources.credit_imported_reviews(review_ids, now)


def connect():
    module_passed.connect(_module_passed)
    certified.connect(_certified)
    certificate_revoked.connect(_revoked)
    review_rated.connect(_rated)
    review_signed_off.connect(_signed_off)
    reviews_imported.connect(_imported)
