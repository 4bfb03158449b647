/** The folders the watcher keeps inside the scanner's folder. */
export const DONE_FOLDER = 'done';
export const REFUSED_FOLDER = 'refused';
export const STATE_FOLDER = '.medrec-watch';

/**
 * Names scanners, copy tools and operating systems give files that are not (yet) a finished scan:
 * partial downloads and copies, editor and lock files, the folder metadata Windows and macOS leave.
 */
const PARTIAL_OR_SYSTEM = [
  /^\./, // dotfiles: .medrec-watch, .DS_Store, rsync's .name.XXXXXX
  /^~/, // ~$name, ~name.tmp
  /~$/,
  /\.(tmp|temp|part|partial|crdownload|download|filepart|swp|lock|lck|!ut|upload|writing|inprogress)$/i,
  /^(thumbs\.db|desktop\.ini|icon\r)$/i,
];

/** Whether a name in the watched folder is a finished file the watcher should send. */
export function isCandidateName(name: string): boolean {
  if (name === DONE_FOLDER || name === REFUSED_FOLDER || name === STATE_FOLDER) return false;
  return !PARTIAL_OR_SYSTEM.some((pattern) => pattern.test(name));
}
