/* requirement.c - being written (issue 3). */
#include "config.h"

#include "requirement.h"
