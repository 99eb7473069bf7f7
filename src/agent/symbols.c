/* Symbolization for stack traces (see symbols.h), from the records alone:
 * each frame names its module by number, a TS_REC_MODULE record gave that
 * number's file and load bias, and the function comes from the file's own
 * symbol tables (.symtab, else .dynsym), mapped and read once on first need.
 * Nothing is asked of the process the stack came from, so this works the
 * same in that process's writer thread and in a consumer outside it. */
#include "symbols.h"

#include "large.h"
#include "rawfs.h"
#include "rawsys.h"
#include "registry.h"   /* TS_MODULES_MAX */

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILES_MAX 64

struct table {
	const Elf64_Sym *syms;       /* NULL when the file has none */
	size_t nsyms;
	const char *strs;
};

struct symfile {
	char *path;
	struct table symtab, dynsym;
	const void *map;             /* the file, while its tables are used */
	size_t map_size;
};

static struct { char *path; uint64_t bias; } numbered[TS_MODULES_MAX + 1] TS_LARGE;
static TS_LARGE struct symfile files[FILES_MAX];
static unsigned nfiles;
static unsigned max_id;   /* the highest module number given */

void ts_symbols_module(uint32_t id, uint64_t bias, const char *path, unsigned len)
{
	if (id == 0 || id > TS_MODULES_MAX || numbered[id].path)
		return;   /* each thread's ring may carry it: the first is kept */
	char *copy = strndup(path, len);
	if (!copy)
		return;
	numbered[id].path = copy;
	numbered[id].bias = bias;
	if (id > max_id)
		max_id = id;
}

/* Section i of a mapped file as a symbol table, if it and its string table
 * lie inside the file and the strings end in a NUL. */
static void read_table(const uint8_t *f, size_t size, const Elf64_Shdr *sh, unsigned shnum,
		       unsigned i, struct table *t)
{
	if (sh[i].sh_link >= shnum)
		return;
	const Elf64_Shdr *str = &sh[sh[i].sh_link];
	if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
	    str->sh_offset > size || str->sh_size > size - str->sh_offset || !str->sh_size ||
	    f[str->sh_offset + str->sh_size - 1] != 0)
		return;
	t->syms = (const Elf64_Sym *)(f + sh[i].sh_offset);
	t->nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
	t->strs = (const char *)(f + str->sh_offset);
}

/* Maps path and finds its symbol tables (kept mapped while they are used).
 * Only a regular file: a path from a damaged record may name a FIFO or a
 * device, which must not block or be read. */
static void read_file(const char *path, struct symfile *m)
{
	/* System calls, not open() and close(): in the library those are the
	 * shim's own wrappers. */
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return;
	if (ts_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		ts_syscall(SYS_close, fd);
		return;
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	ts_syscall(SYS_close, fd);
	if (f == MAP_FAILED)
		return;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	if (!memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh->e_shoff != 0 && eh->e_shentsize == sizeof(Elf64_Shdr) && eh->e_shoff <= size &&
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) >= eh->e_shnum) {
		const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type == SHT_SYMTAB && !m->symtab.syms)
				read_table(f, size, sh, eh->e_shnum, i, &m->symtab);
			else if (sh[i].sh_type == SHT_DYNSYM && !m->dynsym.syms)
				read_table(f, size, sh, eh->e_shnum, i, &m->dynsym);
		}
	}
	if (!m->symtab.syms && !m->dynsym.syms) {
		munmap((void *)f, size);
		return;
	}
	m->map = f;
	m->map_size = size;
}

