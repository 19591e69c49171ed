/*
 * corral-reaper: a persistent reference to one process tree.
 *
 * It becomes a child subreaper, starts the main command, reaps every process
 * that comes back to it, signals or kills the whole tree when told to over the
 * control socket (fd 3), reports events there, and exits only when it has no
 * child left. Its contract is in README.md beside this file.
 *
 * Single-threaded; one poll() loop on a signalfd and the control socket; no
 * periodic tick (a deadline exists only while a kill is converging).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contain.h"
#include "protocol.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#define PF_EXITING 0x00000004 /* task flag in /proc/PID/stat field 9 */

extern char **environ;

struct config {
	const char *id;
	const char *name;
	char *main_slot; /* argv text rewritten to main's pid (zeros once it exited): read by `corral ps` */
	pid_t parent; /* the controller; 0 = do not check */
	bool foreground; /* main stays in the caller's process group */
	unsigned long long ignore; /* signals the caller ignored: keep them ignored in main */
	bool no_new_privs;
	const char *cgroup; /* the cgroup level: the group to make for the tree (it must not exist) */
	long long pids_max, memory_max, cpu_max; /* its limits, 0 = none; cpu_max: µs per 100 ms period */
	bool sandbox; /* the sandbox level: `sb` applies */
	struct sandbox sb;
	char **argv; /* main command */
};

/* cgroup level: how long the sweep after cgroup.kill waits while reaping goes on, and at most. */
#define SWEEP_WAIT_MS 16
#define SWEEP_DEADLINE_MS 250

struct totals {
	unsigned long processes; /* processes this reaper reaped */
	unsigned long peak; /* most members seen at once */
	unsigned long long user_us, system_us;
	long maxrss_kib;
};

struct pidlist {
	pid_t *v;
	size_t n, cap;
};

struct tree {
	pid_t main;
	bool main_reaped;
	bool killing;
	bool sweep_due; /* cgroup level: the passes after cgroup.kill are still to do (see kill_tree) */
	unsigned long reaped; /* children reaped so far: progress, for the deferred sweep */
	unsigned long reaped_at_check;
	unsigned long members_at_check; /* cgroup.procs lines then: fewer later is progress too */
	struct timespec sweep_deadline;
	int kill_backoff_ms;
	struct timespec next_pass;
	struct pidlist known; /* while killing: our direct children already killed, sorted */
	struct pidlist counted; /* while killing: every member seen, for the peak figure */
	struct totals totals;
	const char *cgroup; /* the tree's group, removed once empty; NULL in track and sandbox-only */
	pid_t init; /* sandbox: the init, our only child; main is its child */
	int report; /* sandbox: lines from the init, -1 once read to the end */
	bool main_reported;
	unsigned long inner_processes; /* sandbox: what the init reaped */
};

static int control = CORRAL_CONTROL_FD; /* -1 once the controller is gone */
static int pdeath_signal; /* SIG_CONTROLLER_GONE: the controller died */
static int kill_request_signal; /* SIG_KILL_TREE: anyone allowed to signal us asks for a whole-tree kill */
static char *main_slot;
static pid_t controller_pid;
static struct rlimit caller_nofile; /* restored in main before exec */
/*
 * --init: the reaper is a container's pid 1 under a supervisor (`corral up`): it reaps every
 * zombie, passes signals to main alone (the supervisor stops its services its own way), and
 * exits with main's status once the rest is gone. No control socket.
 */
static bool init_mode;
static int main_status;

/* ---- control socket ---------------------------------------------------- */

static void emit(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (control < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	/* MSG_NOSIGNAL: a vanished controller is seen as EOF by poll(), not as SIGPIPE. */
	while (send(control, line, n, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void warn_errno(const char *what)
{
	emit(EV_WARN " %d %s", errno, what);
}

static void fatal(int err, const char *what)
{
	emit(EV_FATAL " %d %s", err, what);
	fprintf(stderr, "corral-reaper: %s: %s\n", what, strerror(err));
	exit(125);
}

/* ---- /proc readers ------------------------------------------------------ */

struct proc_stat {
	char state;
	pid_t ppid;
	unsigned long flags;
	long threads;
	unsigned long long start; /* field 22: with the pid, names one process for ever */
	unsigned long pending; /* field 31: the leader's private pending signals */
};

static bool read_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[1024], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and ')': fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return false;
	/* 3 state, 4 ppid, 9 flags, 20 num_threads, 22 starttime, 31 signal */
	unsigned long f[32];
	int field = 3;
	p += 2;
	st->state = *p;
	p++;
	for (field = 4; field <= 31 && *p; field++) {
		while (*p == ' ')
			p++;
		f[field] = strtoul(p, &p, 10);
	}
	if (field <= 31)
		return false;
	st->ppid = (pid_t)f[4];
	st->flags = f[9];
	st->threads = (long)f[20];
	st->start = f[22];
	st->pending = f[31];
	return true;
}

static void free_pidlist(struct pidlist *l)
{
	if (l) {
		free(l->v);
		free(l);
	}
}

static void push_pid(struct pidlist *l, pid_t pid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		pid_t *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return; /* out of memory: this pass misses some; a later one finds them */
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = pid;
}

static void read_children_file(const char *path, struct pidlist *out)
{
	char buf[4096], num[16];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return; /* the task exited: it has no children to list */
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				if (len < sizeof num - 1)
					num[len++] = buf[i];
			} else if (len) {
				num[len] = '\0';
				push_pid(out, (pid_t)atoi(num));
				len = 0;
			}
		}
	}
	if (len) {
		num[len] = '\0';
		push_pid(out, (pid_t)atoi(num));
	}
	close(fd);
}

/* Children hang off the thread that forked them, so a multithreaded process needs every task. */
static void list_children(pid_t pid, long threads, struct pidlist *out)
{
	char path[96];

	if (threads <= 1) {
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
		read_children_file(path, out);
		return;
	}
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	for (struct dirent *e; (e = readdir(dir));) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, atoi(e->d_name));
		read_children_file(path, out);
	}
	closedir(dir);
}

