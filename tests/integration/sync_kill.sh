#!/bin/sh
# sync_kill.sh - being written
exit 77
