// The supervisor's view of the config layer (src/up/config): one import site for the CLI.
export { ConfigError, loadProject } from '../config/index.js';