/* ---- signalling the tree ------------------------------------------------ */

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}


struct member {
	pid_t pid;
	int fd;
	long threads;
	struct pidlist *kids; /* catchable signals: children listed before the member was signalled */
};

/*
 * Opens a pidfd on `pid` and proves it is a child of `parent` (held by
 * parent_fd, or the reaper itself when parent_fd < 0): the stat read is of the
 * pidfd's process if that process is still alive after the read, and its ppid
 * named our member if the parent is still alive after it. Returns -1 for a
 * process that is gone, reparented or not ours.
 */
/* PIDFD_GET_INFO (Linux 6.13): facts about a pidfd's own process, no /proc text to parse. */
struct pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid, spare0;
};
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info)
#define PIDFD_INFO_PID 1ULL

static bool have_pidfd_info = true;

/* 1: *ppid set; 0: not supported here (use /proc); -1: the process is gone. */
static int pidfd_ppid(int fd, pid_t *ppid)
{
	struct pidfd_info info = { .mask = PIDFD_INFO_PID };

	if (!have_pidfd_info)
		return 0;
	if (ioctl(fd, PIDFD_GET_INFO, &info) == 0) {
		*ppid = (pid_t)info.ppid;
		return 1;
	}
	if (errno == ESRCH)
		return -1;
	have_pidfd_info = false; /* ENOTTY/EINVAL: a kernel before 6.13 */
	return 0;
}

/*
 * For SIGKILL only ancestry matters, and PIDFD_GET_INFO answers about the
 * pidfd's own process, so no re-check of the member is needed; `st` then
 * holds only what is known (threads unknown: 1, so only the main thread's
 * children are listed — a thread's children come back to us as orphans when
 * the killed process dies).
 */
