/* The guest's network configuration text (vm-sandbox/agent/net.h): what the
 * host writes, the agent reads back exactly; anything malformed is refused
 * with the item named, and too much for the command line is an error. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm-sandbox/agent/net.h"

static void round_trip(void **state)
{
	/* Zeroed as a whole (padding included): compared byte for byte below. */
	static struct agent_net n;
	n.mtu = 1400;
	n.n_addrs = 2;
	n.n_routes = 3;
	n.addrs[0].family = AF_INET;
	n.addrs[0].prefix = 24;
	inet_pton(AF_INET, "10.213.7.2", n.addrs[0].addr);
	n.addrs[1].family = AF_INET6;
	n.addrs[1].prefix = 64;
	inet_pton(AF_INET6, "fd00:7::2", n.addrs[1].addr);
	n.routes[0].family = AF_INET;
	n.routes[0].has_gw = true;
	inet_pton(AF_INET, "10.213.7.1", n.routes[0].gw);
	n.routes[1].family = AF_INET;
	n.routes[1].dst_len = 16;
	inet_pton(AF_INET, "10.99.0.0", n.routes[1].dst);
	n.routes[2].family = AF_INET6;
	n.routes[2].has_gw = true;
	inet_pton(AF_INET6, "fe80::1", n.routes[2].gw);

	char *text = NULL;
	struct husk_err *err = NULL;
	assert_int_equal(agent_net_format(&n, &text, &err), 0);
	assert_string_equal(text, "mtu=1400;a=10.213.7.2/24;a=fd00:7::2/64;r=0.0.0.0/0@10.213.7.1;"
				  "r=10.99.0.0/16;r=::/0@fe80::1");
	assert_null(strchr(text, ' ')); /* the kernel's command line splits on spaces */
	struct agent_net back;
	assert_int_equal(agent_net_parse(text, &back, &err), 0);
	assert_memory_equal(&back, &n, sizeof(n));
	free(text);
}

static void refused(const char *text, const char *item)
{
	struct agent_net n;
	struct husk_err *err = NULL;
	assert_true(agent_net_parse(text, &n, &err) < 0);
	assert_non_null(strstr(err->msg, item));
	husk_err_free(&err);
}

static void malformed(void **state)
{
	refused("mtu=1500;a=10.0.0.1", "\"a=10.0.0.1\"");	/* no prefix */
	refused("mtu=1500;a=10.0.0.1/33", "\"a=10.0.0.1/33\""); /* prefix too long */
	refused("mtu=1500;a=fd00::1/129", "\"a=fd00::1/129\"");
	refused("mtu=1500;a=10.0.0.300/8", "\"a=10.0.0.300/8\"");	    /* not an address */
	refused("mtu=1500;r=0.0.0.0/0@fd00::1", "\"r=0.0.0.0/0@fd00::1\""); /* mixed families */
	refused("mtu=1500;r=0.0.0.0/0@", "\"r=0.0.0.0/0@\"");
	refused("mtu=67", "\"mtu=67\"");
	refused("mtu=65536", "\"mtu=65536\"");
	refused("mtu=1500;x=1", "\"x=1\"");
	refused("a=10.0.0.1/8", "no mtu");
	/* more items than the structure holds */
	char many[2048] = "mtu=1500";
	for (int i = 0; i <= AGENT_NET_MAX_ADDRS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ";a=10.0.0.%d/8", i + 1);
	refused(many, "\"a=10.0.0.17/8\"");
}

static void too_long(void **state)
{
	struct agent_net n = {.mtu = 1500, .n_addrs = AGENT_NET_MAX_ADDRS};
	for (unsigned i = 0; i < n.n_addrs; i++) {
		n.addrs[i].family = AF_INET6;
		n.addrs[i].prefix = 128;
		memset(n.addrs[i].addr, 0xab, 16);
	}
	n.n_routes = AGENT_NET_MAX_ROUTES;
	for (unsigned i = 0; i < n.n_routes; i++) {
		n.routes[i] =
		    (struct agent_net_route){.family = AF_INET6, .dst_len = 128, .has_gw = true};
		memset(n.routes[i].dst, 0xcd, 16);
		memset(n.routes[i].gw, 0xef, 16);
	}
	char *text = NULL;
	struct husk_err *err = NULL;
	assert_true(agent_net_format(&n, &text, &err) < 0);
	assert_null(text);
	assert_non_null(strstr(err->msg, "do not fit on the guest's command line"));
	husk_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(malformed),
	    cmocka_unit_test(too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
