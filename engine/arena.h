/*
 * arena.h - bump allocation for data that lives as long as one command or one parse.
 *
 * Everything allocated from an arena is freed at once by arena_free; nothing is freed
 * one by one. Allocation never fails (out of memory ends the process).
 */
#ifndef BUNPY_ARENA_H
#define BUNPY_ARENA_H

#include <stddef.h>

#include "err.h"

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
	ArenaBlock *head;
} Arena;

void *arena_alloc(Arena *a, size_t n);   /* 16-byte aligned, uninitialised */
void *arena_zalloc(Arena *a, size_t n);  /* zeroed */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...) ERR_PRINTF(2, 3);
void arena_free(Arena *a);

#endif
