/* wheelfile.c - being written */
#include "config.h"
extern int bunpy_placeholder_wheelfile;
