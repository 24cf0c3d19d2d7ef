"""Names people can trust: one rule for display names and org, team and cohort
names, used by the forms, the services and the people import alike.

A name is Unicode-normalised (NFKC, so look-alike compatibility forms become
the plain letters) with its spaces collapsed. Control characters (line breaks
included), format characters (bidirectional overrides, zero-width spaces and
joiners), line and paragraph separators, private-use and unassigned code
points are refused: they let a name reorder or hide what a reader sees, or
break an email header.
"""

import re
import unicodedata

# Unicode general categories a name may not contain.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Characters of other categories that show nothing: Hangul fillers, the
# blank Braille pattern, invisible Khmer vowels, the Mongolian vowel separator.
INVISIBLE = set("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e")
NAME_PROBLEM = (
    "Use letters, digits, spaces and punctuation only: line breaks, control "
    "characters and invisible or direction-changing characters are not allowed."
)


def normalise_name(value):
    """``value`` NFKC-normalised, stripped, with runs of spaces made one (so
    "Eve   Lyn" cannot pose as "Eve Lyn"). Other characters stay, for
    name_problem to refuse."""
    text = unicodedata.normalize("NFKC", value or "")
    return re.sub(" {2,}", " ", text.strip())


def name_problem(value):
    """Why ``value`` cannot be a name, or None. ``value`` is normalised first."""
    text = normalise_name(value)
    if any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in text):
        return NAME_PROBLEM
    if any((ch.isspace() and ch != " ") or ch in INVISIBLE for ch in text):
        return NAME_PROBLEM
    if text and not any(ch.isalnum() for ch in text):
        return "A name needs at least one letter or digit."
    if text and unicodedata.category(text[0]) in {"Mn", "Me", "Mc"}:
        return "A name cannot start with a combining mark."
    return None


def header_text(value, max_length=None):
    """Text safe for an email header: every control, format or separator
    character (CR and LF included) becomes a space, and spaces collapse.

    "=?" becomes "= ?": the email library decodes RFC 2047 encoded words in
    a header value it is given, so "=?utf-8?q?=0D=0A...?=" in a name would
    come back as a line break and start a header or body of its own.
    """
    text = "".join(
        " " if unicodedata.category(ch) in REFUSED_CATEGORIES or ch.isspace() else ch
        for ch in unicodedata.normalize("NFKC", str(value or ""))
    )
    text = " ".join(text.split()).replace("=?", "= ?")
    return text[:max_length] if max_length else text
