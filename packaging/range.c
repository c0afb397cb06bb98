/*
 * range.c - see range.h.
 */
#include "config.h"

#include "range.h"
