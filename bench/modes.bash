# bench/modes.bash: scripts/bench's figures for the two ways the library runs.
#
# The traced process may hand the encoding and export of its records to a
# `traceshim agent` process; TRACESHIM_AGENT=off keeps the writer thread in
# the process. Every figure here is measured both ways, side by side:
# "default" with the environment as given, "in-process" with
# TRACESHIM_AGENT=off. They are what the split is for: the start cost of a
# process tree, how many spans survive a tight loop, a burst and many
# threads, the memory the program gains, the agent's own memory, and bytes
# per span.
#
# Sourced by scripts/bench, which sets tmp, lib, cli, cc, runs, n_write and
# median, and has built $tmp/bench_write; modes_section prints the table.
# Environment: BENCH_N_TREE (processes started by the shell, default 300),
# BENCH_N_BURST (writes in the burst, default 20000), BENCH_THREADS
# (THREADSxWRITES runs, default "16x20000 256x5000"); BENCH_N_WRITE is the
# tight loop's length.

# shellcheck disable=SC2154 # tmp, lib, cli, cc, runs: set by scripts/bench
modes=(default in-process)

# in_mode MODE CMD...: CMD run in that mode.
in_mode() {
	local mode=$1
	shift
	if [[ $mode == in-process ]]; then
		(export TRACESHIM_AGENT=off && "$@")
	else
		"$@"
	fi
}

# put FIGURE VALUE: one run's value of a figure (one file per figure).
put() { echo "$2" >>"$mdir/$1"; }

# elapsed_ms CMD...: wall time of CMD in ms, or "failed".
elapsed_ms() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>>"$mdir/stderr" || { echo failed; return; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1e3 }'
}

# spans_named FILE [NAME]: how many spans named NAME (all spans without
# NAME) the trace holds, or "failed".
spans_named() {
	local counts
	counts=$("$tmp/count_spans" "$1" 2>>"$mdir/stderr") || { echo failed; return; }
	awk -v n="${2:-}" 'NR == 1 { all = $2 } NR > 2 && $2 == n { c = $1 }
		END { print (n == "" ? all : c + 0) }' <<<"$counts"
}

# process_spans FILE: the process spans (those with a process.pid) in what
# `traceshim collect` wrote, decoded with tests/integration/tracelib.py;
# "n/a" when it cannot decode (no protoc).
process_spans() {
	python3 - "$1" 2>>"$mdir/stderr" <<'EOF' || echo n/a
import os, sys
sys.path.insert(0, os.path.join("tests", "integration"))
import tracelib
trace = tracelib.load_trace(sys.argv[1], check=False, keep=False)
print(sum(1 for s in trace.slices if "process.pid" in s.args and not s.is_instant))
EOF
}

# watch_agent / agent_peak FIGURE: bench/agent_rss.py around one run;
# agent_peak puts the peak RSS of the run's `traceshim agent` processes
# (KiB), or n/a, and keeps their command lines in FIGURE.who. Not in a
# subshell: the watcher is this shell's child.
watch_agent() {
	: >"$mdir/watch"
	python3 bench/agent_rss.py --ancestor $$ --settle 2 >"$mdir/watch" 2>>"$mdir/stderr" &
	watcher=$!
	# It prints a line once it is watching: no agent may start before.
	for _ in $(seq 250); do
		[[ -s $mdir/watch ]] && return
		sleep 0.02
	done
}
agent_peak() {
	kill -TERM "$watcher" 2>/dev/null || true
	wait "$watcher" 2>/dev/null || true
	put "$1" "$(awk 'NR == 2 { v = $1 } END { print (v == "" ? "failed" : v) }' "$mdir/watch")"
	tail -n +3 "$mdir/watch" >>"$mdir/$1.who"
}

# start_collect / stop_collect: `traceshim collect` on a free loopback port
# ($port), writing $mdir/collected.pftrace.
start_collect() {
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	rm -f "$mdir/collected.pftrace"
	"$cli" collect --listen "127.0.0.1:$port" -o "$mdir/collected.pftrace" 2>>"$mdir/stderr" &
	collector=$!
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
		sleep 0.02
	done
}
stop_collect() {
	kill -TERM "$collector" 2>/dev/null || true
	wait "$collector" 2>/dev/null || true
}

