#!/usr/bin/env python3
"""Dependencies go one way: no cycle among the objects of a built program.

Each graph is given as the static libraries (or object files) it is linked
from: `test_layers.py NAME [--roots=LIB] LIB... [-- NAME ...]...`. With
--roots, only the objects a linker would take are in the graph: those of LIB
(linked whole) and the members of the others that they reach. An object depends on
another when it uses a symbol the other defines (nm); a group of objects that
reach each other is a cycle, and so is a folder (one library each) that
reaches itself through another. A call from the core to one of the shim's own
wrappers (`open` bound to interpose/file.c inside libtraceshim.so) is such a
cycle too, since the wrappers call the core. Every cycle is printed with the
symbols that make it.
"""
import collections
import os
import re
import subprocess
import sys

DEFINED = set('TDBRVWGSCIi')   # nm types of symbols an object defines
UNDEFINED = set('Uw')


def group_of(path):
    """The folder an archive or object stands for: libtsrecord.a -> record."""
    base = os.path.basename(path)
    m = re.fullmatch(r'libts(\w+)\.a', base)
    if m:
        return m.group(1)
    return os.path.basename(os.path.dirname(path)) or base


def read_symbols(paths):
    """{object: (group, defined set, undefined set)} for every member."""
    objects = {}
    for path in paths:
        out = subprocess.run(['nm', '-P', '-A', path], capture_output=True, text=True,
                             check=True).stdout
        group = group_of(path)
        for line in out.splitlines():
            where, _, rest = line.partition(': ')
            fields = rest.split()
            if len(fields) < 2:
                continue
            m = re.fullmatch(r'.*\[(.*)\]', where)
            obj = "%s/%s" % (group, os.path.basename(m.group(1) if m else where).replace(".c.o", ".o"))
            entry = objects.setdefault(obj, (group, set(), set()))
            if fields[1] in DEFINED:
                entry[1].add(fields[0])
            elif fields[1] in UNDEFINED:
                entry[2].add(fields[0])
    return objects


def edges_of(objects):
    """{a: {b: [symbols a uses from b]}}."""
    definer = {}
    for obj, (_, defined, _) in objects.items():
        for sym in defined:
            definer.setdefault(sym, obj)
    edges = collections.defaultdict(dict)
    for obj, (_, _, undefined) in objects.items():
        for sym in sorted(undefined):
            to = definer.get(sym)
            if to and to != obj:
                edges[obj].setdefault(to, []).append(sym)
    return edges


def cycles(nodes, edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        work = [(v, iter(sorted(edges.get(v, {}))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def describe(comp, edges, what):
    members = set(comp)
    lines = ['a cycle of %d %s: %s' % (len(comp), what, ' '.join(comp))]
    for a in comp:
        for b, syms in sorted(edges.get(a, {}).items()):
            if b in members:
                shown = ' '.join(syms[:5]) + (' ...' if len(syms) > 5 else '')
                lines.append('    %s -> %s  (%s)' % (a, b, shown))
    return '\n'.join(lines)


def linked(objects, edges, roots):
    """The objects reached from those of the archive `roots`."""
    group = group_of(roots)
    todo = [o for o, (g, _, _) in objects.items() if g == group]
    seen = set(todo)
    while todo:
        for b in edges.get(todo.pop(), {}):
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return {o: v for o, v in objects.items() if o in seen}


def check(name, paths, roots=None):
    objects = read_symbols(paths + ([roots] if roots else []))
    edges = edges_of(objects)
    if roots:
        objects = linked(objects, edges, roots)
        edges = edges_of(objects)
    problems = [describe(c, edges, 'objects') for c in cycles(objects, edges)]
    folders = collections.defaultdict(dict)
    for a, targets in edges.items():
        for b, syms in targets.items():
            ga, gb = objects[a][0], objects[b][0]
            if ga != gb:
                folders[ga].setdefault(gb, []).extend('%s:%s' % (os.path.basename(a), s) for s in syms)
    groups = {g for g, _, _ in objects.values()}
    problems += [describe(c, folders, 'folders') for c in cycles(groups, folders)]
    print('%s: %d objects in %d folders, %d dependencies' %
          (name, len(objects), len(groups), sum(len(t) for t in edges.values())))
    for p in problems:
        print('%s: %s' % (name, p))
    return not problems


def main(argv):
    graphs, current = [], None
    for arg in argv:
        if arg == '--':
            current = None
        elif current is None:
            current = (arg, [], [])
            graphs.append(current)
        elif arg.startswith('--roots='):
            current[2].append(arg[len('--roots='):])
        else:
            current[1].append(arg)
    if not graphs or any(not paths or len(roots) > 1 for _, paths, roots in graphs):
        print('usage: test_layers.py NAME [--roots=LIB] LIB... [-- NAME ...]...', file=sys.stderr)
        return 2
    ok = all([check(name, paths, roots[0] if roots else None) for name, paths, roots in graphs])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
