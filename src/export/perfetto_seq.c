/* A Perfetto writer sequence's state: the parts out of line (see
 * perfetto_seq.h). */
#include "perfetto_seq.h"

#include "perfetto_fields.h"

#include <stdlib.h>
#include <string.h>

struct pb ts_pf_interned;

struct ts_pf_seq *ts_pf_seq_new(const struct ts_track *t)
{
	struct ts_pf_seq *st = calloc(1, sizeof *st);
	*t->sink_state = st;
	return st;
}

void ts_pf_seq_restart(struct ts_pf_seq *st)
{
	ts_intern_free(&st->names);
	ts_intern_free(&st->keys);
	ts_intern_free(&st->values);
	memset(st->names_pc, 0, sizeof st->names_pc);
	memset(st->keys_kc, 0, sizeof st->keys_kc);
	memset(st->values_pc, 0, sizeof st->values_pc);
	memset(st->blocks, 0, sizeof st->blocks);
}

void ts_pf_seq_free(struct ts_pf_seq *st)
{
	ts_intern_free(&st->names);
	ts_intern_free(&st->keys);
	ts_intern_free(&st->values);
	free(st);
}

void ts_pf_interned_entry(unsigned id_field, uint64_t iid, const char *s, size_t len)
{
	size_t m = pb_begin(&ts_pf_interned, id_field);
	pb_uint(&ts_pf_interned, F_IE_IID, iid);
	pb_bytes(&ts_pf_interned, F_IE_NAME, s, len);
	pb_end(&ts_pf_interned, m);
}

uint64_t ts_pf_intern_key_miss(struct ts_pf_seq *st, unsigned id_field, struct ts_pf_kcache *e,
			       const char *key, struct ts_pf_kcache **kc)
{
	uint64_t iid = ts_pf_intern(&st->keys, id_field, key, strlen(key));
	if (!iid) {
		*kc = NULL;
		return 0;
	}
	*e = (struct ts_pf_kcache){.str = key, .iid = iid};
	*kc = e;
	return iid;
}

uint64_t ts_pf_intern_const_miss(struct ts_intern *table, struct ts_pf_pcache *e,
				 unsigned id_field, const char *s)
{
	uint64_t iid = ts_pf_intern(table, id_field, s, strlen(s));
	if (iid)
		*e = (struct ts_pf_pcache){s, iid};
	return iid;
}
