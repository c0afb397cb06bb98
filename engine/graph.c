/*
 * graph.c - the in-memory graph: loading it, finding nodes by name, writing changes.
 *
 * The database holds every node row, but reading a few hundred thousand rows through
 * SQLite costs more than a no-op build should. So the graph is also written, now and
 * then, as one snapshot file (STATE_DIR/graph.snap) naming the database and generation
 * it stands for. Loading maps the snapshot and then reads only the rows written after
 * it; the nodes point into the mapped bytes instead of copying them. A snapshot that is
 * missing, damaged or of another database is ignored and every row is read instead, so
 * losing it costs time, never correctness.
 *
 * Names are only indexed when something asks for a node by name more than a few times,
 * because a no-op build follows traces by id and never needs the index.
 *
 *   snapshot := "BPS2", 16-byte database id, u64 generation, u32 count, count * node
 *   node     := u32 id, u32 kind (store id), u32 status, u32 rule_version,
 *               u64 duration_us, 16-byte value, packed stat (FILESTAT_PACKED bytes),
 *               u32 key_len (with its NUL), u32 trace_len, u32 outputs_len,
 *               key, trace, outputs
 */
#include "config.h"

#include "graph.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

/* Lookups by scanning, before building the name index pays off. */
#define SCANS_BEFORE_INDEX 8
#define SNAPSHOT_MAGIC "BPS2"
#define SNAPSHOT_HEADER (4 + 16 + 8 + 4)
#define SNAPSHOT_FIXED (4 * 4 + 8 + 16 + FILESTAT_PACKED + 3 * 4)
/* A new snapshot once this many rows are newer than the old one (or a quarter of
 * the graph, when that is more): a few hundred rows cost nothing to load. */
#define SNAPSHOT_MIN_ROWS 2000

uint32_t
blob_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void
blob_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

void
trace_iter_init(TraceIter *it, const unsigned char *trace, uint32_t len)
{
	it->t = trace;
	it->len = trace ? len : 0;
	it->pos = 4;
	it->left = 0;
}

uint32_t
trace_iter_next(TraceIter *it, Digest *digest)
{
	uint32_t id;

	while (it->left == 0) {
		if (it->pos + 4 > it->len)
			return 0;
		it->left = blob_u32(it->t + it->pos);
		it->pos += 4;
	}
	id = blob_u32(it->t + it->pos);
	if (digest)
		memcpy(digest->b, it->t + it->pos + 4, 16);
	it->pos += TRACE_DEP_SIZE;
	it->left--;
	return id;
}

Node *
graph_node(Engine *eng, uint32_t id)
{
	return id > 0 && id < eng->limit ? eng->nodes[id] : NULL;
}

/* Room in eng->nodes for ids below need; new slots are empty. */
static void
grow_nodes(Engine *eng, size_t need)
{
	size_t old = eng->cap;

	if (need <= old)
		return;
	xgrow(&eng->nodes, &eng->cap, need, sizeof(*eng->nodes));
	memset(eng->nodes + old, 0, (eng->cap - old) * sizeof(*eng->nodes));
}

static Node *
new_node(Engine *eng, uint32_t id)
{
	Node *n;

	if (id < eng->limit && eng->nodes[id]) {
		/* a journal row replacing what the snapshot said */
		n = eng->nodes[id];
		memset(n, 0, sizeof(*n));
		n->id = id;
		return n;
	}
	if (eng->node_block_used < eng->node_block_cap)
		n = &eng->node_block[eng->node_block_used++];
	else
		n = arena_zalloc(&eng->arena, sizeof(*n));
	grow_nodes(eng, (size_t)id + 1);
	eng->nodes[id] = n;
	if (id >= eng->limit)
		eng->limit = id + 1;
	n->id = id;
	return n;
}

