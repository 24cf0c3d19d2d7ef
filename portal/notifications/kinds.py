"""The kinds of notification, and how each reaches the inbox unless a person chooses.

Digest-first defaults keep inboxes quiet: only security notices about one's own
account go out immediately, and nobody can turn those off. Features add their
kinds here as they land.
"""

import enum
from dataclasses import dataclass


class Delivery(enum.Enum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    NEVER = "never"

    @property
    def amount(self):
        """How much email this choice sends, for "only turn email down"."""
        return {"immediately": 2, "digest": 1, "never": 0}[self.value]

    @property
    def label(self):
        return {
            "immediately": "Email me immediately",
            "digest": "Include in my weekly digest",
            "never": "Never email me",
        }[self.value]


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    description: str
    default: Delivery
    # A kind a person may not turn down: it always goes out as the default.
    fixed: bool = False

    @property
    def choices(self):
        return [self.default] if self.fixed else list(Delivery)


KINDS = {
    kind.name: kind
    for kind in [
        Kind(
            "account_security",
            "Account security",
            "Your password was changed or reset. Always emailed at once, so that "
            "you hear of a change you did not make.",
            Delivery.IMMEDIATELY,
            fixed=True,
        ),
        Kind(
            "roles",
            "Roles",
            "A role was granted to you or taken away.",
            Delivery.DIGEST,
        ),
        Kind(
            "welcome",
            "Getting started",
            "Tips for new members of the portal.",
            Delivery.DIGEST,
        ),
        Kind(
            "enrollment",
            "Guardian enrollment",
            "Decisions and changes on your Guardian application.",
            Delivery.DIGEST,
        ),
        Kind(
            "training",
            "Training",
            "Training due dates and certification.",
            Delivery.DIGEST,
        ),
        Kind(
            "reviews",
            "Security reviews",
            "A security review of your team, or one you support, moves to its "
            "next stage.",
            Delivery.DIGEST,
        ),
        Kind(
            "review_feedback",
            "Review feedback",
            "A reviewer rated a review you supported and left you feedback.",
            Delivery.DIGEST,
        ),
        Kind(
            "review_surveys",
            "Surveys to fill",
            "A review you reviewed is approved and its end-of-review survey is "
            "due, and one reminder a few days later if it is still to fill.",
            Delivery.DIGEST,
        ),
        Kind(
            "review_stalls",
            "Stalled reviews",
            "For program managers: reviews that have sat in one stage too long.",
            Delivery.DIGEST,
        ),
        Kind(
            "recognition",
            "Recognition",
            "You earned a badge or an award, or someone gave you kudos.",
            Delivery.DIGEST,
        ),
    ]
}


def kind(name):
    """The Kind called ``name``; a typo is a programming error: KeyError."""
    return KINDS[name]
