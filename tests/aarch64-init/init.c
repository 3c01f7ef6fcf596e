/* A stand-in /init for the qemu-aarch64 boot test (tests/tests/aarch64.rs)
 * until Ibex's userland is built for aarch64: it proves that the kernel ran
 * /init from the built-in initramfs, prints a marker on the console and
 * powers the machine off. Built with aarch64-linux-gnu-gcc -static -Os. */
#include <fcntl.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#define MARKER "IBEX-AARCH64-INIT-OK\n"

int main(void)
{
	/* The kernel opens /dev/console as fds 0-2 when the node exists; open
	 * it again in case it did not. */
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (fd < 0)
		fd = 1;
	write(fd, MARKER, strlen(MARKER));
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached if poweroff failed: PID 1 must not exit. */
	for (;;)
		pause();
}