int
graph_kind(Engine *eng, const char *name, uint16_t *index, Err *err)
{
	size_t i;

	for (i = 0; i < eng->nkinds; i++) {
		if (!strcmp(eng->kinds[i].name, name)) {
			*index = (uint16_t)i;
			return 0;
		}
	}
	if (eng->nkinds >= 65535)
		return err_set(err, "too many node kinds");
	eng->kinds = xrealloc(eng->kinds, (eng->nkinds + 1) * sizeof(*eng->kinds));
	eng->kinds[eng->nkinds] = (Kind){ .name = xstrdup(name) };
	*index = (uint16_t)eng->nkinds++;
	return 0;
}

const char *
graph_kind_name(Engine *eng, const Node *n)
{
	return eng->kinds[n->kind].name;
}

const char *
graph_node_name(Engine *eng, const Node *n, Buf *scratch)
{
	buf_clear(scratch);
	buf_printf(scratch, "%s:%s", graph_kind_name(eng, n), n->key);
	return scratch->data;
}

static uint64_t
name_hash(uint16_t kind, const char *key)
{
	return XXH3_64bits_withSeed(key, strlen(key), kind);
}

static void
map_insert(Engine *eng, Node *n)
{
	NodeMap *m = &eng->map;
	size_t i;

	if ((m->len + 1) * 4 > m->cap * 3) {
		uint32_t *old = m->slots;
		size_t oldcap = m->cap, j;

		m->cap = m->cap ? m->cap * 2 : 1024;
		m->slots = xcalloc(m->cap, sizeof(*m->slots));
		m->len = 0;
		for (j = 0; j < oldcap; j++)
			if (old[j])
				map_insert(eng, eng->nodes[old[j]]);
		free(old);
	}
	i = name_hash(n->kind, n->key) & (m->cap - 1);
	while (m->slots[i])
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = n->id;
	m->len++;
}

static void
build_map(Engine *eng)
{
	uint32_t id;

	for (id = 1; id < eng->limit; id++)
		if (eng->nodes[id])
			map_insert(eng, eng->nodes[id]);
	eng->map_built = true;
}

