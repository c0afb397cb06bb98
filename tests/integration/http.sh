#!/bin/sh
# http.sh - being written
exit 77