static int open_verified(pid_t pid, pid_t parent, int parent_fd, struct proc_stat *st, bool ancestry_only)
{
	int fd = pidfd_open(pid);
	pid_t ppid;

	if (fd < 0)
		return -1; /* ESRCH: exited since it was listed */
	int info = ancestry_only ? pidfd_ppid(fd, &ppid) : 0;
	if (info == 1) {
		*st = (struct proc_stat){ .state = '?', .ppid = ppid, .threads = 1 };
	} else if (info < 0 || !read_stat(pid, st) || pidfd_signal(fd, 0) < 0) {
		close(fd);
		return -1;
	}
	if (st->ppid != parent || (parent_fd >= 0 && pidfd_signal(parent_fd, 0) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool dying(const struct proc_stat *st)
{
	return (st->pending & (1UL << (SIGKILL - 1))) || (st->flags & PF_EXITING);
}

/* Members a catchable signal already reached, as (pid, start time): sorted between passes. */
struct reached {
	unsigned long long *v;
	size_t n, cap, sorted;
	unsigned long long asked_at; /* clock ticks when the signal was asked for */
	bool orphans_only; /* passes after the first: only orphans that came back to us */
};

static unsigned long long identity(pid_t pid, const struct proc_stat *st)
{
	return ((unsigned long long)pid << 40) ^ st->start;
}

static int compare_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Members seen over a whole kill, each once: the first pass can miss those
 * whose parent died under it (they are adopted later), so a pass alone
 * undercounts and a sum of passes double-counts.
 */
static size_t count_distinct(struct pidlist *l)
{
	size_t n = 0;

	qsort(l->v, l->n, sizeof *l->v, compare_pid);
	for (size_t i = 0; i < l->n; i++)
		if (i == 0 || l->v[i] != l->v[n - 1])
			l->v[n++] = l->v[i];
	l->n = n;
	return n;
}

static int compare_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

static bool already_reached(const struct reached *r, unsigned long long id)
{
	return r->sorted && bsearch(&id, r->v, r->sorted, sizeof id, compare_ull);
}

static void mark_reached(struct reached *r, unsigned long long id)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		unsigned long long *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return; /* out of memory: a later pass may signal it twice */
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = id;
}

/* What a member gets in one pass; returns whether it counts as newly reached. */
static bool signal_member(int fd, pid_t pid, const struct proc_stat *st, int sig, bool cont, struct reached *r)
{
	if (sig == SIGKILL) {
		if (st->state == 'Z') {
			/* A leader whose threads live on looks like a zombie: kill it anyway. */
			pidfd_signal(fd, SIGKILL);
			return false;
		}
		if (dying(st))
			return false;
		if (pidfd_signal(fd, SIGKILL) < 0 && errno == EPERM) {
			/* A member that changed uid (setuid/sudo) is beyond us: say so, once. */
			static bool warned;
			if (!warned) {
				warned = true;
				warn_errno("SIGKILL of a member not permitted");
			}
		}
		return true;
	}
	/* An orphan found later that started in or after the tick of the request may be new (a trap's job). */
	if (st->state == 'Z' || (r->orphans_only && st->start >= r->asked_at) || already_reached(r, identity(pid, st)))
		return false;
	mark_reached(r, identity(pid, st));
	pidfd_signal(fd, sig);
	if (cont)
		pidfd_signal(fd, SIGCONT);
	return true;
}

/*
 * One pass over the tree, parents before children: each member is signalled
 * before its children are listed, so under SIGKILL it cannot add a child the
 * listing misses (fork fails once SIGKILL is pending). Orphans reparented to
 * us during the pass are what later passes are for. Returns how many members
 * were newly reached: for SIGKILL, not yet dying; for other signals, not yet
 * signalled (`r` remembers them across passes, so each gets the signal once).
 */
static unsigned long signal_pass(struct tree *t, int sig, bool cont, struct reached *r, const struct pidlist *roots)
{
	struct member *queue = NULL;
	size_t head = 0, len = 0, cap = 0;
	struct pidlist kids = { 0 };
	unsigned long fresh = 0, seen = 0;
	pid_t self = getpid();

	if (roots) {
		for (size_t i = 0; i < roots->n; i++)
			push_pid(&kids, roots->v[i]);
	} else {
		list_children(self, 1, &kids);
	}
	for (struct member parent = { self, -1, 1, NULL };;) {
		for (size_t i = 0; i < kids.n; i++) {
			struct proc_stat st;
			int fd = open_verified(kids.v[i], parent.pid, parent.fd, &st, sig == SIGKILL);

			if (fd < 0)
				continue;
			seen++;
			if (sig == SIGKILL) {
				push_pid(&t->counted, kids.v[i]);
				if (parent.pid == self)
					push_pid(&t->known, kids.v[i]);
			}
			/*
			 * Catchable signals: list the children before signalling, so that what
			 * the member starts in its handler (a clean-up job) is not signalled too.
			 * SIGKILL: list after, so that none can be added unseen.
			 */
			struct pidlist *own = NULL;
			if (sig != SIGKILL && (own = calloc(1, sizeof *own)))
				list_children(kids.v[i], st.threads, own);
			bool reached = signal_member(fd, kids.v[i], &st, sig, cont, r);
			fresh += reached;
			if (!reached && r && r->orphans_only) {
				/* Reached before, or new: nothing of its subtree is ours to signal now. */
				free_pidlist(own);
				close(fd);
				continue;
			}
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct member *q = realloc(queue, ncap * sizeof *q);
				if (!q) {
					free_pidlist(own);
					close(fd);
					continue; /* out of memory: a later pass finds the rest */
				}
				queue = q;
				cap = ncap;
			}
			queue[len++] = (struct member){ kids.v[i], fd, st.threads, own };
		}
		if (parent.fd >= 0)
			close(parent.fd);
		if (head == len)
			break;
		parent = queue[head++];
		kids.n = 0;
		if (parent.kids) {
			for (size_t k = 0; k < parent.kids->n; k++)
				push_pid(&kids, parent.kids->v[k]);
			free_pidlist(parent.kids);
		} else {
			list_children(parent.pid, parent.threads, &kids);
		}
	}
	free(queue);
	free(kids.v);
	if (r) {
		qsort(r->v, r->n, sizeof *r->v, compare_ull);
		r->sorted = r->n;
	}
	if (sig == SIGKILL) {
		qsort(t->known.v, t->known.n, sizeof *t->known.v, compare_pid);
		seen = count_distinct(&t->counted);
	}
	if (seen > t->totals.peak)
		t->totals.peak = seen;
	return fresh;
}

static unsigned long long boot_ticks(void)
{
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (unsigned long long)ts.tv_sec * hz + (unsigned long long)ts.tv_nsec / (1000000000ULL / hz);
}

/*
 * A catchable signal reaches every member once, even one whose parent died
 * mid-pass and left it reparented to us where the pass had already looked:
 * after the full pass, our own children are checked again until none is new.
 * Processes started after the signal was asked for (a trap's clean-up job)
 * are left alone: a member's children are listed before it is signalled, and
 * a late orphan from the request's clock tick or after is taken for new.
 */
static void forward_signal(struct tree *t, int sig, bool cont)
{
	struct reached r = { .asked_at = boot_ticks() };

	signal_pass(t, sig, cont, &r, NULL);
	r.orphans_only = true;
	for (int i = 0; i < 8; i++) {
		struct pidlist ours = { 0 };
		list_children(getpid(), 1, &ours);
		unsigned long n = ours.n ? signal_pass(t, sig, cont, &r, &ours) : 0;
		free(ours.v);
		if (n == 0)
			break;
	}
	free(r.v);
}

/* Samples the tree's size for the peak figure: unverified, it only counts. */
static void sample_peak(struct tree *t, bool minus_init)
{
	struct pidlist all = { 0 };

	list_children(getpid(), 1, &all);
	for (size_t i = 0; i < all.n; i++)
		list_children(all.v[i], 1, &all); /* main threads only: a count, kept cheap */
	if (all.n - minus_init > t->totals.peak)
		t->totals.peak = all.n - minus_init;
	free(all.v);
}

static void group_kill(struct tree *t)
{
	/*
	 * Until main is reaped its pid cannot be reused, so a process group with
	 * that id can only be one main created: provably ours. In --foreground mode
	 * main stays in the caller's group, and this finds no group (ESRCH).
	 */
	if (t->main > 0 && !t->main_reaped)
		kill(-t->main, SIGKILL);
}

static void timespec_after_ms(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int ms_until(const struct timespec *ts)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Rounded up: poll() must not wake early and spin on a sub-millisecond remainder. */
	ms = ((long long)(ts->tv_sec - now.tv_sec) * 1000000000LL + (ts->tv_nsec - now.tv_nsec) + 999999) / 1000000;
	return ms < 0 ? 0 : (int)(ms > INT_MAX ? INT_MAX : ms);
}

/*
 * Orphans that came back to us after the pass listed our children (their
 * parent died meanwhile) are the only members a pass can miss: every member it
 * reached got SIGKILL before its children were listed. Each one missed ends up
 * our child as its killed ancestors die, so looking at our own children is
 * enough to find them all; a direct child's pid is pinned until we reap it.
 */
static unsigned long adopt_orphans(struct tree *t)
{
	struct pidlist kids = { 0 }, orphans = { 0 };
	unsigned long n = 0;

	list_children(getpid(), 1, &kids);
	for (size_t i = 0; i < kids.n; i++)
		if (!bsearch(&kids.v[i], t->known.v, t->known.n, sizeof kids.v[i], compare_pid))
			push_pid(&orphans, kids.v[i]);
	if (orphans.n)
		n = signal_pass(t, SIGKILL, false, NULL, &orphans);
	free(kids.v);
	free(orphans.v);
	return n;
}

static void forget_child(struct tree *t, pid_t pid)
{
	pid_t *hit = bsearch(&pid, t->known.v, t->known.n, sizeof pid, compare_pid);

	if (hit) {
		memmove(hit, hit + 1, (size_t)(t->known.v + t->known.n - hit - 1) * sizeof pid);
		t->known.n--;
	}
}

/* While children remain, look for orphans again: soon after a find, then backing off. */
static void check_orphans(struct tree *t)
{
	bool found = false;

	for (int i = 0; i < 16 && adopt_orphans(t) > 0; i++)
		found = true;
	int doubled = t->kill_backoff_ms < 1 ? 1 : t->kill_backoff_ms * 2; /* never 0: that would spin */
	t->kill_backoff_ms = found ? 1 : (doubled < 128 ? doubled : 128);
	timespec_after_ms(&t->next_pass, t->kill_backoff_ms);
}

/* The track level's kill, also the cgroup level's sweep: one pass over the tree, then orphan checks. */
static void kill_pass(struct tree *t)
{
	if (!t->killing) {
		t->killing = true;
		t->kill_backoff_ms = 1;
	}
	t->known.n = 0;
	t->counted.n = 0;
	signal_pass(t, SIGKILL, false, NULL, NULL);
	check_orphans(t);
}

/*
 * cgroup level, some time after cgroup.kill: what it cannot reach. A leader
 * whose threads live on (it survives cgroup.kill on 6.18) gets a SIGKILL of its
 * own; a member that left the group (root inside can move itself) is found by
 * the track pass. Put off while the tree is still dying (we reaped some, or the
 * group lists fewer) since the last look: a pass over 1000 dying processes
 * only slowed their end (measured: a kill of 1000 took 1.6x the bare
 * cgroup.kill with the passes at once, 1.1x without), but never beyond the
 * deadline.
 */
static void sweep(struct tree *t)
{
	bool past = ms_until(&t->sweep_deadline) == 0;
	unsigned long members = cgroup_count(t->cgroup);
	bool progress = t->reaped != t->reaped_at_check || members < t->members_at_check;
	if (progress && !past) {
		t->reaped_at_check = t->reaped;
		t->members_at_check = members;
		timespec_after_ms(&t->next_pass, SWEEP_WAIT_MS);
		return;
	}
	t->sweep_due = false;
	cgroup_signal_members(t->cgroup, SIGKILL);
	kill_pass(t);
}

/*
 * The group kill first: one kernel-side signal reaches main's whole process
 * group at once (at the cgroup level, cgroup.kill reaches every member). Then
 * one pass over the tree for what left the group, and orphan checks until the
 * reaper has no child; at the cgroup level, that pass is the deferred sweep.
 */
static void kill_tree(struct tree *t, bool group_too)
{
	if (t->init > 0) {
		/* The init's end is the namespace's: the kernel kills every process in it. Unreaped, its pid is ours. */
		if (!t->killing)
			sample_peak(t, true); /* the init reaps inside: this is the last look at the tree's size */
		kill(t->init, SIGKILL);
		if (t->cgroup)
			cgroup_kill(t->cgroup);
		t->killing = true;
		t->kill_backoff_ms = 128;
		timespec_after_ms(&t->next_pass, t->kill_backoff_ms);
		return;
	}
	unsigned long members = t->cgroup ? cgroup_count(t->cgroup) : 0; /* a read, not a walk */
	if (!t->killing && members > t->totals.peak)
		t->totals.peak = members; /* the last look at the tree's size */
	if (t->cgroup && cgroup_kill(t->cgroup) == 0) {
		/*
		 * Every member at once, also those that left the tree; it cannot fork any
		 * more. No process-group kill as well: kill(-pgid) holds tasklist_lock
		 * while it signals, so no member can finish dying meanwhile (measured: 87 ms
		 * for 1000, then all the exits), while cgroup.kill lets them die as it goes.
		 */
		if (!t->killing) {
			t->killing = true;
			t->kill_backoff_ms = 1; /* for the orphan checks after the sweep: 0 would never back off */
		}
		if (!t->sweep_due) {
			t->sweep_due = true;
			t->reaped_at_check = t->reaped;
			t->members_at_check = members;
			timespec_after_ms(&t->sweep_deadline, SWEEP_DEADLINE_MS);
			timespec_after_ms(&t->next_pass, SWEEP_WAIT_MS);
		}
		return;
	}
	/* Track level, or before cgroup.kill (5.14): the freeze fallback has signalled each member already. */
	if (group_too)
		group_kill(t);
	t->sweep_due = false;
	kill_pass(t);
}

/* ---- reaping ------------------------------------------------------------ */

/* Writes main's pid, zero-padded, over the --main placeholder: /proc/PID/cmdline shows it. */
static void publish_main(pid_t pid)
{
	size_t len = main_slot ? strlen(main_slot) : 0;
	char digits[24];

	if (len == 0)
		return;
	int n = snprintf(digits, sizeof digits, "%0*d", (int)len, pid);
	if (n == (int)len)
		memcpy(main_slot, digits, len);
}

/*
 * Sandbox: the init's lines. `exited` is main's status, passed on as the event;
 * `empty N` counts what it reaped. At EOF (the init gone) the pipe is closed.
 */
static void read_report(struct tree *t, bool to_end)
{
	static char buf[512];
	static size_t len;

	while (t->report >= 0) {
		ssize_t n = read(t->report, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !to_end)
			return;
		if (n <= 0) {
			close(t->report);
			t->report = -1;
			return;
		}
		len += (size_t)n;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
			int code, sig, core;
			unsigned long count;
			*nl = '\0';
			if (sscanf(start, "exited %d %d %d", &code, &sig, &core) == 3 && !t->main_reported) {
				t->main_reaped = t->main_reported = true;
				publish_main(0);
				emit(EV_EXITED " %d %d %d", code, sig, core);
			} else if (sscanf(start, "empty %lu", &count) == 1) {
				t->inner_processes = count;
			}
			start = nl + 1;
		}
		len -= (size_t)(start - buf);
		memmove(buf, start, len);
		if (len == sizeof buf - 1)
			len = 0;
	}
}

