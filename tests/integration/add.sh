#!/bin/sh
# add.sh - being written
exit 77
