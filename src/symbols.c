/* Symbolization for stack traces (see symbols.h). A module's .symtab is
 * read once, on first need, from the file the loader mapped. */
#include "symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MODULES_MAX 64

struct module {
	uintptr_t base;              /* load bias */
	const Elf64_Sym *syms;       /* .symtab in the mapped file, or NULL */
	size_t nsyms;
	const char *strs;
};

static struct module modules[MODULES_MAX];
static unsigned nmodules;

/* Maps path and finds its .symtab; fills m (syms NULL when there is none). */
static void read_symtab(const char *path, struct module *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return;
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > size || (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		goto none;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    str->sh_offset > size || str->sh_size > size - str->sh_offset || !str->sh_size)
			goto none;
		m->syms = (const Elf64_Sym *)(f + sh[i].sh_offset);
		m->nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
		m->strs = (const char *)(f + str->sh_offset);
		/* The string table must end in a NUL for names to be safe to read. */
		if (m->strs[str->sh_size - 1] != 0)
			m->syms = NULL;
		return;
	}
none:
	munmap((void *)f, size);
}

static const struct module *module_of(const char *path, uintptr_t base)
{
	for (unsigned i = 0; i < nmodules; i++)
		if (modules[i].base == base)
			return &modules[i];
	if (nmodules == MODULES_MAX)
		return NULL;
	struct module *m = &modules[nmodules++];
	*m = (struct module){.base = base};
	read_symtab(path, m);
	return m;
}

/* The function symbol containing pc (an offset in the module), from .symtab. */
static const char *symtab_lookup(const struct module *m, uintptr_t pc, uintptr_t *start)
{
	const char *best = NULL;
	for (size_t i = 0; m && m->syms && i < m->nsyms; i++) {
		const Elf64_Sym *s = &m->syms[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || !s->st_value)
			continue;
		if (pc >= s->st_value && pc - s->st_value < (s->st_size ? s->st_size : 1)) {
			best = m->strs + s->st_name;
			*start = s->st_value;
			break;
		}
	}
	return best;
}

const char *ts_symbols_demangle(const char *name, char *out, size_t cap)
{
	/* libstdc++'s demangler, when the program has libstdc++ loaded. It takes
	 * function names (_Z...) and type_info names (St13runtime_error) alike. */
	static char *(*demangle)(const char *, char *, size_t *, int *);
	if (!demangle)
		demangle = (char *(*)(const char *, char *, size_t *, int *))
			dlsym(RTLD_DEFAULT, "__cxa_demangle");
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

size_t ts_symbols_format(const uint64_t *ips, unsigned n, char *out, size_t cap)
{
	size_t len = 0;
	if (cap)
		out[0] = 0;
	for (unsigned i = 0; i < n && len + 1 < cap; i++) {
		uintptr_t pc = (uintptr_t)ips[i] - (i ? 1 : 0);
		Dl_info info;
		struct link_map *lm = NULL;
		const char *module = "?", *func = NULL;
		uintptr_t func_addr = 0, base = 0;
		if (dladdr1((void *)pc, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm) {
			base = lm->l_addr;
			module = info.dli_fname && info.dli_fname[0] ? info.dli_fname : "?";
			const char *slash = strrchr(module, '/');
			uintptr_t start = 0;
			/* The executable's link map has an empty name: dli_fname has it. */
			func = symtab_lookup(module_of(info.dli_fname, base), pc - base, &start);
			if (func)
				func_addr = base + start;
			else if (info.dli_sname) {
				func = info.dli_sname;
				func_addr = (uintptr_t)info.dli_saddr;
			}
			if (slash)
				module = slash + 1;
		}
		char dem[256];
		int w;
		if (func)
			w = snprintf(out + len, cap - len, "#%u %s+0x%lx (%s)\n", i,
				     ts_symbols_demangle(func, dem, sizeof dem),
				     (unsigned long)((uintptr_t)ips[i] - func_addr), module);
		else
			w = snprintf(out + len, cap - len, "#%u 0x%lx (%s+0x%lx)\n", i,
				     (unsigned long)ips[i], module, (unsigned long)((uintptr_t)ips[i] - base));
		if (w < 0)
			break;
		len += (size_t)w < cap - len ? (size_t)w : cap - len - 1;
	}
	return len;
}