/* Reaps every child that is ready; returns false once the reaper has no child at all. */
static bool reap(struct tree *t)
{
	for (;;) {
		int status;
		struct rusage ru;
		pid_t pid = wait4(-1, &status, WNOHANG | __WALL, &ru);

		if (pid == 0)
			return true;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return errno != ECHILD;
		}
		t->totals.processes++;
		t->reaped++;
		if (t->killing)
			forget_child(t, pid);
		if (pid == t->init) {
			read_report(t, true); /* all it wrote before it died */
			/* The init is not a member; killed with its namespace, it counted nothing: the peak is the best figure. */
			t->totals.processes += (t->inner_processes ? t->inner_processes : t->totals.peak) - 1;
			if (!t->main_reported) {
				/* Killed with its namespace before it could reap main: main died of that SIGKILL. */
				t->main_reaped = t->main_reported = true;
				publish_main(0);
				emit(EV_EXITED " -1 %d 0", SIGKILL);
			}
		}
		t->totals.user_us += (unsigned long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
		t->totals.system_us += (unsigned long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
		if (ru.ru_maxrss > t->totals.maxrss_kib)
			t->totals.maxrss_kib = ru.ru_maxrss;
		if (pid == t->main && t->init == 0) {
			t->main_reaped = true;
			publish_main(0);
			if (WIFEXITED(status))
				emit(EV_EXITED " %d 0 0", WEXITSTATUS(status));
			else
				emit(EV_EXITED " -1 %d %d", WTERMSIG(status), WCOREDUMP(status) ? 1 : 0);
			if (init_mode) {
				main_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				if (!t->killing)
					kill_tree(t, true); /* the supervisor is gone: so is whatever it left */
			}
		}
	}
}

/* ---- commands ----------------------------------------------------------- */

static void controller_gone(struct tree *t)
{
	if (control >= 0) {
		close(control);
		control = -1;
	}
	kill_tree(t, true);
}

static void run_command(struct tree *t, char *line)
{
	int sig, cont;

	if (strcmp(line, CMD_KILL) == 0) {
		kill_tree(t, true);
	} else if (sscanf(line, CMD_SIGNAL " %d %d", &sig, &cont) == 2 && sig > 0 && sig < NSIG) {
		if (sig == SIGKILL)
			kill_tree(t, true);
		else
			forward_signal(t, sig, cont != 0);
	} else {
		errno = EINVAL;
		warn_errno("unknown command");
	}
}

static void read_control(struct tree *t)
{
	static char buf[1024];
	static size_t len;
	ssize_t n = recv(control, buf + len, sizeof buf - 1 - len, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		controller_gone(t);
		return;
	}
	len += (size_t)n;
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
		*nl = '\0';
		run_command(t, start);
		start = nl + 1;
	}
	len -= (size_t)(start - buf);
	memmove(buf, start, len);
	if (len == sizeof buf - 1)
		len = 0; /* an over-long line is garbage: drop it */
}

