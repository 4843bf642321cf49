import { webcrypto } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type * as X509 from '@peculiar/x509'

export interface TlsMaterial {
  /** PEM of the dev CA: give it to clients (`mqtts://…` with `ca`). */
  ca: string
  /** PEM of the broker's certificate, signed by the dev CA. */
  cert: string
  /** PEM (PKCS#8) of the broker's private key. */
  key: string
  /** Where the CA certificate is, for messages and `mosquitto_pub --cafile`. */
  caPath: string
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const YEAR = 365 * 86_400_000

/**
 * A development CA and a broker certificate for `--tls-port`, generated on first use into `dir`
 * (normally `<data-dir>/security/tls`, private keys mode 0600) and reused afterwards. The certificate
 * covers 127.0.0.1, ::1 and localhost. Not for production: bring your own certificates there.
 */
export async function devTls(dir: string): Promise<TlsMaterial> {
  const paths = { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), cert: join(dir, 'broker.pem'), key: join(dir, 'broker.key') }
  if (![paths.ca, paths.cert, paths.key].every((p) => existsSync(p))) await generate(dir, paths)
  return { ca: readFileSync(paths.ca, 'utf8'), cert: readFileSync(paths.cert, 'utf8'), key: readFileSync(paths.key, 'utf8'), caPath: paths.ca }
}

async function generate(dir: string, paths: { ca: string; caKey: string; cert: string; key: string }): Promise<void> {
  // Loaded on first use only; @peculiar/x509's dependency injection needs the Reflect metadata polyfill first.
  await import('reflect-metadata')
  const x509: typeof X509 = await import('@peculiar/x509')
  x509.cryptoProvider.set(webcrypto as never)
  mkdirSync(dir, { recursive: true })
  const now = new Date()
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: 'CN=TapFlow development CA', notBefore: now, notAfter: new Date(now.getTime() + 10 * YEAR),
    signingAlgorithm: ALG, keys: caKeys as never,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  })
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: 'CN=tapflow-broker', issuer: ca.subject, notBefore: now, notAfter: new Date(now.getTime() + 2 * YEAR),
    signingAlgorithm: ALG, publicKey: keys.publicKey as never, signingKey: caKeys.privateKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }, { type: 'dns', value: 'localhost' }]),
    ],
  })
  const pem = async (k: webcrypto.CryptoKey): Promise<string> => {
    const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k))
    return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`
  }
  writeFileSync(paths.caKey, await pem(caKeys.privateKey), { mode: 0o600 })
  writeFileSync(paths.key, await pem(keys.privateKey), { mode: 0o600 })
  writeFileSync(paths.ca, ca.toString('pem') + '\n')
  writeFileSync(paths.cert, cert.toString('pem') + '\n')
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1')
}
