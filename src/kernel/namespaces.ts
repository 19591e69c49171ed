// Why user namespaces are refused, and the fix. Whether they are allowed is learnt by trying
// (corral-reaper --probe); the sysctls read here only explain a refusal, they decide nothing.
import { readFileSync } from 'node:fs';

/** The sysctls that restrict user namespaces; absent ones (not in this kernel) are undefined. */
export interface UsernsSysctls {
  /** Debian/Ubuntu patch: 0 refuses unprivileged CLONE_NEWUSER with EPERM. */
  unprivilegedClone: number | undefined;
  /** Ubuntu ≥ 23.10: 1 lets AppArmor deny the new namespace its capabilities (EPERM). */
  apparmorRestrict: number | undefined;
  /** 0 refuses every new user namespace with ENOSPC. */
  maxUserNamespaces: number | undefined;
  maxPidNamespaces: number | undefined;
}

export function readUsernsSysctls(): UsernsSysctls {
  return {
    unprivilegedClone: readSysctl('kernel/unprivileged_userns_clone'),
    apparmorRestrict: readSysctl('kernel/apparmor_restrict_unprivileged_userns'),
    maxUserNamespaces: readSysctl('user/max_user_namespaces'),
    maxPidNamespaces: readSysctl('user/max_pid_namespaces'),
  };
}

function readSysctl(name: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/${name}`, 'utf8').trim());
  } catch {
    return undefined; // not in this kernel
  }
}

/** How to get user + pid namespaces after unshare() failed with `errno`. */
export function usernsFix(errno: string, sysctls: UsernsSysctls = readUsernsSysctls()): string {
  if (errno === 'ENOSPC') {
    const limits = [
      sysctls.maxUserNamespaces === 0 ? 'user.max_user_namespaces' : undefined,
      sysctls.maxPidNamespaces === 0 ? 'user.max_pid_namespaces' : undefined,
    ].filter(Boolean);
    const names = limits.length > 0 ? limits : ['user.max_user_namespaces', 'user.max_pid_namespaces'];
    return `raise the namespace limit: ${names.map((n) => `sysctl -w ${n}=15000`).join('; ')}`;
  }
  if (errno === 'EINVAL') return 'use a kernel built with CONFIG_USER_NS and CONFIG_PID_NS';
  if (errno === 'EUSERS') return 'run corral from fewer nested user namespaces (the kernel allows 32 levels)';
  if (sysctls.unprivilegedClone === 0) {
    return 'enable unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1';
  }
  if (sysctls.apparmorRestrict === 1) {
    return 'allow unprivileged user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile with `userns,` for node';
  }
  return 'a seccomp filter or security module refuses unshare(CLONE_NEWUSER): in a container allow it (e.g. docker --security-opt seccomp=unconfined); or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces)';
}
