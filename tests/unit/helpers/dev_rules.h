/* linux.resources.devices rules for the device-policy tests, one per line. */
#ifndef HUSK_TESTS_DEV_RULES_H
#define HUSK_TESTS_DEV_RULES_H

#include <stdbool.h>

#include "oci/spec.h"

/* TYPE ("c", "b") MAJOR:MINOR with ACCESS ("rwm" letters), allowed or denied. */
#define DEV_RULE(allow_, type_, major_, minor_, access_)                                           \
	{                                                                                          \
		.allow = allow_, .type = (char *)type_, .major = {true, major_},                   \
		.minor = {true, minor_}, .access = (char *)access_                                 \
	}

#endif
