/* pubgrub.c - being written */
