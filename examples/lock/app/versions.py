"""Print what the project's environment holds: run by `bunpy run versions` (make demo)."""
import importlib.metadata
import sys

import click
import httpx
import numpy
import rich

print("Python", sys.version.split()[0], "in", sys.prefix)
for module in (click, httpx, numpy, rich):
    print("%-8s %s" % (module.__name__, module.__version__))
names = sorted(d.metadata["Name"] for d in importlib.metadata.distributions())
print("%d distributions installed: %s" % (len(names), ", ".join(names)))
