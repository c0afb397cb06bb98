/*
 * specifier.c - see specifier.h.
 */
#include "config.h"

#include "specifier.h"
