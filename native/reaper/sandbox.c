/*
 * The sandbox level: the reaper clones an init into a new user + pid + mount
 * (+ network) namespace; the init mounts a fresh /proc, starts main as its
 * child, reaps everything inside and reports main's status to the reaper over
 * a pipe. SIGKILL to the init is the whole tree's end: the kernel kills every
 * process of a pid namespace whose init dies. The reaper has no pid inside.
 *
 * Report lines, init -> reaper: `started`, `spawn-failed ERRNO`, `fatal ERRNO
 * WHAT`, `exited CODE SIGNAL CORE` (as the protocol's event), `empty PROCESSES`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* Headers older than the kernel (Debian 12's are 6.1) lack the later rights. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* The tree's ids inside and outside when the caller is root: nobody, so that it is never root on the host. */
#define NOBODY 65534

/* ---- the init (pid 1 inside) ---------------------------------------------- */

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	while (write(fd, line, (size_t)n) < 0 && errno == EINTR)
		;
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(s);
	errno = saved;
	return rc;
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return -1;
	return 0;
}

static void null_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return;
	for (int fd = 0; fd <= 2; fd++)
		dup2(null, fd);
	close(null);
}

static __attribute__((noreturn)) void init_main(const struct sandbox *sb, void (*exec_main)(void), int go, int out,
						bool as_nobody)
{
	const char *what = NULL;
	char c;

	/* The reaper gone, the init goes, and with it every process inside. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go, &c, 1) != 1)
		_exit(1); /* the reaper died or could not write our id maps */
	/* The reaper's fds (its control socket, its signalfd) are not the init's to hold. */
	int lo = go < out ? go : out, hi = go < out ? out : go;
	if (lo > 3)
		syscall(SYS_close_range, 3, lo - 1, 0);
	if (hi > lo + 1)
		syscall(SYS_close_range, lo + 1, hi - 1, 0);
	syscall(SYS_close_range, hi + 1, ~0U, 0);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		what = "make the sandbox's mounts private";
		goto fatal;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		what = "mount a fresh /proc in the sandbox";
		goto fatal;
	}
	if (sb->network_off && loopback_up() < 0) {
		what = "bring up loopback in the sandbox's network namespace";
		goto fatal;
	}
	/*
	 * A root caller's tree runs as nobody, the init too, before main exists: RLIMIT_NPROC then
	 * counts exactly the init and the tree (a uid change counts nothing that already runs).
	 */
	if (as_nobody && become_nobody() < 0) {
		what = "become nobody in the sandbox";
		goto fatal;
	}
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		what = "pipe";
		goto fatal;
	}
	pid_t main = fork();
	if (main < 0) {
		what = "fork main in the sandbox";
		goto fatal;
	}
	if (main == 0) {
		int err[2] = { 0, 0 };
		close(errpipe[0]);
		close(out);
		close(go);
		if (sandbox_restrict(sb, &what) < 0) {
			err[0] = errno;
			err[1] = 1; /* the sandbox, not the command, failed */
		} else {
			exec_main();
			err[0] = errno;
		}
		(void)!write(errpipe[1], err, sizeof err);
		_exit(127);
	}
	close(errpipe[1]);
	int err[2] = { 0, 0 };
	ssize_t n;
	while ((n = read(errpipe[0], err, sizeof err)) < 0 && errno == EINTR)
		;
	close(errpipe[0]);
	if (n == sizeof err && err[1]) {
		report(out, "fatal %d restrict the sandbox", err[0]);
		waitpid(main, NULL, 0);
		_exit(125);
	}
	if (n == sizeof err) {
		report(out, "spawn-failed %d", err[0]);
		waitpid(main, NULL, 0);
		_exit(127);
	}
	report(out, "started");
	/* Main stays unreaped (its outer pid pinned) until the reaper has looked it up. */
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	close(go);
	null_stdio(); /* only the tree holds the caller's pipes */

	unsigned long processes = 0;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break; /* ECHILD: the sandbox is empty */
		processes++;
		if (pid != main)
			continue;
		if (WIFEXITED(status))
			report(out, "exited %d 0 0", WEXITSTATUS(status));
		else
			report(out, "exited -1 %d %d", WTERMSIG(status), WCOREDUMP(status) ? 1 : 0);
	}
	report(out, "empty %lu", processes);
	_exit(0);
fatal:
	report(out, "fatal %d %s", errno, what);
	_exit(125);
}

/* ---- the reaper's side ---------------------------------------------------- */

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd, saved;

	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;
	return n < 0 ? -1 : 0;
}

