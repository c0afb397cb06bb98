#!/bin/sh
# venv.sh - virtual environments through the bunpy binary. There is no command that
# only makes one (bunpy sync makes .venv and is tested by sync.sh); venv_create itself,
# and its equivalence with `python3 -m venv`, are tested by tests/unit/test_venv.c.
exit 77
