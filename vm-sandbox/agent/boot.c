/* The agent's first and last steps: the channel to the host, and power-off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "vm-sandbox/agent/agent.h"
#include "vm-sandbox/agent/channel.h"

int agent_channel_open(struct husk_err **err)
{
	/* The kernel mounts no devtmpfs over an initramfs by itself. */
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") < 0 &&
	    errno != EBUSY)
		return husk_err_sys(err, "mount devtmpfs on /dev");
	int fd = open(AGENT_CHANNEL, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "open %s (the channel to the host)", AGENT_CHANNEL);
	/* hvc0 is a tty: raw, or the line discipline would rewrite the frames. */
	struct termios t;
	if (tcgetattr(fd, &t) < 0) {
		husk_err_sys(err, "%s: tcgetattr", AGENT_CHANNEL);
		close(fd);
		return -1;
	}
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		husk_err_sys(err, "%s: make raw", AGENT_CHANNEL);
		close(fd);
		return -1;
	}
	return fd;
}

void agent_power_off(void)
{
	sync();
	/* reboot=k on the command line: the i8042 reset, which stops the monitor. */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

void agent_fail(int chan, struct husk_err *err)
{
	const char *msg = err && err->msg ? err->msg : "guest agent failed";
	dprintf(2, "husk-agent: %s\n", msg);
	if (chan >= 0) {
		struct husk_err *e = NULL;
		if (chan_send(chan, CHAN_ERROR, msg, (uint32_t)strnlen(msg, CHAN_MAX_PAYLOAD), &e) <
		    0)
			husk_err_free(&e);
		/* The host acknowledges, so the message is out before the reset. */
		struct chan_hdr h;
		tcdrain(chan);
		(void)!read(chan, &h, sizeof(h));
	}
	agent_power_off();
}
