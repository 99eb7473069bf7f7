/* The loaded modules (see modules.h).
 *
 * Why a snapshot rather than asking the loader when the question comes up:
 * it comes up in signal handlers (a crash), where dladdr() and
 * dl_iterate_phdr() must not be called, since they take the loader's locks
 * and the crashed code may hold one. Walking the loader's link_map list
 * (_r_debug) read-only would need no lock, but the list's public part has no
 * segment ranges (only l_addr), and a dlclose() in another thread frees
 * entries under the walker. Nor is dlopen() interposed to learn of new
 * modules: a wrapper would become the caller glibc uses to choose the
 * RPATH, $ORIGIN and namespace of the library asked for. So the snapshot is
 * refreshed where the recording side may take the loader's list lock and a
 * new module may matter: when a thread starts (its start routine may be in
 * a library just opened), before each C++ throw is recorded, and on the
 * background thread before it unwinds a crashed stack (libunwind takes that
 * lock there itself). When the loader's load and unload counts did not
 * change, a refresh is one dl_iterate_phdr() call stopped at the first
 * module. dl_iterate_phdr() takes the lock that only guards the list's
 * updates, not the one dlopen() holds while constructors run, so a thread
 * started by a constructor does not wait for that constructor.
 *
 * The table only grows: a published entry never changes but for its `live`
 * flag, so a reader in a signal handler needs no lock and never sees a torn
 * entry; numbers are never reused, so a record's module number means the
 * same file and bias for the whole process. */
#include "modules.h"

#include "large.h"
#include "procinfo.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define POOL_BYTES (64 * 1024)   /* their paths, over a process's life */

struct entry {
	uint64_t lo, hi;         /* [lo, hi): from its first to its last PT_LOAD byte */
	uint64_t bias;
	uint64_t dyn;            /* its dynamic section, 0 when it has none */
	uint32_t path_off, path_len;
	bool exe;                /* the program itself (the loader gives it no name) */
	bool seen;               /* found by the refresh in progress */
	_Atomic bool live;
};

static TS_LARGE struct entry table[TS_MODULES_MAX];
static _Atomic unsigned count;
static TS_LARGE char pool[POOL_BYTES];
static unsigned pool_used;
static _Atomic int refreshing;
static unsigned long long known_adds, known_subs;
static bool known;

static int peek(struct dl_phdr_info *info, size_t size, void *data)
{
	unsigned long long *counts = data;
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
		counts[0] = info->dlpi_adds;
		counts[1] = info->dlpi_subs;
	}
	return 1;   /* the counts are the same in every module's info */
}

static bool same(const struct entry *e, uint64_t lo, uint64_t hi, uint64_t bias, const char *name)
{
	if (e->lo != lo || e->hi != hi || e->bias != bias)
		return false;
	if (!name)
		return e->exe;
	return !e->exe && e->path_len == strlen(name) && !memcmp(pool + e->path_off, name, e->path_len);
}

static void add(uint64_t lo, uint64_t hi, uint64_t bias, uint64_t dyn, const char *name)
{
	char exe[4096];
	unsigned n = atomic_load_explicit(&count, memory_order_relaxed);
	if (n == TS_MODULES_MAX)
		return;
	const char *path = name;
	if (!path) {
		ts_proc_self_exe(exe, sizeof exe);
		path = exe;
	}
	size_t len = strlen(path);
	if (len > POOL_BYTES - pool_used)
		return;
	memcpy(pool + pool_used, path, len);
	struct entry *e = &table[n];
	e->lo = lo;
	e->hi = hi;
	e->bias = bias;
	e->dyn = dyn;
	e->path_off = pool_used;
	e->path_len = (uint32_t)len;
	e->exe = !name;
	e->seen = true;
	atomic_store_explicit(&e->live, true, memory_order_relaxed);
	pool_used += (unsigned)len;
	atomic_store_explicit(&count, n + 1, memory_order_release);
}

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	uint64_t lo = UINT64_MAX, hi = 0, dyn = 0, bias = info->dlpi_addr;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD) {
			if (bias + ph->p_vaddr < lo)
				lo = bias + ph->p_vaddr;
			if (bias + ph->p_vaddr + ph->p_memsz > hi)
				hi = bias + ph->p_vaddr + ph->p_memsz;
		} else if (ph->p_type == PT_DYNAMIC) {
			dyn = bias + ph->p_vaddr;
		}
	}
	if (hi <= lo)
		return 0;
	const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : NULL;
	unsigned n = atomic_load_explicit(&count, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++)
		if (same(&table[i], lo, hi, bias, name)) {
			table[i].seen = true;
			return 0;
		}
	add(lo, hi, bias, dyn, name);
	return 0;
}