Node *
graph_find(Engine *eng, uint16_t kind, const char *key)
{
	NodeMap *m = &eng->map;
	size_t i;

	if (!eng->map_built && eng->scans < SCANS_BEFORE_INDEX) {
		uint32_t id;

		eng->scans++;
		for (id = 1; id < eng->limit; id++) {
			Node *n = eng->nodes[id];

			if (n && n->kind == kind && !strcmp(n->key, key))
				return n;
		}
		return NULL;
	}
	if (!eng->map_built)
		build_map(eng);
	if (!m->cap)
		return NULL;
	i = name_hash(kind, key) & (m->cap - 1);
	while (m->slots[i]) {
		Node *n = eng->nodes[m->slots[i]];

		if (n->kind == kind && !strcmp(n->key, key))
			return n;
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

Node *
graph_intern(Engine *eng, uint16_t kind, const char *key)
{
	Node *n = graph_find(eng, kind, key);

	if (n)
		return n;
	n = new_node(eng, eng->limit ? eng->limit : 1);
	n->kind = kind;
	n->key = arena_strdup(&eng->arena, key);
	if (eng->map_built)
		map_insert(eng, n);
	graph_mark_dirty(eng, n);
	return n;
}

void
graph_mark_dirty(Engine *eng, Node *n)
{
	n->store_dirty = true;
	if (!n->on_dirty_list) {
		n->on_dirty_list = true;
		xgrow(&eng->dirty, &eng->capdirty, eng->ndirty + 1, sizeof(*eng->dirty));
		eng->dirty[eng->ndirty++] = n->id;
	}
}

static int
load_kind(void *ctx, uint32_t id, const char *name)
{
	Engine *eng = ctx;
	uint16_t index;

	if (graph_kind(eng, name, &index, NULL) != 0)
		return -1;
	eng->kinds[index].store_id = id;
	if (id >= eng->nkind_of_store) {
		size_t old = eng->nkind_of_store;

		eng->nkind_of_store = (size_t)id + 1;
		eng->kind_of_store = xrealloc(eng->kind_of_store,
					      eng->nkind_of_store * sizeof(*eng->kind_of_store));
		memset(eng->kind_of_store + old, 0xff,
		       (eng->nkind_of_store - old) * sizeof(*eng->kind_of_store));
	}
	eng->kind_of_store[id] = index;
	return 0;
}

static const void *
copy_blob(Engine *eng, const void *p, size_t n)
{
	void *q;

	if (!p || !n)
		return NULL;
	q = arena_alloc(&eng->arena, n);
	memcpy(q, p, n);
	return q;
}

static int
load_node(void *ctx, const StoreNode *row)
{
	Engine *eng = ctx;
	Node *n;

	eng->journal_rows++;
	if (row->kind >= eng->nkind_of_store || eng->kind_of_store[row->kind] == 0xffff ||
	    row->id == 0 || row->id > (1u << 30))
		return 0;   /* a row we cannot place is ignored: it is rebuilt if needed */
	n = new_node(eng, row->id);
	n->kind = eng->kind_of_store[row->kind];
	n->key = arena_strdup(&eng->arena, row->key);
	n->status = row->status;
	n->rule_version = row->rule_version;
	n->duration_us = row->duration_us;
	if (row->value)
		memcpy(n->value.b, row->value, 16);
	if (row->stat && row->stat_len == FILESTAT_PACKED)
		fs_stat_unpack(&n->stat, row->stat);
	n->trace = copy_blob(eng, row->trace, row->trace_len);
	n->trace_len = n->trace ? (uint32_t)row->trace_len : 0;
	n->outputs = copy_blob(eng, row->outputs, row->outputs_len);
	n->outputs_len = n->outputs ? (uint32_t)row->outputs_len : 0;
	return 0;
}

bool
graph_trace_valid(Engine *eng, const unsigned char *t, uint32_t len)
{
	uint32_t groups, pos = 4, g;

	if (len < 4)
		return false;
	groups = blob_u32(t);
	for (g = 0; g < groups; g++) {
		uint32_t count, i;

		if (len - pos < 4)
			return false;
		count = blob_u32(t + pos);
		pos += 4;
		if ((uint64_t)count * TRACE_DEP_SIZE > len - pos)
			return false;
		for (i = 0; i < count; i++, pos += TRACE_DEP_SIZE)
			if (!graph_node(eng, blob_u32(t + pos)))
				return false;
	}
	return pos == len;
}

bool
graph_outputs_valid(Engine *eng, const unsigned char *o, uint32_t len)
{
	uint32_t count, i;

	if (len < 4)
		return false;
	count = blob_u32(o);
	if ((uint64_t)count * OUTPUT_SIZE != len - 4)
		return false;
	for (i = 0; i < count; i++)
		if (!graph_node(eng, blob_u32(o + 4 + i * OUTPUT_SIZE)))
			return false;
	return true;
}

static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t)blob_u32(p) | (uint64_t)blob_u32(p + 4) << 32;
}

/* Room for count nodes in one mapping, faulted in at once: a no-op build of a large
 * graph otherwise spends a tenth of its time taking page faults one node at a time. */
static void
reserve_nodes(Engine *eng, uint32_t count)
{
	size_t bytes = (size_t)count * sizeof(Node);
	void *block;

	if (eng->node_block || count < 1024)
		return;
	block = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		     -1, 0);
	if (block == MAP_FAILED)
		return;   /* the arena will do */
	eng->node_block = block;
	eng->node_block_cap = count;
	grow_nodes(eng, (size_t)count + 1);
}

/* Nodes from the snapshot, pointing into its bytes (which the arena keeps). A damaged
 * snapshot is ignored as a whole: the journal then has to carry everything, so the
 * caller loads every row instead. */
