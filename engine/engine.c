/* engine.c - placeholder */
