import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// No Docker engine runs here, so the deployment file is checked by parsing it.
describe('docker-compose.yml', () => {
  const doc = parse(readFileSync('docker-compose.yml', 'utf8')) as {
    services: Record<string, { command?: string[]; image?: string; build?: string; depends_on?: string[]; ports?: string[] }>
  }

  it('runs the real engines and our own services', () => {
    expect(Object.keys(doc.services).sort()).toEqual(['business', 'clickhouse', 'gateway', 'grafana', 'lake', 'minio', 'minio-bucket', 'mosquitto', 'postgres', 'sim'])
    expect(doc.services.clickhouse!.image).toMatch(/^clickhouse\/clickhouse-server:/)
    expect(doc.services.mosquitto!.image).toMatch(/^eclipse-mosquitto:/)
  })

  it('points the gateway at the external broker and ClickHouse server with flags the CLI has', () => {
    const cmd = doc.services.gateway!.command!
    expect(cmd[0]).toBe('gateway')
    expect(cmd).toContain('--broker')
    expect(cmd[cmd.indexOf('--broker') + 1]).toBe('mqtt://mosquitto:1883')
    expect(cmd[cmd.indexOf('--clickhouse-url') + 1]).toMatch(/^http:\/\/.*clickhouse:8123$/)
    const help = readFileSync('cli/commands/gateway.ts', 'utf8') + readFileSync('cli/stack-options.ts', 'utf8')
    for (const flag of cmd.filter((a) => a.startsWith('--'))) expect(help).toContain(`'${flag} `)
  })

  it('publishes ports on the host loopback only', () => {
    const published = Object.values(doc.services).flatMap((s) => s.ports ?? [])
    expect(published.length).toBeGreaterThan(0)
    for (const p of published) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/)
  })
})
