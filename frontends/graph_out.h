/*
 * graph_out.h - the persisted graph and the last run, as text, Graphviz, JSON, a
 * Chrome trace, and statistics.
 */
#ifndef BUNPY_GRAPH_OUT_H
#define BUNPY_GRAPH_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "term.h"

typedef struct GraphView {
	Engine *eng;
	const uint8_t *shown;    /* by node id: 1 when the node is part of the view */
	uint32_t limit;
	const char *root;
} GraphView;

void graph_out_text(FILE *f, const GraphView *v, const Term *t);
void graph_out_dot(FILE *f, const GraphView *v);
void graph_out_json(FILE *f, const GraphView *v);
/* Chrome Trace Event Format (opens in Perfetto and chrome://tracing). */
void graph_out_trace(FILE *f, Engine *eng, const RunInfo *run);
void graph_out_stats(FILE *f, Engine *eng, const RunInfo *run, const Term *t);

#endif