static bool
load_snapshot(Engine *eng, const unsigned char *p, size_t len, int64_t *gen)
{
	const unsigned char *end = p + len;
	uint32_t count, i;

	if (len < SNAPSHOT_HEADER || memcmp(p, SNAPSHOT_MAGIC, 4) != 0 ||
	    memcmp(p + 4, store_id(eng->store), 16) != 0)
		return false;
	*gen = (int64_t)get_u64(p + 20);
	if (*gen > store_generation(eng->store))
		return false;
	count = blob_u32(p + 28);
	if ((uint64_t)count * SNAPSHOT_FIXED > len)
		return false;
	reserve_nodes(eng, count);
	p += SNAPSHOT_HEADER;
	for (i = 0; i < count; i++) {
		uint32_t id, kind, key_len, trace_len, outputs_len;
		Node *n;

		if ((size_t)(end - p) < SNAPSHOT_FIXED)
			return false;
		id = blob_u32(p);
		kind = blob_u32(p + 4);
		key_len = blob_u32(p + 80);
		trace_len = blob_u32(p + 84);
		outputs_len = blob_u32(p + 88);
		if ((uint64_t)key_len + trace_len + outputs_len > (size_t)(end - p) - SNAPSHOT_FIXED ||
		    key_len == 0 || p[SNAPSHOT_FIXED + key_len - 1] != '\0' || id == 0 ||
		    id > (1u << 30) || kind >= eng->nkind_of_store || eng->kind_of_store[kind] == 0xffff)
			return false;
		n = new_node(eng, id);
		n->kind = eng->kind_of_store[kind];
		n->status = blob_u32(p + 8);
		n->rule_version = blob_u32(p + 12);
		n->duration_us = (int64_t)get_u64(p + 16);
		memcpy(n->value.b, p + 24, 16);
		fs_stat_unpack(&n->stat, p + 40);
		p += SNAPSHOT_FIXED;
		n->key = (const char *)p;
		p += key_len;
		n->trace = trace_len ? p : NULL;
		n->trace_len = trace_len;
		p += trace_len;
		n->outputs = outputs_len ? p : NULL;
		n->outputs_len = outputs_len;
		p += outputs_len;
	}
	return p == end;
}

static void
snapshot_path(Engine *eng, Buf *out)
{
	buf_clear(out);
	buf_printf(out, "%s/graph.snap", eng->state_dir);
}

/* Map the snapshot and load it; *gen is left at -1 when there is none to use. */
static void
map_snapshot(Engine *eng, int64_t *gen)
{
	Buf path = { 0 };
	struct stat sb;
	void *map;
	int fd;

	snapshot_path(eng, &path);
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &sb) != 0 || sb.st_size < SNAPSHOT_HEADER) {
		close(fd);
		goto reject;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		goto out;
	eng->snapshot = map;
	eng->snapshot_len = (size_t)sb.st_size;
	if (!load_snapshot(eng, map, eng->snapshot_len, gen)) {
		uint32_t k;

		for (k = 1; k < eng->limit; k++)
			eng->nodes[k] = NULL;
		eng->limit = 0;
		*gen = -1;
		if (eng->node_block) {
			/* the rows will fill the block instead */
			memset(eng->node_block, 0, eng->node_block_used * sizeof(Node));
			eng->node_block_used = 0;
		}
		goto reject;
	}
	goto out;
reject:
	/* A snapshot ahead of the database (its last commits were lost with the power)
	 * would look valid again once the database caught up with other contents. */
	if (!eng->readonly)
		unlink(path.data);
out:
	buf_free(&path);
}

int
graph_load(Engine *eng, Err *err)
{
	int64_t gen = -1;
	uint32_t id;

	if (store_load_kinds(eng->store, load_kind, eng, err) != 0)
		return -1;
	map_snapshot(eng, &gen);
	if (store_load_nodes(eng->store, gen, load_node, eng, err) != 0)
		return -1;
	for (id = 1; id < eng->limit; id++) {
		Node *n = eng->nodes[id];

		if (!n)
			continue;
		if (n->trace && !graph_trace_valid(eng, n->trace, n->trace_len)) {
			n->trace = NULL;
			n->trace_len = 0;
			n->status &= ~(uint32_t)NODE_OK;
		}
		if (n->outputs && !graph_outputs_valid(eng, n->outputs, n->outputs_len)) {
			n->outputs = NULL;
			n->outputs_len = 0;
			n->status &= ~(uint32_t)NODE_OK;
		}
	}
	return 0;
}