static const struct symfile *file_of(const char *path)
{
	for (unsigned i = 0; i < nfiles; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	if (nfiles == FILES_MAX)
		return NULL;
	struct symfile *m = &files[nfiles];
	*m = (struct symfile){.path = strdup(path)};
	if (!m->path)
		return NULL;
	nfiles++;
	read_file(path, m);
	return m;
}

/* The function symbol of t containing pc (an offset in the module). */
static const char *lookup(const struct table *t, uint64_t pc, uint64_t *start)
{
	for (size_t i = 0; t->syms && i < t->nsyms; i++) {
		const Elf64_Sym *s = &t->syms[i];
		int type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !s->st_value ||
		    s->st_shndx == SHN_UNDEF)
			continue;
		if (pc >= s->st_value && pc - s->st_value < (s->st_size ? s->st_size : 1)) {
			*start = s->st_value;
			return t->strs + s->st_name;
		}
	}
	return NULL;
}

const char *ts_symbols_in_file(const char *path, uint64_t offset, uint64_t *start)
{
	const struct symfile *m = file_of(path);
	if (!m)
		return NULL;
	const char *name = lookup(&m->symtab, offset, start);
	return name ? name : lookup(&m->dynsym, offset, start);
}

static bool may_load;

void ts_symbols_may_load(void)
{
	may_load = true;
}

const char *ts_symbols_demangle(const char *name, char *out, size_t cap)
{
	/* libstdc++'s demangler, when the program has libstdc++ loaded (or, in
	 * an agent's worker, loaded for it). It takes function names (_Z...)
	 * and type_info names (St13runtime_error) alike. */
	static char *(*demangle)(const char *, char *, size_t *, int *);
	if (!demangle)
		demangle = (char *(*)(const char *, char *, size_t *, int *))
			dlsym(RTLD_DEFAULT, "__cxa_demangle");
	static bool tried;
	if (!demangle && may_load && !tried && name && name[0]) {
		tried = true;
		void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
		if (h)
			demangle = (char *(*)(const char *, char *, size_t *, int *))
				dlsym(h, "__cxa_demangle");
	}
	if (!demangle || !name || !name[0])
		return name;
	int st = 0;
	char *d = demangle(name, NULL, NULL, &st);
	if (!d || st != 0) {
		free(d);
		return name;
	}
	snprintf(out, cap, "%s", d);
	free(d);
	return out;
}

size_t ts_symbols_format(const uint64_t *ips, const uint16_t *modules, unsigned n, char *out,
			 size_t cap)
{
	size_t len = 0;
	if (cap)
		out[0] = 0;
	for (unsigned i = 0; i < n && len + 1 < cap; i++) {
		uint64_t pc = ips[i] - (i ? 1 : 0);
		const char *module = "?", *func = NULL;
		uint64_t func_addr = 0, base = 0;
		unsigned id = modules ? modules[i] : 0;
		if (id && id <= TS_MODULES_MAX && numbered[id].path) {
			base = numbered[id].bias;
			module = numbered[id].path;
			uint64_t start = 0;
			func = ts_symbols_in_file(module, pc - base, &start);
			if (func)
				func_addr = base + start;
			const char *slash = strrchr(module, '/');
			if (slash)
				module = slash + 1;
		}
		char dem[256];
		int w;
		if (func)
			w = snprintf(out + len, cap - len, "#%u %s+0x%lx (%s)\n", i,
				     ts_symbols_demangle(func, dem, sizeof dem),
				     (unsigned long)(ips[i] - func_addr), module);
		else
			w = snprintf(out + len, cap - len, "#%u 0x%lx (%s+0x%lx)\n", i,
				     (unsigned long)ips[i], module, (unsigned long)(ips[i] - base));
		if (w < 0)
			break;
		len += (size_t)w < cap - len ? (size_t)w : cap - len - 1;
	}
	return len;
}

void ts_symbols_reset(void)
{
	for (unsigned i = 0; i <= max_id; i++) {
		free(numbered[i].path);
		numbered[i].path = NULL;
	}
	max_id = 0;
	for (unsigned i = 0; i < nfiles; i++) {
		if (files[i].map)
			munmap((void *)files[i].map, files[i].map_size);
		free(files[i].path);
		files[i] = (struct symfile){0};
	}
	nfiles = 0;
}
