/* wheel_file.c - being written */
#include "config.h"
extern int bunpy_placeholder_wheel_file;
