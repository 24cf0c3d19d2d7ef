"""The payload corpus (payloads.txt) and how payloads are packed into fields.

Each value the battery writes starts with a tag, ``~17~``, unique to that one
field of that one submission: finding the tag later in the database or on a
page says which form, field and payloads it came from.
"""

import re
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from portal.text import name_problem

PAYLOADS_FILE = Path(__file__).with_name("payloads.txt")
SENTINEL = re.compile(r"__xss\((\d+)\)")
TAG = re.compile(r"~(\d+)~")
ESCAPES = {"\\n": "\n", "\\t": "\t"}

# What a template engine would print had it evaluated a probe.
EVALUATED_PROBES = (
    "7*7=49",
    "13337*7=93359",
    "11*13337=146707",
    "13*13337=173381",
    "17*13337=226729",
    "19*13337=253403",
    "23*13337=306751",
    "Config {",
    "<class ",
    "&lt;class ",
    "'__name__'",
    "&#39;__name__&#39;",
    "environ({",
    "uid=0(",
)
# The probe as written: it must reach some page, shown as text.
PROBE_AS_TEXT = "7*7={{7*7}}"


@dataclass(frozen=True)
class Payload:
    number: int
    text: str
    group: str


def _unescape(line):
    return re.sub(r"\\[nt]", lambda m: ESCAPES[m.group(0)], line)


def load_payloads(path=PAYLOADS_FILE):
    """The payloads in file order, numbered from 1; comments name the groups."""
    payloads, group = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line == "#" or line.startswith("# "):
            group = line[2:].strip() or group
        elif line.strip():
            payloads.append(Payload(len(payloads) + 1, _unescape(line), group))
    return payloads


def single_line(text):
    """What a text input keeps of a value: browsers drop line breaks."""
    return text.replace("\r", "").replace("\n", " ")


def pack(payloads, capacity, multiline, names=False):
    """Payloads packed into as few values as fit ``capacity`` characters, each
    with room left for its tag (first fit, longest first). A name field
    (``names``) gets only the payloads the portal's name rule lets through:
    the others are refused by design (portal/text.py), and proven so by the
    name tests."""
    separator = "\n\n" if multiline else " "
    room = capacity - len("~00000~") - len(separator)
    texts = [(p.number, p.text if multiline else single_line(p.text)) for p in payloads]
    if names:
        texts = [(number, text) for number, text in texts if not name_problem(text)]
    bins = []
    for number, text in sorted(texts, key=lambda item: -len(item[1])):
        if len(text) > room:
            continue
        for items in bins:
            if sum(len(t) + len(separator) for _, t in items) + len(text) <= room:
                items.append((number, text))
                break
        else:
            bins.append([(number, text)])
    return [sorted(items) for items in bins], separator


class Packer:
    """Hands out tagged values and remembers which payloads each tag carried."""

    def __init__(self, payloads):
        self.payloads = payloads
        # tag number -> (field label, payload numbers, payloads that fit the field)
        self.tags = {}
        self._numbers = count(1)
        self._packed = {}

    def chunks(self, capacity, multiline, names=False):
        key = (capacity, multiline, names)
        if key not in self._packed:
            self._packed[key] = pack(self.payloads, capacity, multiline, names)
        return self._packed[key]

    def needed(self, capacity, multiline, names=False):
        return len(self.chunks(capacity, multiline, names)[0])

    def value(self, label, capacity, index, multiline=False, names=False):
        """The ``index``-th value for a field (values repeat once all are used)."""
        bins, separator = self.chunks(capacity, multiline, names)
        items = bins[index % len(bins)]
        tag = next(self._numbers)
        fitting = {number for chunk in bins for number, _ in chunk}
        self.tags[tag] = (label, [number for number, _ in items], fitting)
        return separator.join([f"~{tag}~", *(text for _, text in items)])

    def whole(self, label, multiline=False):
        """Every payload in one tagged value, for fields with no length limit."""
        tag = next(self._numbers)
        numbers = [p.number for p in self.payloads]
        self.tags[tag] = (label, numbers, set(numbers))
        separator = "\n\n" if multiline else " "
        texts = (p.text if multiline else single_line(p.text) for p in self.payloads)
        return separator.join([f"~{tag}~", *texts])

    def payloads_in(self, text):
        """The numbers of the payloads whose tags ``text`` shows."""
        return frozenset(
            number
            for tag in tags_in(text)
            for number in self.tags.get(tag, ("", []))[1]
        )


def tags_in(text):
    return {int(number) for number in TAG.findall(text or "")}
