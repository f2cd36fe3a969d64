/**
 * Process groups and sessions of plume's own processes, as Linux keeps
 * them: a forked child starts in its parent's group and session;
 * `setpgid` moves a process into a group of its session (under
 * Linux's rules), `setsid` makes a process the leader of a new session
 * and group; `kill(0)`, `kill(-pgid)`, `waitpid(0)`, `waitpid(-pgid)`,
 * `waitid(P_PGID)` and the `PRIO_PGRP` priority calls reach the members.
 *
 * The first process starts in plume's own host group and session, read
 * from the host at first use. That group may also hold host processes
 * (the shell pipeline plume runs in): they are out of the sandbox's sight,
 * so a signal to the group reaches only plume's processes in it, and it
 * counts as existing while plume runs. Nothing here changes the host's
 * groups, so a terminal's job control still sees plume as one process.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { hostSession } from "./host_info.ts";
import { type Process, processOfId } from "./process.ts";

/** The host's group and session of plume's process, read once. */
let host: { pgrp: number; session: number } | undefined;

function hostIds(): { pgrp: number; session: number } {
  return host ??= hostSession();
}

/** The process group of `p` (the host's for a process that never left it). */
export function pgrpOf(p: Process): number {
  return p.pgrp || hostIds().pgrp;
}

/** The session of `p` (the host's for a process that never left it). */
export function sessionOf(p: Process): number {
  return p.session || hostIds().session;
}

/**
 * The processes of the run in group `pgrp`, ended ones not yet collected
 * (zombies) included: they still hold their group, as in Linux.
 */
export function groupMembers(proc: Process, pgrp: number): Process[] {
  const members: Process[] = [];
  for (const p of proc.family.processes.values()) if (pgrpOf(p) === pgrp) members.push(p);
  return members;
}

/** Whether group `pgrp` exists in session `session`: a process of the run is in it, or it is the host's. */
export function groupInSession(proc: Process, pgrp: number, session: number): boolean {
  const h = hostIds();
  if (pgrp === h.pgrp && session === h.session) return true;
  for (const p of proc.family.processes.values()) if (pgrpOf(p) === pgrp && sessionOf(p) === session) return true;
  return false;
}

/** Whether group `pgrp` exists: some process of the run is in it, or it is plume's host group. */
export function groupExists(proc: Process, pgrp: number): boolean {
  return pgrp === hostIds().pgrp || groupMembers(proc, pgrp).length > 0;
}

/**
 * `setpgid(pid, pgid)` called by `proc` (whose thread ids `own` tells):
 * Linux's checks in its order, then the move.
 *
 * @throws {SyscallError} `EINVAL` for a negative group or a thread that does
 *   not lead its process, `ESRCH` for a process that is neither the caller
 *   nor its child, `EPERM` for a child in another session, a session leader
 *   or a group not in the caller's session, `EACCES` for a child that ran
 *   `execve`
 */
export function setProcessGroup(proc: Process, pid: number, pgid: number): number {
  const id = pid === 0 ? proc.pid : pid;
  const group = pgid === 0 ? id : pgid;
  if (group < 0) throw new SyscallError(E.EINVAL, `Bad process group ${group}`);
  const target = processOfId(proc, id);
  if (target === undefined) throw new SyscallError(E.ESRCH, `No process ${id}`);
  if (target.pid !== id) throw new SyscallError(E.EINVAL, `Thread ${id} does not lead its process`);
  if (target.parent === proc) {
    if (sessionOf(target) !== sessionOf(proc)) throw new SyscallError(E.EPERM, "The child is in another session");
    if (target.execs > 0) throw new SyscallError(E.EACCES, "The child ran execve");
  } else if (target !== proc) throw new SyscallError(E.ESRCH, `Process ${id} is not a child`);
  if (sessionOf(target) === target.pid) throw new SyscallError(E.EPERM, "A session leader stays in its group");
  if (group !== id && !groupInSession(proc, group, sessionOf(proc))) {
    throw new SyscallError(E.EPERM, `No process group ${group} in the session`);
  }
  target.pgrp = group;
  target.session = sessionOf(target);
  return 0;
}

/**
 * `setsid()`: `proc` leads a new session and group, unless a group of its
 * id exists already (`EPERM`, as when it leads its group).
 */
export function newSession(proc: Process): number {
  if (groupExists(proc, proc.pid)) throw new SyscallError(E.EPERM, "A process group of this id exists");
  proc.pgrp = proc.session = proc.pid;
  return proc.pid;
}

/**
 * The children `pid` selects as `wait4` reads it: > 0 that child, -1 any
 * child, 0 any child in the caller's group, < -1 any child in group -pid.
 */
export function waitableChildren(proc: Process, pid: number): Process[] {
  if (pid > 0) return proc.children.filter((c) => c.pid === pid);
  if (pid === -1) return proc.children;
  return childrenInGroup(proc, pid === 0 ? pgrpOf(proc) : -pid);
}

/** The children of `proc` in group `pgrp` (`waitid`'s `P_PGID`). */
export function childrenInGroup(proc: Process, pgrp: number): Process[] {
  return proc.children.filter((c) => pgrpOf(c) === pgrp);
}

/**
 * `tcsetpgrp` (`TIOCSPGRP`): makes `pgrp` the terminal's foreground group
 * for the run's processes, under Linux's checks (EINVAL, ESRCH, EPERM for
 * a group of another session). The host's terminal is left as it is.
 */
export function setForeground(proc: Process, pgrp: number): void {
  if (pgrp < 0) throw new SyscallError(E.EINVAL, `Bad process group ${pgrp}`);
  if (!groupExists(proc, pgrp)) throw new SyscallError(E.ESRCH, `No process group ${pgrp}`);
  if (!groupInSession(proc, pgrp, sessionOf(proc))) throw new SyscallError(E.EPERM, "A group of another session");
  proc.family.foreground = pgrp;
}