/* Inside, the caller's own ids, mapped to themselves; a root caller's tree runs as nobody. */
static int write_id_maps(pid_t pid, bool as_nobody, const char **what)
{
	char map[64];
	unsigned uid = as_nobody ? NOBODY : getuid(), gid = as_nobody ? NOBODY : getgid();

	snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
	if (write_proc(pid, "uid_map", map) < 0) {
		*what = "write the sandbox's uid_map";
		return -1;
	}
	/* Unprivileged: a gid map needs setgroups denied first (else dropping a group could grant access). */
	if (!as_nobody && write_proc(pid, "setgroups", "deny") < 0 && errno != ENOENT) {
		*what = "deny setgroups in the sandbox";
		return -1;
	}
	snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
	if (write_proc(pid, "gid_map", map) < 0) {
		*what = "write the sandbox's gid_map";
		return -1;
	}
	return 0;
}

/* Main is the init's first child and so pid 2 inside; its outer pid is the first of the init's children. */
static pid_t find_main(pid_t init)
{
	char path[64], buf[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", init, init);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid_t main = (pid_t)atoi(buf);
	/* Checked: its NSpid line must end in 2. */
	snprintf(path, sizeof path, "/proc/%d/status", main);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	bool ok = false;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');
			ok = last && atoi(last + 1) == 2;
		}
	}
	fclose(f);
	return ok ? main : 0;
}