static bool forwarded(int sig)
{
	return sig == SIGHUP || sig == SIGINT || sig == SIGQUIT || sig == SIGTERM || sig == SIGUSR1 ||
	       sig == SIGUSR2 || sig == SIGWINCH;
}

static void read_signals(int sfd, struct tree *t, bool *child_event)
{
	struct signalfd_siginfo si[16];
	ssize_t n;

	while ((n = read(sfd, si, sizeof si)) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			int sig = (int)si[i].ssi_signo;

			if (sig == SIGCHLD)
				*child_event = true;
			else if (sig == pdeath_signal && ((pid_t)si[i].ssi_pid == controller_pid || getppid() != controller_pid))
				controller_gone(t); /* sent by anyone else (the tree, say), it means nothing */
			else if (sig == kill_request_signal)
				kill_tree(t, true);
			else if (forwarded(sig) && init_mode && !t->main_reaped && t->main > 0)
				kill(t->main, sig); /* our unreaped child: its pid cannot be anyone else's */
			else if (forwarded(sig) && !init_mode)
				forward_signal(t, sig, false);
		}
	}
}

/* ---- set-up ------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: corral-reaper [--id ID] [--name NAME] [--level LEVEL] [--main 0000000000]\n"
			"                     [--parent PID] [--foreground] [--ignore HEXMASK] [--no-new-privs]\n"
			"                     [--cgroup DIR [--pids-max N] [--memory-max BYTES] [--cpu-max USEC]]\n"
			"                     [--sandbox [--max-processes N] [--no-network] [--read-only [--writable PATH]...]]\n"
			"                     -- FILE [ARG...]\n"
			"It is started by the corral library with a control socket on fd 3.\n");
	exit(125);
}

#define MAX_WRITABLE 64
static const char *writable[MAX_WRITABLE];

static void parse_args(int argc, char **argv, struct config *cfg)
{
	int i;

	memset(cfg, 0, sizeof *cfg);
	cfg->sb.writable = writable;
	cfg->sb.cgroup = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--foreground") == 0) {
			cfg->foreground = true;
			continue;
		}
		if (strcmp(a, "--init") == 0) {
			init_mode = true;
			continue;
		}
		if (strcmp(a, "--no-new-privs") == 0) {
			cfg->no_new_privs = true;
			continue;
		}
		if (strcmp(a, "--sandbox") == 0) {
			cfg->sandbox = true;
			continue;
		}
		if (strcmp(a, "--no-network") == 0) {
			cfg->sb.network_off = true;
			continue;
		}
		if (strcmp(a, "--read-only") == 0) {
			cfg->sb.read_only = true;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(a, "--id") == 0)
			cfg->id = v;
		else if (strcmp(a, "--name") == 0)
			cfg->name = v;
		else if (strcmp(a, "--parent") == 0)
			cfg->parent = (pid_t)atoi(v);
		else if (strcmp(a, "--ignore") == 0)
			cfg->ignore = strtoull(v, NULL, 16);
		else if (strcmp(a, "--main") == 0)
			cfg->main_slot = argv[i + 1];
		else if (strcmp(a, "--level") == 0)
			; /* carried for discovery only */
		else if (strcmp(a, "--cgroup") == 0)
			cfg->cgroup = v;
		else if (strcmp(a, "--pids-max") == 0)
			cfg->pids_max = atoll(v);
		else if (strcmp(a, "--memory-max") == 0)
			cfg->memory_max = atoll(v);
		else if (strcmp(a, "--cpu-max") == 0)
			cfg->cpu_max = atoll(v);
		else if (strcmp(a, "--max-processes") == 0)
			cfg->sb.max_processes = atol(v);
		else if (strcmp(a, "--writable") == 0 && cfg->sb.nwritable < MAX_WRITABLE)
			writable[cfg->sb.nwritable++] = v;
		else
			usage();
		i++;
	}
	if (i >= argc)
		usage();
	cfg->argv = argv + i;
}

