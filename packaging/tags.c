/* tags.c - being written (issue 3). */
#include "config.h"

#include "tags.h"
