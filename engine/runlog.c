/*
 * runlog.c - packing and unpacking run records.
 */
#include "config.h"

#include "runlog.h"

#include <stdlib.h>

static void
put_varint(Buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	buf_append(b, tmp, n);
}

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void
runlog_append(RunLog *log, const RunRecord *r)
{
	put_varint(&log->out, zigzag((int64_t)r->node - (int64_t)log->prev_node));
	put_varint(&log->out, (uint64_t)r->lane << 3 | (uint64_t)r->result);
	put_varint(&log->out, zigzag(r->start_us - log->prev_start));
	put_varint(&log->out, (uint64_t)(r->end_us > r->start_us ? r->end_us - r->start_us : 0));
	log->prev_node = r->node;
	log->prev_start = r->start_us;
}

static int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

long
runlog_decode(const void *data, size_t n, RunRecord **out)
{
	const unsigned char *p = data, *end = p + n;
	RunRecord *recs = NULL;
	size_t count = 0, cap = 0;
	uint32_t node = 0;
	int64_t start = 0;

	*out = NULL;
	while (p < end) {
		uint64_t dn, rl, ds, dur;

		if (get_varint(&p, end, &dn) || get_varint(&p, end, &rl) ||
		    get_varint(&p, end, &ds) || get_varint(&p, end, &dur) ||
		    (rl & 7) > NR_WOULD_RUN) {
			free(recs);
			return -1;
		}
		xgrow(&recs, &cap, count + 1, sizeof(*recs));
		node = (uint32_t)((int64_t)node + unzigzag(dn));
		start += unzigzag(ds);
		recs[count].node = node;
		recs[count].result = (NodeResult)(rl & 7);
		recs[count].lane = (uint32_t)(rl >> 3);
		recs[count].start_us = start;
		recs[count].end_us = start + (int64_t)dur;
		count++;
	}
	*out = recs;
	return (long)count;
}
