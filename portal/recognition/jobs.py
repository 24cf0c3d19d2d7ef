"""The weekly roll-over of the boards."""

from portal.recognition.totals import take_snapshot


def start_leaderboard_week(now):
    """Keep the standings as ``now``'s week began (quarter, year and all time),
    which the boards' change in rank compares against. A quarter or a year
    that begins has no standings before it: its boards start from zero, since
    every entry counts towards the periods it was made in."""
    rows = take_snapshot(now)
    return f"{rows} standing(s) kept for the week"
