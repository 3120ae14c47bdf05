// SPDX-License-Identifier: GPL-2.0
/*
 * tbprof: a QEMU TCG plugin that counts the guest instructions executed at
 * each translation block's address between two executions of a marker
 * address, for an exact instruction profile of a benchmark's window.
 *
 * Under -icount a benchmark's time is its instruction count, and perf in a
 * TCG guest has no PMU and a jiffies-resolution clock; this counts every
 * instruction instead of sampling.  A block is counted by an inline add
 * (no callback per execution); only blocks starting at the marker get a
 * callback.  The guest opens a window by executing the marker (e.g. the
 * kernel's __x64_sys_sync(), through sync(2)) and closes it by executing it again;
 * each closed window is appended to the output as
 *
 *	window N
 *	VADDR INSTRUCTIONS	(hex address, decimal count; one line per block)
 *
 * Arguments: out=PATH (required), mark=HEXADDR (required).
 * QEMU 7.2's plugin API version 1 (qemu-plugin.h is not packaged by Debian:
 * the few declarations used are below, as that header gives them).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t,
					       struct qemu_plugin_tb *);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int, void *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t,
					   qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *,
					  qemu_plugin_vcpu_udata_cb_t,
					  enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *,
					      enum qemu_plugin_op, void *,
					      uint64_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t,
				    void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One translation of a block: its executions, counted inline. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t execs;
	/* execs when the current window opened */
	uint64_t base;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block **blocks;
static size_t nblocks, cap;
static uint64_t mark;
static FILE *out;
static bool open_window;
static unsigned int windows;

static void marker(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	pthread_mutex_lock(&lock);
	if (!open_window) {
		for (size_t i = 0; i < nblocks; i++)
			blocks[i]->base = blocks[i]->execs;
	} else {
		fprintf(out, "window %u\n", ++windows);
		for (size_t i = 0; i < nblocks; i++) {
			uint64_t n = blocks[i]->execs - blocks[i]->base;

			if (n)
				fprintf(out, "%" PRIx64 " %" PRIu64 "\n",
					blocks[i]->vaddr, n * blocks[i]->insns);
		}
		fflush(out);
	}
	open_window = !open_window;
	pthread_mutex_unlock(&lock);
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));

	(void)id;
	if (!b)
		abort();
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&lock);
	if (nblocks == cap) {
		cap = cap ? 2 * cap : 65536;
		blocks = realloc(blocks, cap * sizeof(*blocks));
		if (!blocks)
			abort();
	}
	blocks[nblocks++] = b;
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
	if (b->vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, marker,
						     QEMU_PLUGIN_CB_NO_REGS,
						     NULL);
}

static void finished(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	fclose(out);
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
		    char **argv)
{
	const char *path = NULL;

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
	}
	if (!path || !mark) {
		fprintf(stderr, "tbprof: out=PATH and mark=HEXADDR are required\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, finished, NULL);
	return 0;
}
