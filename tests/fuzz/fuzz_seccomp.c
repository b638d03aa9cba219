/* libFuzzer target: the linux.seccomp object of config.json, through the oci
 * parser and into husk's BPF translation (libseccomp).  The input is the
 * seccomp object itself; it is wrapped into a minimal config.  Nothing is
 * loaded into the kernel.
 *
 * Built with -DFUZZ_REPLAY it is a plain program that runs the same code on
 * the files named on its command line (the corpus), so `make check` keeps the
 * target compiling and the corpus passing. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "oci/spec.h"
#include "runtime/seccomp_filter.h"

static const char prefix[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
			     "\"linux\":{\"seccomp\":";
static const char suffix[] = "}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		husk_log_init(NULL, HUSK_LOG_TEXT, HUSK_LOG_ERROR);
	size_t len = sizeof(prefix) - 1 + size + sizeof(suffix) - 1;
	char *doc = malloc(len + 1);
	if (!doc)
		return 0;
	memcpy(doc, prefix, sizeof(prefix) - 1);
	memcpy(doc + sizeof(prefix) - 1, data, size);
	memcpy(doc + sizeof(prefix) - 1 + size, suffix, sizeof(suffix));
	struct oci_config *cfg = NULL;
	struct husk_err *err = NULL;
	if (oci_config_parse(doc, len, "fuzz.json", &cfg, &err) == 0) {
		if (cfg->linux_.seccomp.present) {
			struct seccomp_prog *p = NULL;
			if (seccomp_prog_build(&cfg->linux_.seccomp, NULL, &p, &err) == 0)
				seccomp_prog_free(p);
		}
		oci_config_free(cfg);
	}
	husk_err_free(&err);
	free(doc);
	return 0;
}

#ifdef FUZZ_REPLAY
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		printf("ok %d - %s\n", i, argv[i]);
	}
	return 0;
}
#endif
