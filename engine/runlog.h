/*
 * runlog.h - the per-node records of one run, packed for the runs table.
 *
 * A no-op build of a big graph records every node it checked, so records are small:
 * each is four varints, the node id and start time as differences from the previous
 * record (zigzag-encoded), the result with the lane, and the duration:
 *
 *   record := varint(zigzag(node - prev_node)), varint(lane << 3 | result),
 *             varint(zigzag(start_us - prev_start_us)), varint(end_us - start_us)
 *
 * Most records of a no-op take five or six bytes.
 */
#ifndef BUNPY_RUNLOG_H
#define BUNPY_RUNLOG_H

#include "buf.h"
#include "engine.h"

typedef struct RunLog {
	Buf out;
	uint32_t prev_node;
	int64_t prev_start;
} RunLog;

void runlog_append(RunLog *log, const RunRecord *r);
/* Decodes records; returns how many, or -1 when the blob is malformed. */
long runlog_decode(const void *p, size_t n, RunRecord **out);

#endif
