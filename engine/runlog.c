/*
 * runlog.c - packing and unpacking run records.
 */
#include "config.h"

#include "runlog.h"

#include <stdlib.h>

void
runlog_append(Buf *out, const RunRecord *r)
{
	buf_put_u32(out, r->node);
	buf_put_u32(out, (uint32_t)r->result | r->lane << 8);
	buf_put_u64(out, (uint64_t)r->start_us);
	buf_put_u64(out, (uint64_t)r->end_us);
}

long
runlog_decode(const void *p, size_t n, RunRecord **out)
{
	BufReader rd;
	size_t count = n / RUNLOG_RECORD_SIZE, i;
	RunRecord *recs;

	*out = NULL;
	if (n % RUNLOG_RECORD_SIZE)
		return -1;
	recs = xcalloc(count ? count : 1, sizeof(*recs));
	bufr_init(&rd, p, n);
	for (i = 0; i < count; i++) {
		uint32_t rl;

		recs[i].node = bufr_u32(&rd);
		rl = bufr_u32(&rd);
		recs[i].result = (NodeResult)(rl & 0xff);
		recs[i].lane = rl >> 8;
		recs[i].start_us = (int64_t)bufr_u64(&rd);
		recs[i].end_us = (int64_t)bufr_u64(&rd);
		if (recs[i].result > NR_WOULD_RUN) {
			free(recs);
			return -1;
		}
	}
	*out = recs;
	return (long)count;
}