static void setup_control(void)
{
	int flags = fcntl(control, F_GETFL);

	if (flags < 0 && init_mode) {
		control = -1; /* run by hand or by a container runtime: nobody to talk to */
		return;
	}
	if (flags < 0)
		fatal(errno, "control socket on fd 3");
	/* Ours alone: never inherited by the tree. Blocking: events are few and tiny. */
	fcntl(control, F_SETFD, FD_CLOEXEC);
	fcntl(control, F_SETFL, flags & ~O_NONBLOCK);
}

static bool synchronous(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
	       sig == SIGSYS || sig == SIGABRT;
}

/*
 * Every asynchronous signal is blocked and read from a signalfd; main gets a clean mask.
 * The raw syscall blocks the signals libc reserves too (32-34), which sigaddset refuses and
 * whose default action would otherwise kill the reaper. SIGCHLD must not be inherited
 * ignored: the kernel would then reap for us and we would never see the tree empty.
 */
static int block_signals(void)
{
	sigset_t all;
	unsigned long long raw = 0;

	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&all);
	for (int sig = 1; sig <= 64; sig++) {
		if (synchronous(sig))
			continue;
		raw |= 1ULL << (sig - 1);
		if (sig < NSIG)
			sigaddset(&all, sig); /* fails, harmlessly, for the reserved ones */
	}
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &raw, NULL, sizeof raw) < 0)
		fatal(errno, "rt_sigprocmask");
	int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		fatal(errno, "signalfd");
	return sfd;
}

/* A pass holds a pidfd per queued member: a wide tree needs more than the usual 1024. */
static void raise_fd_limit(void)
{
	if (getrlimit(RLIMIT_NOFILE, &caller_nofile) < 0)
		return;
	struct rlimit raised = { caller_nofile.rlim_max, caller_nofile.rlim_max };
	setrlimit(RLIMIT_NOFILE, &raised); /* best effort: failing leaves passes to retry the rest */
}

static void become_subreaper(const struct config *cfg)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fatal(errno, "prctl(PR_SET_CHILD_SUBREAPER)");
	/* Kernel numbers, not SIGRTMIN+n: glibc's SIGRTMIN is 34, musl's 35; both leave 35 and 36 free. */
	pdeath_signal = SIG_CONTROLLER_GONE;
	kill_request_signal = SIG_KILL_TREE;
	if (SIGRTMIN > SIG_CONTROLLER_GONE)
		fatal(EINVAL, "this C library reserves the real-time signals corral uses");
	if (prctl(PR_SET_PDEATHSIG, pdeath_signal) < 0)
		fatal(errno, "prctl(PR_SET_PDEATHSIG)");
	/* The controller may have died before PDEATHSIG was armed. */
	if (cfg->parent > 0 && getppid() != cfg->parent)
		fatal(ESRCH, "controller exited before the tree started");
	controller_pid = cfg->parent;
	/* Without the children lists (CONFIG_PROC_CHILDREN) no pass could find the tree. */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
	if (access(path, R_OK) < 0)
		fatal(errno, "/proc/PID/task/TID/children (needs a kernel with CONFIG_PROC_CHILDREN)");
	/* Without pidfds no member can be proven ours: refuse rather than kill half a tree. */
	int fd = pidfd_open(getpid());
	if (fd < 0)
		fatal(errno, "pidfd_open (needs Linux >= 5.3, not blocked by a seccomp filter)");
	close(fd);
}

/*
 * The child's side of vfork(): it shares our memory until exec, so it writes
 * nothing but `spawn_errno` and calls only async-signal-safe functions (and
 * execvp, which searches PATH on its stack and falls back to /bin/sh for a
 * file without #!, as timeout(1) does). Raw rt_sigaction also resets the two
 * signals glibc reserves, which posix_spawn would leave ignored.
 */
static volatile int spawn_errno;

struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long long mask;
};

static const struct config *main_cfg; /* for the sandbox's init, which starts main through exec_sandboxed */

/* Main's side between fork and exec; returns only on failure, with errno set and *what (if not exec). */
static void prepare_exec(const struct config *cfg, int cgroup_procs, const char **what)
{
	sigset_t none;

	if (!cfg->foreground && setpgid(0, 0) < 0) {
		*what = "setpgid";
		return;
	}
	/* Joined before exec: main and all it starts are in the group from their first instruction. */
	if (cgroup_procs >= 0 && write(cgroup_procs, "0", 1) < 0) {
		*what = "join the cgroup";
		return;
	}
	for (int sig = 1; sig <= 64; sig++) {
		bool keep_ignored = sig != SIGCHLD && (cfg->ignore & (1ULL << (sig - 1)));
		struct kernel_sigaction sa = { keep_ignored ? SIG_IGN : SIG_DFL, 0, NULL, 0 };

		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &sa, NULL, sizeof sa.mask);
	}
	if (caller_nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &caller_nofile);
	if (cfg->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*what = "PR_SET_NO_NEW_PRIVS";
		return;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(cfg->argv[0], cfg->argv);
}

static volatile const char *spawn_what; /* set with spawn_errno when main failed before exec */

static void exec_main(const struct config *cfg, int cgroup_procs)
{
	const char *what = NULL;

	prepare_exec(cfg, cgroup_procs, &what);
	spawn_errno = errno;
	spawn_what = what;
	_exit(127);
}

/* In the sandbox's init's child: the group was joined by the init. */
static void exec_sandboxed(void)
{
	const char *what = NULL;

	prepare_exec(main_cfg, -1, &what);
}

