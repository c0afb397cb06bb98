/* pyproject.c - being written (issue 3). */
#include "config.h"

#include "pyproject.h"
