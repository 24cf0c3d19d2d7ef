"""Review events other features react to: recognition credits the supporting
Guardians of a rated review, and awards the review badges on sign-off."""

from blinker import Namespace

_signals = Namespace()

# A review's score, or the Guardians it credits, may have changed: a survey
# was submitted or edited, or the people of a rated review changed.
review_rated = _signals.signal("review-rated")
# A review was approved (signed off).
review_signed_off = _signals.signal("review-signed-off")
# A reviews file changed these reviews (``review_ids``): their stages, people
# or surveys may all be new.
reviews_imported = _signals.signal("reviews-imported")