/* Set-up failed after the group was made: no group is left behind. */
static void fatal_cleanup(struct tree *t, int err, const char *what)
{
	if (t->cgroup)
		cgroup_remove(t->cgroup);
	fatal(err, what);
}

static void spawn_sandboxed(const struct config *cfg, struct tree *t, int group)
{
	struct sandbox sb = cfg->sb;
	struct sandbox_child child;
	const char *what = NULL;

	sb.cgroup = group;
	main_cfg = cfg;
	if (sandbox_spawn(&sb, exec_sandboxed, &child, &what) < 0)
		fatal_cleanup(t, errno, what);
	t->init = child.init;
	t->report = child.report;
	fcntl(t->report, F_SETFL, O_NONBLOCK);
	if (child.spawn_errno) {
		t->main_reported = true; /* nothing ran: no `exited` */
		emit(EV_SPAWN_FAILED " %d", child.spawn_errno);
		return;
	}
	if (child.main <= 0) {
		kill(t->init, SIGKILL);
		waitpid(t->init, NULL, 0);
		fatal_cleanup(t, ESRCH, "find main in the sandbox");
	}
	t->main = child.main;
	t->totals.peak = 1;
	publish_main(child.main);
	emit(EV_STARTED " %d %d", child.main, child.init);
}

static int vfork_procs;

/* Why main could not start, sent by a clone3 child (a copy of us, not sharing our memory) down a CLOEXEC pipe. */
struct spawn_failure {
	int err;
	const char *what; /* a string literal: the same address in the copy as here */
};

/*
 * Main born in the group (see cgroup.c): clone3 with CLONE_VFORK, so we stay
 * suspended until it has exec'd, as with vfork. Returns its pid, with
 * spawn_errno/spawn_what set (as exec_main sets them) if it never exec'd; -1
 * with errno ENOSYS when the kernel cannot clone into a group.
 */
