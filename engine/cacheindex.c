/* cacheindex.c - being written */
#include "config.h"

#include "cacheindex.h"
