/* Finding the copy of a TLS library a call is meant for (see tlslib.h). The
 * slow path runs once per call site and asks the dynamic loader (which may
 * take its own locks, as the first call of any wrapper does); its answers
 * are published with one atomic store each and never change, so readers need
 * no lock. */
#include "tlslib.h"

#include "resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

/* Fills lib->fn from the object holding `def`, the definition of names[fn]
 * found for the caller. The object is made RTLD_NODELETE: the functions are
 * kept for the rest of the process, and must stay mapped. Returns the
 * object's load address, 0 when it cannot be found. */
static uintptr_t fill(const struct ts_tls_family *f, unsigned fn, void *def, struct ts_tls_lib *lib)
{
	Dl_info info;
	memset(lib->fn, 0, sizeof lib->fn);
	lib->fn[fn] = def;
	if (!dladdr(def, &info) || !info.dli_fname || !info.dli_fbase)
		return 0;
	void *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	if (!h)
		return 0;
	/* dlsym on the handle searches that object first, then only what it
	 * depends on: never the shim. */
	for (unsigned i = 0; i < f->count && i < TS_TLS_FNS; i++)
		if (i != fn)
			lib->fn[i] = dlsym(h, f->names[i]);
	dlclose(h);   /* the reference just taken; RTLD_NODELETE stays */
	return (uintptr_t)info.dli_fbase;
}

/* Remembers that calls from `at` go to libs[i] (when a free entry is near). */
static void remember_site(struct ts_tls_family *f, uintptr_t at, unsigned i)
{
	unsigned h = ts_tls_site_hash(at);
	for (unsigned n = 0; n < TS_TLS_PROBE; n++, h = (h + 1) % TS_TLS_SITES) {
		struct ts_tls_site *s = &f->sites[h];
		uintptr_t seen = atomic_load_explicit(&s->at, memory_order_relaxed);
		if (seen == at)
			return;
		if (seen)
			continue;
		if (!atomic_compare_exchange_strong_explicit(&s->at, &seen, 1, memory_order_relaxed,
							     memory_order_relaxed)) {
			if (seen == at)
				return;
			continue;
		}
		atomic_store_explicit(&s->lib, i, memory_order_relaxed);
		atomic_store_explicit(&s->at, at, memory_order_release);
		return;
	}
}

const struct ts_tls_lib *ts_tls_lib_slow(struct ts_tls_family *f, unsigned fn, const void *site,
					 const void *self, struct ts_tls_lib *scratch)
{
	int saved = errno;
	const struct ts_tls_lib *found = NULL;
	void *def = ts_resolve_from(f->names[fn], self, site);
	if (!def)
		goto out;
	uintptr_t base = fill(f, fn, def, scratch);
	found = scratch;
	if (!base)
		goto out;
	for (unsigned i = 0; i < TS_TLS_LIBS; i++) {
		struct ts_tls_lib *lib = &f->libs[i];
		uintptr_t b = atomic_load_explicit(&lib->base, memory_order_acquire);
		if (!b && atomic_compare_exchange_strong_explicit(&lib->base, &b, base,
								   memory_order_acq_rel,
								   memory_order_acquire)) {
			memcpy(lib->fn, scratch->fn, sizeof lib->fn);
			atomic_store_explicit(&lib->ready, 1, memory_order_release);
			b = base;
		}
		if (b != base)
			continue;
		/* Known already, or being filled in by another thread (the
		 * scratch copy serves this call). */
		if (atomic_load_explicit(&lib->ready, memory_order_acquire) && lib->fn[fn] == def) {
			remember_site(f, (uintptr_t)site, i);
			found = lib;
		}
		break;
	}
out:
	errno = saved;
	return found;
}
