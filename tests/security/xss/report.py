"""What the battery wrote where, and what it rendered: the numbers behind its
assertions, printed and kept in tests/e2e/artifacts/xss-battery.txt."""

import re
from collections import defaultdict
from pathlib import Path

REPORT = Path(__file__).parents[2] / "e2e" / "artifacts" / "xss-battery.txt"
# A policy violation that carries a payload: something was injected.
PAYLOAD_MARK = re.compile(r"__xss|javascript|vbscript|data:|~\d+~", re.IGNORECASE)


def coverage(submissions, kept, packer):
    """field -> how many values were sent, accepted and kept, the columns that
    kept them, and the payloads that fit the field but none of them kept."""
    fields = defaultdict(
        lambda: {"sent": 0, "accepted": 0, "kept": 0, "columns": set()}
    )
    fitting, held = defaultdict(set), defaultdict(set)
    for submission in submissions:
        for label, tag in submission.tags.items():
            entry = fields[label]
            entry["sent"] += 1
            entry["accepted"] += submission.accepted
            entry["kept"] += tag in kept
            entry["columns"] |= kept.get(tag, set())
            _, numbers, fits = packer.tags[tag]
            fitting[label] |= fits
            if tag in kept:
                held[label] |= set(numbers)
    for label, entry in fields.items():
        entry["missing"] = sorted(fitting[label] - held[label])
    return fields


def policy_blocks_own_markup(blocked):
    """Violations with no payload in them: the portal's own inline markup, one
    example per directive and page."""
    own = {}
    for violation in blocked:
        if not PAYLOAD_MARK.search(violation):
            where, what = violation.split(": ", 1)
            directive, _, element = what.partition(" in ")
            own.setdefault(f"{directive} on {where.split(', ')[2]}", element)
    return [f"{key}, e.g. {element}" for key, element in sorted(own.items())]


def write_report(payloads, fields, probes, plan, rendered, timings):
    """``probes``: the payload-shaped email addresses sent, and those kept."""
    lines = [f"{len(payloads)} payloads, written into {len(fields)} fields:"]
    for label, entry in sorted(fields.items()):
        columns = ", ".join(sorted(entry["columns"])) or "kept nowhere"
        lines.append(
            f"  {label}: {entry['sent']} values sent, {entry['accepted']} accepted, "
            f"{entry['kept']} kept in {columns}"
        )
        if entry["kept"] and entry["missing"]:
            lines.append(f"    payloads it never kept: {entry['missing']}")
    sent, kept = probes
    lines.append(
        f"payload-shaped email addresses: {len(sent)} sent, kept: {sorted(kept)}"
    )
    lines.append(
        f"{plan.fetched} pages fetched and inspected, {len(plan.visits)} rendered "
        f"in Chromium ({rendered.loads} page loads)"
    )
    lines += [
        f"the policy blocks the portal's own markup: {v}"
        for v in policy_blocks_own_markup(rendered.blocked)
    ]
    lines += [f"{phase}: {seconds:.1f} s" for phase, seconds in timings.items()]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
