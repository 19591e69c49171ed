/*
 * The cgroup level: one cgroup v2 group per corral, made by the reaper before
 * main exists; main is born in it (clone3 with CLONE_INTO_CGROUP) or, before
 * Linux 5.7, joins it between fork and exec, so that membership is the tree
 * from its first instruction. The reaper itself stays outside: the group's
 * cgroup.kill then spares it, and it is there to remove the group.
 *
 * Born in the group, not moved: a write to cgroup.procs takes the kernel's
 * cgroup_threadgroup_rwsem for writing, which waits out an RCU grace period
 * whenever no migration happened just before: 12-16 ms per spawn measured
 * here, against none for a clone into the group (only the read side).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "contain.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CORRAL_CLONE_INTO_CGROUP 0x200000000ULL

/* struct clone_args up to CLONE_ARGS_SIZE_VER2 (Linux 5.7), spelled out: older headers lack `cgroup`. */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	int fd, saved;
	ssize_t n;

	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;
	return n < 0 ? -1 : 0;
}

/* Reads a small cgroupfs file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_file(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (total < (ssize_t)size - 1 && (n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

int cgroup_create(const char *dir, long long pids_max, long long memory_max, long long cpu_max, const char **what)
{
	char num[32];

	if (mkdir(dir, 0755) < 0) {
		*what = "mkdir of the cgroup";
		return -1;
	}
	if (pids_max > 0) {
		snprintf(num, sizeof num, "%lld", pids_max);
		if (write_file(dir, "pids.max", num) < 0) {
			*what = "pids.max of the cgroup";
			goto fail;
		}
	}
	if (memory_max > 0) {
		snprintf(num, sizeof num, "%lld", memory_max);
		/* No swap either: the limit is what the tree may hold, not what it may page out. */
		if (write_file(dir, "memory.max", num) < 0 || (write_file(dir, "memory.swap.max", "0") < 0 && errno != ENOENT)) {
			*what = "memory.max of the cgroup";
			goto fail;
		}
	}
	if (cpu_max > 0) {
		snprintf(num, sizeof num, "%lld 100000", cpu_max);
		if (write_file(dir, "cpu.max", num) < 0) {
			*what = "cpu.max of the cgroup";
			goto fail;
		}
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fd < 3) {
		/* Never 0: clone_args.cgroup 0 with the flag unknown (5.3-5.6) is EINVAL, not the E2BIG we fall back on. */
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
		fd = high;
	}
	if (fd < 0) {
		*what = "open the cgroup";
		goto fail;
	}
	return fd;
fail:;
	int saved = errno;
	rmdir(dir);
	errno = saved;
	return -1;
}

pid_t cgroup_clone(uint64_t flags, int group)
{
	struct clone_args_v2 args = { .flags = flags | CORRAL_CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)group };

	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
	/*
	 * ENOSYS before 5.3, E2BIG (a larger struct than it knows) before 5.7, and
	 * ENOSYS or EPERM from a container's seccomp profile that predates clone3
	 * (Docker before 20.10.10 said EPERM): the caller falls back to joining.
	 * A real permission problem then shows in the join, with its own reason.
	 */
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG || errno == EPERM))
		errno = ENOSYS;
	return pid;
}

int cgroup_procs(int group)
{
	return openat(group, "cgroup.procs", O_WRONLY | O_CLOEXEC);
}

/* Its pid is pinned by the pidfd only while it lives: membership is read after opening it, then it is checked alive. */
static bool member(const char *dir, pid_t pid, int fd)
{
	char path[64], buf[PATH_MAX + 8];
	int f;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return false;
	n = read(f, buf, sizeof buf - 1);
	close(f);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *line = strstr(buf, "0::/");
	if (!line || (line != buf && line[-1] != '\n'))
		return false;
	char *rel = line + 3, *end = strchr(rel, '\n');
	if (end)
		*end = '\0';
	size_t dl = strlen(dir), rl = strlen(rel);
	/* dir is MOUNT/REL: the group's path through this mount ends with its path in the hierarchy. */
	if (rl <= 1 || rl > dl || strcmp(dir + dl - rl, rel) != 0)
		return false;
	return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
}

unsigned long cgroup_signal_members(const char *dir, int sig)
{
	char path[PATH_MAX];
	unsigned long n = 0;
	FILE *f;
	int pid;

	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1) {
		int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			continue;
		if (member(dir, pid, fd) && syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0)
			n++;
		close(fd);
	}
	fclose(f);
	return n;
}

int cgroup_kill(const char *dir)
{
	if (write_file(dir, "cgroup.kill", "1") == 0)
		return 0;
	/* Before Linux 5.14: frozen, nothing in the group can fork while each member is signalled. */
	bool frozen = write_file(dir, "cgroup.freeze", "1") == 0;
	cgroup_signal_members(dir, SIGKILL);
	if (frozen)
		write_file(dir, "cgroup.freeze", "0");
	return 1;
}

unsigned long cgroup_count(const char *dir)
{
	char path[PATH_MAX], buf[4096];
	unsigned long n = 0;
	ssize_t got;

	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((got = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

bool cgroup_populated(const char *dir)
{
	char buf[256];

	if (read_file(dir, "cgroup.events", buf, sizeof buf) < 0)
		return false;
	char *p = strstr(buf, "populated ");
	return p && p[10] == '1';
}

unsigned long long cgroup_counter(const char *dir, const char *file, const char *key)
{
	char buf[1024];
	size_t kl = strlen(key);

	if (read_file(dir, file, buf, sizeof buf) < 0)
		return 0;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
			return strtoull(line + kl + 1, NULL, 10);
	return 0;
}

int cgroup_remove(const char *dir)
{
	/* Bounded: 200 tries, 1 ms apart at first, then 10 ms (a dying process leaves the group as it exits). */
	for (int i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		if (cgroup_populated(dir)) {
			cgroup_kill(dir);
			cgroup_signal_members(dir, SIGKILL); /* a leader whose threads live on survives cgroup.kill */
		}
		struct timespec ts = { 0, (i < 20 ? 1 : 10) * 1000000L };
		nanosleep(&ts, NULL);
	}
	errno = EBUSY;
	return -1;
}
