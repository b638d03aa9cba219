/* __attribute__((cleanup)) helpers.  Declare resources with these so that
 * every early return releases them:
 *
 *   cleanup_fd int fd = open(...);
 *   cleanup_free char *buf = malloc(...);
 *
 * To hand ownership out of the scope, use steal_fd()/steal_ptr().
 */
#ifndef HUSK_COMMON_CLEANUP_H
#define HUSK_COMMON_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>

static inline void husk_cleanup_freep(void *p)
{
	free(*(void **)p);
}
static inline void husk_cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void husk_cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void husk_cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
/* A NULL-terminated array of heap strings. */
static inline void husk_cleanup_strvp(char ***v)
{
	if (*v) {
		for (char **s = *v; *s; s++)
			free(*s);
		free(*v);
	}
}

#define cleanup_free    __attribute__((cleanup(husk_cleanup_freep)))
#define cleanup_fd      __attribute__((cleanup(husk_cleanup_closep)))
#define cleanup_file    __attribute__((cleanup(husk_cleanup_fclosep)))
#define cleanup_dir     __attribute__((cleanup(husk_cleanup_closedirp)))
#define cleanup_strv    __attribute__((cleanup(husk_cleanup_strvp)))
#define cleanup_err     __attribute__((cleanup(husk_err_free)))

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
#define steal_ptr(pp)                                                                              \
	({                                                                                         \
		__typeof__(*(pp)) _p = *(pp);                                                      \
		*(pp) = NULL;                                                                      \
		_p;                                                                                \
	})

#endif
