/* ibex-hello: a tiny daemon that exercises init's supervision.
 *
 * Reads an optional configuration file (default /etc/ibex-hello.conf,
 * lines "greeting = TEXT" and "interval = SECONDS"), logs a line at start,
 * tells init it is ready by writing "\n" to the descriptor given with
 * --notify-fd N, then logs a line every few seconds until SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The package version, given by the recipe's build script. */
#ifndef VERSION
#define VERSION "unknown"
#endif

static volatile sig_atomic_t stopping;

static void on_term(int sig) { (void)sig; stopping = 1; }

static char *trim(char *s) {
	while (*s == ' ' || *s == '\t') s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static void read_config(const char *path, char *greeting, size_t cap, long *interval) {
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			fprintf(stderr, "ibex-hello: %s: %s\n", path, strerror(errno));
		return;
	}
	char line[256];
	while (fgets(line, sizeof line, f)) {
		char *s = trim(line);
		if (*s == '#' || *s == 0) continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "ibex-hello: %s: ignoring '%s'\n", path, s);
			continue;
		}
		*eq = 0;
		char *key = trim(s), *value = trim(eq + 1);
		if (strcmp(key, "greeting") == 0) {
			snprintf(greeting, cap, "%s", value);
		} else if (strcmp(key, "interval") == 0) {
			long v = strtol(value, NULL, 10);
			if (v > 0 && v < 86400) *interval = v;
		} else {
			fprintf(stderr, "ibex-hello: %s: unknown key '%s'\n", path, key);
		}
	}
	fclose(f);
}

int main(int argc, char **argv) {
	const char *config = "/etc/ibex-hello.conf";
	int notify_fd = -1;
	long count = -1; /* --count N: exit after N ticks (for tests) */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--notify-fd") == 0 && i + 1 < argc) {
			notify_fd = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = atol(argv[++i]);
		} else {
			fprintf(stderr, "usage: ibex-hello [--notify-fd N] [--config FILE] [--count N]\n");
			return 2;
		}
	}
	char greeting[128] = "hello from ibex-hello";
	long interval = 5;
	read_config(config, greeting, sizeof greeting, &interval);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ibex-hello " VERSION ": started (pid %d): %s, every %lds\n", (int)getpid(), greeting, interval);
	if (notify_fd >= 0) {
		if (write(notify_fd, "\n", 1) != 1)
			fprintf(stderr, "ibex-hello: cannot signal readiness on fd %d: %s\n", notify_fd, strerror(errno));
		close(notify_fd);
	}
	for (long tick = 1; !stopping && (count < 0 || tick <= count); tick++) {
		struct timespec ts = {interval, 0};
		while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
		if (stopping) break;
		printf("ibex-hello: %s (%ld)\n", greeting, tick);
	}
	printf("ibex-hello: stopping\n");
	return 0;
}
