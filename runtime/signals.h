/* Signal names for `kill`: "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3". */
#ifndef HUSK_RUNTIME_SIGNALS_H
#define HUSK_RUNTIME_SIGNALS_H

#include "common/err.h"

int signal_parse(const char *s, int *sig, struct husk_err **err);

#endif
