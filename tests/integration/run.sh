#!/bin/sh
# run.sh - being written
exit 77
