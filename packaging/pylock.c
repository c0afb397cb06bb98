/* pylock.c - being written (issue 3). */
#include "config.h"

#include "pylock.h"
