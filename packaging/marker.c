/* marker.c - being written (issue 3). */
#include "config.h"

#include "marker.h"