void
graph_set_trace(Engine *eng, Node *n, const void *trace, size_t len)
{
	n->trace = copy_blob(eng, trace, len);
	n->trace_len = n->trace ? (uint32_t)len : 0;
}

void
graph_set_outputs(Engine *eng, Node *n, const void *outputs, size_t len)
{
	n->outputs = copy_blob(eng, outputs, len);
	n->outputs_len = n->outputs ? (uint32_t)len : 0;
}

void
graph_set_data(Engine *eng, Node *n, const void *data, size_t len, bool dirty)
{
	/* Payloads are copied into the engine's arena: a node's value stays readable for
	 * the engine's whole life, as the values dependents were handed must. */
	n->data = len ? copy_blob(eng, data, len) : NULL;
	n->data_len = len;
	n->data_loaded = true;
	if (data)
		n->status |= NODE_HAS_DATA;
	else
		n->status &= ~(uint32_t)NODE_HAS_DATA;
	if (dirty) {
		n->data_dirty = true;
		graph_mark_dirty(eng, n);
	}
}

int
graph_load_data(Engine *eng, Node *n, Err *err)
{
	Buf b = { 0 };
	bool found;

	if (n->data_loaded || !(n->status & NODE_HAS_DATA)) {
		n->data_loaded = true;
		return 0;
	}
	if (store_get_data(eng->store, n->id, &b, &found, err) != 0) {
		buf_free(&b);
		return -1;
	}
	graph_set_data(eng, n, found ? b.data : NULL, found ? b.len : 0, false);
	if (found && !b.len)
		n->data = "";
	buf_free(&b);
	return 0;
}

Digest
graph_trace_hash(const void *trace, size_t len)
{
	return hash_bytes(trace, len);
}

void
graph_add_history(Engine *eng, const Node *n, const Digest *trace_hash)
{
	PendingHistory *p;
	unsigned char *blob;
	size_t total = n->trace_len + n->outputs_len + n->data_len;

	xgrow(&eng->history, &eng->caphistory, eng->nhistory + 1, sizeof(*eng->history));
	p = &eng->history[eng->nhistory++];
	memset(p, 0, sizeof(*p));
	memcpy(p->trace_hash, trace_hash->b, 16);
	memcpy(p->value, n->value.b, 16);
	blob = xmalloc(total ? total : 1);
	p->blob = blob;
	p->h.node = n->id;
	p->h.rule_version = n->rule_version;
	p->h.used_us = fs_now_us();
	if (n->trace_len) {
		memcpy(blob, n->trace, n->trace_len);
		p->h.trace = blob;
		p->h.trace_len = n->trace_len;
		blob += n->trace_len;
	}
	if (n->outputs_len) {
		memcpy(blob, n->outputs, n->outputs_len);
		p->h.outputs = blob;
		p->h.outputs_len = n->outputs_len;
		blob += n->outputs_len;
	}
	if (n->data && (n->status & NODE_HAS_DATA)) {
		if (n->data_len)
			memcpy(blob, n->data, n->data_len);
		p->h.data = n->data_len ? (void *)blob : (void *)"";
		p->h.data_len = n->data_len;
	}
}

static int
write_node(Engine *eng, Node *n, Err *err)
{
	unsigned char stat[FILESTAT_PACKED];
	StoreNode row = {
		.id = n->id,
		.kind = eng->kinds[n->kind].store_id,
		.key = n->key,
		.status = n->status,
		.rule_version = n->rule_version,
		.value = n->value.b,
		.trace = n->trace,
		.trace_len = n->trace_len,
		.outputs = n->outputs,
		.outputs_len = n->outputs_len,
		.duration_us = n->duration_us,
		.data = n->data ? n->data : (n->status & NODE_HAS_DATA) ? "" : NULL,
		.data_len = n->data_len,
	};

	if (n->stat.mode) {
		fs_stat_pack(&n->stat, stat);
		row.stat = stat;
		row.stat_len = sizeof(stat);
	}
	return store_put_node(eng->store, &row, n->data_dirty, err);
}

