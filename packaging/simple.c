/* simple.c - being written */