# Summaries of a figure's runs: the median, the smallest (spans received:
# the worst run counts), the largest (a peak); a run that failed (or found
# no agent) is what the figure says.
summed() {
	local how=$1 file=$mdir/$2 word
	[[ -f $file ]] || { echo failed; return; }
	if word=$(grep -m 1 -v '^[0-9.]*$' "$file"); then
		# n/a only when no run found one: a figure with any number is a number.
		if [[ $word != n/a ]] || ! grep -q '^[0-9.]' "$file"; then
			echo "$word"
			return
		fi
	fi
	case $how in
	median) grep '^[0-9.]' "$file" | median ;;
	least) grep '^[0-9.]' "$file" | sort -g | head -n 1 ;;
	most) grep '^[0-9.]' "$file" | sort -g | tail -n 1 ;;
	esac
}

numeric() { [[ $1 =~ ^[0-9.]+$ ]]; }

# kept KEPT MADE: "KEPT (P%)".
kept() {
	if numeric "$1"; then
		awk -v k="$1" -v m="$2" 'BEGIN { printf "%d (%.1f%%)\n", k, 100 * k / m }'
	else
		echo "$1"
	fi
}

mib() { if numeric "$1"; then awk -v k="$1" 'BEGIN { printf "%.1f\n", k / 1024 }'; else echo "$1"; fi; }

row() { printf '%-52s %17s %17s\n' "$@"; }

# tree_runs: figure 1, a shell starting /bin/true n_tree times, plain, under
# `traceshim run -o FILE` and `traceshim run --otlp` to a live receiver.
tree_runs() {
	local loop="i=0; while [ \$i -lt $n_tree ]; do /bin/true; i=\$((i + 1)); done" r mode
	for ((r = 0; r < runs; r++)); do
		put tree.plain "$(elapsed_ms sh -c "$loop")"
		for mode in "${modes[@]}"; do
			put "tree.file.$mode" "$(in_mode "$mode" elapsed_ms \
				"$cli" run -o "$mdir/tree.pftrace" -- sh -c "$loop")"
			rm -f "$mdir/tree.pftrace"
			start_collect
			put "tree.otlp.$mode" "$(in_mode "$mode" elapsed_ms \
				"$cli" run --otlp "http://127.0.0.1:$port" -- sh -c "$loop")"
			stop_collect
			put "tree.procs.$mode" "$(process_spans "$mdir/collected.pftrace")"
		done
	done
}

# write_runs NAME N: figures 2 and 4, bench_write N under `traceshim run` and
# a plain LD_PRELOAD; the agent's peak and bytes per span under `traceshim
# run` too.
write_runs() {
	local name=$1 n=$2 r mode trace=$mdir/write.pftrace spans
	for ((r = 0; r < runs; r++)); do
		for mode in "${modes[@]}"; do
			watch_agent
			in_mode "$mode" "$cli" run -o "$trace" -- "$tmp/bench_write" "$n" \
				>/dev/null 2>>"$mdir/stderr" || true
			agent_peak "$name.agent.$mode"
			put "$name.run.$mode" "$(spans_named "$trace" write)"
			spans=$(spans_named "$trace")
			if numeric "$spans" && ((spans > 0)); then
				put "$name.bytes.$mode" "$(awk -v b="$(stat -c %s "$trace")" -v s="$spans" \
					'BEGIN { printf "%.1f\n", b / s }')"
			else
				put "$name.bytes.$mode" failed
			fi
			rm -f "$trace"
			in_mode "$mode" env LD_PRELOAD="$lib" TRACESHIM_OUTPUT="$trace" \
				"$tmp/bench_write" "$n" >/dev/null 2>>"$mdir/stderr" || true
			put "$name.preload.$mode" "$(spans_named "$trace" write)"
			rm -f "$trace"
		done
	done
}

# thread_runs T N: figure 3, peak RSS of bench_threads T N (bench_rss: the
# whole life, exit included) with and without the library, and the spans
# kept of the T x N writes.
thread_runs() {
	local t=$1 n=$2 r mode trace=$mdir/threads.pftrace out
	for ((r = 0; r < runs; r++)); do
		out=$("$tmp/bench_rss" - "$tmp/bench_threads" "$t" "$n" 2>>"$mdir/stderr") || out=failed
		put "threads.${t}x$n.plain" "$(tail -n 1 <<<"$out")"
		for mode in "${modes[@]}"; do
			out=$(in_mode "$mode" env TRACESHIM_OUTPUT="$trace" \
				"$tmp/bench_rss" "$lib" "$tmp/bench_threads" "$t" "$n" 2>>"$mdir/stderr") || out=failed
			put "threads.${t}x$n.rss.$mode" "$(tail -n 1 <<<"$out")"
			put "threads.${t}x$n.kept.$mode" "$(spans_named "$trace" write)"
			rm -f "$trace"
		done
	done
}

