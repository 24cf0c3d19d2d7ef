"""The kinds of notification, and how each reaches the inbox unless a person chooses.

Digest-first defaults keep inboxes quiet: only security notices about one's own
account go out immediately. Features add their kinds here.
"""

import enum
from dataclasses import dataclass


class Delivery(enum.Enum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    NEVER = "never"

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


KINDS = {
    kind.name: kind
    for kind in [
        Kind(
            "account_security",
            "Account security",
            "Your password was changed or reset.",
            Delivery.IMMEDIATELY,
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
            "mentorship",
            "Mentorship",
            "Mentor requests and check-ins.",
            Delivery.DIGEST,
        ),
        Kind(
            "forum",
            "Forum",
            "Replies, mentions and answers in threads you follow.",
            Delivery.DIGEST,
        ),
        Kind(
            "reviews",
            "Security reviews",
            "Feedback and scores from reviews you supported.",
            Delivery.DIGEST,
        ),
        Kind(
            "recognition", "Recognition", "Badges, awards and kudos.", Delivery.DIGEST
        ),
    ]
}


def kind(name):
    """The Kind called ``name``; a typo is a programming error: KeyError."""
    return KINDS[name]
