/* The exporter thread (see exporter.h). Batches wait in a FIFO; the thread
 * takes one at a time, encodes it with the process's resource and sends it
 * with the sender module (send.c's retry policy), or hands it to the agent's
 * relay, bounded by OTEL_BSP_EXPORT_TIMEOUT. */
#include "exporter.h"

#include "clock.h"
#include "log.h"
#include "resource.h"
#include "encode.h"
#include "relay.h"
#include "sender.h"
#include "ts_version.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static const struct ts_core_api *core;
static const struct ts_otlp_send_ops *send_ops;   /* NULL: the relay posts */
static pthread_mutex_t lock;
static pthread_cond_t work, idle;
static struct ts_batch *head, *tail;
static size_t queued;             /* spans queued or in flight */
static bool busy, started;
static _Atomic uint64_t dropped, failed;
static _Atomic uint64_t cutoff_ms;

/* Owned by the exporter thread. */
static struct ts_otlp_sender *sender;
static struct ts_resource resource;
static pid_t resource_pid;

static void init_sync(void)
{
	pthread_mutex_init(&lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&work, &ca);
	pthread_cond_init(&idle, &ca);
	pthread_condattr_destroy(&ca);
}

void ts_exporter_init(const struct ts_core_api *c, const struct ts_otlp_send_ops *send)
{
	core = c;
	send_ops = send;
	init_sync();
}

/* The resource of this process, built again in a forked child. */
static void build_resource(void)
{
	static char host[256];
	const char *exe = core->exe();
	struct utsname u;
	snprintf(host, sizeof host, "%s", uname(&u) == 0 ? u.nodename : "");
	struct ts_process_info p = {
		.pid = core->pid(), .ppid = core->ppid(), .exe_name = core->program_name(),
		.exe_path = exe[0] ? exe : NULL,
		.start_unix_ns = (uint64_t)((int64_t)core->process_start_ns() + core->unix_offset_ns()),
		.host_name = host[0] ? host : NULL,
	};
	if (core->cmdline) {
		size_t len = 0;
		p.command_args = core->args(&len);
		p.command_args_len = len;
	}
	ts_resource_build(&resource, &p, core->getenv);
	resource_pid = p.pid;
}

/* An agent's worker: the request goes to the agent's relay (relay.h). Once
 * the worker is ending (cutoff_ms set), it is only handed over, and given up
 * at the cutoff. */
static bool relay_hello_done;

static bool hand_over(const uint8_t *body, size_t len, size_t n, uint64_t deadline,
		      struct ts_send_stats *st)
{
	if (!relay_hello_done && !(relay_hello_done = ts_relay_hello(core->relay_fd, core->otel, core->log_level)))
		return false;
	uint64_t cut = atomic_load(&cutoff_ms);
	if (cut && cut < deadline)
		deadline = cut;
	enum ts_relay_outcome r = ts_relay_post(core->relay_fd, body, len, (uint32_t)n, deadline,
						&cutoff_ms, st);
	if (r == TS_RELAY_HANDED)
		TS_DEBUG("handed %zu spans (%zu bytes) to the agent's OTLP relay", n, len);
	return r != TS_RELAY_FAILED;
}

