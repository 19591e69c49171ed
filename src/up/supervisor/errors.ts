// Errors of the supervisor and its control commands. Codes are stable (docs/services.md lists
// them); they live here until the lead moves them into src/errors.ts.
import { CorralError } from '../../errors.js';

/** `corral up` found a live supervisor for the same project. */
export class SupervisorRunningError extends CorralError {
  readonly pid: number | null;
  constructor(project: string, pid: number | null, socket: string) {
    super(
      'CORRAL_ERR_SUPERVISOR_RUNNING',
      `project ${project} already has a supervisor${pid === null ? '' : ` (pid ${pid})`} on ${socket}`,
      { hint: "use 'corral status', or 'corral down' to stop it first" },
    );
    this.pid = pid;
  }
}

/** A control command found no supervisor for the project. */
export class NoSupervisorError extends CorralError {
  constructor(project: string, socket: string) {
    super('CORRAL_ERR_NO_SUPERVISOR', `no supervisor is running for project ${project} (no one answers on ${socket})`, {
      hint: "start one with 'corral up -d'",
    });
  }
}

/** The runtime directory is not ours alone: using it would let another user talk to the supervisor. */
export class UnsafeRuntimeDirError extends CorralError {
  constructor(path: string, why: string) {
    super('CORRAL_ERR_UNSAFE_RUNTIME_DIR', `refusing to use ${path}: ${why}`, {
      hint: `it must be a directory owned by uid ${process.geteuid?.() ?? '?'} with mode 0700; remove it or set XDG_RUNTIME_DIR`,
    });
  }
}

/** A SERVICE operand names nothing in the project. */
export class NoSuchServiceError extends CorralError {
  constructor(name: string, known: readonly string[]) {
    super('CORRAL_ERR_NO_SUCH_SERVICE', `no service '${name}' in this project`, {
      hint: known.length > 0 ? `services: ${known.join(', ')}` : 'the project defines no services',
    });
  }
}

/** The supervisor answered something we cannot read, or failed a request. */
export class ControlError extends CorralError {
  constructor(message: string, hint?: string) {
    super('CORRAL_ERR_CONTROL', message, hint === undefined ? {} : { hint });
  }
}
