/*
 * version.c - see version.h.
 */
#include "config.h"

#include "version.h"
