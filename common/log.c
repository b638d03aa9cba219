#include "common/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static int log_fd = 2;
static enum husk_log_format log_format = HUSK_LOG_TEXT;
static enum husk_log_level log_max = HUSK_LOG_WARN;

static const char *level_names[] = {"error", "warning", "info", "debug"};

int husk_log_init(const char *path, enum husk_log_format fmt, enum husk_log_level max_level)
{
	log_format = fmt;
	log_max = max_level;
	if (path && *path) {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
		log_fd = fd;
	}
	return 0;
}

void husk_log_raise(enum husk_log_level level)
{
	if (level > log_max)
		log_max = level;
}

bool husk_log_enabled(enum husk_log_level level)
{
	return level <= log_max;
}

int husk_log_fd(void)
{
	return log_fd;
}

static void json_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void husk_log(enum husk_log_level level, const char *fmt, ...)
{
	if (level > log_max)
		return;
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		return;
	}
	va_end(ap);

	char *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);
	if (!out) {
		free(msg);
		return;
	}
	if (log_format == HUSK_LOG_JSON) {
		struct timespec ts;
		struct tm tm;
		char stamp[64];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(out, "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
		json_escape(out, msg);
		fprintf(out, "\",\"time\":\"%s.%09ldZ\"}\n", stamp, ts.tv_nsec);
	} else if (log_fd == 2) {
		fprintf(out, "husk: %s%s\n", level == HUSK_LOG_ERROR ? "" : level_names[level],
			level == HUSK_LOG_ERROR ? msg : "");
		if (level != HUSK_LOG_ERROR) {
			fclose(out);
			free(line);
			line = xasprintf("husk: %s: %s\n", level_names[level], msg);
			len = strlen(line);
			out = NULL;
		}
	} else {
		fprintf(out, "level=%s msg=\"%s\"\n", level_names[level], msg);
	}
	if (out)
		fclose(out);
	write_all(log_fd, line, len);
	free(line);
	free(msg);
}