int
graph_flush(Engine *eng, Err *err)
{
	size_t i;

	if (eng->readonly || (!eng->ndirty && !eng->nhistory))
		return 0;
	/* Kinds first: their store ids are needed by the node rows. */
	for (i = 0; i < eng->nkinds; i++) {
		Kind *k = &eng->kinds[i];

		if (!k->store_id && store_kind_id(eng->store, k->name, &k->store_id, err) != 0)
			return -1;
	}
	if (store_begin(eng->store, err) != 0)
		return -1;
	for (i = 0; i < eng->ndirty; i++) {
		Node *n = eng->nodes[eng->dirty[i]];

		if (n->store_dirty && write_node(eng, n, err) != 0)
			goto fail;
	}
	for (i = 0; i < eng->nhistory; i++) {
		PendingHistory *p = &eng->history[i];

		/* set here: the array may have moved since the row was queued */
		p->h.trace_hash = p->trace_hash;
		p->h.value = p->value;
		if (store_history_add(eng->store, &p->h, err) != 0)
			goto fail;
	}
	if (store_commit(eng->store, err) != 0)
		goto fail;
	for (i = 0; i < eng->ndirty; i++) {
		Node *n = eng->nodes[eng->dirty[i]];

		n->store_dirty = n->data_dirty = n->on_dirty_list = false;
	}
	eng->journal_rows += (int64_t)eng->ndirty;
	eng->ndirty = 0;
	for (i = 0; i < eng->nhistory; i++)
		free(eng->history[i].blob);
	eng->nhistory = 0;
	return 0;
fail:
	store_rollback(eng->store);
	return -1;
}

int
graph_maybe_snapshot(Engine *eng, Err *err)
{
	Buf b = { 0 }, path = { 0 };
	uint32_t id, count = 0;
	size_t count_at;
	int rc;

	if (eng->readonly || eng->journal_rows < SNAPSHOT_MIN_ROWS ||
	    eng->journal_rows < (int64_t)eng->limit / 4)
		return 0;
	/* the snapshot must say what the rows say: write pending changes first */
	if (graph_flush(eng, err) != 0)
		return -1;
	buf_append(&b, SNAPSHOT_MAGIC, 4);
	buf_append(&b, store_id(eng->store), 16);
	buf_put_u64(&b, (uint64_t)store_generation(eng->store));
	count_at = b.len;
	buf_put_u32(&b, 0);
	for (id = 1; id < eng->limit; id++) {
		Node *n = eng->nodes[id];
		unsigned char stat[FILESTAT_PACKED];
		size_t key_len;

		if (!n || !eng->kinds[n->kind].store_id)
			continue;
		key_len = strlen(n->key) + 1;
		buf_put_u32(&b, n->id);
		buf_put_u32(&b, eng->kinds[n->kind].store_id);
		buf_put_u32(&b, n->status);
		buf_put_u32(&b, n->rule_version);
		buf_put_u64(&b, (uint64_t)n->duration_us);
		buf_append(&b, n->value.b, 16);
		fs_stat_pack(&n->stat, stat);
		buf_append(&b, stat, sizeof(stat));
		buf_put_u32(&b, (uint32_t)key_len);
		buf_put_u32(&b, n->trace_len);
		buf_put_u32(&b, n->outputs_len);
		buf_append(&b, n->key, key_len);
		if (n->trace_len)
			buf_append(&b, n->trace, n->trace_len);
		if (n->outputs_len)
			buf_append(&b, n->outputs, n->outputs_len);
		count++;
	}
	blob_put_u32((unsigned char *)b.data + count_at, count);
	snapshot_path(eng, &path);
	rc = fs_write_atomic(path.data, b.data, b.len, 0644, err);
	if (rc == 0)
		eng->journal_rows = 0;
	buf_free(&b);
	buf_free(&path);
	return rc;
}
