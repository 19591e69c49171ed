// Exit statuses of the CLI; docs/exit-codes.md is the table users read.

/** Wrapping commands (run, timeout) follow GNU timeout. */
export const exitCodes = {
  processLimit: 122, // main failed after the tree hit maxProcesses (cgroup pids.max refused a fork)
  memoryLimit: 123, // main failed after the tree hit maxMemory (the kernel OOM-killed a member)
  timedOut: 124,
  failed: 125, // corral itself failed: bad usage, bad option, missing reaper
  cannotExecute: 126,
  notFound: 127,
} as const;

/** 128+n: what a shell reports for a process killed by signal n. */
export function signalStatus(signo: number): number {
  return 128 + signo;
}

/** Control commands (ps, tree, which, kill, wait): the "Control commands" table. */
export const controlCodes = {
  done: 0,
  noSuchCorral: 1, // which: the pid is in no corral
  usage: 2, // bad option or value, or a name matching several corrals
  notPermitted: 3,
  system: 4,
} as const;
