"""Print a short report from the counts JSON."""

import json
import sys

counts = json.load(open(sys.argv[1], encoding="utf-8"))
total = sum(entry["words"] for entry in counts.values())
print(f"{len(counts)} texts, {total} words")
for name, entry in counts.items():
    common = ", ".join(f"{word} ({n})" for word, n in entry["top"])
    print(f"  {name}: {entry['words']} words; most common: {common}")
