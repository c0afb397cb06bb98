# sync.py - being written
