import { Command, Option } from '@commander-js/extra-typings';

import { action, c, examples, line, printJson } from './output.js';
import { readPassword } from './password.js';

export function convertCommand() {
  return new Command('convert')
    .description('convert certificates and keys between PEM, DER and PKCS#12 (reads legacy 3DES/RC2 .pfx files too)')
    .argument('<in>', 'a PEM, DER, PKCS#12 (.p12/.pfx) file, or a key in PKCS#1, SEC1, PKCS#8 or encrypted PEM')
    .addOption(new Option('--to <format>', 'pem, der or p12').choices(['pem', 'der', 'p12'] as const).makeOptionMandatory())
    .option('--key <file>', 'the private key, when it is in a separate file (for --to p12)')
    .option('--out <file>', 'output file (default: the input name with the new extension)')
    .option('--key-out <file>', 'where the key goes with --to pem (default: OUT-key.pem)')
    .option('--password-file <file>', 'password of the input (.p12 or encrypted key); else TLSDOCK_P12_PASSWORD / TLSDOCK_KEY_PASSWORD')
    .option('--out-password-file <file>', 'password for a new .p12 (else TLSDOCK_P12_PASSWORD, else a prompt)')
    .option('--force', 'overwrite existing files')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples(
      'tlsdock convert jupyter.pfx --to pem --password-file pw.txt      # → jupyter.pem + jupyter-key.pem',
      'tlsdock convert server.der --to pem',
      'tlsdock convert server.pem --key server-key.pem --to p12 --out-password-file pw.txt',
      'tlsdock convert old-rsa.key --to pem --out key.pem              # PKCS#1/SEC1 → PKCS#8',
    ))
    .action(action(async (input, o) => {
      const password = o.passwordFile
        ? await readPassword({ file: o.passwordFile, envVar: 'TLSDOCK_P12_PASSWORD', prompt: '' })
        : process.env.TLSDOCK_P12_PASSWORD ?? process.env.TLSDOCK_KEY_PASSWORD;
      const outPassword = o.to === 'p12' ? await readPassword({ file: o.outPasswordFile, envVar: 'TLSDOCK_P12_PASSWORD', prompt: 'Password for the .p12 file: ', confirm: true }) : undefined;
      const { convert } = await import('../api/convert.js');
      const r = await convert({ input, to: o.to, keyFile: o.key, out: o.out, keyOut: o.keyOut, password, outPassword, force: o.force });
      if (o.json) return printJson({ ok: true, ...r });
      for (const w of r.written) line(`${c.green('✓')} ${w.kind === 'key' ? 'key' : w.kind === 'pkcs12' ? 'PKCS#12' : 'certificates'} → ${w.path}${w.kind !== 'certificates' ? c.dim('  (mode 0600)') : ''}`);
    }));
}
