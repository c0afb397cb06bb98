#!/bin/sh
# sync_pip.sh - being written
exit 77
