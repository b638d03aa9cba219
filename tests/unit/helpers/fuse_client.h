/* A FUSE client over the virtio test driver: it plays the guest kernel's
 * virtio-fs driver against the device, one request at a time, on a temp
 * directory ("share") next to one it must never reach ("outside"). */
#ifndef HUSK_TEST_FUSE_CLIENT_H
#define HUSK_TEST_FUSE_CLIENT_H

#include <linux/fuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/unit/helpers/virtio_driver.h"

#define FC_HIPRIO   0
#define FC_REQUESTS 1
#define FC_NO_REPLY 1 /* fc_call: the device returned the chain without a reply */
#define FC_BUF	    (256u * 1024)

struct fc {
	struct vdrv d;
	char dir[64];	  /* the temp dir */
	char share[96];	  /* dir/share: what the device serves */
	char outside[96]; /* dir/outside: holds "secret" */
	uint64_t req_gpa, rep_gpa;
};

/* A request's arguments, built up field by field. */
struct fmsg {
	uint8_t b[8192];
	size_t n;
};

/* Make the temp dirs (or use path, when not NULL, as the share), create the
 * device, start it.  Returns 0 or -1. */
int fc_open(struct fc *f, const char *path, bool readonly);
void fc_close(struct fc *f);
/* cmocka fixtures: a started client in *state (on path, or a fresh temp
 * share), INIT'ed if init; the teardown also runs after a failed test. */
int fc_fixture_open(void **state, const char *path, bool readonly, bool init);
int fc_fixture_setup(void **state);    /* temp share, read-write, INIT'ed */
int fc_fixture_teardown(void **state); /* *state may be NULL */
int fc_init(struct fc *f);	       /* FUSE_INIT 7.37: 0 or -errno */

void fm_put(struct fmsg *m, const void *p, size_t n);
void fm_str(struct fmsg *m, const char *s); /* with its NUL */

/* One request on queue q: header + m; up to out_len payload bytes into out.
 * Returns the reply's error (0 or -errno), FC_NO_REPLY, or -1000 when the
 * device returned nothing at all. */
int fc_call_q(struct fc *f, unsigned q, uint32_t op, uint64_t nodeid, const struct fmsg *m,
	      void *out, size_t out_len, size_t *got);
int fc_call(struct fc *f, uint32_t op, uint64_t nodeid, const struct fmsg *m, void *out,
	    size_t out_len, size_t *got);
/* Raw bytes as the whole request, rep_len bytes of reply room: the used length. */
long fc_raw(struct fc *f, const void *req, size_t req_len, void *rep, size_t rep_len);

/* Conveniences: the nodeid, or -errno. */
int64_t fc_lookup(struct fc *f, uint64_t parent, const char *name, struct fuse_entry_out *e);
/* OPEN (or OPENDIR): the fh, or -errno. */
int64_t fc_open_fh(struct fc *f, uint64_t nodeid, uint32_t flags, bool dir);

#endif