static pid_t clone_main(const struct config *cfg, int group)
{
	int fail[2];

	if (pipe2(fail, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = cgroup_clone(CLONE_VFORK, group);
	if (pid == 0) {
		struct spawn_failure f = { 0, NULL };

		close(fail[0]);
		prepare_exec(cfg, -1, &f.what);
		f.err = errno;
		(void)!write(fail[1], &f, sizeof f);
		_exit(127);
	}
	int err = errno;
	close(fail[1]);
	if (pid > 0) {
		struct spawn_failure f;

		if (read(fail[0], &f, sizeof f) == (ssize_t)sizeof f) {
			spawn_errno = f.err;
			spawn_what = f.what;
		}
	}
	close(fail[0]);
	errno = err;
	return pid;
}

/* vfork keeps the launch cheap: we stay suspended until main has exec'd. Our fds are all O_CLOEXEC. */
static pid_t vfork_main(const struct config *cfg, int procs)
{
	vfork_procs = procs; /* not a local: vfork may clobber those */
	pid_t pid = vfork();

	if (pid == 0)
		exec_main(cfg, vfork_procs);
	return pid;
}

static void spawn_main(const struct config *cfg, struct tree *t)
{
	const char *what = NULL;
	int group = -1;

	t->report = -1;
	if (cfg->cgroup) {
		group = cgroup_create(cfg->cgroup, cfg->pids_max, cfg->memory_max, cfg->cpu_max, &what);
		if (group < 0)
			fatal(errno, what);
		t->cgroup = cfg->cgroup;
	}
	if (cfg->sandbox) {
		spawn_sandboxed(cfg, t, group);
		if (group >= 0)
			close(group);
		return;
	}
	spawn_errno = 0;
	spawn_what = NULL;
	pid_t pid = -1;
	int err = ENOSYS;
	if (group >= 0) {
		pid = clone_main(cfg, group);
		err = errno;
	}
	if (pid < 0 && err == ENOSYS) {
		/* Track level, or a kernel before 5.7: vfork, and main joins the group itself before exec. */
		int procs = group >= 0 ? cgroup_procs(group) : -1;
		if (group >= 0 && procs < 0)
			fatal_cleanup(t, errno, "cgroup.procs of the cgroup");
		pid = vfork_main(cfg, procs);
		err = errno;
		if (procs >= 0)
			close(procs);
	}
	if (group >= 0)
		close(group);
	if (pid < 0) {
		emit(EV_SPAWN_FAILED " %d", err);
		return;
	}
	if (spawn_errno) {
		/* It never ran: reaped here so that the totals count only real members. */
		waitpid(pid, NULL, 0);
		if (spawn_what)
			fatal_cleanup(t, spawn_errno, (const char *)spawn_what);
		emit(EV_SPAWN_FAILED " %d", spawn_errno);
		return;
	}
	t->main = pid;
	t->totals.peak = 1;
	publish_main(pid);
	emit(EV_STARTED " %d 0", pid);
}

/*
 * A session of our own puts the reaper in its own scheduling autogroup, so a
 * fork storm in the tree cannot starve it of CPU (measured: same-session kill
 * loops did not converge in 5 s; cross-session ones always did). Main was
 * spawned first and stays in the caller's session, terminal included. Our
 * stdio goes to /dev/null so that only the tree holds the caller's pipes: EOF
 * on them then means the tree is gone.
 */
static void detach_from_caller(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* EPERM: already a session leader (spawned detached), which is what we wanted. */
	setsid();
	if (null < 0) {
		warn_errno("open /dev/null");
		return;
	}
	for (int fd = 0; fd <= 2; fd++)
		dup2(null, fd);
	close(null);
}

/* ---- the loop ----------------------------------------------------------- */

/*
 * After `empty`, wait for the controller to close its end before exiting: a
 * command it wrote meanwhile then lands here, instead of failing with EPIPE
 * and taking the unread `empty` down with the socket on its side.
 */
static void linger(void)
{
	char buf[256];

	if (control < 0)
		return;
	shutdown(control, SHUT_WR);
	for (;;) {
		struct pollfd fd = { control, POLLIN, 0 };
		if (poll(&fd, 1, -1) < 0 && errno != EINTR)
			return;
		ssize_t n = recv(control, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return;
	}
}

static int loop(int sfd, struct tree *t)
{
	bool children = reap(t); /* a failed spawn leaves none */

	while (children) {
		struct pollfd fds[3] = { { sfd, POLLIN, 0 }, { control, POLLIN, 0 }, { t->report, POLLIN, 0 } };
		int timeout = t->killing ? ms_until(&t->next_pass) : -1;
		int n = poll(fds, 3, timeout); /* a negative fd is skipped */
		bool child_event = false;

		if (n < 0 && errno != EINTR)
			warn_errno("poll");
		if (n > 0 && fds[0].revents)
			read_signals(sfd, t, &child_event);
		if (n > 0 && control >= 0 && fds[1].revents)
			read_control(t);
		if (n > 0 && t->report >= 0 && fds[2].revents)
			read_report(t, false);
		if (child_event && !t->killing)
			sample_peak(t, t->init > 0);
		if (child_event || t->killing)
			children = reap(t);
		if (children && t->killing && ms_until(&t->next_pass) == 0) {
			if (t->sweep_due)
				sweep(t);
			else
				check_orphans(t);
		}
	}
	if (t->cgroup) {
		unsigned long long oom = cgroup_counter(t->cgroup, "memory.events", "oom_kill");
		unsigned long long pids = cgroup_counter(t->cgroup, "pids.events", "max");
		if (oom || pids)
			emit(EV_LIMITS " %llu %llu", oom, pids);
		/* The group's CPU is complete: it also has what wait4 never saw (children auto-reaped by a SIG_IGN parent). */
		unsigned long long user = cgroup_counter(t->cgroup, "cpu.stat", "user_usec");
		unsigned long long sys = cgroup_counter(t->cgroup, "cpu.stat", "system_usec");
		if (user + sys > t->totals.user_us + t->totals.system_us) {
			t->totals.user_us = user;
			t->totals.system_us = sys;
		}
		if (cgroup_remove(t->cgroup) < 0)
			warn_errno("remove the cgroup");
	}
	emit(EV_EMPTY " %lu %lu %llu %llu %ld", t->totals.processes, t->totals.peak, t->totals.user_us,
	     t->totals.system_us, t->totals.maxrss_kib);
	linger();
	return init_mode ? main_status : 0;
}

/* ---- tool mode: signal or await a process named by pid and start time ------ */

/*
 * `corral-reaper --signal PID START SIGNO` and `--wait PID START`: Node has no
 * pidfds, so the library asks this binary to act on a process it did not
 * start. The pidfd pins the process; the start time read after opening it
 * proves it is the one meant, not a reuse of its pid.
 * Exit: 0 done, 1 no such process (gone or pid reused), 2 usage, 3 not permitted, 4 other.
 */
static int tool(int argc, char **argv)
{
	struct proc_stat st;
	pid_t pid = argc > 3 ? (pid_t)atoi(argv[2]) : 0;
	unsigned long long start = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	bool signal_mode = strcmp(argv[1], "--signal") == 0;
	int sig = signal_mode && argc > 4 ? atoi(argv[4]) : 0;

	if (pid <= 0 || (signal_mode && (argc < 5 || sig <= 0 || sig > 64))) {
		fprintf(stderr, "usage: corral-reaper --signal PID START SIGNO | --wait PID START\n");
		return 2;
	}
	int fd = pidfd_open(pid);
	if (fd < 0 && errno != ESRCH) {
		fprintf(stderr, "corral-reaper: pidfd_open %d: %s\n", pid, strerror(errno));
		return 4; /* not "gone": we cannot tell */
	}
	if (fd < 0 || !read_stat(pid, &st) || st.start != start)
		return signal_mode ? 1 : 0; /* gone: for --wait, that is what was awaited */
	if (signal_mode) {
		if (pidfd_signal(fd, sig) == 0)
			return 0;
		fprintf(stderr, "corral-reaper: signal %d to %d: %s\n", sig, pid, strerror(errno));
		return errno == EPERM ? 3 : errno == ESRCH ? 1 : 4;
	}
	struct pollfd p = { fd, POLLIN, 0 };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	return 0;
}

/*
 * `corral-reaper --probe`: what `corral doctor` cannot learn from files. Tries
 * each thing for real and prints one line each: `pidfd 0|ERRNO`,
 * `userns 0|ERRNO` (a child unshares a user + pid namespace and forks inside),
 * `landlock ABI|-ERRNO`.
 */
static int probe(void)
{
	int fd = pidfd_open(getpid());

	printf("pidfd %d\n", fd >= 0 ? 0 : errno);
	if (fd >= 0)
		close(fd);
	pid_t child = fork();
	if (child == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWPID) < 0)
			_exit(errno);
		pid_t inner = fork(); /* the first child in the new pid namespace is its init */
		if (inner < 0)
			_exit(errno);
		if (inner == 0)
			_exit(0);
		int status;
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 255);
	}
	int status = 0;
	if (child > 0)
		waitpid(child, &status, 0);
	printf("userns %d\n", child < 0 ? errno : WIFEXITED(status) ? WEXITSTATUS(status) : 255);
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */);
	printf("landlock %ld\n", abi >= 0 ? abi : -(long)errno);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct tree tree = { 0 };

	if (argc > 1 && (strcmp(argv[1], "--signal") == 0 || strcmp(argv[1], "--wait") == 0))
		return tool(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--probe") == 0)
		return probe();
	parse_args(argc, argv, &cfg);
	main_slot = cfg.main_slot;
	setup_control();
	int sfd = block_signals();
	become_subreaper(&cfg);
	raise_fd_limit();
	emit(EV_HELLO " %d %d", CORRAL_PROTOCOL_VERSION, getpid());
	spawn_main(&cfg, &tree);
	if (!init_mode)
		detach_from_caller();
	else if (tree.main <= 0)
		return 127; /* the supervisor could not be started (the reason is on stderr: none, it was exec) */
	return loop(sfd, &tree);
}
