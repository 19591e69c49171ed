/*
 * The controller <-> reaper protocol, reaper side. One line per message, ASCII,
 * space-separated decimal fields, '\n' terminated, over the socket on fd 3.
 * Defined once here, once in src/reaper/protocol.ts, and in docs/protocol.md;
 * test/reaper/protocol.test.ts checks that the three agree.
 */
#ifndef CORRAL_PROTOCOL_H
#define CORRAL_PROTOCOL_H

#define CORRAL_PROTOCOL_VERSION 2
#define CORRAL_CONTROL_FD 3

/* Events, reaper -> controller. */
#define EV_HELLO "hello"               /* hello VERSION REAPER_PID */
#define EV_STARTED "started"           /* started MAIN_PID INIT_PID  (INIT_PID 0 unless sandbox) */
#define EV_SPAWN_FAILED "spawn-failed" /* spawn-failed ERRNO */
#define EV_EXITED "exited"             /* exited CODE SIGNAL CORE  (CODE -1 when killed by SIGNAL) */
#define EV_LIMITS "limits"             /* limits OOM_KILLS PIDS_MAX_HITS  (cgroup: before empty, if any) */
#define EV_EMPTY "empty"               /* empty PROCESSES PEAK USER_US SYSTEM_US MAXRSS_KIB */
#define EV_WARN "warn"                 /* warn ERRNO WHAT */
#define EV_FATAL "fatal"               /* fatal ERRNO WHAT  (setup failed; the reaper exits 125) */

/* Commands, controller -> reaper. */
#define CMD_SIGNAL "signal" /* signal SIGNO CONT  (CONT 1: follow with SIGCONT) */
#define CMD_KILL "kill"     /* kill  (SIGKILL the whole tree) */

/*
 * Signals to the reaper itself, as kernel numbers (free real-time signals under
 * glibc, whose SIGRTMIN is 34, and musl, whose SIGRTMIN is 35). SIGHUP, SIGINT,
 * SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to every member.
 */
#define SIG_CONTROLLER_GONE 35 /* the parent-death signal: kill the tree, exit (only from the controller) */
#define SIG_KILL_TREE 36       /* SIGKILL the whole tree: anyone allowed to signal us (`corral kill`) */

#endif
