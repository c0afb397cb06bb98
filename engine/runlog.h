/*
 * runlog.h - the per-node records of one run, packed for the runs table.
 *
 *   record := u32 node, u32 result | lane << 8, u64 start_us, u64 end_us
 */
#ifndef BUNPY_RUNLOG_H
#define BUNPY_RUNLOG_H

#include "buf.h"
#include "engine.h"

#define RUNLOG_RECORD_SIZE 24

void runlog_append(Buf *out, const RunRecord *r);
/* Decodes records; returns how many, or -1 when the blob is malformed. */
long runlog_decode(const void *p, size_t n, RunRecord **out);

#endif
