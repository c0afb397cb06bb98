/*
 * cacheindex.h - being written (issue 6): the shared cache's bookkeeping, so that its
 * size is known without walking it and `bunpy cache prune` can remove the least
 * recently used entries.
 */
#ifndef BUNPY_CACHEINDEX_H
#define BUNPY_CACHEINDEX_H

#endif
