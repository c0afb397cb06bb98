/* toml.c - placeholder */
#include "toml.h"
