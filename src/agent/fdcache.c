/* The descriptions of descriptor generations (fdcache.h). The newest
 * generation seen of each number is in a table indexed by number, where a
 * long-lived descriptor (a server's connection) stays; older generations,
 * which only a ring read late still names, go to a small table keyed by
 * number and generation that forgets the least recently used first (a
 * generation forgotten there is described by its records' kind alone). */
#include "fdcache.h"

#include <stdlib.h>
#include <string.h>

/* The newest generation of each number, by number (fdinfo.h reads it
 * inline). */
struct ts_fdinfo_entry *ts_fdinfo_cache;
size_t ts_fdinfo_cache_len;
/* The last description's number (ts_fdinfo.stamp): never reset, so that no
 * number is given to two descriptions, whatever a sequence has kept. */
static uint64_t stamps;

/* 4-way set-associative: a ring read late names its generations one after
 * another (open, its reads and writes, close), so few need to stay at once. */
#define OLDER_SET_BITS 7
#define OLDER_WAYS 4
struct older {
	int fd;
	uint64_t used;   /* older_clock when last stored or found */
	struct ts_fdinfo_entry e;
};
static struct older *older;   /* allocated when first needed */
static uint64_t older_clock;

static bool is_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;   /* generations wrap */
}

static struct ts_fdinfo_entry *newest_slot(int fd, bool grow)
{
	if (fd < 0 || fd >= TS_FDGEN_MAX)
		return NULL;
	if ((size_t)fd >= ts_fdinfo_cache_len) {
		if (!grow)
			return NULL;
		size_t n = ts_fdinfo_cache_len ? ts_fdinfo_cache_len : 64;
		while (n <= (size_t)fd)
			n *= 2;
		struct ts_fdinfo_entry *grown = realloc(ts_fdinfo_cache, n * sizeof *ts_fdinfo_cache);
		if (!grown)
			return NULL;
		memset(grown + ts_fdinfo_cache_len, 0, (n - ts_fdinfo_cache_len) * sizeof *ts_fdinfo_cache);
		ts_fdinfo_cache = grown;
		ts_fdinfo_cache_len = n;
	}
	return &ts_fdinfo_cache[fd];
}

static struct older *older_set(int fd, uint32_t gen)
{
	uint64_t h = ((uint64_t)(uint32_t)fd << 32 | gen) * 0x9e3779b97f4a7c15ull;
	return &older[(h >> (64 - OLDER_SET_BITS)) * OLDER_WAYS];
}

static struct older *find_older(int fd, uint32_t gen)
{
	if (!older)
		return NULL;
	struct older *set = older_set(fd, gen);
	for (int i = 0; i < OLDER_WAYS; i++)
		if (set[i].e.valid && set[i].fd == fd && set[i].e.gen == gen) {
			set[i].used = ++older_clock;
			return &set[i];
		}
	return NULL;
}

static const struct ts_fdinfo *store_older(int fd, uint32_t gen, const struct ts_fdinfo *info)
{
	struct older *o = find_older(fd, gen);
	if (!o) {
		if (!older) {
			older = calloc((size_t)OLDER_WAYS << OLDER_SET_BITS, sizeof *older);
			if (!older)
				return NULL;
		}
		struct older *set = older_set(fd, gen);
		o = &set[0];
		for (int i = 0; i < OLDER_WAYS && o->e.valid; i++)
			if (!set[i].e.valid || set[i].used < o->used)
				o = &set[i];
	}
	o->fd = fd;
	o->used = ++older_clock;
	o->e.gen = gen;
	o->e.valid = 1;
	o->e.info = *info;
	return &o->e.info;
}

const struct ts_fdinfo *ts_fdcache_find(int fd, uint32_t gen)
{
	struct ts_fdinfo_entry *e = newest_slot(fd, false);
	if (e && e->valid && e->gen == gen)
		return &e->info;
	struct older *o = find_older(fd, gen);
	return o ? &o->e.info : NULL;
}

const struct ts_fdinfo *ts_fdcache_store(int fd, uint32_t gen, const struct ts_fdinfo *info)
{
	struct ts_fdinfo copy = *info;   /* info may point into a table that moves */
	/* A new description: a number of its own. Moved between the tables a
	 * description keeps its number, as it keeps its text and fd. */
	copy.stamp = ++stamps;
	struct ts_fdinfo_entry *e = newest_slot(fd, true);
	if (!e)
		return NULL;
	if (e->valid && e->gen != gen) {
		if (is_newer(e->gen, gen))
			return store_older(fd, gen, &copy);
		/* Replaced by a newer one: a ring not read yet may still name it. */
		(void)store_older(fd, e->gen, &e->info);
	}
	e->gen = gen;
	e->valid = 1;
	e->info = copy;
	return &e->info;
}

bool ts_fdcache_newer_seen(int fd, uint32_t gen)
{
	const struct ts_fdinfo_entry *e = newest_slot(fd, false);
	return e && e->valid && is_newer(e->gen, gen);
}

void ts_fdcache_after_fork(void)
{
	/* The parent's drainer may have been inside realloc(): drop, never free. */
	ts_fdinfo_cache = NULL;
	ts_fdinfo_cache_len = 0;
	older = NULL;
	older_clock = 0;
}

void ts_fdcache_reset(void)
{
	free(ts_fdinfo_cache);
	free(older);
	ts_fdcache_after_fork();
}
