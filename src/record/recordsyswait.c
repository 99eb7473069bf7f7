/* Blocking waits in system calls as records: the shim's own code told
 * from the program's, and the record itself. Runs only for a call that
 * waited at least the threshold, so none of this is on the path of a call
 * that returned at once. */
#include "recordsyswait.h"

#include "record.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>

/* The shim's executable code: [lo, hi), found from its own ELF header,
 * which the linker names __ehdr_start (of no size it declares: read by
 * copies). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
static uintptr_t text_lo, text_hi;
static _Atomic int text_known;

static void find_text(void)
{
	ElfW(Ehdr) eh;
	memcpy(&eh, __ehdr_start, sizeof eh);
	uintptr_t base = 0, lo = UINTPTR_MAX, hi = 0;
	bool based = false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		ElfW(Phdr) ph;
		memcpy(&ph, __ehdr_start + eh.e_phoff + (size_t)i * eh.e_phentsize, sizeof ph);
		if (ph.p_type != PT_LOAD)
			continue;
		if (!based) {
			/* The first load segment holds the header. */
			base = (uintptr_t)__ehdr_start - (ph.p_vaddr & ~(uintptr_t)(ph.p_align - 1));
			based = true;
		}
		if (!(ph.p_flags & PF_X))
			continue;
		uintptr_t a = base + ph.p_vaddr, b = a + ph.p_memsz;
		lo = a < lo ? a : lo;
		hi = b > hi ? b : hi;
	}
	text_lo = lo;
	text_hi = hi;
	atomic_store_explicit(&text_known, 1, memory_order_release);
}

bool ts_wait_shim_code(const void *pc)
{
	if (!atomic_load_explicit(&text_known, memory_order_acquire))
		find_text();   /* idempotent: every thread finds the same */
	return (uintptr_t)pc >= text_lo && (uintptr_t)pc < text_hi;
}

void ts_record_syswait(struct ts_thread *t, enum ts_op op, const void *caller, int64_t ret,
		       int err, const struct ts_wait_info *w, uint64_t t0, uint64_t t1)
{
	int saved = errno;
	if (!ts_wait_shim_code(caller)) {
		struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
		if (r) {
			ts_rec_fill(r, t, op, -1, ret, err, t0, t1);
			r->arg = w->arg;
			r->aux = w->aux;
			r->aux2 = w->aux2;
			r->aux_kind = w->aux_kind;
			r->fdgen = w->waker_index1;
			r->span = t->next_span++;
			ts_ring_commit(&t->ring, 1);
		}
	}
	errno = saved;
}
