// Test helpers: import from '../helpers/index.js'.
export { expectAllGone, killVerified, safeCleanup, survivors } from './cleanup.js';
export { fixture, type Proc, readReport, repoRoot, reportedAtLeast, reportFile, unique } from './fixtures.js';
export { autoLevel } from './levels.js';
export { type PidsLimit, withPidsLimit } from './pids-limit.js';
export {
  allProcesses,
  descendantsOf,
  isAlive,
  type ProcInfo,
  processesOfUser,
  procState,
  readStat,
  tasksOfUser,
} from './proc.js';
export { requireTestUser, runAsUser, type TestUser, testUser, testUserName, type UserRun } from './run-as-user.js';
export { bounded, startReported } from './trees.js';
export { type Truthy, type WaitOptions, waitFor } from './wait.js';
