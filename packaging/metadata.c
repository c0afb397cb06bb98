/* metadata.c - being written (issue 3). */
#include "config.h"

#include "metadata.h"
