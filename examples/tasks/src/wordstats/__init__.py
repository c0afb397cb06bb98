"""Word statistics for plain text."""

import re
from collections import Counter

WORD = re.compile(r"[a-z']+")


def words(text):
    """The lower-cased words of text, in order."""
    return WORD.findall(text.lower())


def top(text, n=3):
    """The n most common words with their counts, most common first, ties by word."""
    counts = Counter(words(text))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