void ts_modules_refresh(void)
{
	int expect = 0;
	if (!atomic_compare_exchange_strong(&refreshing, &expect, 1))
		return;   /* another thread is at it */
	int saved = errno;
	unsigned long long counts[2] = {0, 0};
	dl_iterate_phdr(peek, counts);
	if (!known || counts[0] != known_adds || counts[1] != known_subs) {
		unsigned n = atomic_load_explicit(&count, memory_order_relaxed);
		for (unsigned i = 0; i < n; i++)
			table[i].seen = false;
		dl_iterate_phdr(visit, NULL);
		n = atomic_load_explicit(&count, memory_order_relaxed);
		for (unsigned i = 0; i < n; i++)
			atomic_store_explicit(&table[i].live, table[i].seen, memory_order_relaxed);
		/* The counts from before the walk: a module loaded during it is
		 * found by the next refresh. */
		known_adds = counts[0];
		known_subs = counts[1];
		known = true;
	}
	errno = saved;
	atomic_store(&refreshing, 0);
}

static const struct entry *entry_of(uint64_t pc)
{
	unsigned n = atomic_load_explicit(&count, memory_order_acquire);
	/* Newest first: a range may have been reused after a dlclose(). */
	for (unsigned i = n; i-- > 0;) {
		const struct entry *e = &table[i];
		if (pc >= e->lo && pc < e->hi && atomic_load_explicit(&e->live, memory_order_relaxed))
			return e;
	}
	return NULL;
}

bool ts_modules_find(uint64_t pc, struct ts_module *out)
{
	const struct entry *e = entry_of(pc);
	if (!e)
		return false;
	*out = (struct ts_module){
		.id = (uint32_t)(e - table) + 1, .bias = e->bias,
		.path = pool + e->path_off, .path_len = e->path_len,
	};
	return true;
}

/* The loader relocates the dynamic section's addresses in place, except in
 * an image it did not map itself (the vDSO): those are still offsets. */
static uint64_t dyn_addr(uint64_t v, uint64_t bias)
{
	return v < bias ? v + bias : v;
}

/* Symbols in a GNU hash table: one past the last chain's end. */
static uint32_t gnu_hash_symbols(const uint32_t *h)
{
	uint32_t nbuckets = h[0], first = h[1], bloom_words = h[2];
	const uint32_t *buckets = h + 4 + bloom_words * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < first)
		return first;
	while (!(chain[last - first] & 1))
		last++;
	return last + 1;
}

const char *ts_modules_symbol(uint64_t addr)
{
	const struct entry *e = entry_of(addr);
	if (!e || !e->dyn)
		return NULL;
	const ElfW(Sym) *syms = NULL;
	const char *strs = NULL;
	uint64_t strsz = 0;
	uint32_t nsyms = 0;
	const uint32_t *gnu = NULL;
	for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(uintptr_t)e->dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB:
			syms = (const ElfW(Sym) *)(uintptr_t)dyn_addr(d->d_un.d_ptr, e->bias);
			break;
		case DT_STRTAB:
			strs = (const char *)(uintptr_t)dyn_addr(d->d_un.d_ptr, e->bias);
			break;
		case DT_STRSZ:
			strsz = d->d_un.d_val;
			break;
		case DT_HASH:
			nsyms = ((const uint32_t *)(uintptr_t)dyn_addr(d->d_un.d_ptr, e->bias))[1];
			break;
		case DT_GNU_HASH:
			gnu = (const uint32_t *)(uintptr_t)dyn_addr(d->d_un.d_ptr, e->bias);
			break;
		}
	}
	if (!nsyms && gnu)
		nsyms = gnu_hash_symbols(gnu);
	if (!syms || !strs)
		return NULL;
	for (uint32_t i = 0; i < nsyms; i++) {
		const ElfW(Sym) *s = &syms[i];
		int type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF ||
		    !s->st_value || s->st_name >= strsz)
			continue;
		uint64_t start = e->bias + s->st_value;
		if (addr >= start && addr - start < (s->st_size ? s->st_size : 1))
			return strs + s->st_name;
	}
	return NULL;
}

void ts_modules_after_fork(void)
{
	atomic_store(&refreshing, 0);
}