int sandbox_spawn(const struct sandbox *sb, void (*exec_main)(void), struct sandbox_child *out, const char **what)
{
	int go[2], rep[2], saved;
	bool as_nobody = getuid() == 0;
	unsigned long flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | (sb->network_off ? CLONE_NEWNET : 0);

	memset(out, 0, sizeof *out);
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		*what = "pipe";
		return -1;
	}
	/* Born in the group when there is one (see cgroup.c); before Linux 5.7 it is moved there below. */
	int procs = -1;
	pid_t pid = sb->cgroup >= 0 ? cgroup_clone(flags, sb->cgroup) : -1;
	if (sb->cgroup < 0 || (pid < 0 && errno == ENOSYS)) {
		if (sb->cgroup >= 0 && (procs = cgroup_procs(sb->cgroup)) < 0) {
			saved = errno;
			close(go[0]);
			close(go[1]);
			close(rep[0]);
			close(rep[1]);
			errno = saved;
			*what = "cgroup.procs of the cgroup";
			return -1;
		}
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	}
	if (pid == 0) {
		close(go[1]);
		close(rep[0]);
		if (procs >= 0)
			close(procs);
		if (sb->cgroup >= 0)
			close(sb->cgroup); /* the init has no business with the group */
		init_main(sb, exec_main, go[0], rep[1], as_nobody);
	}
	saved = errno;
	close(go[0]);
	close(rep[1]);
	if (pid < 0) {
		if (procs >= 0)
			close(procs);
		close(go[1]);
		close(rep[0]);
		errno = saved;
		*what = "clone into new user + pid namespaces";
		return -1;
	}
	char num[24];
	snprintf(num, sizeof num, "%d", pid);
	if (write_id_maps(pid, as_nobody, what) < 0 ||
	    (procs >= 0 && write(procs, num, strlen(num)) < 0 && (*what = "join the cgroup")) ||
	    write(go[1], "g", 1) != 1) {
		saved = errno;
		if (procs >= 0)
			close(procs);
		kill(pid, SIGKILL); /* our unreaped child: its pid cannot be anyone else's */
		waitpid(pid, NULL, 0);
		close(go[1]);
		close(rep[0]);
		errno = saved;
		return -1;
	}
	if (procs >= 0)
		close(procs);
	/* The init's first line says whether main runs. */
	char line[256];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof line - 1 && (n = read(rep[0], line + len, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	int err = 0;
	char why[200] = "";
	out->init = pid;
	out->report = rep[0];
	if (strcmp(line, "started") == 0) {
		out->main = find_main(pid);
		(void)!write(go[1], "m", 1); /* looked up: the init may reap it now */
		close(go[1]);
		return 0;
	}
	if (sscanf(line, "spawn-failed %d", &err) == 1) {
		close(go[1]);
		out->spawn_errno = err;
		return 0;
	}
	static char fatal_what[200];
	if (sscanf(line, "fatal %d %199[^\n]", &err, why) == 2) {
		snprintf(fatal_what, sizeof fatal_what, "%s", why);
		*what = fatal_what;
	} else {
		err = EPROTO;
		*what = "the sandbox's init died before starting main";
	}
	close(go[1]);
	waitpid(pid, NULL, 0);
	close(rep[0]);
	memset(out, 0, sizeof *out);
	errno = err;
	return -1;
}

/* ---- restrictions on main, before exec ---------------------------------- */

static unsigned long long write_rights(int abi)
{
	unsigned long long r = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
			       LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
			       LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
			       LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return r;
}

static int allow_writes(int ruleset, const char *path, unsigned long long rights, int abi, bool must_exist)
{
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return must_exist ? -1 : 0;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	unsigned long long file_rights = LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
	struct landlock_path_beneath_attr rule = {
		.allowed_access = S_ISDIR(st.st_mode) ? rights : (rights & file_rights),
		.parent_fd = fd,
	};
	int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Writes only beneath `writable` and to the usual character devices; reading and executing stay allowed. */
static int landlock_read_only(const struct sandbox *sb, const char **what)
{
	static const char *devices[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/pts" };
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 1) {
		*what = "Landlock (needed by readOnly)";
		return -1;
	}
	unsigned long long rights = write_rights(abi);
	struct landlock_ruleset_attr attr = { .handled_access_fs = rights };
	/* Only the first field: the struct grew with later ABIs, and an older kernel would refuse its size. */
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr.handled_access_fs, 0);
	if (ruleset < 0) {
		*what = "landlock_create_ruleset";
		return -1;
	}
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
		allow_writes(ruleset, devices[i], rights, abi, false);
	for (int i = 0; i < sb->nwritable; i++) {
		if (allow_writes(ruleset, sb->writable[i], rights, abi, true) < 0) {
			*what = "a writable path (it must exist)";
			close(ruleset);
			return -1;
		}
	}
	int rc = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
	int saved = errno;
	close(ruleset);
	errno = saved;
	if (rc < 0)
		*what = "landlock_restrict_self";
	return rc;
}

#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#endif

/*
 * network: false. The network namespace already hides the host's TCP/UDP and
 * abstract unix sockets; path-named unix sockets live in the filesystem, so no
 * new AF_UNIX socket may be made (socketpair's stream/seqpacket pairs, already
 * connected, stay allowed: pipes to children need them). io_uring could make a
 * socket past the filter: refused too. Foreign-architecture syscalls (i386 on
 * x86_64) kill the process: their numbers mean other calls.
 */
static int block_unix_sockets(const char **what)
{
#ifdef AUDIT_ARCH_NATIVE
#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(value) BPF_STMT(BPF_RET | BPF_K, (value))
#define DENY(err) RET(SECCOMP_RET_ERRNO | ((err) & SECCOMP_RET_DATA))
	struct sock_filter filter[] = {
		LD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD(nr),
#ifdef __x86_64__
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 */
		DENY(ENOSYS),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		DENY(ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 2),
		LD(args[0]),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 6, 7),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 0, 6),
		LD(args[0]),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 4),
		LD(args[1]),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf), /* the type without SOCK_NONBLOCK/SOCK_CLOEXEC */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 1),
		DENY(EACCES),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
		*what = "seccomp filter for network: false";
		return -1;
	}
	return 0;
#else
	*what = "network: false on this architecture (no seccomp filter for it)";
	errno = ENOSYS;
	return -1;
#endif
}

int sandbox_restrict(const struct sandbox *sb, const char **what)
{
	if (sb->max_processes > 0) {
		/* Counted per user per user namespace: the tree and the init (same uid), nothing else. */
		struct rlimit lim = { (rlim_t)sb->max_processes + 1, (rlim_t)sb->max_processes + 1 };
		if (setrlimit(RLIMIT_NPROC, &lim) < 0) {
			*what = "RLIMIT_NPROC";
			return -1;
		}
	}
	/*
	 * Landlock and seccomp need no_new_privs or CAP_SYS_ADMIN; a root caller's tree, nobody by
	 * now, has no capability left. no_new_privs costs nothing here: a setuid file owned by a uid
	 * the namespace does not map grants nothing anyway.
	 */
	if ((sb->read_only || sb->network_off) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*what = "PR_SET_NO_NEW_PRIVS";
		return -1;
	}
	if (sb->read_only && landlock_read_only(sb, what) < 0)
		return -1;
	if (sb->network_off && block_unix_sockets(what) < 0)
		return -1;
	if (sb->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*what = "PR_SET_NO_NEW_PRIVS";
		return -1;
	}
	return 0;
}
