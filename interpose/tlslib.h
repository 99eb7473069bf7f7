/* Which copy of a TLS library a wrapped call is meant for. A process may hold
 * more than one (Python's ssl module with the system's libssl, next to a
 * database driver that ships its own build), and each caller must reach the
 * copy it would reach without the shim; the helpers a wrapper calls
 * (SSL_get_rfd, SSL_get_error, ...) must come from that same copy. So the
 * functions are looked up per calling object, from its return address
 * (ts_resolve_from), and the answer is kept per call site: after the first
 * call from a site, finding its library is a hash and a load, no lock. */
#ifndef TS_TLSLIB_H
#define TS_TLSLIB_H

#include <stdatomic.h>
#include <stdint.h>

#define TS_TLS_FNS 12     /* functions of one library the wrappers use */
#define TS_TLS_LIBS 4     /* copies of one library told apart */
#define TS_TLS_SITES 256  /* call sites remembered per library */

/* One loaded copy: the functions named by its family, from that object. */
struct ts_tls_lib {
	_Atomic uintptr_t base;   /* load address of the object, 0: free */
	_Atomic int ready;        /* fn filled in */
	void *fn[TS_TLS_FNS];     /* NULL where this version lacks one */
};

struct ts_tls_site {
	_Atomic uintptr_t at;     /* return address; 0 free, 1 being written */
	_Atomic uint32_t lib;     /* index in libs */
};

/* A TLS library: the names of the functions used (wrapped or helpers) and
 * what was learned of it. Defined statically by its wrappers, zero but for
 * names and count. */
struct ts_tls_family {
	const char *const *names;
	unsigned count;
	struct ts_tls_lib libs[TS_TLS_LIBS];
	struct ts_tls_site sites[TS_TLS_SITES];
};

/* The copy of family f that a call from return address `site` to function
 * `fn` (an index in names) is meant for; `self` is the wrapper. When the
 * copy cannot be kept (every entry taken, or another thread is filling it
 * in) it is filled into *scratch and that is returned. NULL when nothing
 * defines the function. errno is kept. */
const struct ts_tls_lib *ts_tls_lib_slow(struct ts_tls_family *f, unsigned fn, const void *site,
					 const void *self, struct ts_tls_lib *scratch);

static inline unsigned ts_tls_site_hash(uintptr_t at)
{
	return (unsigned)((at * 0x9E3779B97F4A7C15ull) >> 56) % TS_TLS_SITES;
}

#define TS_TLS_PROBE 16

static inline const struct ts_tls_lib *ts_tls_lib(struct ts_tls_family *f, unsigned fn,
						   const void *site, const void *self,
						   struct ts_tls_lib *scratch)
{
	uintptr_t at = (uintptr_t)site;
	unsigned h = ts_tls_site_hash(at);
	for (unsigned n = 0; n < TS_TLS_PROBE; n++, h = (h + 1) % TS_TLS_SITES) {
		uintptr_t seen = atomic_load_explicit(&f->sites[h].at, memory_order_acquire);
		if (seen == at) {
			unsigned i = atomic_load_explicit(&f->sites[h].lib, memory_order_relaxed);
			if (f->libs[i].fn[fn])
				return &f->libs[i];
			break;
		}
		if (!seen)
			break;
	}
	return ts_tls_lib_slow(f, fn, site, self, scratch);
}

#endif
