"""Cohort mix and the balanced-cohort suggestion.

The suggestion is greedy: seat by seat, it takes the applicant whose org,
location and seniority are least represented so far (counting people already
in the cohort and those picked before), breaking ties by who applied first.
Each pick therefore widens the mix where it is narrowest, and nobody waits
longer than a newer applicant with the same profile.
"""

import math
from collections import Counter
from dataclasses import dataclass

BALANCED_ON = ("org", "location", "seniority")
MIX_ATTRIBUTES = ("org", "team", "location", "seniority")


@dataclass(frozen=True)
class Profile:
    enrollment_id: int
    name: str
    org: str
    team: str
    location: str
    seniority: str
    applied_order: int = 0


def suggest_balanced(queue, members, seats):
    """Up to ``seats`` profiles from ``queue`` that spread the cohort widest."""
    counts = {attr: Counter(getattr(m, attr) for m in members) for attr in BALANCED_ON}
    remaining = sorted(queue, key=lambda p: p.applied_order)
    picked = []
    while remaining and len(picked) < max(seats, 0):
        best = min(
            remaining,
            key=lambda p: (
                sum(counts[a][getattr(p, a)] for a in BALANCED_ON),
                p.applied_order,
            ),
        )
        picked.append(best)
        remaining.remove(best)
        for attr in BALANCED_ON:
            counts[attr][getattr(best, attr)] += 1
    return picked


def mix(profiles):
    """For each attribute: [(value, count, share)], largest first."""
    total = len(profiles)
    result = {}
    for attr in MIX_ATTRIBUTES:
        counter = Counter(getattr(p, attr) for p in profiles)
        result[attr] = [
            (value, count, count / total if total else 0.0)
            for value, count in counter.most_common()
        ]
    return result


def spread(profiles):
    """How evenly a group spreads over org, location and seniority: the sum of
    each attribute's Shannon entropy in bits (0 when everyone is alike)."""
    total = len(profiles)
    if not total:
        return 0.0
    bits = 0.0
    for attr in BALANCED_ON:
        for count in Counter(getattr(p, attr) for p in profiles).values():
            share = count / total
            bits -= share * math.log2(share)
    return bits
