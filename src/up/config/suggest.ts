// "did you mean …?" for a misspelt key or service name.

/** Words other tools use for corral.yaml's keys (docker compose, Procfile managers). */
const synonyms: Record<string, string> = {
  cmd: 'command',
  args: 'command',
  environment: 'env',
  envfile: 'env_file',
  env_files: 'env_file',
  working_dir: 'cwd',
  workdir: 'cwd',
  dir: 'cwd',
  depends: 'depends_on',
  requires: 'depends_on',
  after: 'depends_on',
  stop_timeout: 'stop_grace',
  kill_after: 'stop_grace',
  grace: 'stop_grace',
  signal: 'stop_signal',
  replicas: 'scale',
  instances: 'scale',
  healthcheck: 'ready',
  readiness: 'ready',
  memory: 'max_memory',
  mem_limit: 'max_memory',
  cpus: 'max_cpu',
  cpu_limit: 'max_cpu',
  pids_limit: 'max_procs',
  max_processes: 'max_procs',
  restart_policy: 'restart',
};

/** The candidate closest to `word` if it is close enough to be a likely typo, else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const synonym = synonyms[lower.replace(/-/g, '_')];
  if (synonym !== undefined && candidates.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const bound = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestDistance <= bound && bestDistance < word.length ? best : undefined;
}

/** "; did you mean `x`?" or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : `; did you mean \`${match}\`?`;
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`restrat` → `restart` is 1). */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
