// The level `auto` resolves to here: cgroup where this process may make groups (root on the
// development VMs), else track (no option asks for a sandbox). Read from the library itself.
import { cgroupSite } from '../../dist/tree/levels.js';

export function autoLevel(): 'cgroup' | 'track' {
  return cgroupSite().parent === null ? 'track' : 'cgroup';
}
