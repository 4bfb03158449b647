import { startServerProcess, type ServerProcess } from '../../test/support/server-process';

/**
 * What `npm start` gives the server's process, for benches that start it as a separate process:
 * glibc's malloc settings (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) and node's flags, each unless
 * the environment says otherwise (BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
export function npmStartSettings(): { env: Record<string, string>; nodeArgs: string[] } {
  return {
    env: {
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
    },
    nodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '--max-semi-space-size=2').split(' ').filter(Boolean),
  };
}

/** The built server on `dataDir` as `npm start` runs it (npmStartSettings), OCR in process, the admin's first password `adminPassword`, tokens valid an hour. */
export function startOcrBenchServer(dataDir: string, adminPassword: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const settings = npmStartSettings();
  return startServerProcess(
    dataDir,
    { ...settings.env, MEDREC_ADMIN_PASSWORD: adminPassword, MEDREC_OCR_IN_PROCESS: 'true', MEDREC_TOKEN_TTL_SECONDS: '3600', ...env },
    settings.nodeArgs,
  );
}
