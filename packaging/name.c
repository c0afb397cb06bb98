/*
 * name.c - see name.h.
 */
#include "config.h"

#include "name.h"
