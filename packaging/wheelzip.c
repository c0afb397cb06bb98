/* wheelzip.c - being written */
