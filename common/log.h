/* Runtime logging, runc-style: --log FILE and --log-format text|json.
 * JSON lines are {"level":"error","msg":"...","time":"RFC3339"} which is what
 * containerd's shim reads back from the log file to report failures. */
#ifndef HUSK_COMMON_LOG_H
#define HUSK_COMMON_LOG_H

#include <stdbool.h>

enum husk_log_level { HUSK_LOG_ERROR, HUSK_LOG_WARN, HUSK_LOG_INFO, HUSK_LOG_DEBUG };
enum husk_log_format { HUSK_LOG_TEXT, HUSK_LOG_JSON };

/* path NULL: stderr.  Returns -1 with errno on failure to open. */
int husk_log_init(const char *path, enum husk_log_format fmt, enum husk_log_level max_level);
void husk_log(enum husk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log at least up to level from now on (a command's own verbosity flag, such
 * as `vm boot --trace`); never lowers what --debug asked for. */
void husk_log_raise(enum husk_log_level level);
/* Whether a message at level would be written (to skip building costly ones). */
bool husk_log_enabled(enum husk_log_level level);
/* The fd the log goes to (so a child can inherit/keep it). */
int husk_log_fd(void);

#define log_error(...) husk_log(HUSK_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  husk_log(HUSK_LOG_WARN, __VA_ARGS__)
#define log_info(...)  husk_log(HUSK_LOG_INFO, __VA_ARGS__)
#define log_debug(...) husk_log(HUSK_LOG_DEBUG, __VA_ARGS__)

#endif