modes_section() {
	mdir=$tmp/modes
	mkdir -p "$mdir"
	local n_tree=${BENCH_N_TREE:-300} n_burst=${BENCH_N_BURST:-20000}
	local specs=${BENCH_THREADS:-16x20000 256x5000} spec t n mode plain v
	local -a cells

	if [[ ! -x $tmp/count_spans ]]; then
		echo
		echo "(bench/count_spans.c did not build: no default/in-process figures)"
		return
	fi
	for prog in bench_threads bench_rss; do
		if ! "$cc" -std=c11 -O2 -Wall -Wextra -pthread -o "$tmp/$prog" "bench/$prog.c" \
			2>"$mdir/$prog.err"; then
			echo
			echo "(bench/$prog.c did not build: $(head -n 1 "$mdir/$prog.err")): no default/in-process figures"
			return
		fi
	done

	tree_runs
	write_runs write "$n_write"
	write_runs burst "$n_burst"
	for spec in $specs; do
		thread_runs "${spec%x*}" "${spec#*x}"
	done

	echo
	echo "== default vs in-process (TRACESHIM_AGENT=off), median of $runs runs =="
	row figure default in-process
	plain=$(summed median tree.plain)
	row "tree of $((n_tree + 1)) processes, plain: ms" "$plain" -
	for v in file otlp; do
		cells=()
		for mode in "${modes[@]}"; do
			t=$(summed median "tree.$v.$mode")
			if numeric "$t" && numeric "$plain"; then
				cells+=("$(awk -v t="$t" -v p="$plain" 'BEGIN { printf "%.2fx (%.0f ms)\n", t / p, t }')")
			else
				cells+=("$t")
			fi
		done
		if [[ $v == file ]]; then
			row "tree, traceshim run -o FILE: x plain" "${cells[@]}"
		else
			row "tree, traceshim run --otlp (collect): x plain" "${cells[@]}"
		fi
	done
	row "tree, OTLP process spans received, of $((n_tree + 1))" \
		"$(summed least tree.procs.default)" "$(summed least tree.procs.in-process)"
	for spec in "write $n_write" "burst $n_burst"; do
		read -r v n <<<"$spec"
		# bench_write makes one untimed write before its loop.
		row "$v: spans kept of $((n + 1)) writes, traceshim run" \
			"$(kept "$(summed median "$v.run.default")" $((n + 1)))" \
			"$(kept "$(summed median "$v.run.in-process")" $((n + 1)))"
		row "$v: spans kept of $((n + 1)) writes, LD_PRELOAD" \
			"$(kept "$(summed median "$v.preload.default")" $((n + 1)))" \
			"$(kept "$(summed median "$v.preload.in-process")" $((n + 1)))"
	done
	for spec in $specs; do
		t=${spec%x*}
		n=${spec#*x}
		plain=$(summed median "threads.${t}x$n.plain")
		row "threads ${t}x$n, plain: peak RSS MiB" "$(mib "$plain")" -
		cells=()
		for mode in "${modes[@]}"; do
			v=$(summed median "threads.${t}x$n.rss.$mode")
			if numeric "$v" && numeric "$plain"; then
				cells+=("$(awk -v a="$v" -v b="$plain" 'BEGIN { printf "%+.1f\n", (a - b) / 1024 }')")
			else
				cells+=("$v")
			fi
		done
		row "threads ${t}x$n: peak RSS added, MiB" "${cells[@]}"
		row "threads ${t}x$n: spans kept of $((t * n)) writes" \
			"$(kept "$(summed median "threads.${t}x$n.kept.default")" $((t * n)))" \
			"$(kept "$(summed median "threads.${t}x$n.kept.in-process")" $((t * n)))"
	done
	row "write, traceshim run: agent peak RSS, MiB" \
		"$(mib "$(summed most write.agent.default)")" "$(mib "$(summed most write.agent.in-process)")"
	row "write, traceshim run: trace bytes per span" \
		"$(summed median write.bytes.default)" "$(summed median write.bytes.in-process)"
	# Any `traceshim agent` of this user that started during the run was
	# counted: say which, in case another run's were among them.
	for mode in "${modes[@]}"; do
		[[ -s $mdir/write.agent.$mode.who ]] || continue
		echo "agents counted ($mode):"
		cut -d ' ' -f 2- "$mdir/write.agent.$mode.who" | sort | uniq -c | head -n 3
	done
	# `traceshim run` and collect always say something: shown only when a
	# figure failed.
	if grep -qs failed "$mdir"/tree.* "$mdir"/write.* "$mdir"/burst.* "$mdir"/threads.*; then
		echo "-- stderr of these runs (last lines) --"
		tail -n 5 "$mdir/stderr"
	fi
}
