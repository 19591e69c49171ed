// corral/services: the service manager as a library — load a Procfile or corral.yaml, run it
// under a Supervisor (what `corral up` does in the foreground). Kept apart from the main entry
// so that `import 'corral'` does not load the YAML parser and the schema library.
export { ConfigError, loadProject, NoConfigError } from './config/index.js';
export {
  ControlError,
  NoSuchServiceError,
  NoSupervisorError,
  SupervisorRunningError,
  UnsafeRuntimeDirError,
} from './supervisor/errors.js';
export type { Instance, ServiceState } from './supervisor/instance.js';
export { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
export type { ProjectConfig, Readiness, RestartPolicy, ServiceConfig } from './types.js';
