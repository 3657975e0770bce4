import { createInterface } from 'node:readline/promises';

/** A yes/no question on stderr (stdout may be piped); anything but y/yes is no. Loaded only when asked. */
export async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