static void send_batch(struct ts_batch *b)
{
	if (resource_pid != core->pid())
		build_resource();
	struct ts_otlp_batch req = {
		.trace_id = core->trace_id, .resource = resource.attrs, .nresource = resource.n,
		.scope_name = "traceshim", .scope_version = TS_VERSION,
		.spans = b->spans, .nspans = b->n,
	};
	uint8_t *body = NULL;
	size_t len = ts_otlp_encode(&req, &body);
	if (!len) {
		TS_WARN("out of memory encoding %zu spans for OTLP; they are lost", b->n);
		failed += b->n;
		return;
	}
	uint64_t deadline = ts_clock_monotonic_ms() + core->otel->export_timeout_ms;
	struct ts_send_stats st = {0};
	bool ok;
	if (core->relay_fd >= 0) {
		ok = hand_over(body, len, b->n, deadline, &st);
	} else {
		if (!sender) {
			struct ts_send_hooks hooks = {&cutoff_ms};
			sender = send_ops->sender_new(core->otel, &hooks);
		}
		ok = sender && send_ops->send(sender, body, len, deadline, &st) == TS_SEND_OK;
	}
	if (!ok && core->relay_fd >= 0) {
		/* The relay says why, once for every worker's requests. */
		failed += b->n;
		TS_DEBUG("%zu spans not exported (the agent's relay could not send them)", b->n);
	} else if (!ok) {
		failed += b->n;
		TS_WARN("%zu spans not exported to %s (%u attempts, last HTTP status %ld)", b->n,
			core->otel->shown, st.attempts, st.last_status);
	} else {
		TS_DEBUG("exported %zu spans (%zu bytes)", b->n, len);
	}
	free(body);
}

static void *exporter_main(void *arg)
{
	(void)arg;
	core->mute();
	pthread_setname_np(pthread_self(), "traceshim-otlp");
	for (;;) {
		pthread_mutex_lock(&lock);
		while (!head)
			pthread_cond_wait(&work, &lock);
		struct ts_batch *b = head;
		head = b->next;
		if (!head)
			tail = NULL;
		busy = true;
		pthread_mutex_unlock(&lock);

		send_batch(b);

		pthread_mutex_lock(&lock);
		queued -= b->n;
		busy = false;
		pthread_cond_broadcast(&idle);
		pthread_mutex_unlock(&lock);
		ts_batch_free(b);
	}
	return NULL;
}

/* The drainer blocks every signal; the exporter thread inherits that. */
static bool start_thread(void)
{
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = core->thread_create(&th, &attr, exporter_main, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		ts_warn_config("cannot start the OTLP exporter thread: %s", strerror(rc));
	return rc == 0;
}

void ts_exporter_push(struct ts_batch *b, bool at_exit)
{
	pthread_mutex_lock(&lock);
	if (!started)
		started = start_thread();
	if (!started || (!at_exit && queued + b->n > core->otel->max_queue)) {
		pthread_mutex_unlock(&lock);
		dropped += b->n;
		TS_DEBUG("OTLP queue full: %zu spans dropped", b->n);
		ts_batch_free(b);
		return;
	}
	b->next = NULL;
	if (tail)
		tail->next = b;
	else
		head = b;
	tail = b;
	queued += b->n;
	pthread_cond_signal(&work);
	pthread_mutex_unlock(&lock);
}

size_t ts_exporter_drain(uint64_t deadline_ms)
{
	atomic_store(&cutoff_ms, deadline_ms ? deadline_ms : 1);   /* 0 would mean no cutoff */
	struct timespec until = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
	pthread_mutex_lock(&lock);
	while ((head || busy) && ts_clock_monotonic_ms() < deadline_ms)
		pthread_cond_timedwait(&idle, &lock, &until);
	size_t left = queued;
	pthread_mutex_unlock(&lock);
	/* Handed over: the relay gives up on this worker's requests at the
	 * deadline, like this process would. The exporter thread is idle. */
	if (core->relay_fd >= 0 && relay_hello_done && !left)
		ts_relay_fin(core->relay_fd, deadline_ms);
	if (left)
		TS_WARN("%zu spans were not exported before exit (the receiver is slow or down)", left);
	return left;
}

uint64_t ts_exporter_dropped(void)
{
	return atomic_load(&dropped);
}

uint64_t ts_exporter_failed(void)
{
	return atomic_load(&failed);
}

void ts_exporter_after_fork(void)
{
	/* Whatever the parent's threads held is abandoned, never freed: the
	 * connection is the parent's, and its batches are the parent's to send. */
	init_sync();
	head = tail = NULL;
	queued = 0;
	busy = started = false;
	sender = NULL;
	resource_pid = 0;
	relay_hello_done = false;
	atomic_store(&dropped, 0);
	atomic_store(&failed, 0);
	atomic_store(&cutoff_ms, 0);
}
