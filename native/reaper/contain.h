/*
 * The two strong containment levels, reaper side: a cgroup v2 group that holds
 * the tree (cgroup.c) and a user + pid (+ mount, + network) namespace with a
 * small init as pid 1 (sandbox.c). README.md beside this file has the contract.
 */
#ifndef CORRAL_CONTAIN_H
#define CORRAL_CONTAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* ---- cgroup.c ---- */

/*
 * Makes the group `dir` (it must not exist), writes the limits that are set
 * (> 0; cpu_max as "cpu_max 100000" in cpu.max) and returns the group's directory, opened, for cgroup_clone. -1 with
 * errno and *what set on failure (the group is removed again).
 */
int cgroup_create(const char *dir, long long pids_max, long long memory_max, long long cpu_max, const char **what);
/*
 * clone3() of the caller (fork-like: no CLONE_VM, no new stack; `flags` may add
 * CLONE_VFORK and namespaces) with the child born in `group`. Returns as fork();
 * errno ENOSYS when the kernel cannot (before 5.7): then fork and join through
 * cgroup_procs().
 */
pid_t cgroup_clone(uint64_t flags, int group);
/* The group's cgroup.procs opened for writing ("0" joins the writer), or -1 with errno. */
int cgroup_procs(int group);
/*
 * SIGKILL every member: cgroup.kill, 0; before Linux 5.14, freeze, signal each,
 * thaw, 1. Seen on 6.18: a process whose main thread exited while other threads
 * run survives cgroup.kill (and looks like a zombie in /proc/PID/stat), so the
 * caller follows up with cgroup_signal_members once the rest is dead.
 */
int cgroup_kill(const char *dir);
/* How many processes cgroup.procs lists (unverified: a count). */
unsigned long cgroup_count(const char *dir);
/* Sends `sig` to every pid listed in cgroup.procs that is provably a member; returns how many. */
unsigned long cgroup_signal_members(const char *dir, int sig);
bool cgroup_populated(const char *dir);
/* A key's value in a flat-keyed file of the group (memory.events oom_kill, pids.events max); 0 if absent. */
unsigned long long cgroup_counter(const char *dir, const char *file, const char *key);
/* Kills what is left, waits (bounded) until it is unpopulated and removes the group. 0 or -1 with errno. */
int cgroup_remove(const char *dir);

/* ---- sandbox.c ---- */

struct sandbox {
	bool network_off; /* a private network namespace with only loopback up, no AF_UNIX sockets */
	bool read_only; /* Landlock: no writes outside `writable` (and /dev/null and friends) */
	bool no_new_privs;
	const char **writable;
	int nwritable;
	long max_processes; /* RLIMIT_NPROC inside the user namespace for the tree's uid; 0 = none */
	int cgroup; /* the init is born in this group (its directory, from cgroup_create); -1 = none */
};

struct sandbox_child {
	pid_t init; /* outer pid of the init: our child */
	pid_t main; /* outer pid of main, 0 if it could not start */
	int report; /* read end: lines from the init (see sandbox.c) */
	int spawn_errno; /* set when main could not be started */
};

/*
 * Starts the init in fresh namespaces and main as its child. `exec_main` runs
 * in main's process after the sandbox is in place and must not return unless
 * exec failed (errno set). Returns 0, or -1 with errno and *what set when the
 * sandbox could not be made (nothing is left running).
 */
int sandbox_spawn(const struct sandbox *sb, void (*exec_main)(void), struct sandbox_child *out, const char **what);
/* Applies the restrictions to the calling process (main, before exec). 0 or -1 with errno and *what. */
int sandbox_restrict(const struct sandbox *sb, const char **what);

#endif
