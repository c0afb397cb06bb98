/* cmd_sync.c - being written */
#include "config.h"
extern int bunpy_placeholder_cmd_sync;
